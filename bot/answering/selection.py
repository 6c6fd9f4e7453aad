"""Extractive mode: which parts of the retrieved documents answer the question.

Every unit of every retrieved document (`structure.parse`: a sentence, a list item, a
step, a table row) is scored against the question by

- the question's words it shows (rarer words weigh more; a row is read with its header
  row, and the words of its section heading and page title count half),
- its meaning: the cosine between the question and the unit (in its section) under the
  same local embedder the index uses (`SEMANTIC_WEIGHT`), for the best lexical shortlist,
- the kind of answer the question asks for: a phone number, an e-mail address, an
  amount, a duration or a time of day (`ANSWER_TYPE_BONUS`); a range the question's
  amount falls in ("€1,000–€5,000" for "5000"); the steps of a procedure for a how-to,
- and a little of the document's own retrieval score.

The best unit is shown as the structure it belongs to: a step with its whole numbered
procedure under its heading, a row with its table's header row (and rows that score
nearly as well), a line with its heading and the few lines of the same page that
score nearly as well. A second page is quoted only when it scores nearly as well.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.core.embeddings import BaseEmbedding

from bot.answering.answer_shapes import (
    asked_types,
    asks_quantity,
    has_number,
    in_range,
    numbers,
    shows,
)
from bot.answering.structure import Kind, Unit, block_of, heading_text, lead_in, parse
from bot.answering.words import is_how_to, terms

SEMANTIC_WEIGHT = 1.5
SHORTLIST = 40
ANSWER_TYPE_BONUS = 0.4
NUMBER_BONUS = 0.1
RANGE_BONUS = 0.4
STEP_BONUS = 0.2
BULLET_BONUS = 0.067
DOCUMENT_PRIOR = 0.2
HEADING_SHARE = 0.5
NEAR_ROWS = 0.3
MAX_ROWS = 4
HIGHLIGHT_MARGIN = 0.3
MAX_HIGHLIGHTS = 3
SECOND_DOCUMENT = 0.25
MAX_CHARS = 1400


@dataclass(frozen=True)
class DocumentText:
    """One retrieved document's text (its retrieved chunks and their neighbours)."""

    passage: int  # the index of its best-ranked passage: what its citation points at
    title: str
    text: str
    score: float  # its best passage's retrieval score


@dataclass(frozen=True)
class Excerpt:
    passage: int
    text: str
    score: float
    words: float = 0.0  # the share of the question's (weighted) words its best unit shows
    meaning: float = 0.0  # the cosine between the question and its best unit


