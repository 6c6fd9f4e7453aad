"""A document's text read as the structures a reader sees: headings, tables, lists.

Extractive answers quote whole structures, so the text is cut into `Unit`s that know
where they belong: a table row knows its header row, a numbered step knows the other
steps of its procedure (a list continues across blank lines), a fenced code block
belongs to the step or item it follows, and every unit knows its section heading.
Long prose paragraphs are split into sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    HEADING = "heading"
    HEADER = "header"  # a table's header row
    ROW = "row"
    STEP = "step"  # an item of a numbered list
    ITEM = "item"  # an item of a bulleted list
    CODE = "code"
    TEXT = "text"


@dataclass(frozen=True)
class Unit:
    kind: Kind
    text: str
    index: int
    section: int | None  # the index of the heading above, if any
    block: int | None  # the index of the first unit of its table or list
    header: int | None  # a row's header row


_STEP = re.compile(r"^\d+[.)]\s")
_ITEM = re.compile(r"^[-*+•]\s")
_FENCE = re.compile(r"^(```|~~~)")
_RULER = re.compile(r"^\|?[\s:|-]+\|?$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\[(])")
LONG_PARAGRAPH = 120

_LIST_KINDS = (Kind.STEP, Kind.ITEM)


class _Reader:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.section: int | None = None
        self.block: int | None = None
        self.block_kind: Kind | None = None
        self.header: int | None = None
        self.blank = False  # a blank line since the last unit

    def add(
        self, kind: Kind, text: str, block: int | None = None, header: int | None = None
    ) -> int:
        index = len(self.units)
        self.units.append(Unit(kind, text, index, self.section, block, header))
        self.blank = False
        return index

    def end_block(self) -> None:
        self.block = None
        self.block_kind = None
        self.header = None

    def list_item(self, kind: Kind, text: str, indented: bool) -> None:
        if indented and self.block_kind in _LIST_KINDS:  # a nested item: the same list
            self.add(kind, text, self.block)
            return
        if self.block_kind is not kind:
            self.end_block()
            self.block = len(self.units)
            self.block_kind = kind
        self.add(kind, text, self.block)

    def table_line(self, line: str, next_line: str) -> None:
        if _RULER.match(line) and "-" in line:
            return
        if self.block_kind is not Kind.ROW:
            self.end_block()
            self.block = len(self.units)
            self.block_kind = Kind.ROW
            if _RULER.match(next_line.strip()) and "-" in next_line:
                self.header = self.add(Kind.HEADER, line, self.block)
                return
        self.add(Kind.ROW, line, self.block, self.header)

    def code(self, text: str) -> None:
        # a code block right after a list item belongs to that list
        attached = self.block if self.block_kind in _LIST_KINDS else None
        self.add(Kind.CODE, text, attached)

    def paragraph(self, line: str, continued: bool, indented: bool) -> None:
        last = self.units[-1] if self.units else None
        if continued and last is not None and last.kind in (Kind.TEXT, *_LIST_KINDS):
            # a wrapped line: part of the unit above
            self.units[-1] = Unit(
                last.kind, f"{last.text} {line}", last.index, last.section, last.block, last.header
            )
            return
        if indented and self.block_kind in _LIST_KINDS:  # a paragraph inside a list item
            self.add(Kind.TEXT, line, self.block)
            return
        if self.block_kind is not None:
            self.end_block()
        if len(line) > LONG_PARAGRAPH:
            for sentence in _SENTENCE.split(line):
                if sentence.strip():
                    self.add(Kind.TEXT, sentence.strip())
        else:
            self.add(Kind.TEXT, line)


def parse(text: str) -> list[Unit]:
    reader = _Reader()
    lines = text.splitlines()
    i = 0
    previous_blank = True
    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        if _FENCE.match(line):
            fence = line[:3]
            body = [raw.rstrip()]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i].rstrip())
                i += 1
            if i < len(lines):
                body.append(lines[i].rstrip())
            reader.code("\n".join(body))
            i += 1
            previous_blank = False
            continue
        i += 1
        if not line:
            if reader.block_kind is Kind.ROW:
                reader.end_block()
            reader.blank = True
            previous_blank = True
            continue
        indented = raw[:1] in (" ", "\t")
        if line.startswith("#"):
            reader.end_block()
            reader.section = reader.add(Kind.HEADING, line)
        elif line.startswith("|"):
            reader.table_line(line, lines[i] if i < len(lines) else "")
        elif _STEP.match(line):
            reader.list_item(Kind.STEP, line, indented)
        elif _ITEM.match(line):
            reader.list_item(Kind.ITEM, line, indented)
        else:
            reader.paragraph(line, continued=not previous_blank, indented=indented)
        previous_blank = False
    return reader.units


def heading_text(unit: Unit) -> str:
    return unit.text.lstrip("#").strip()


def block_of(units: list[Unit], unit: Unit) -> list[Unit]:
    """The units of the unit's table or list (with their code blocks), in order."""
    if unit.block is None:
        return [unit]
    return [u for u in units if u.block == unit.block]


def lead_in(units: list[Unit], first: Unit) -> Unit | None:
    """The sentence that introduces a list ("To connect:"), when it is right above it."""
    if first.index == 0:
        return None
    above = units[first.index - 1]
    if above.kind is Kind.TEXT and above.section == first.section and len(above.text) <= 200:
        return above
    return None
