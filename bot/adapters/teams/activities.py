"""`Answer` → Teams activities: text with [n] markers, the schema.org `Message` entity
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
from bot.formatting import link_url, source_name, updated_ago
from bot.models import Answer, Citation

# Teams rejects activities over ~28 KB (text, entities and channelData together).
MAX_ACTIVITY_BYTES = 28_000
_ENVELOPE_BYTES = 1_500  # ids, from/recipient/conversation added on the way out
MAX_CITATIONS = 10  # Teams answers 400 to a message with more than 10 claims
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


def _utf8_len(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def fit_text(text: str, budget_bytes: int) -> str:
    """`text` unchanged if it fits in `budget_bytes`, else cut at a paragraph or line
    boundary and followed by a short notice."""
    if len(text.encode("utf-8")) <= budget_bytes:
        return text
    notice = "\n\n" + messages.TEAMS_TRUNCATED
    room = max(budget_bytes - len(notice.encode("utf-8")), 0)
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    for sep in ("\n\n", "\n", ". ", " "):
        at = cut.rfind(sep)
        if at > len(cut) // 2:
            cut = cut[:at]
            break
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
    text = "\n\n".join([*(f"_{n}_" for n in notices), answer.text])
    channel_data: dict[str, Any] = {}
    if feedback:
        channel_data["feedbackLoopEnabled"] = True
    full_entity = message_entity(answer.citations, ai_generated)
    overhead = _utf8_len(full_entity) + _utf8_len(channel_data) + _ENVELOPE_BYTES
    if card is not None:
        overhead += _utf8_len(card.content)
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
    """A plain bot message (errors, admin replies, welcome): no label, no feedback."""
    return Activity(
        type=ActivityTypes.message,
        text=fit_text(text, MAX_ACTIVITY_BYTES - _ENVELOPE_BYTES),
        text_format="markdown",
    )


def typing_activity() -> Activity:
    return Activity(type=ActivityTypes.typing)