class UnitEmbeddings:
    """Unit vectors under the index's embedder, remembered across questions (the same
    pages come back for many questions)."""

    def __init__(self, embedder: BaseEmbedding, capacity: int = 20_000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def query(self, text: str) -> np.ndarray:
        return _unit(np.asarray(self.embedder.get_query_embedding(text), dtype=np.float32))

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text (answers run in worker threads: the cache is only
        read into, and written under, the lock)."""
        with self._lock:
            found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = self.embedder.get_text_embedding_batch(missing)
            fresh = {
                t: _unit(np.asarray(v, dtype=np.float32))
                for t, v in zip(missing, vectors, strict=True)
            }
            found.update(fresh)
            with self._lock:
                if len(self._cache) + len(fresh) > self.capacity:
                    self._cache.clear()
                self._cache.update(fresh)
        return np.stack([found[t] for t in texts])


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass
class _Candidate:
    doc: int
    unit: Unit
    words: set[str]
    context: set[str]  # heading and title words
    lexical: float = 0.0
    cosine: float = 0.0
    score: float = 0.0


_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WORDS = re.compile(r"[A-Za-z]{2,}")


def _only_links(text: str) -> bool:
    """A line that only points elsewhere ("- [Resetting your password](…)", "See [VPN
    troubleshooting](…)") answers nothing itself."""
    if not _LINK.search(text):
        return False
    return len(_WORDS.findall(_LINK.sub("", text))) < 3


def _shown(unit: Unit, units: list[Unit]) -> str:
    """The unit's text as read: a row with its header row."""
    if unit.kind is Kind.ROW and unit.header is not None:
        return f"{units[unit.header].text}\n{unit.text}"
    return unit.text


def _in_context(unit: Unit, units: list[Unit], title: str) -> str:
    """What the unit's meaning is measured on: its heading (or the title) and its text."""
    head = heading_text(units[unit.section]) if unit.section is not None else title
    return f"{head}: {_shown(unit, units)}"


def choose(
    query: str, documents: Sequence[DocumentText], embeddings: UnitEmbeddings | None
) -> list[Excerpt]:
    """The excerpts to quote, best first (one, or two when a second page scores nearly
    as well). Empty when the documents have no text."""
    parsed = [parse(d.text) for d in documents]
    candidates: list[_Candidate] = []
    for d, (doc, units) in enumerate(zip(documents, parsed, strict=True)):
        title_words = terms(doc.title)
        for unit in units:
            if unit.kind in (Kind.HEADING, Kind.HEADER) or _only_links(unit.text):
                continue
            head = units[unit.section].text if unit.section is not None else ""
            candidates.append(
                _Candidate(d, unit, terms(_shown(unit, units)), terms(head) | title_words)
            )
    if not candidates:
        return []
    _score_words(query, candidates)
    _score_meaning(query, candidates, documents, parsed, embeddings)
    _score_shape(query, candidates, parsed)
    for c in candidates:
        c.score += DOCUMENT_PRIOR * documents[c.doc].score
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    best = ranked[0]
    excerpts = [_render(query, best, candidates, documents, parsed)]
    second = next((c for c in ranked if c.doc != best.doc), None)
    if second is not None and second.score >= best.score - SECOND_DOCUMENT:
        excerpts.append(_render(query, second, candidates, documents, parsed))
    return excerpts


def _score_words(query: str, candidates: list[_Candidate]) -> None:
    wanted = terms(query)
    if not wanted:
        return
    n = len(candidates)
    weight = {}
    for t in wanted:
        df = sum(1 for c in candidates if t in c.words)
        weight[t] = 1.0 + math.log((n + 1) / (df + 1))
    total = sum(weight.values())
    for c in candidates:
        own = wanted & c.words
        around = (wanted & c.context) - own
        c.lexical = (
            sum(weight[t] for t in own) + HEADING_SHARE * sum(weight[t] for t in around)
        ) / total
        c.score = c.lexical


def _score_meaning(
    query: str,
    candidates: list[_Candidate],
    documents: Sequence[DocumentText],
    parsed: list[list[Unit]],
    embeddings: UnitEmbeddings | None,
) -> None:
    if embeddings is None:
        return
    shortlist = sorted(candidates, key=lambda c: c.lexical, reverse=True)[:SHORTLIST]
    texts = [_in_context(c.unit, parsed[c.doc], documents[c.doc].title) for c in shortlist]
    vectors = embeddings.texts(texts)
    cosines = vectors @ embeddings.query(query)
    floor = float(cosines.min())  # the rest of the units: no closer than the shortlist's last
    chosen = {id(c) for c in shortlist}
    for c, cosine in zip(shortlist, cosines, strict=True):
        c.cosine = float(cosine)
    for c in candidates:
        if id(c) not in chosen:
            c.cosine = floor
        c.score += SEMANTIC_WEIGHT * c.cosine


def _score_shape(query: str, candidates: list[_Candidate], parsed: list[list[Unit]]) -> None:
    types = asked_types(query)
    quantity = asks_quantity(query) or bool(types)
    wanted_numbers = numbers(query)
    how_to = is_how_to(query)
    numbered = {d for d, units in enumerate(parsed) if any(u.kind is Kind.STEP for u in units)}
    for c in candidates:
        if shows(types, _shown(c.unit, parsed[c.doc])):
            c.score += ANSWER_TYPE_BONUS
        if quantity and has_number(c.unit.text):
            c.score += NUMBER_BONUS
        if wanted_numbers and in_range(c.unit.text, wanted_numbers):
            c.score += RANGE_BONUS
        if how_to and c.unit.kind is Kind.STEP:
            c.score += STEP_BONUS
        elif how_to and c.unit.kind is Kind.ITEM and c.doc not in numbered:
            c.score += BULLET_BONUS


def _render(
    query: str,
    best: _Candidate,
    candidates: list[_Candidate],
    documents: Sequence[DocumentText],
    parsed: list[list[Unit]],
) -> Excerpt:
    units = parsed[best.doc]
    unit = best.unit
    same_doc = [c for c in candidates if c.doc == best.doc]
    if unit.kind is Kind.STEP or (unit.kind is Kind.CODE and unit.block is not None):
        lines = _procedure(units, unit)
    elif is_how_to(query) and _has_code(units, unit):
        lines = _section(units, unit)
    elif is_how_to(query) and (steps := _steps_in_section(units, unit)) is not None:
        lines = _procedure(units, steps)
    elif unit.kind is Kind.ROW:
        lines = _rows(units, best, same_doc)
    else:
        lines = _highlights(units, best, same_doc)
    return Excerpt(documents[best.doc].passage, _fit(lines), best.score, best.lexical, best.cosine)


def _heading(units: list[Unit], unit: Unit) -> list[str]:
    return [units[unit.section].text] if unit.section is not None else []


def _procedure(units: list[Unit], unit: Unit) -> list[str]:
    block = block_of(units, unit)
    intro = lead_in(units, block[0])
    return _heading(units, block[0]) + ([intro.text] if intro else []) + [u.text for u in block]


def _steps_in_section(units: list[Unit], unit: Unit) -> Unit | None:
    """A how-to matched the lines around a procedure: its section's first step."""
    if unit.section is None:
        return None
    return next((u for u in units if u.kind is Kind.STEP and u.section == unit.section), None)


def _has_code(units: list[Unit], unit: Unit) -> bool:
    return unit.section is not None and any(
        u.kind is Kind.CODE and u.section == unit.section for u in units
    )


def _section(units: list[Unit], unit: Unit) -> list[str]:
    return _heading(units, unit) + [u.text for u in units if u.section == unit.section]


def _table_rows(block: int | None, same_doc: list[_Candidate], floor: float) -> list[Unit]:
    """The best rows of a table that score at least `floor`, in table order."""
    rows = [c for c in same_doc if c.unit.kind is Kind.ROW and c.unit.block == block]
    near = sorted((c for c in rows if c.score >= floor), key=lambda c: c.score, reverse=True)
    return sorted((c.unit for c in near[:MAX_ROWS]), key=lambda u: u.index)


def _rows(units: list[Unit], best: _Candidate, same_doc: list[_Candidate]) -> list[str]:
    rows = _table_rows(best.unit.block, same_doc, best.score - NEAR_ROWS)
    header = [units[best.unit.header].text] if best.unit.header is not None else []
    return _heading(units, best.unit) + header + [u.text for u in rows]


def _highlights(units: list[Unit], best: _Candidate, same_doc: list[_Candidate]) -> list[str]:
    """The best line and the few lines of the page that score nearly as well; a table
    among them counts once and is shown with its best rows and its header row."""
    floor = best.score - HIGHLIGHT_MARGIN
    shown: list[Unit] = [best.unit]
    tables: list[int | None] = []
    for c in sorted(same_doc, key=lambda c: c.score, reverse=True):
        if c.score < floor or len(shown) + len(tables) >= MAX_HIGHLIGHTS:
            break
        if c is best:
            continue
        if c.unit.kind is not Kind.ROW:
            shown.append(c.unit)
        elif c.unit.block not in tables:
            tables.append(c.unit.block)
    for block in tables:
        shown.extend(_table_rows(block, same_doc, floor))
    lines: list[str] = []
    section: int | None = -1
    for u in sorted(shown, key=lambda u: u.index):
        if u.section != section and u.section is not None:
            lines.append(units[u.section].text)
        section = u.section
        if u.kind is Kind.ROW and u.header is not None and units[u.header].text not in lines:
            lines.append(units[u.header].text)
        lines.append(u.text)
    return lines


def _fit(lines: list[str]) -> str:
    out: list[str] = []
    size = 0
    for line in lines:
        if out and size + len(line) + 1 > MAX_CHARS:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)
