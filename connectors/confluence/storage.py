"""Confluence storage format (XHTML with `ac:`/`ri:` elements) → clean, readable text.

Kept: headings (`#`), paragraphs, nested lists (`-`, `1.`), task lists, tables (pipe rows,
one per line, header separator after a `th` row), code (fenced, with the language),
quotes. Macros: code/noformat are fenced; panel, info, note, tip, warning, expand,
details, section/column, excerpt and layouts are unwrapped (a panel's title and an
info/note/tip/warning kind become a lead-in line); navigation and chrome macros such as
TOC, children, page tree, recently-updated and attachments are dropped. Links keep their
text (or the linked page's title), user mentions their account reference, images and
emoticons vanish.

`html.parser` is used on purpose: it keeps `ac:` tag names verbatim and surfaces
`<![CDATA[...]]>` (code macro bodies) as text, where lxml's HTML parser drops CDATA.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import CData, Comment, NavigableString, Tag

DROPPED_MACROS = frozenset(
    {
        "toc",
        "toc-zone",
        "children",
        "pagetree",
        "pagetreesearch",
        "recently-updated",
        "contentbylabel",
        "content-by-label",
        "livesearch",
        "search",
        "navmap",
        "attachments",
        "blog-posts",
        "anchor",
        "space-details",
        "listlabels",
        "popular-labels",
        "related-labels",
        "create-from-template",
        "create-space-button",
        "gallery",
        "profile",
        "status",
        "jira",
        "roadmap",
        "change-history",
        "page-index",
    }
)
CODE_MACROS = frozenset({"code", "noformat"})
CALLOUT_MACROS = {"info": "Info", "note": "Note", "tip": "Tip", "warning": "Warning"}
DROPPED_TAGS = frozenset(
    {"script", "style", "ac:image", "ac:emoticon", "ac:placeholder", "ri:attachment"}
)
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "ac:layout",
        "ac:layout-section",
        "ac:layout-cell",
        "ac:rich-text-body",
        "ac:task-body",
        "hr",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
    }
)


class StorageFormatError(ValueError):
    """The body is not usable storage format (missing, not text)."""


def storage_to_text(xhtml: object) -> str:
    """Readable text of a storage-format body. Raises `StorageFormatError` if unusable."""
    if not isinstance(xhtml, str):
        raise StorageFormatError(f"body is {type(xhtml).__name__}, expected storage XHTML")
    soup = BeautifulSoup(xhtml, "html.parser")
    out = _Renderer().block(soup)
    lines = [line.rstrip() for line in out.splitlines()]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _param(macro: Tag, name: str) -> str:
    for child in macro.find_all("ac:parameter", recursive=False):
        if isinstance(child, Tag) and child.get("ac:name") == name:
            return child.get_text(" ", strip=True)
    return ""


def _inline_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text)


class _Renderer:
    """Walks the tree: `block` returns text with newlines, `inline` a single line."""

    def block(self, node: Tag) -> str:
        parts: list[str] = []
        line: list[str] = []

        def flush() -> None:
            text = "".join(line).strip()
            if text:
                parts.append(text)
            line.clear()

        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, CData):
                line.append(str(child))
                continue
            if isinstance(child, NavigableString):
                line.append(_inline_ws(str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            rendered = self.element(child)
            if rendered is None:
                continue
            text, is_block = rendered
            if is_block:
                flush()
                if text.strip():
                    parts.append(text.strip("\n"))
            else:
                line.append(text)
        flush()
        return "\n\n".join(parts)

    def inline(self, node: Tag) -> str:
        return _inline_ws(self.block(node).replace("\n", " ")).strip()

    # ------------------------------------------------------------------ elements
    def element(self, tag: Tag) -> tuple[str, bool] | None:
        name = tag.name.lower()
        if name in DROPPED_TAGS or name == "ac:parameter":
            return None
        if name in ("ac:structured-macro", "ac:macro"):
            return self.macro(tag)
        if re.fullmatch(r"h[1-6]", name):
            text = self.inline(tag)
            return (f"{'#' * int(name[1])} {text}" if text else "", True)
        if name in ("ul", "ol"):
            return self.listing(tag, 0), True
        if name == "ac:task-list":
            return self.tasks(tag), True
        if name == "table":
            return self.table(tag), True
        if name == "pre":
            return f"```\n{tag.get_text().strip(chr(10))}\n```", True
        if name == "br":
            return "\n", False
        if name == "ac:link":
            return self.link(tag), False
        if name == "ri:user":
            ref = tag.get("ri:account-id") or tag.get("ri:username") or tag.get("ri:userkey")
            return (f"@{ref}" if ref else ""), False
        if name == "time":
            return str(tag.get("datetime") or tag.get_text()), False
        if name in BLOCK_TAGS or name.startswith("ac:"):
            return self.block(tag), True
        if name == "li":
            return self.block(tag), True
        return self.inline_children(tag), False

    def inline_children(self, tag: Tag) -> str:
        pieces: list[str] = []
        for child in tag.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                pieces.append(_inline_ws(str(child)))
            elif isinstance(child, Tag):
                rendered = self.element(child)
                if rendered is not None:
                    pieces.append(rendered[0] if not rendered[1] else " " + rendered[0] + " ")
        return "".join(pieces)

    def link(self, tag: Tag) -> str:
        body = tag.find(["ac:link-body", "ac:plain-text-link-body"])
        if isinstance(body, Tag):
            text = body.get_text(" ", strip=True)
            if text:
                return text
        target = tag.find(["ri:page", "ri:blog-post", "ri:space", "ri:attachment", "ri:user"])
        if isinstance(target, Tag):
            for attr in ("ri:content-title", "ri:space-key", "ri:filename", "ri:account-id"):
                value = target.get(attr)
                if value:
                    return str(value)
        return tag.get_text(" ", strip=True)

    def macro(self, tag: Tag) -> tuple[str, bool] | None:
        kind = str(tag.get("ac:name") or "").lower()
        if kind in DROPPED_MACROS:
            return None
        if kind in CODE_MACROS:
            body = tag.find("ac:plain-text-body")
            code = body.get_text() if isinstance(body, Tag) else ""
            lang = _param(tag, "language")
            title = _param(tag, "title")
            fence = f"```{lang}\n{code.strip(chr(10))}\n```"
            return (f"{title}\n{fence}" if title else fence), True
        body = tag.find("ac:rich-text-body")
        if body is None:
            plain = tag.find("ac:plain-text-body")
            if isinstance(plain, Tag):
                return plain.get_text().strip(), True
            return None  # a body-less macro (charts, widgets): nothing to read
        assert isinstance(body, Tag)
        inner = self.block(body)
        title = _param(tag, "title")
        if kind in CALLOUT_MACROS:
            lead = f"{CALLOUT_MACROS[kind]}: {title}" if title else f"{CALLOUT_MACROS[kind]}:"
            return f"{lead}\n{inner}", True
        if title:
            return f"{title}\n{inner}", True
        return inner, True

    def listing(self, tag: Tag, depth: int) -> str:
        ordered = tag.name.lower() == "ol"
        lines: list[str] = []
        for n, li in enumerate(tag.find_all("li", recursive=False), start=1):
            marker = f"{n}." if ordered else "-"
            own: list[str] = []
            nested: list[str] = []
            for child in li.children:
                if isinstance(child, Tag) and child.name.lower() in ("ul", "ol"):
                    nested.append(self.listing(child, depth + 1))
                elif isinstance(child, Tag):
                    rendered = self.element(child)
                    if rendered is not None:
                        own.append(rendered[0].replace("\n", " "))
                elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                    own.append(_inline_ws(str(child)))
            text = _inline_ws(" ".join(p for p in own if p.strip())).strip()
            lines.append(f"{'  ' * depth}{marker} {text}".rstrip())
            lines.extend(nested)
        return "\n".join(lines)

    def tasks(self, tag: Tag) -> str:
        lines = []
        for task in tag.find_all("ac:task"):
            status = task.find("ac:task-status")
            done = isinstance(status, Tag) and status.get_text(strip=True) == "complete"
            body = task.find("ac:task-body")
            text = self.inline(body) if isinstance(body, Tag) else ""
            lines.append(f"- [{'x' if done else ' '}] {text}")
        return "\n".join(lines)

    def table(self, tag: Tag) -> str:
        rows: list[str] = []
        for tr in tag.find_all("tr"):
            if tr.find_parent("table") is not tag:
                continue  # a nested table's rows are rendered inside their cell
            cells = tr.find_all(["td", "th"], recursive=False)
            if not cells:
                continue
            texts = [self.inline(c).replace("|", "\\|") for c in cells]
            rows.append("| " + " | ".join(texts) + " |")
            if len(rows) == 1 and all(c.name == "th" for c in cells):
                rows.append("|" + "|".join(" --- " for _ in cells) + "|")
        return "\n".join(rows)
