"""The Teams bot: Bot Framework activities → `Question` → `Answer` → Teams activities.

- channel @mention → answer in the same reply chain (the conversation id carries
  `;messageid=`, and every reply names the question as `replyToId`), public documents only;
- group chat @mention → answer in the chat, public documents only;
- 1:1 chat → every message is a question, answered with the asker's permissions and
  streamed; `reindex`/`status`/`help` go to the admin handler;
- `message/submitAction` (the 👍/👎 feedback buttons) → recorded, 200 with no body.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from botbuilder.core import ActivityHandler, BotAdapter, InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ConversationReference

from bot import messages
from bot.adapters.teams.activities import answer_activity, text_activity, typing_activity
from bot.adapters.teams.retry import with_retry
from bot.adapters.teams.streaming import TeamsStream
from bot.answering.engine import Final, TextDelta
from bot.errors import UserFacingError
from bot.models import Answer, Asker, PermissionScope, Question, Surface, Turn
from bot.services import Services

log = logging.getLogger(__name__)

PLATFORM = "teams"
MEMBER_CACHE_SECONDS = 600.0
_AT_TAG = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class AdminHandler(Protocol):
    """`bot.admin.AdminCommands`, shared with Slack's `/helpdesk`."""

    async def handle(self, asker: Asker, text: str) -> Any: ...

    async def follow(
        self,
        request_id: int,
        post: Callable[[str], Awaitable[str]],
        update: Callable[[str, str], Awaitable[None]],
        interval: float = 3.0,
        *,
        private: bool = False,
        viewer: Asker | None = None,
    ) -> None: ...


def _props(entity: Any) -> dict[str, Any]:
    props = getattr(entity, "additional_properties", None)
    return props if isinstance(props, dict) else {}


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
    """`status`, `help` or `reindex [source] [full]` exactly: "help me reset my password"
    and "status of my laptop order?" are questions."""
    words = text.lower().rstrip(".!").split()
    if words in (["status"], ["help"]):
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


