"""Help-channel admin commands typed to the bot (Slack `/helpdesk …`, the same words to
the bot in Teams), platform-neutral; `bot.admin.AdminCommands` hands them here.

- `channel show` — this channel's settings, for anyone in it;
- `channel set [--auto-answer on|off] [--sources SPEC,…] [--escalate-to TARGET]
  [--ticket jira:KEY|zendesk|none]` and `channel off` — admins only (a clear refusal
  otherwise); the option names may be written without `--`, and `name=value` works too;
- `gaps [days]` — admins only: the knowledge-gap report; questions asked in DMs appear
  only when the command was typed in the admin's own DM with the bot, and a reply
  everyone in a channel sees (Teams) has that channel's questions only — never those
  of other, perhaps private, channels.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from llama_index.core.embeddings import BaseEmbedding

from bot import messages
from bot.conversation.store import ChatStore
from bot.formatting import PLAIN, TextStyle
from bot.helpchannels.channels import (
    ChannelSettings,
    ChannelSettingsError,
    ChannelSettingsRepository,
    describe,
    parse_escalation,
    parse_on_off,
    parse_sources,
    parse_ticket,
)
from bot.helpchannels.gap_records import asked_questions
from bot.helpchannels.gaps import gap_report, render_gaps
from bot.models import Asker
from connectors.state import StateStore

log = logging.getLogger(__name__)

COMMANDS = ("channel", "gaps")
MAX_DAYS = 365
_OPTIONS = {
    "auto-answer": "auto_answer",
    "sources": "sources",
    "escalate-to": "escalate_to",
    "ticket": "ticket",
}


@dataclass(frozen=True)
class Place:
    """Where a command was typed: `channel_id` is the channel whose settings it is about
    (None in a DM or a group chat); `private` is the asker's own 1:1 chat with the bot;
    `shared`: the reply is seen by everyone there (Teams has no ephemeral replies)."""

    channel_id: str | None = None
    private: bool = False
    shared: bool = False


def is_help_channel_command(text: str) -> bool:
    """`channel`, `channel show|set|off …`, `gaps` or `gaps N` — not a question that
    merely starts with one of those words ("gaps in the VPN docs?")."""
    words = text.strip().lower().split()
    if not words or words[0] not in COMMANDS:
        return False
    if words[0] == "gaps":
        return len(words) == 1 or (len(words) == 2 and words[1].isdigit())
    return len(words) == 1 or words[1] in ("show", "set", "off")


def parse_options(words: list[str]) -> dict[str, Any]:
    """`--auto-answer on sources=files,confluence:HR …` → typed changes."""
    changes: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, value = word.lstrip("-").partition("=")
        field = _OPTIONS.get(name.lower())
        if field is None:
            raise ChannelSettingsError(messages.CHANNEL_CHAT_BAD_OPTION.format(option=word))
        if not eq:
            if i + 1 >= len(words):
                raise ChannelSettingsError(messages.CHANNEL_CHAT_MISSING_VALUE.format(option=name))
            value = words[i + 1]
            i += 1
        i += 1
        if field == "auto_answer":
            changes[field] = parse_on_off(value)
        elif field == "sources":
            changes[field] = parse_sources(value)
        elif field == "escalate_to":
            changes[field] = parse_escalation(value)
        else:
            changes[field] = parse_ticket(value)
    if not changes:
        raise ChannelSettingsError(messages.CHANNEL_NOTHING_TO_SET)
    return changes


class HelpChannelCommands:
    def __init__(
        self,
        repository: ChannelSettingsRepository,
        chat: ChatStore,
        state: StateStore,
        embedder: BaseEmbedding,
    ) -> None:
        self.repository = repository
        self.chat = chat
        self.state = state
        self.embedder = embedder

    async def handle(
        self, asker: Asker, text: str, place: Place, is_admin: bool, style: TextStyle = PLAIN
    ) -> str:
        """The reply; `style`: how the chat surface shows text people and documents wrote
        (settings values, the gap report's questions and titles)."""
        words = text.split()
        command, args = words[0].lower(), words[1:]
        if command == "gaps":
            return await self._gaps(asker, args, place, is_admin, style)
        action = args[0].lower() if args else "show"
        if action not in ("show", "set", "off"):
            return messages.CHANNEL_CHAT_USAGE
        if place.channel_id is None:
            return messages.CHANNEL_CHAT_NOT_A_CHANNEL
        if action == "show":
            found = await asyncio.to_thread(self.repository.get, place.channel_id)
            return describe(found or ChannelSettings(place.channel_id), style.escape)
        if not is_admin:
            log.warning(
                "channel %s refused: not an admin platform=%s user=%s channel=%s",
                action,
                asker.platform,
                asker.user_id,
                place.channel_id,
            )
            return messages.CHANNEL_CHAT_REFUSED
        who = f"{asker.platform}:{asker.user_id}"
        if action == "off":
            saved = await asyncio.to_thread(self.repository.turn_off, place.channel_id, who)
            return messages.CHANNEL_TURNED_OFF.format(channel_id=style.escape(saved.channel_id))
        try:
            changes = parse_options(args[1:])
        except ChannelSettingsError as exc:
            return exc.user_message + "\n" + messages.CHANNEL_CHAT_USAGE
        saved = await asyncio.to_thread(
            lambda: self.repository.update(place.channel_id or "", updated_by=who, **changes)
        )
        log.info(
            "channel settings changed platform=%s user=%s channel=%s fields=%s",
            asker.platform,
            asker.user_id,
            saved.channel_id,
            ",".join(sorted(changes)),
        )
        return describe(saved, style.escape) + "\n" + messages.CHANNEL_CHAT_SAVED

    async def _gaps(
        self, asker: Asker, args: list[str], place: Place, is_admin: bool, style: TextStyle
    ) -> str:
        if not is_admin:
            log.warning(
                "gaps refused: not an admin platform=%s user=%s", asker.platform, asker.user_id
            )
            return messages.GAPS_REFUSED
        if len(args) > 1 or (args and not (args[0].isdigit() and 1 <= int(args[0]) <= MAX_DAYS)):
            return messages.GAPS_USAGE
        days = int(args[0]) if args else 7

        def build() -> str:
            now = datetime.now(UTC)
            records = asked_questions(self.chat, self.state, now - timedelta(days=days))
            if place.shared:  # everyone here reads it: this channel's own questions only
                records = [r for r in records if r.channel_id == place.channel_id and not r.is_dm]
            # DM questions only in the admin's own DM with the bot, never in a channel
            report = gap_report(records, self.embedder, days, now, include_dms=place.private)
            text = render_gaps(report, style)
            return text + "\n\n" + messages.GAPS_THIS_CHANNEL_ONLY if place.shared else text

        return await asyncio.to_thread(build)
