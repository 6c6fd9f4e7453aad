"""Slack event payloads → what the bot should do with them. Pure functions: no I/O.

Rules:
- the bot's own messages, other bots, edits, deletes, joins and other subtypes are
  ignored;
- an `app_mention` is always a question; a `message` is one in a 1:1 DM, or in a
  channel thread the bot has answered (without a new @mention: one that mentions the
  bot also arrives as `app_mention`, which answers it);
- the answer goes into the thread: `thread_ts` of the event, or its own `ts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# message subtypes that are still a person writing to the bot
ANSWERABLE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Incoming:
    """One message that may be a question."""

    kind: str  # "mention" | "message" | "assistant"
    event_id: str | None
    team: str | None
    channel: str
    channel_type: str | None
    user: str
    ts: str
    thread_ts: str  # the thread the answer goes to
    in_thread: bool  # the message itself is a reply in a thread
    text: str  # without the bot's @mention
    mentions_bot: bool
    ext_shared: bool = False  # the envelope's `is_ext_shared_channel`

    @property
    def thread_key(self) -> str:
        return thread_key(self.channel, self.thread_ts)


def thread_key(channel: str, thread_ts: str) -> str:
    return f"{channel}:{thread_ts}"


def ignore_reason(event: Mapping[str, Any], bot_user_id: str | None) -> str | None:
    """Why an event is not a question from a person, or None when it may be one."""
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return "bot"
    if event.get("subtype") not in ANSWERABLE_SUBTYPES:
        return f"subtype:{event.get('subtype')}"
    if not event.get("user") or (bot_user_id and event.get("user") == bot_user_id):
        return "no user"
    if not event.get("channel") or not event.get("ts"):
        return "no channel"
    return None


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m.group(1) == user_id for m in _MENTION.finditer(text))


def parse(
    body: Mapping[str, Any], kind: str, bot_user_id: str | None
) -> tuple[Incoming | None, str | None]:
    """(Incoming, None) for a possible question, (None, reason) for an ignored event."""
    event = body.get("event") or {}
    reason = ignore_reason(event, bot_user_id)
    if reason:
        return None, reason
    raw = str(event.get("text") or "")
    thread = event.get("thread_ts")
    incoming = Incoming(
        kind=kind,
        event_id=body.get("event_id"),
        team=event.get("team") or body.get("team_id"),
        channel=str(event["channel"]),
        channel_type=event.get("channel_type"),
        user=str(event["user"]),
        ts=str(event["ts"]),
        thread_ts=str(thread or event["ts"]),
        in_thread=bool(thread) and thread != event["ts"],
        text=strip_mentions(raw, bot_user_id),
        mentions_bot=mentions(raw, bot_user_id),
        ext_shared=bool(body.get("is_ext_shared_channel")),
    )
    return incoming, None
