"""The answering flow for one Slack message: dedupe → decide → scope → stream → record.

Runs after the HTTP ack, in a background task; never raises (every failure ends as a
short message in the thread and one log line with the ids).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.api import slack_error
from bot.adapters.slack.conversations import ConversationInfo, Directory
from bot.adapters.slack.events import Incoming, history_from_replies
from bot.adapters.slack.render import answer_blocks, fallback_text, final_blocks
from bot.adapters.slack.streaming import AnswerStream
from bot.answering.engine import Final, TextDelta
from bot.errors import UserFacingError
from bot.models import Answer, Asker, PermissionScope, Question, Surface, Turn
from bot.services import Services

log = logging.getLogger(__name__)

PLATFORM = "slack"
SEEN_REACTION = "eyes"


@dataclass(frozen=True)
class BotIds:
    user_id: str | None
    bot_id: str | None


class Responder:
    def __init__(self, services: Services, client: AsyncWebClient, directory: Directory) -> None:
        self.services = services
        self.client = client
        self.directory = directory
        # observers for benchmarks/diagnostics: called with (incoming, seconds to first text)
        self.on_first_text: Callable[[Incoming, float], None] | None = None

    # ------------------------------------------------------------------ events
    async def handle(self, incoming: Incoming, ids: BotIds, *, received: float) -> None:
        try:
            await self._handle(incoming, ids, received)
        except Exception:
            log.exception(
                "slack event failed event=%s channel=%s ts=%s",
                incoming.event_id,
                incoming.channel,
                incoming.ts,
            )

    async def _handle(self, incoming: Incoming, ids: BotIds, received: float) -> None:
        state = self.services.state
        ref = f"event={incoming.event_id} channel={incoming.channel} ts={incoming.ts}"
        if incoming.event_id and not await asyncio.to_thread(
            state.remember_event, f"slack:event:{incoming.event_id}"
        ):
            log.info("slack skip retried event %s", ref)
            return
        if incoming.kind == "message" and not incoming.is_im:
            if incoming.mentions_bot:
                log.debug("slack skip message with mention (app_mention answers) %s", ref)
                return
            if not incoming.in_thread or not await asyncio.to_thread(
                state.thread_answered, PLATFORM, incoming.thread_key
            ):
                log.debug("slack skip message outside answered threads %s", ref)
                return
        if not await asyncio.to_thread(
            state.remember_event, f"slack:ts:{incoming.channel}:{incoming.ts}"
        ):
            log.info("slack skip second delivery of message %s kind=%s", ref, incoming.kind)
            return
        conv = await self.directory.conversation(incoming.channel, incoming.channel_type)
        if conv.is_ext_shared and not self.services.settings.allow_external_channels:
            log.info("slack skip external channel (ALLOW_EXTERNAL_CHANNELS=false) %s", ref)
            return
        if not incoming.text:
            await self._post(incoming, messages.SLACK_EMPTY_QUESTION)
            return
        await self.answer_in_thread(incoming, conv, ids, received=received)

    # ------------------------------------------------------------------ answering
    async def answer_in_thread(
        self, incoming: Incoming, conv: ConversationInfo, ids: BotIds, *, received: float
    ) -> None:
        state = self.services.state
        engine = self.services.engine
        surface = conv.surface
        await self._mark(incoming)
        email = None
        if surface is Surface.DM:
            email = (await self.directory.user(incoming.user)).email
        asker = Asker(platform=PLATFORM, user_id=incoming.user, email=email)
        history = await self._history(incoming, ids) if incoming.in_thread else ()
        await self._title(incoming, history)
        question = Question(
            text=incoming.text,
            asker=asker,
            conversation=incoming.thread_key,
            thread_history=history,
            surface=surface,
        )
        scope = await asyncio.to_thread(engine.scope_for, asker, surface)
        notices: list[str] = []
        if surface is Surface.EXTERNAL and await asyncio.to_thread(
            state.claim_thread_notice, PLATFORM, incoming.thread_key
        ):
            notices.append(messages.EXTERNAL_CHANNEL_NOTICE)
        stream = AnswerStream(
            self.client,
            channel=incoming.channel,
            thread_ts=incoming.thread_ts,
            recipient_team_id=incoming.team,
            recipient_user_id=incoming.user,
        )
        ref = (
            f"team={incoming.team} channel={incoming.channel} thread={incoming.thread_ts} "
            f"ts={incoming.ts} event={incoming.event_id} user={incoming.user}"
        )
        try:
            for notice in notices:
                await stream.add(f"_{notice}_\n\n")
            answer = await self._stream_answer(question, scope, stream, incoming, received)
            answer_id = await asyncio.to_thread(
                state.record_answer,
                PLATFORM,
                incoming.thread_key,
                incoming.user,
                question.text,
                answer.text,
                [c.doc_id for c in answer.citations],
                answer.grounded,
                answer.mode,
                stream.ts or "",
            )
            await stream.finish(
                final_blocks(answer, answer_id),
                answer_blocks(answer, answer_id, notices),
                fallback_text(answer.text),
            )
            await asyncio.to_thread(state.mark_thread_answered, PLATFORM, incoming.thread_key)
            log.info(
                "slack answered %s kind=%s conv=%s surface=%s scope=%s mode=%s citations=%d "
                "answer_id=%d ms=%d",
                ref,
                incoming.kind,
                conv.kind,
                surface.value,
                "public" if scope.is_public_only else "user",
                answer.mode,
                len(answer.citations),
                answer_id,
                (time.perf_counter() - received) * 1000,
            )
        except UserFacingError as exc:
            log.warning("slack answer failed %s error=%s detail=%s", ref, type(exc).__name__, exc)
            await self._fail(stream, exc.user_message, ref)
        except Exception:
            log.exception("slack answer failed %s", ref)
            await self._fail(stream, messages.GENERIC_APOLOGY, ref)

    async def _stream_answer(
        self,
        question: Question,
        scope: PermissionScope,
        stream: AnswerStream,
        incoming: Incoming,
        received: float,
    ) -> Answer:
        final: Answer | None = None
        reported = False
        async for event in self.services.engine.stream(question, scope):
            if isinstance(event, TextDelta):
                await stream.add(event.text)
                if not reported and stream.first_text_at is not None:
                    reported = True
                    if self.on_first_text is not None:
                        self.on_first_text(incoming, stream.first_text_at - received)
            elif isinstance(event, Final):
                final = event.answer
        if final is None:
            raise RuntimeError("answer stream ended without a final answer")
        return final

    async def _fail(self, stream: AnswerStream, text: str, ref: str) -> None:
        try:
            await stream.fail(text)
        except SlackApiError as exc:
            log.error("slack could not post the apology %s error=%s", ref, slack_error(exc))

    # ------------------------------------------------------------------ helpers
    async def _mark(self, incoming: Incoming) -> None:
        """Show at once that the question was seen: assistant status in the AI-app
        surface, 👀 elsewhere (a retried event's `already_reacted` is fine)."""
        if incoming.kind == "assistant":
            try:
                await self.client.assistant_threads_setStatus(
                    channel_id=incoming.channel,
                    thread_ts=incoming.thread_ts,
                    status=messages.SEARCHING,
                )
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

    async def _title(self, incoming: Incoming, history: tuple[Turn, ...]) -> None:
        """The AI-app thread list shows a title: the first question of the thread."""
        if incoming.kind != "assistant" or any(t.role == "user" for t in history):
            return
        title = incoming.text if len(incoming.text) <= 80 else incoming.text[:79] + "…"
        try:
            await self.client.assistant_threads_setTitle(
                channel_id=incoming.channel, thread_ts=incoming.thread_ts, title=title
            )
        except SlackApiError as exc:
            log.debug("slack setTitle failed error=%s", slack_error(exc))

    async def _history(self, incoming: Incoming, ids: BotIds) -> tuple[Turn, ...]:
        try:
            resp = await self.client.conversations_replies(
                channel=incoming.channel, ts=incoming.thread_ts, limit=100
            )
        except SlackApiError as exc:
            log.warning(
                "conversations.replies failed channel=%s thread=%s error=%s",
                incoming.channel,
                incoming.thread_ts,
                slack_error(exc),
            )
            return ()
        return history_from_replies(
            resp.get("messages") or [], incoming.ts, ids.user_id, ids.bot_id
        )

    async def _post(self, incoming: Incoming, text: str) -> None:
        try:
            await self.client.chat_postMessage(
                channel=incoming.channel, thread_ts=incoming.thread_ts, text=text
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
        post: Callable[[list[dict[str, object]], str], Awaitable[None]],
    ) -> None:
        """`/helpdesk ask`: answered only to the asker, with their DM permissions."""
        info = await self.directory.user(user)
        asker = Asker(
            platform=PLATFORM, user_id=user, email=info.email, display_name=info.display_name
        )
        question = Question(
            text=text, asker=asker, conversation=f"{channel}:ephemeral", surface=Surface.DM
        )
        engine = self.services.engine
        try:
            scope = await asyncio.to_thread(engine.scope_for, asker, Surface.DM)
            answer = await engine.answer(question, scope)
        except UserFacingError as exc:
            log.warning("slack ask failed channel=%s user=%s error=%s", channel, user, exc)
            await post([], exc.user_message)
            return
        except Exception:
            log.exception("slack ask failed channel=%s user=%s", channel, user)
            await post([], messages.GENERIC_APOLOGY)
            return
        await asyncio.to_thread(
            self.services.state.record_answer,
            PLATFORM,
            question.conversation,
            user,
            text,
            answer.text,
            [c.doc_id for c in answer.citations],
            answer.grounded,
            answer.mode,
        )
        log.info(
            "slack ask answered channel=%s user=%s scope=%s citations=%d",
            channel,
            user,
            "public" if scope.is_public_only else "user",
            len(answer.citations),
        )
        await post(answer_blocks(answer), fallback_text(answer.text))
