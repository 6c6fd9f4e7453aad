"""The `/helpdesk` slash command.

`/helpdesk ask QUESTION` is answered only to the asker, through the conversation
service (with their DM permissions when they are a full member of the organisation).
Everything else (`reindex`, `status`, `help`, unknown words) goes to the admin commands
(`bot.admin.AdminCommands`), which decide who is an admin; a queued reindex's progress
is then posted into the conversation and updated in place. With
ALLOW_EXTERNAL_CHANNELS=false nothing is done in an external conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.answer import PLATFORM, Responder
from bot.adapters.slack.api import SLACK_CALL_ERRORS, slack_error
from bot.adapters.slack.conversations import NO_INSTALLATION, Directory, Installation
from bot.adapters.slack.render import escape
from bot.admin import AdminCommands
from bot.errors import DeliveryError
from bot.helpchannels.chat_commands import Place
from bot.models import Asker

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
Spawn = Callable[[Coroutine[Any, Any, None], str], object]


class HelpdeskCommand:
    def __init__(
        self,
        client: AsyncWebClient,
        responder: Responder,
        directory: Directory,
        admin: AdminCommands | None,
        spawn: Spawn,
    ) -> None:
        self.client = client
        self.responder = responder
        self.directory = directory
        self.admin = admin
        self.spawn = spawn
        self.follow_interval = 3.0

    async def run(
        self,
        *,
        text: str,
        user: str,
        channel: str,
        respond: Respond | None,
        installation: Installation = NO_INSTALLATION,
    ) -> None:
        words = text.strip().split(maxsplit=1)
        try:
            msg = await self.responder.command_message(user, channel, installation, text)
            if not self.responder.conversation.allowed_here(msg):
                return  # ALLOW_EXTERNAL_CHANNELS=false: slash commands too
            if words and words[0].lower() == "ask":
                question = words[1] if len(words) > 1 else ""
                await self._ask(question, user, channel, installation, respond)
            else:
                await self._admin(text.strip(), user, channel, respond)
        except Exception:  # boundary: the slash command's handler (one log line, an apology)
            log.exception("slack /helpdesk failed user=%s channel=%s", user, channel)
            await self._ephemeral(channel, user, escape(messages.GENERIC_APOLOGY), respond=respond)

    async def _ask(
        self,
        question: str,
        user: str,
        channel: str,
        installation: Installation,
        respond: Respond | None,
    ) -> None:
        if not question.strip():
            await self._ephemeral(channel, user, escape(messages.SLACK_ASK_USAGE), respond=respond)
            return

        async def post(blocks: list[dict[str, object]], text: str) -> None:
            await self._ephemeral(channel, user, text, blocks=blocks or None, respond=respond)

        await self.responder.answer_privately(
            channel=channel,
            user=user,
            text=question.strip(),
            installation=installation,
            post=post,
        )

    async def _admin(self, text: str, user: str, channel: str, respond: Respond | None) -> None:
        if self.admin is None:
            await self._ephemeral(
                channel, user, escape(messages.SLACK_ADMIN_UNAVAILABLE), respond=respond
            )
            return
        info = await self.directory.user(user)
        asker = Asker(
            platform=PLATFORM,
            user_id=user,
            email=info.email,
            display_name=info.display_name,
        )
        conv = await self.directory.conversation(channel, None)
        private = conv.is_im and not conv.external
        place = Place(channel_id=None if conv.is_im or conv.is_mpim else channel, private=private)
        reply = await self.admin.handle(asker, text, place)
        log.info(
            "slack /helpdesk user=%s channel=%s command=%r follow=%s",
            user,
            channel,
            text.split(maxsplit=1)[0] if text else "",
            reply.follow_request_id,
        )
        # echoes what the user typed (`reindex <!channel>`): escaped, never a mention
        await self._ephemeral(channel, user, escape(reply.text), respond=respond)
        if reply.follow_request_id is not None:
            self.spawn(
                self._follow(reply.follow_request_id, user, channel),
                f"helpdesk-follow-{reply.follow_request_id}",
            )

    async def _follow(self, request_id: int, user: str, channel: str) -> None:
        """Reindex progress: posted into the conversation the command came from, or
        into a DM with the admin when the bot can't post there."""
        assert self.admin is not None
        target = {"channel": channel}

        async def post(text: str) -> str:
            text = escape(text)  # progress names documents: their titles are text, not mrkdwn
            try:
                resp = await self.client.chat_postMessage(channel=target["channel"], text=text)
            except SlackApiError as exc:
                if slack_error(exc) not in ("not_in_channel", "channel_not_found"):
                    raise
                opened = await self.client.conversations_open(users=user)
                target["channel"] = str((opened.get("channel") or {}).get("id"))
                resp = await self.client.chat_postMessage(channel=target["channel"], text=text)
            return str(resp.get("ts"))

        async def update(message_id: str, text: str) -> None:
            try:
                await self.client.chat_update(
                    channel=target["channel"], ts=message_id, text=escape(text)
                )
            except SLACK_CALL_ERRORS as exc:
                raise DeliveryError(f"chat.update: {type(exc).__name__}") from exc

        try:
            await self.admin.follow(request_id, post, update, interval=self.follow_interval)
        except Exception:  # top of the follow-up's background task: one log line
            log.exception("slack reindex follow failed request=%s channel=%s", request_id, channel)

    async def _ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        blocks: list[dict[str, object]] | None = None,
        respond: Respond | None = None,
    ) -> None:
        """Only the user sees it. chat.postEphemeral needs the bot in the conversation;
        elsewhere the command's response_url still works."""
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=text, blocks=blocks
            )
            return
        except SlackApiError as exc:
            error = slack_error(exc)
            if respond is None:
                log.warning("slack ephemeral failed channel=%s error=%s", channel, error)
                return
            log.info("slack ephemeral via response_url channel=%s error=%s", channel, error)
        try:
            await respond(text=text, blocks=blocks, response_type="ephemeral")
        except SLACK_CALL_ERRORS:
            log.exception("slack respond failed channel=%s", channel)
