"""Reading Teams activities: mentions, the question text, admin commands, the feedback
form, the channel, the conversation kind and tenant. Pure functions, no I/O."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.helpchannels.chat_commands import is_help_channel_command

_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _props(entity: Any) -> dict[str, Any]:
    props = getattr(entity, "additional_properties", None)
    return props if isinstance(props, dict) else {}


def from_a_bot(activity: Activity) -> bool:
    """Sent by a bot or app, not a person: `from.role` "bot", or a bot's Teams id
    (`28:…`; people are `29:…`) — Teams does not always set the role on other bots'
    channel messages, which the ChannelMessage.Read.Group permission delivers too."""
    sender = activity.from_property
    if sender is None:
        return False
    return sender.role == "bot" or str(sender.id or "").startswith("28:")


def mentions_bot(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if (getattr(entity, "type", "") or "").lower() != "mention":
            continue
        mentioned = _props(entity).get("mentioned") or {}
        if isinstance(mentioned, dict) and mentioned.get("id") == bot_id:
            return True
    return False


def question_text(activity: Activity, strip_mention: bool) -> str:
    text = activity.text or ""
    if strip_mention:
        try:
            text = TurnContext.remove_recipient_mention(activity) or ""
        except (KeyError, TypeError, AttributeError, re.error):
            text = activity.text or ""
        text = _AT_TAG.sub(" ", text)
    text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())


def is_admin_command(text: str) -> bool:
    """`status`, `help`, `reindex [source] [full]`, `gaps [days]` or `channel …`
    exactly: "help me reset my password" and "status of my laptop order?" are questions."""
    words = text.lower().rstrip(".!").split()
    if words in (["status"], ["help"]) or is_help_channel_command(text):
        return True
    return bool(words) and words[0] == "reindex" and len(words) <= 3


def feedback_comment(raw: object) -> str | None:
    """Teams sends the feedback form as a JSON string: {"feedbackText": "..."}."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw.strip()
    if isinstance(parsed, dict):
        text = str(parsed.get("feedbackText") or "").strip()
        return text or None
    return raw.strip()


def channel_of(activity: Activity) -> str | None:
    """The Teams channel id of a channel conversation (`19:…@thread.tacv2`): the
    channelData's, else the conversation id without `;messageid=`."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
    found = (channel or {}).get("id") or data.get("teamsChannelId")
    return str(found) if found else activity.conversation.id.split(";", 1)[0] or None


def is_personal(activity: Activity) -> bool:
    """A 1:1 chat with the bot: only an explicit `conversationType: personal` (a missing
    type is treated as a channel: fail closed)."""
    return activity.conversation is not None and (
        activity.conversation.conversation_type == "personal"
    )


def activity_tenant(activity: Activity) -> str | None:
    """The tenant the conversation belongs to: `conversation.tenantId`, else
    `channelData.tenant.id`; None when they disagree or neither is there."""
    conversation = activity.conversation
    extra = getattr(conversation, "additional_properties", None)
    # botbuilder maps `tenantID`; Teams sends `tenantId`, which lands in the extras
    from_conversation = getattr(conversation, "tenant_id", None) or (
        extra.get("tenantId") if isinstance(extra, dict) else None
    )
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    from_data = (tenant or {}).get("id")
    if from_conversation and from_data and from_conversation != from_data:
        return None
    return str(from_conversation or from_data) if (from_conversation or from_data) else None
