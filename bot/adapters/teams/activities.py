"""`Answer` → Teams activities: text with [n] markers (the answer's Markdown through
`render.answer_markdown`), the schema.org `Message` entity
with `citation` claims, the "AI generated" label, feedback buttons, the size limit.

botbuilder's `Entity` model serialises only `type`; `RawEntity` carries every other key
through msrest's `additional_properties`, so `streaminfo` and the citation claims reach
Teams intact.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from botbuilder.schema import Activity, ActivityTypes, Attachment, Entity

from bot import messages
from bot.adapters.teams.render import answer_markdown, safe_cut
from bot.formatting import link_url, source_name, updated_ago
from bot.models import Answer, Citation

# Teams counts a bot message's size over the whole payload encoded as UTF-16 (2 bytes per
# character, 4 outside the BMP) and answers 413 MessageSizeTooBig above its limit; the
# documented limit has been 28, 40 and now 100 KB, so the budget is the smallest.
MAX_ACTIVITY_BYTES = 28_000
_ENVELOPE_BYTES = 3_000  # ids, from/recipient/conversation added on the way out (UTF-16)
MAX_CITATIONS = 20  # "a maximum of 20 citations": Teams answers 400 to more
FEEDBACK_LOOP = {"type": "default"}  # channelData.feedbackLoop, the Bot Framework form
NAME_MAX = 80
ABSTRACT_MAX = 160
KEYWORD_MAX = 28
MESSAGE_ENTITY_TYPE = "https://schema.org/Message"


class RawEntity(Entity):  # type: ignore[misc]
    """An entity whose keys all survive botbuilder's serializer."""

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "additional_properties": {"key": "", "type": "{object}"},
    }

    def __init__(self, data: dict[str, Any]) -> None:
        body = dict(data)
        super().__init__(type=str(body.pop("type")))
        self.additional_properties = body

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.additional_properties}


def snippet(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut at a word boundary with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.") + "…"


def citation_claim(citation: Citation) -> dict[str, Any]:
    appearance: dict[str, Any] = {
        "@type": "DigitalDocument",
        "name": snippet(citation.title or citation.url or f"Source {citation.number}", NAME_MAX),
        "abstract": snippet(citation.quoted_text or citation.title, ABSTRACT_MAX),
        "keywords": [
            snippet(source_name(citation.source), KEYWORD_MAX),
            snippet(updated_ago(citation.updated_at), KEYWORD_MAX),
        ],
    }
    url = link_url(citation.url)
    if url is not None:
        appearance["url"] = url
    return {"@type": "Claim", "position": citation.number, "appearance": appearance}


def message_entity(citations: tuple[Citation, ...], ai_generated: bool) -> dict[str, Any] | None:
    """The single root `Message` entity, or None when there is nothing to say in it."""
    if not citations and not ai_generated:
        return None
    entity: dict[str, Any] = {
        "type": MESSAGE_ENTITY_TYPE,
        "@type": "Message",
        "@context": "https://schema.org",
        "@id": "",
    }
    if ai_generated:
        entity["additionalType"] = ["AIGeneratedContent"]
    if citations:
        entity["citation"] = [citation_claim(c) for c in citations[:MAX_CITATIONS]]
    return entity


def teams_size(text: str) -> int:
    """Bytes as Teams counts them: UTF-16."""
    return len(text.encode("utf-16-le"))


def _json_size(value: object) -> int:
    return teams_size(json.dumps(value, ensure_ascii=False))


def fit_text(text: str, budget_bytes: int) -> str:
    """`text` unchanged if it fits in `budget_bytes` (UTF-16, JSON-escaped as sent), else
    cut at a paragraph or line boundary and followed by a short notice."""
    if _json_size(text) <= budget_bytes:
        return text
    notice = "\n\n" + messages.TEAMS_TRUNCATED
    room = max(budget_bytes - _json_size(notice), 0)
    cut = text
    while cut and _json_size(cut) > room:  # UTF-16 units are at least 2 bytes each
        cut = cut[: max(len(cut) - max((_json_size(cut) - room) // 4, 1), 0)]
    for sep in ("\n\n", "\n", ". ", " "):
        at = cut.rfind(sep)
        if at > len(cut) // 2:
            cut = cut[:at]
            break
    else:
        cut = cut[: safe_cut(cut, len(cut))]  # never inside an `&#42;` or `&amp;`
    return cut.rstrip() + notice


def used_citations(text: str, citations: tuple[Citation, ...]) -> tuple[Citation, ...]:
    return tuple(c for c in citations if f"[{c.number}]" in text)


def answer_activity(
    answer: Answer,
    *,
    notices: tuple[str, ...] = (),
    feedback: bool = True,
    card: Attachment | None = None,
) -> Activity:
    """The final message for an answer: text, citations, AI label (written answers
    only — extractive quotes are the documents' own words), feedback buttons and
    `card` (the "Ask a person" action)."""
    ai_generated = answer.mode == "claude"
    text = "\n\n".join([*(f"_{n}_" for n in notices), answer_markdown(answer.text)])
    channel_data: dict[str, Any] = {}
    if feedback:
        channel_data["feedbackLoop"] = dict(FEEDBACK_LOOP)
    full_entity = message_entity(answer.citations, ai_generated)
    overhead = _json_size(full_entity) + _json_size(channel_data) + _ENVELOPE_BYTES
    if card is not None:
        overhead += _json_size(card.content)
    fitted = fit_text(text, MAX_ACTIVITY_BYTES - overhead)
    citations = answer.citations if fitted == text else used_citations(fitted, answer.citations)
    entity = message_entity(citations, ai_generated)
    return Activity(
        type=ActivityTypes.message,
        text=fitted,
        text_format="markdown",
        entities=[RawEntity(entity)] if entity else [],
        channel_data=channel_data or None,
        attachments=[card] if card is not None else None,
    )


def text_activity(text: str) -> Activity:
    """A plain bot message (errors, admin replies, welcome): no label, no feedback.
    `text` is Teams Markdown: every piece of user or document text in it has been
    through `render.escape`."""
    return Activity(
        type=ActivityTypes.message,
        text=fit_text(text, MAX_ACTIVITY_BYTES - _ENVELOPE_BYTES),
        text_format="markdown",
    )


def typing_activity() -> Activity:
    return Activity(type=ActivityTypes.typing)