class TeamsHelpdeskBot(ActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        services: Services,
        admin: AdminHandler | None,
        adapter: BotAdapter,
        app_id: str,
        *,
        stream_interval: float = 1.0,
    ) -> None:
        super().__init__()
        self.services = services
        self.admin = admin
        self.adapter = adapter
        self.app_id = app_id
        self.stream_interval = stream_interval
        self._emails: dict[str, tuple[str | None, float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ messages
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        conversation = activity.conversation.id
        kind = activity.conversation.conversation_type or "personal"
        personal = kind == "personal"
        if activity.id and not await asyncio.to_thread(
            self.services.state.remember_event, f"teams:{conversation}:{activity.id}"
        ):
            log.info("teams duplicate activity conv=%s id=%s", conversation, activity.id)
            return
        if not personal and not mentions_bot(activity):
            return  # only @mentions are addressed to the bot outside 1:1 chats
        text = question_text(activity, strip_mention=not personal)
        if not text:
            await self._send(turn_context, text_activity(messages.TEAMS_EMPTY_QUESTION))
            return
        asker = await self._asker(turn_context, personal)
        log.info(
            "teams question conv=%s kind=%s id=%s user=%s",
            conversation,
            kind,
            activity.id,
            asker.user_id,
        )
        if personal and self.admin is not None and is_admin_command(text):
            await self._admin(turn_context, asker, text)
            return
        surface = Surface.DM if personal else Surface.CHANNEL
        scope = self.services.engine.scope_for(asker, surface)
        turns = await asyncio.to_thread(self.services.state.recent_turns, PLATFORM, conversation)
        question = Question(
            text=text,
            asker=asker,
            conversation=conversation,
            thread_history=tuple(Turn(role, t) for role, t in turns),
            surface=surface,
        )
        if personal:
            await self._answer_streamed(turn_context, question, scope)
        else:
            await self._answer_once(turn_context, question, scope)

    async def _answer_once(
        self, turn_context: TurnContext, question: Question, scope: PermissionScope
    ) -> None:
        await self._send(turn_context, typing_activity())
        try:
            answer = await self.services.engine.answer(question, scope)
        except Exception as exc:
            await self._send(turn_context, text_activity(self._error_text(exc, question)))
            return
        response = await self._send(turn_context, answer_activity(answer))
        await self._remember(question, answer, getattr(response, "id", None) or "")

    async def _answer_streamed(
        self, turn_context: TurnContext, question: Question, scope: PermissionScope
    ) -> None:
        stream = TeamsStream(lambda a: self._send(turn_context, a), interval=self.stream_interval)
        await stream.informative(messages.SEARCHING)
        answer: Answer | None = None
        try:
            async for event in self.services.engine.stream(question, scope):
                if isinstance(event, TextDelta):
                    await stream.push(event.text)
                elif isinstance(event, Final):
                    answer = event.answer
        except Exception as exc:
            await stream.finish(text_activity(self._error_text(exc, question)))
            return
        if answer is None:
            await stream.finish(text_activity(messages.GENERIC_APOLOGY))
            return
        response = await stream.finish(answer_activity(answer))
        message_id = stream.stream_id or getattr(response, "id", None) or ""
        await self._remember(question, answer, message_id)

    def _error_text(self, exc: Exception, question: Question) -> str:
        if isinstance(exc, UserFacingError):
            log.warning(
                "teams answer failed conv=%s error=%s detail=%s",
                question.conversation,
                type(exc).__name__,
                exc,
            )
            return exc.user_message
        log.exception(
            "teams answer crashed conv=%s user=%s", question.conversation, question.asker.user_id
        )
        return messages.GENERIC_APOLOGY

    async def _remember(self, question: Question, answer: Answer, message_id: str) -> None:
        state = self.services.state

        def write() -> int:
            answer_id = state.record_answer(
                PLATFORM,
                question.conversation,
                question.asker.user_id,
                question.text,
                answer.text,
                [c.doc_id for c in answer.citations],
                answer.grounded,
                answer.mode,
                message_id=message_id,
            )
            state.add_turn(PLATFORM, question.conversation, "user", question.text)
            state.add_turn(PLATFORM, question.conversation, "assistant", answer.text)
            return answer_id

        answer_id = await asyncio.to_thread(write)
        log.info(
            "teams answered conv=%s message=%s answer_id=%d citations=%d mode=%s",
            question.conversation,
            message_id,
            answer_id,
            len(answer.citations),
            answer.mode,
        )

    async def _send(self, turn_context: TurnContext, activity: Activity) -> Any:
        return await with_retry(lambda: turn_context.send_activity(activity), what=activity.type)

    # ------------------------------------------------------------------ askers
    async def _asker(self, turn_context: TurnContext, personal: bool) -> Asker:
        sender: ChannelAccount = turn_context.activity.from_property
        user_id = sender.aad_object_id or sender.id
        email = await self._email(turn_context, sender.id) if personal else None
        return Asker(platform=PLATFORM, user_id=user_id, email=email, display_name=sender.name)

    async def _email(self, turn_context: TurnContext, member_id: str) -> str | None:
        cached = self._emails.get(member_id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        try:
            member = await with_retry(
                lambda: TeamsInfo.get_member(turn_context, member_id), what="get_member"
            )
        except Exception as exc:
            # without a verified address the asker sees public documents only
            log.warning("teams member lookup failed user=%s error=%s", member_id, exc)
            return None
        address = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        email = str(address).strip().lower() if address else None
        self._emails[member_id] = (email, time.monotonic() + MEMBER_CACHE_SECONDS)
        return email

    # ------------------------------------------------------------------ admin
    async def _admin(self, turn_context: TurnContext, asker: Asker, text: str) -> None:
        assert self.admin is not None
        try:
            reply = await self.admin.handle(asker, text)
        except Exception:
            log.exception("teams admin command failed user=%s", asker.user_id)
            await self._send(turn_context, text_activity(messages.GENERIC_APOLOGY))
            return
        await self._send(turn_context, text_activity(reply.text))
        request_id = getattr(reply, "follow_request_id", None)
        if request_id is not None:
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            task = asyncio.create_task(self._follow(reference, int(request_id), asker))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _follow(
        self, reference: ConversationReference, request_id: int, asker: Asker
    ) -> None:
        """Post the reindex progress and keep editing it, proactively (the turn that
        asked for it has long ended)."""
        assert self.admin is not None

        async def post(text: str) -> str:
            ids: list[str] = []

            async def send(ctx: TurnContext) -> None:
                response = await self._send(ctx, text_activity(text))
                ids.append(getattr(response, "id", None) or "")

            await self.adapter.continue_conversation(reference, send, self.app_id)
            return ids[0] if ids else ""

        async def update(message_id: str, text: str) -> None:
            async def edit(ctx: TurnContext) -> None:
                activity = text_activity(text)
                activity.id = message_id
                await with_retry(lambda: ctx.update_activity(activity), what="update")

            await self.adapter.continue_conversation(reference, edit, self.app_id)

        try:
            # admin commands run in the admin's 1:1 chat: failures may name the files
            # this admin may read (never others' restricted ones)
            await self.admin.follow(request_id, post, update, private=True, viewer=asker)
        except Exception:
            log.exception("teams reindex follow failed request=%d", request_id)

    async def drain(self) -> None:
        """Wait for background follow-ups (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Server shutdown: stop following reindex progress (the request itself goes on
        in the worker; `status` still shows it)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------------ invokes
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "message/submitAction":
            await self._feedback(turn_context)
            return InvokeResponse(status=200)  # Teams wants 200 with an empty body
        return await super().on_invoke_activity(turn_context)

    async def _feedback(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
        reaction = str((action or {}).get("reaction", "")).lower()
        rating = {"like": 1, "dislike": -1}.get(reaction)
        message_id = activity.reply_to_id or ""
        conversation = activity.conversation.id
        if value.get("actionName") != "feedback" or rating is None:
            log.warning("teams unknown submitAction conv=%s message=%s", conversation, message_id)
            return
        sender = activity.from_property
        user_id = sender.aad_object_id or sender.id
        comment = feedback_comment((action or {}).get("feedback"))
        state = self.services.state

        def write() -> int | None:
            record = self._answer_for_message(message_id)
            state.record_feedback(
                PLATFORM,
                conversation,
                user_id,
                rating,
                str(record["question"]) if record else "",
                str(record["answer"]) if record else "",
                list(record["doc_ids"] or []) if record else [],
                message_id=message_id,
                comment=comment,
            )
            return int(record["id"]) if record else None

        answer_id = await asyncio.to_thread(write)
        log.info(
            "teams feedback conv=%s message=%s answer_id=%s rating=%d",
            conversation,
            message_id,
            answer_id,
            rating,
        )

    def _answer_for_message(self, message_id: str) -> dict[str, Any] | None:
        return self.services.state.answer_by_message(PLATFORM, message_id)

    # ------------------------------------------------------------------ install
    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        if personal and any(m.id == bot_id for m in members_added):
            await self._send(turn_context, text_activity(messages.TEAMS_WELCOME))
