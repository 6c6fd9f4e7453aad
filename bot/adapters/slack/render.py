"""`Answer` → Slack Block Kit, within Slack's limits.

Limits (Slack docs): a section block's text is at most 3,000 characters, a message
has at most 50 blocks, and at most 40,000 characters of text. Claude writes Markdown;
section blocks speak `mrkdwn`, so bold, links and headings are translated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot import messages
from bot.formatting import (
    escape_html,
    escape_html_keeping_quotes,
    link_url,
    source_name,
    updated_ago,
)
from bot.models import Answer, Citation

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
MAX_TEXT = 40_000
FALLBACK_TEXT_LIMIT = 3000

ACTION_FEEDBACK = "helpdesk_feedback"  # Slack's feedback_buttons element
ACTION_UP = "helpdesk_feedback_up"  # the hand-made buttons of answers posted before it
ACTION_DOWN = "helpdesk_feedback_down"
VOTE_UP, VOTE_DOWN = "up", "down"
ACTION_ESCALATE = "helpdesk_escalate"  # "Ask a human" after a 👎
ACTION_HANDOFF = "helpdesk_handoff"  # "Ask a person" on every answer and on the offer

Block = dict[str, Any]

_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
# a Markdown link to a web page: its text may hold one level of balanced brackets and
# its target one level of balanced parentheses (`…/wiki/Foo_(bar)`), as in CommonMark
_LINK = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\]\((https?://(?:[^()\s]|\([^()\s]*\))+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)


def escape(text: str) -> str:
    """Slack's three control characters. The one escaping function for every piece of
    user or document text we send as Slack text (mrkdwn, plain-text fallbacks, usage)."""
    return escape_html(text)


_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


def escape_markdown(text: str, *, after: str = "") -> str:
    """`text` for Slack's standard-Markdown fields (the chat streaming API's
    `markdown_text`): the three characters `escape` escapes — Markdown reads `&amp;`,
    `&lt;` and `&gt;` as the characters themselves, so the text shows as the mrkdwn
    fallback does and a `<!channel>` or `<@U…>` in a document is never a mention —
    except the `>` that open a block quote (Markdown syntax; harmless without a `<`).
    `after`: the text already sent on the current line (a streamed piece may start
    mid-line), so a `>` is a quote marker only where it starts a line."""
    escaped = escape_html_keeping_quotes(after + text)
    return escaped[len(escape_markdown(after)) :] if after else escaped


def safe_cut(escaped: str, limit: int) -> int:
    """Where to cut escaped text at most `limit` characters long without splitting an
    `&amp;`, `&lt;` or `&gt;`."""
    if len(escaped) <= limit:
        return len(escaped)
    tail = _ENTITY_TAIL.search(escaped, max(0, limit - 4), limit)
    return tail.start() if tail is not None else limit


def link_target(url: str) -> str | None:
    """`url` as the target of a `<url|label>` link: only https/http (see
    `bot.formatting.link_url`), `|`, `<` and `>` percent-encoded (they would end the link
    or its target) and `&` escaped, as Slack asks for every `&` in message text."""
    safe = link_url(url)
    if safe is None:
        return None
    encoded = safe.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return encoded.replace("&", "&amp;")


def link(url: str, title: str) -> str:
    label = escape(title).replace("|", "¦")
    target = link_target(url)
    return f"<{target}|{label}>" if target is not None else label


def to_mrkdwn(markdown: str) -> str:
    """Markdown (as Claude writes it) → Slack mrkdwn."""
    text = escape(markdown)
    # links first: their text may hold bold markers
    # (the URL is already escaped with the text: only `|` still needs encoding)
    text = _LINK.sub(
        lambda m: f"<{m.group(2).replace('|', '%7C')}|{m.group(1).replace('|', '¦')}>", text
    )
    text = _HEADING.sub(lambda m: f"*{m.group(1)}*", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    return text


# mrkdwn constructs a cut must not fall inside: code blocks, inline code, links and
# mentions (`<...>`), bold, italic, strikethrough
# (two passes, so an underscore before a link cannot hide the link from the first)
_WHOLE = (
    re.compile(r"```.*?```|`[^`\n]+`|<[^<>\n]+>", re.S),
    re.compile(r"\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~"),
)


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word break
    when there is one in the second half of the piece, and never inside a whole
    `<url|label>` link or mention, a code span or block, or a bold/italic/strike
    run. Only a single construct longer than `limit` is cut inside."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        spans: list[tuple[int, int]] = []
        for pattern in _WHOLE:
            for m in pattern.finditer(rest):
                if m.start() >= limit:
                    break
                spans.append((m.start(), m.end()))
        cut = _cut(rest, limit, spans)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut(text: str, limit: int, spans: list[tuple[int, int]]) -> int:
    def inside(pos: int) -> bool:
        return any(start < pos < end for start, end in spans)

    for sep in ("\n\n", "\n", " "):
        pos = text.rfind(sep, 0, limit)
        while pos >= limit // 2:
            if not inside(pos):
                return pos
            pos = text.rfind(sep, 0, pos)
    # no break outside a construct in the second half: cut before the construct that
    # straddles the limit, else at a break in the first half, else hard
    straddling = [start for start, end in spans if start < limit < end and start > 0]
    if straddling:
        return min(straddling)
    for sep in ("\n", " "):
        pos = text.rfind(sep, 0, limit)
        if pos > 0 and not inside(pos):
            return pos
    return limit


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def source_line(c: Citation) -> str:
    return messages.SLACK_SOURCES_LINE.format(
        number=c.number,
        title=link(c.url, c.title or c.doc_id),
        source=escape(source_name(c.source)),
        updated=updated_ago(c.updated_at),
    )


def sources_blocks(citations: Sequence[Citation]) -> list[Block]:
    if not citations:
        return []
    lines = [f"*{messages.SOURCES_HEADING}*", *(source_line(c) for c in citations)]
    return [section(piece) for piece in split_text("\n".join(lines))]


def feedback_blocks(answer_id: int) -> list[Block]:
    """Slack's native 👍/👎: a `feedback_buttons` element in a `context_actions` block.
    Each button's value is `up:<answer id>` / `down:<answer id>` (the action payload
    carries only the pressed button's value)."""
    return [
        {
            "type": "context_actions",
            "block_id": f"helpdesk_feedback_{answer_id}",
            "elements": [
                {
                    "type": "feedback_buttons",
                    "action_id": ACTION_FEEDBACK,
                    "positive_button": {
                        "text": {"type": "plain_text", "text": messages.SLACK_FEEDBACK_UP},
                        "value": f"{VOTE_UP}:{answer_id}",
                    },
                    "negative_button": {
                        "text": {"type": "plain_text", "text": messages.SLACK_FEEDBACK_DOWN},
                        "value": f"{VOTE_DOWN}:{answer_id}",
                    },
                }
            ],
        },
        {  # context_actions holds only feedback and icon buttons: "Ask a person" apart
            "type": "actions",
            "block_id": f"helpdesk_handoff_{answer_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_HANDOFF,
                    "text": {"type": "plain_text", "text": messages.ASK_A_PERSON},
                    "value": str(answer_id),
                }
            ],
        },
    ]


