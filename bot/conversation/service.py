"""`ConversationService`: the one place where a chat message becomes an answer.

For every surface (Slack, Teams, the terminal) it decides whether a message is answered,
dedupes deliveries, loads the thread's earlier turns from the chat store, builds the
`Question` (the engine derives the permission scope from it), streams the answer,
records it, shows the external-channel notice once per thread and turns any failure into
an apology. Feedback (👍/👎) is recorded here too, after the same check of the
conversation the click came from (`allowed_here`). Adapters render the events.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from llama_index.core.vector_stores.types import MetadataFilters

from bot import messages
from bot.answering import engine as answering
from bot.answering.engine import AnswerEngine
from bot.conversation.helpchannel import HelpChannels
from bot.conversation.inbound import (
    Citations,
    Click,
    Event,
    Failed,
    Final,
    InboundMessage,
    Notice,
    Offer,
    Reply,
    Status,
    TextDelta,
)
from bot.conversation.store import ChatStore
from bot.errors import UserFacingError
from bot.models import Answer, Question, Surface, Turn

log = logging.getLogger(__name__)

HISTORY_TURNS = 20


class Route(enum.Enum):
    ASKED = "asked"  # a DM, an @mention, a follow-up in an answered thread
    AUTO = "auto"  # unprompted, in a help channel: posted only when grounded


class Vote(enum.Enum):
    THANKS = "thanks"  # 👍 recorded
    SORRY = "sorry"  # 👎 recorded: the adapter offers a human (or points to SUPPORT_HINT)
    UNKNOWN = "unknown"  # no such answer on record: nothing recorded
    NOT_HERE = "not_here"  # clicked where the bot may not act now: nothing recorded


@dataclass(frozen=True)
class AnswerRef:
    """Where a recorded answer was given (for "Ask a human")."""

    answer_id: int
    platform: str
    thread: str


class ConversationService:
    def __init__(
        self,
        engine: AnswerEngine,
        store: ChatStore,
        *,
        allow_external_channels: bool = True,
        help_channels: HelpChannels | None = None,
        auto_answer_min_score: float | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.allow_external_channels = allow_external_channels
        self.help_channels = help_channels
        self.auto_answer_min_score = auto_answer_min_score

    @property
    def mode(self) -> str:
        return self.engine.mode

    # ------------------------------------------------------------------ decisions
    def allowed_here(self, msg: InboundMessage | Click) -> bool:
        """ALLOW_EXTERNAL_CHANNELS=false: nothing is done in a conversation shared with
        another organisation (or one whose kind could not be confirmed) — questions,
        commands and clicks alike (👍/👎 and "Ask a person" are checked at the click:
        a channel may have been shared since the answer was given)."""
        if msg.is_external and not self.allow_external_channels:
            log.info(
                "%s skip external conversation (ALLOW_EXTERNAL_CHANNELS=false) thread=%s",
                msg.platform,
                msg.thread,
            )
            return False
        return True

    async def _route(self, msg: InboundMessage) -> Route | None:
        """How to treat a message: asked (answer it), auto (a help channel's unprompted
        question: answer only when grounded) or None (not for the bot)."""
        store = self.store
        ref = f"thread={msg.thread} message={msg.message_id} delivery={msg.delivery_id}"
        if msg.delivery_id and not await asyncio.to_thread(
            store.remember_event, f"{msg.platform}:event:{msg.delivery_id}"
        ):
            log.info("%s skip retried delivery %s", msg.platform, ref)
            return None
        route = Route.ASKED
        if not (msg.is_dm or msg.addressed or await self._thread_follow_up(msg)):
            decision = None
            if self.help_channels is not None and msg.channel_id:
                decision = await asyncio.to_thread(self.help_channels.decide, msg)
            if decision is None or not decision.answer:
                log.debug(
                    "%s skip message %s reason=%s",
                    msg.platform,
                    ref,
                    decision.reason if decision else "outside answered threads",
                )
                return None
            route = Route.AUTO
        if msg.message_id and not await asyncio.to_thread(
            store.remember_event, f"{msg.platform}:msg:{msg.thread}:{msg.message_id}"
        ):
            log.info("%s skip second delivery of message %s", msg.platform, ref)
            return None
        return route if self.allowed_here(msg) else None

    def _restriction(self, msg: InboundMessage) -> MetadataFilters | None:
        """The channel's sources as an index filter (None: every source)."""
        if self.help_channels is None or msg.is_dm:
            return None
        return self.help_channels.restriction(msg.channel_id)

    async def first_delivery(self, msg: InboundMessage) -> bool:
        """False for a repeated delivery of a message already handled (commands)."""
        keys = [f"{msg.platform}:event:{msg.delivery_id}"] if msg.delivery_id else []
        if msg.message_id:
            keys.append(f"{msg.platform}:msg:{msg.thread}:{msg.message_id}")
        for key in keys:
            if not await asyncio.to_thread(self.store.remember_event, key):
                log.info("%s skip repeated delivery %s", msg.platform, key)
                return False
        return True

    async def _thread_follow_up(self, msg: InboundMessage) -> bool:
        """A reply in a thread the bot answered needs no new @mention — until someone
        asked a person there: then the thread is the people's (an @mention still works)."""
        if not msg.in_thread:
            return False
        return await asyncio.to_thread(self._answered_not_handed_off, msg.platform, msg.thread)

    def _answered_not_handed_off(self, platform: str, thread: str) -> bool:
        return self.store.thread_answered(platform, thread) and not self.store.thread_handed_off(
            platform, thread
        )

    # ------------------------------------------------------------------ answering
    async def handle(self, msg: InboundMessage) -> AsyncIterator[Event]:
        """The events of one message; nothing at all when it is not for the bot."""
        try:
            route = await self._route(msg)
        except Exception:
            if msg.is_dm or msg.addressed:
                raise  # asked: the adapter apologises
            # the bot sees every message of its channels: when it cannot tell whether
            # one is for it, nobody asked, so nobody is shown anything
            log.exception("%s could not route message %s", msg.platform, msg.message_id)
            return
        if route is None:
            return
        if route is Route.AUTO:
            async for shown in self._auto_answer(msg):
                yield shown
            return
        if not msg.text.strip():
            yield Reply(messages.EMPTY_QUESTION)
            return
        started = time.perf_counter()
        history = await self._history(msg)
        yield Status(messages.SEARCHING, not any(t.role == "user" for t in history))
        ref = f"thread={msg.thread} message={msg.message_id} user={msg.asker.user_id}"
        try:
            question = Question(
                text=msg.text.strip(),
                asker=msg.asker,
                conversation=msg.thread,
                thread_history=history,
                surface=msg.surface,
                insider=msg.insider,
            )
            notices: list[str] = []
            if msg.surface is Surface.EXTERNAL and await asyncio.to_thread(
                self.store.claim_thread_notice, msg.platform, msg.thread
            ):
                notices.append(messages.EXTERNAL_CHANNEL_NOTICE)
                yield Notice(messages.EXTERNAL_CHANNEL_NOTICE)
            restrict = await asyncio.to_thread(self._restriction, msg)
            answer: Answer | None = None
            async for event in self.engine.stream(question, restrict=restrict):
                if isinstance(event, answering.TextDelta):
                    yield TextDelta(event.text)
                elif isinstance(event, answering.Final):
                    answer = event.answer
            if answer is None:
                raise RuntimeError("answer stream ended without a final answer")
            answer_id = await asyncio.to_thread(self._record, question, answer)
        except UserFacingError as exc:
            log.warning(
                "%s answer failed %s error=%s detail=%s",
                msg.platform,
                ref,
                type(exc).__name__,
                exc,
            )
            yield Failed(exc.user_message)
            return
        except Exception:  # boundary: one question's answer (one log line, the apology)
            log.exception("%s answer failed %s", msg.platform, ref)
            yield Failed(messages.GENERIC_APOLOGY)
            return
        log.info(
            "%s answered %s surface=%s insider=%s citations=%d mode=%s answer_id=%d ms=%d",
            msg.platform,
            ref,
            question.surface.value,
            question.insider,
            len(answer.citations),
            answer.mode,
            answer_id,
            (time.perf_counter() - started) * 1000,
        )
        if answer.citations:
            yield Citations(answer.citations)
        yield Final(answer, answer_id, tuple(notices))

    async def _auto_answer(self, msg: InboundMessage) -> AsyncIterator[Event]:
        """An unprompted question in a help channel: the answer is posted only when it
        is grounded (passages above the auto-answer relevance bar and, with Claude, the
        model citing them); otherwise only the asker is offered a person. Nothing is
        shown while searching, and a failure shows nothing either: nobody asked."""
        started = time.perf_counter()
        ref = f"thread={msg.thread} message={msg.message_id} user={msg.asker.user_id}"
        question = Question(
            text=msg.text.strip(),
            asker=msg.asker,
            conversation=msg.thread,
            surface=msg.surface,
            insider=msg.insider,
        )
        answer: Answer | None = None
        try:
            restrict = await asyncio.to_thread(self._restriction, msg)
            async for piece in self.engine.stream(
                question, restrict=restrict, min_similarity=self.auto_answer_min_score
            ):
                if isinstance(piece, answering.Final):
                    answer = piece.answer
            if answer is None:
                raise RuntimeError("answer stream ended without a final answer")
            if not answer.grounded:
                answer_id = await asyncio.to_thread(self._record_unanswered, question, answer)
            else:
                answer_id = await asyncio.to_thread(self._record, question, answer)
        except Exception:  # boundary: an auto-answer nobody asked for fails silently, logged
            log.exception("%s auto-answer failed %s", msg.platform, ref)
            return
        log.info(
            "%s auto-answer %s grounded=%s citations=%d answer_id=%d ms=%d",
            msg.platform,
            ref,
            answer.grounded,
            len(answer.citations),
            answer_id,
            (time.perf_counter() - started) * 1000,
        )
        if not answer.grounded:
            yield Offer(messages.AUTO_ANSWER_OFFER, answer_id)
            return
        notices: list[str] = []
        if msg.surface is Surface.EXTERNAL and await asyncio.to_thread(
            self.store.claim_thread_notice, msg.platform, msg.thread
        ):
            notices.append(messages.EXTERNAL_CHANNEL_NOTICE)
            yield Notice(messages.EXTERNAL_CHANNEL_NOTICE)
        yield TextDelta(answer.text)
        if answer.citations:
            yield Citations(answer.citations)
        yield Final(answer, answer_id, tuple(notices))

    def _record_unanswered(self, question: Question, answer: Answer) -> int:
        """Kept for the gap report and a hand-off; the thread is not the bot's (nothing
        was posted in it), so no turns and no follow-ups."""
        return self.store.record_answer(
            question.asker.platform,
            question.conversation,
            question.asker.user_id,
            question.text,
            answer.text,
            [c.doc_id for c in answer.citations],
            False,
            answer.mode,
        )

    async def _history(self, msg: InboundMessage) -> tuple[Turn, ...]:
        turns = await asyncio.to_thread(
            self.store.recent_turns, msg.platform, msg.thread, HISTORY_TURNS
        )
        return tuple(Turn(role, text) for role, text in turns)

    def _record(self, question: Question, answer: Answer) -> int:
        platform = question.asker.platform
        answer_id = self.store.record_answer(
            platform,
            question.conversation,
            question.asker.user_id,
            question.text,
            answer.text,
            [c.doc_id for c in answer.citations],
            answer.grounded,
            answer.mode,
        )
        self.store.add_turn(platform, question.conversation, "user", question.text)
        self.store.add_turn(platform, question.conversation, "assistant", answer.text)
        self.store.mark_thread_answered(platform, question.conversation)
        return answer_id

    async def delivered(self, answer_id: int, message_id: str) -> None:
        """The adapter sent answer `answer_id` as platform message `message_id` (Teams
        feedback names the message, not the answer)."""
        if message_id:
            await asyncio.to_thread(self.store.set_answer_message, answer_id, message_id)

    async def answer(self, msg: InboundMessage) -> tuple[Answer | None, int | None, str | None]:
        """All events of `msg` collected: (answer, answer id, text shown instead)."""
        shown: str | None = None
        async for event in self.handle(msg):
            if isinstance(event, Final):
                return event.answer, event.answer_id, None
            if isinstance(event, Reply | Failed):
                shown = event.text
        return None, None, shown

    # ------------------------------------------------------------------ feedback
    async def find_answer(
        self, platform: str, *, answer_id: int | None = None, message_id: str | None = None
    ) -> AnswerRef | None:
        def lookup() -> AnswerRef | None:
            if answer_id is not None:
                row = self.store.answer_record(answer_id)
            elif message_id:
                row = self.store.answer_by_message(platform, message_id)
            else:
                row = None
            if row is None or row["platform"] != platform:
                return None
            return AnswerRef(int(row["id"]), platform, str(row["conversation"]))

        return await asyncio.to_thread(lookup)

    async def feedback(
        self,
        click: Click,
        rating: int,
        *,
        answer_id: int | None = None,
        message_id: str | None = None,
        comment: str | None = None,
    ) -> Vote:
        """👍 (+1) or 👎 (-1) on a recorded answer, named by its id or by the platform
        message it was sent as. Nothing is recorded from a conversation the bot may not
        act in now (`Vote.NOT_HERE`: the adapter tells the clicker why)."""
        platform, user_id = click.platform, click.asker.user_id
        if not self.allowed_here(click):
            log.info("%s feedback refused thread=%s user=%s", platform, click.thread, user_id)
            return Vote.NOT_HERE
        ref = await self.find_answer(platform, answer_id=answer_id, message_id=message_id)
        if ref is None:
            log.warning(
                "%s feedback for unknown answer id=%s message=%s user=%s",
                platform,
                answer_id,
                message_id,
                user_id,
            )
            return Vote.UNKNOWN
        await asyncio.to_thread(self.store.record_feedback, ref.answer_id, user_id, rating, comment)
        log.info(
            "%s feedback answer_id=%d rating=%+d user=%s comment=%s",
            platform,
            ref.answer_id,
            rating,
            user_id,
            comment is not None,
        )
        return Vote.THANKS if rating > 0 else Vote.SORRY
