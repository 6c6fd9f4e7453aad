"""Slack messages ↔ the conversation service: an `Incoming` event (or `/helpdesk ask`)
becomes an `ev.InboundMessage`; the service's events become Slack output — 👀 or the
AI-app status, the streamed answer with its sources and 👍/👎 buttons, the apology.

Translates only: whether to answer, the scope, history, records and notices are the
service's (`bot.conversation.service`). Runs after the HTTP ack, in a background task;
never raises (every failure ends as a short message in the thread and one log line).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.api import slack_error
from bot.adapters.slack.conversations import (
    NO_INSTALLATION,
    Directory,
    Installation,
)
from bot.adapters.slack.events import Incoming
from bot.adapters.slack.render import (
    answer_blocks,
    escape,
    fallback_text,
    final_blocks,
    offer_blocks,
)
from bot.adapters.slack.streaming import AnswerStream
from bot.conversation import inbound as ev
from bot.conversation.service import ConversationService
from bot.models import Asker

log = logging.getLogger(__name__)

PLATFORM = "slack"
SEEN_REACTION = "eyes"


@dataclass(frozen=True)
class BotIds:
    user_id: str | None
    bot_id: str | None
    installation: Installation = NO_INSTALLATION


class Responder:
    def __init__(
        self, conversation: ConversationService, client: AsyncWebClient, directory: Directory
    ) -> None:
        self.conversation = conversation
        self.client = client
        self.directory = directory
        # observers for benchmarks/diagnostics: called with (incoming, seconds to first text)
        self.on_first_text: Callable[[Incoming, float], None] | None = None

    # ------------------------------------------------------------------ translation
    async def inbound(
        self,
        *,
        user: str,
        channel: str,
        channel_type: str | None,
        installation: Installation,
        thread: str,
        message_id: str,
        text: str,
        addressed: bool,
        in_thread: bool = False,
        delivery_id: str | None = None,
        envelope_external: bool = False,
        private_reply: bool = False,
    ) -> ev.InboundMessage:
        conv = await self.directory.conversation(channel, channel_type)
        external = conv.external or envelope_external
        dm = (conv.is_im or private_reply) and not external
        email = display = None
        insider = False
        if dm:  # only a DM's scope depends on who asks
            info = await self.directory.user(user)
            email, display = info.email, info.display_name
            insider = info.insider_of(installation)
        return ev.InboundMessage(
            asker=Asker(platform=PLATFORM, user_id=user, email=email, display_name=display),
            thread=thread,
            message_id=message_id,
            text=text,
            is_dm=dm,
            is_external=external,
            insider=insider,
            addressed=addressed,
            in_thread=in_thread,
            delivery_id=delivery_id,
            channel_id=None if conv.is_im or conv.is_mpim else channel,
        )

    async def command_message(
        self,
        user: str,
        channel: str,
        installation: Installation,
        text: str,
        *,
        private_reply: bool = False,
    ) -> ev.InboundMessage:
        """A `/helpdesk` command as a message: a thread of its own (no history)."""
        return await self.inbound(
            user=user,
            channel=channel,
            channel_type=None,
            installation=installation,
            thread=f"{channel}:command:{uuid.uuid4().hex}",
            message_id="",
            text=text,
            addressed=True,
            private_reply=private_reply,
        )

    # ------------------------------------------------------------------ events
    async def handle(self, incoming: Incoming, ids: BotIds, *, received: float) -> None:
        try:
            msg = await self.inbound(
                user=incoming.user,
                channel=incoming.channel,
                channel_type=incoming.channel_type,
                installation=ids.installation,
                thread=incoming.thread_key,
                message_id=incoming.ts,
                text=incoming.text,
                # a DM is addressed to the bot even when its kind can't be confirmed; a
                # channel message naming the bot also arrives as `app_mention`: the
                # same question (answered once: deliveries are deduped by message)
                addressed=incoming.kind in ("mention", "assistant")
                or incoming.channel_type == "im"
                or incoming.mentions_bot,
                in_thread=incoming.in_thread,
                delivery_id=incoming.event_id,
                envelope_external=incoming.ext_shared,
            )
            await self._render(incoming, msg, received)
        except Exception:  # boundary: the event's handler (one log line)
            log.exception(
                "slack event failed event=%s channel=%s ts=%s",
                incoming.event_id,
                incoming.channel,
                incoming.ts,
            )

    async def _render(self, incoming: Incoming, msg: ev.InboundMessage, received: float) -> None:
        stream = AnswerStream(
            self.client,
            channel=incoming.channel,
            thread_ts=incoming.thread_ts,
            recipient_team_id=incoming.team,
            recipient_user_id=incoming.user,
        )
        reported = False
        try:
            async for event in self.conversation.handle(msg):
                if isinstance(event, ev.Status):
                    await self._mark(incoming, event)
                elif isinstance(event, ev.Reply):
                    await self._post(incoming, event.text)
                elif isinstance(event, ev.Notice):
                    await stream.add(f"_{event.text}_\n\n")
                elif isinstance(event, ev.TextDelta):
                    await stream.add(event.text)
                    if not reported and stream.first_text_at is not None:
                        reported = True
                        if self.on_first_text is not None:
                            self.on_first_text(incoming, stream.first_text_at - received)
                elif isinstance(event, ev.Final):
                    answer, answer_id = event.answer, event.answer_id
                    await stream.finish(
                        final_blocks(answer, answer_id),
                        answer_blocks(answer, answer_id, event.notices),
                        fallback_text(answer.text),
                    )
                    await self.conversation.delivered(answer_id, stream.ts or "")
                elif isinstance(event, ev.Failed):
                    await self._fail(stream, event.text, msg.thread)
                elif isinstance(event, ev.Offer):
                    await self._offer(incoming, event)
        except Exception:  # boundary: this answer's rendering (one log line, an apology)
            log.exception("slack answer failed thread=%s ts=%s", msg.thread, incoming.ts)
            await self._fail(stream, messages.GENERIC_APOLOGY, msg.thread)

    async def _fail(self, stream: AnswerStream, text: str, ref: str) -> None:
        try:
            await stream.fail(text)
        except SlackApiError as exc:
            log.error("slack could not post the apology thread=%s error=%s", ref, slack_error(exc))

    # ------------------------------------------------------------------ helpers
    async def _mark(self, incoming: Incoming, status: ev.Status) -> None:
        """Show at once that the question was seen: the thread's status (and its title,
        from its first question) in a DM with the app — an AI-app / Agent messaging
        thread, which in Agent messaging has no `assistant_app_thread` root and may be a
        top-level DM message — 👀 elsewhere (a retried event's `already_reacted` is fine)."""
        if incoming.kind == "assistant" or incoming.channel_type == "im":
            try:
                await self.client.assistant_threads_setStatus(
                    channel_id=incoming.channel, thread_ts=incoming.thread_ts, status=status.text
                )
                if status.first_in_thread:
                    await self._title(incoming)
                return
            except SlackApiError as exc:  # not an assistant thread after all: react
                log.debug("slack setStatus failed error=%s", slack_error(exc))
        try:
            await self.client.reactions_add(
                channel=incoming.channel, timestamp=incoming.ts, name=SEEN_REACTION
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            if error != "already_reacted":
                log.info(
                    "slack could not react channel=%s ts=%s error=%s",
                    incoming.channel,
                    incoming.ts,
                    error,
                )

    async def _title(self, incoming: Incoming) -> None:
        """The AI-app thread list shows a title: the first question of the thread."""
        title = incoming.text if len(incoming.text) <= 80 else incoming.text[:79] + "…"
        try:
            await self.client.assistant_threads_setTitle(
                channel_id=incoming.channel, thread_ts=incoming.thread_ts, title=title
            )
        except SlackApiError as exc:
            log.debug("slack setTitle failed error=%s", slack_error(exc))

    async def _offer(self, incoming: Incoming, offer: ev.Offer) -> None:
        """Only the asker sees it (chat.postEphemeral), with an "Ask a person" button."""
        try:
            await self.client.chat_postEphemeral(
                channel=incoming.channel,
                user=incoming.user,
                text=escape(offer.text),
                blocks=offer_blocks(offer.text, offer.answer_id),
            )
        except SlackApiError as exc:
            log.warning(
                "slack offer failed channel=%s error=%s", incoming.channel, slack_error(exc)
            )

    async def _post(self, incoming: Incoming, text: str) -> None:
        try:
            await self.client.chat_postMessage(
                channel=incoming.channel, thread_ts=incoming.thread_ts, text=escape(text)
            )
        except SlackApiError as exc:
            log.warning("slack post failed channel=%s error=%s", incoming.channel, slack_error(exc))

    # ------------------------------------------------------------------ /helpdesk ask
    async def answer_privately(
        self,
        *,
        channel: str,
        user: str,
        text: str,
        installation: Installation,
        post: Callable[[list[dict[str, object]], str], Awaitable[None]],
    ) -> None:
        """`/helpdesk ask`: answered only to the asker (with their DM permissions when
        they are a full member of the organisation)."""
        msg = await self.command_message(user, channel, installation, text, private_reply=True)
        async for event in self.conversation.handle(msg):
            if isinstance(event, ev.Reply | ev.Failed):
                await post([], escape(event.text))
            elif isinstance(event, ev.Final):
                answer = event.answer
                await post(answer_blocks(answer, notices=event.notices), fallback_text(answer.text))
