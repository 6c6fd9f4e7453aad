"""Small presentation helpers shared by every adapter (terminal, Slack, Teams)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot import messages

WEB_SCHEMES = frozenset({"https", "http"})
TERMINAL_SCHEMES = WEB_SCHEMES | {"file"}

SOURCE_NAMES = {"files": "Help centre", "confluence": "Confluence", "drive": "Google Drive"}


@dataclass(frozen=True)
class TextStyle:
    """How a chat surface shows text we did not write (a question, a name, a document
    title, a vendor's error) inside our own messages: `escape` makes it read as typed,
    `link(url, label)` makes a link, or None for "label <url>". The default: as is (the
    terminal; Slack escapes its whole admin reply instead)."""

    escape: Callable[[str], str] = str
    link: Callable[[str, str], str] | None = None


PLAIN = TextStyle()

# block-quote markers at the start of a line (up to three spaces of indent, nested `>`)
_QUOTE_MARKERS = re.compile(r"^[ ]{0,3}(?:>[ ]?)+", re.MULTILINE)


def escape_html(text: str) -> str:
    """`&`, `<` and `>` as character references: Slack's three control characters, and
    what makes a tag or a mention in Markdown read as text (Teams)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_html_keeping_quotes(markdown: str) -> str:
    """`escape_html` for Markdown, except the `>` that open a block quote (syntax, and
    harmless without a `<`): quoted excerpts stay quoted."""
    out: list[str] = []
    pos = 0
    for m in _QUOTE_MARKERS.finditer(markdown):
        out.append(escape_html(markdown[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(escape_html(markdown[pos:]))
    return "".join(out)


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """'3 days ago', '5 minutes ago', 'just now'."""
    if when is None:
        return messages.CLI_STATUS_NEVER
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return messages.JUST_NOW
    if seconds < 3600:
        n = int(seconds // 60)
        return messages.MINUTES_AGO.format(n=n, s=_plural(n))
    if seconds < 86400:
        n = int(seconds // 3600)
        return messages.HOURS_AGO.format(n=n, s=_plural(n))
    n = int(seconds // 86400)
    return messages.DAYS_AGO.format(n=n, s=_plural(n))


def updated_ago(when: datetime | None, now: datetime | None = None) -> str:
    return messages.UPDATED_AGO.format(ago=ago(when, now))


def link_url(url: str, schemes: frozenset[str] = WEB_SCHEMES) -> str | None:
    """`url` when it may be shown as a link: an allowed scheme (https/http in chat,
    also file on the terminal), a host for web URLs, no whitespace or control
    characters. Anything else (`javascript:`, `data:`, a relative path...) is None and
    the citation is shown as plain text. Documents are data: a link they carry never
    becomes something a click runs."""
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme in WEB_SCHEMES and not parts.netloc:
        return None
    return url