def offer_blocks(text: str, answer_id: int) -> list[Block]:
    """The private offer after an unanswered help-channel question."""
    return [
        section(escape(text)),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_HANDOFF,
                    "text": {"type": "plain_text", "text": messages.ASK_A_PERSON},
                    "value": str(answer_id),
                    "style": "primary",
                }
            ],
        },
    ]


def escalate_blocks(text: str, answer_id: int) -> list[Block]:
    return [
        section(escape(text)),
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACTION_ESCALATE,
                    "text": {"type": "plain_text", "text": messages.SLACK_ASK_HUMAN},
                    "value": str(answer_id),
                }
            ],
        },
    ]


def notice_blocks(notices: Sequence[str]) -> list[Block]:
    return [context(escape(n)) for n in notices if n]


def final_blocks(answer: Answer, answer_id: int | None) -> list[Block]:
    """What follows a streamed answer: sources and the feedback buttons."""
    blocks = sources_blocks(answer.citations)
    if answer_id is not None:
        blocks += feedback_blocks(answer_id)
    return fit(blocks)


def answer_blocks(
    answer: Answer, answer_id: int | None = None, notices: Sequence[str] = ()
) -> list[Block]:
    """A whole answer as one message (ephemeral answers, or when streaming is
    unavailable): the text in sections of ≤ 3,000 characters, then the sources."""
    head = notice_blocks(notices)
    tail = final_blocks(answer, answer_id)
    budget_blocks = MAX_BLOCKS - len(head) - len(tail) - 1  # 1: room for the truncation note
    budget_chars = MAX_TEXT - block_chars(head) - block_chars(tail) - 200
    body: list[Block] = []
    used = 0
    truncated = False
    for piece in split_text(to_mrkdwn(answer.text)):
        if len(body) >= budget_blocks or used + len(piece) > budget_chars:
            truncated = True
            break
        body.append(section(piece))
        used += len(piece)
    if truncated:
        body.append(context(messages.SLACK_TRUNCATED))
    return head + body + tail


def block_chars(blocks: Sequence[Block]) -> int:
    total = 0
    for b in blocks:
        if b.get("type") == "section":
            total += len(b["text"]["text"])
        elif b.get("type") == "context":
            total += sum(len(e.get("text", "")) for e in b["elements"])
    return total


def fit(blocks: list[Block]) -> list[Block]:
    """Never more than 50 blocks (keeps the last two: the feedback and "Ask a person"
    buttons)."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 2], *blocks[-2:]]


def fallback_text(text: str) -> str:
    """The plain `text` sent with blocks (notifications, screen readers): the answer
    escaped (a `<` in it is text, never a link or a mention), cut at a word."""
    if len(text) > FALLBACK_TEXT_LIMIT:
        cut = text[: FALLBACK_TEXT_LIMIT - 1]
        if " " in cut[FALLBACK_TEXT_LIMIT // 2 :]:
            cut = cut[: cut.rfind(" ")]
        text = cut.rstrip() + "…"
    return escape(text)
