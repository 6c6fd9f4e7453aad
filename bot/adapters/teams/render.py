"""Text for Teams: the one escaping function for every piece of user or document text
the bot sends to Teams, the sanitising of the answers' own Markdown, and links.

Teams renders a bot message's `text` (we send `textFormat: markdown`) as a subset of
Markdown — `**bold**`, `*italic*`/`_italic_`, `~~strike~~`, `` `code` `` and fenced
blocks, `#` headings, `>` quotes, `-`/`*`/`+`/`1.` lists, `[text](url)` links and
`![alt](url)` images — and also interprets HTML-like tags (`<b>`, `<a href>`, `<img>`…)
and `<at>…</at>` mention tags ("Format your bot messages", Microsoft Teams docs).

`escape` turns each of those characters into a numeric character reference
(`&#42;` for `*`; `&amp;`, `&lt;`, `&gt;` for the three HTML ones): Markdown treats a
character reference as the literal character, never as syntax, and the HTML Teams
renders decodes it back — so `**URGENT** <at>Everyone</at> [click](https://evil.example)`
reads exactly as typed, not as bold, a mention or a link we did not make. (Backslash
escapes would need the renderer to honour them; a reference reads right either way.)
Bare URLs stay text; Teams may show them as links to themselves.
"""

from __future__ import annotations

import re

from bot.formatting import TextStyle, escape_html_keeping_quotes, link_url

# characters that are Markdown or HTML syntax anywhere in a line
_ANYWHERE = {
    "&": "&amp;",  # first: an entity typed by the user stays as typed
    "<": "&lt;",
    ">": "&gt;",
    **{ch: f"&#{ord(ch)};" for ch in "\\`*_~[]#|"},
}
_ANYWHERE_RE = re.compile("[" + re.escape("".join(_ANYWHERE)) + "]")
# block syntax at the start of a line: list items (`-`, `+`, `1.`, `1)`), setext
# underlines and horizontal rules (`---`, `===`)
_LINE_START = re.compile(r"^([ \t]*)(?:([-+=])|(\d+)([.)]))", re.MULTILINE)
# an unfinished character reference at the end of a cut
_PARTIAL_REFERENCE = re.compile(r"&#?[A-Za-z0-9]{0,6}$")
# characters that would end a link target early or be read as syntax inside it
_URL_UNSAFE = {ch: f"%{ord(ch):02X}" for ch in "()[]<>\\\"'`*_~ "}


def _line_start(match: re.Match[str]) -> str:
    indent, sign, digits, dot = match.groups()
    if sign is not None:
        return f"{indent}&#{ord(sign)};"
    return f"{indent}{digits}&#{ord(dot)};"


def escape(text: str) -> str:
    """`text` (a question, a name, a document title, a vendor's error) as Teams shows it
    literally: no formatting, tag, mention or link of its own."""
    out = _ANYWHERE_RE.sub(lambda m: _ANYWHERE[m.group(0)], text)
    return _LINE_START.sub(_line_start, out)


def answer_markdown(markdown: str) -> str:
    """An answer's own Markdown (Claude's writing, or the documents' excerpts quoted as
    Markdown) kept as Markdown, but with no HTML: `&`, `<` and `>` become references, so
    a `<at>Everyone</at>` or an `<img>` in a document or echoed from a question is text —
    except the `>` that open a block quote (the excerpts are quoted)."""
    return escape_html_keeping_quotes(markdown)


def link_target(url: str) -> str | None:
    """`url` as the target of a Markdown link: only https/http (`link_url`), with the
    characters that could end the target early or read as syntax in it (`(`, `)`, `[`,
    `]`, `<`, `>`, quotes, `\\`, `` ` ``, `*`, `_`, `~`) percent-encoded — the same
    address to the web server — and `&` as `&amp;`."""
    safe = link_url(url)
    if safe is None:
        return None
    encoded = "".join(_URL_UNSAFE.get(ch, ch) for ch in safe)
    return encoded.replace("&", "&amp;")


def link(url: str, label: str) -> str:
    """A Markdown link to `url` showing `label` literally; just the label when `url` may
    not be a link (not https/http)."""
    text = escape(label)
    target = link_target(url)
    return f"[{text}]({target})" if target is not None else text


def safe_cut(text: str, at: int) -> int:
    """Where to cut escaped text at `at` or before without splitting a character
    reference (`&#42;`, `&amp;`)."""
    tail = _PARTIAL_REFERENCE.search(text, max(0, at - 8), at)
    return tail.start() if tail is not None else at


# how the neutral layer's texts (admin replies, reindex progress, the gap report) show
# text we did not write on Teams
TEAMS_STYLE = TextStyle(escape=escape, link=link)
