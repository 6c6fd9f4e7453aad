"""The Teams bot: Bot Framework activities ↔ the conversation service. Translates only:
an activity becomes an `ev.InboundMessage`; the service's events become Teams activities.

- channel @mention → answer in the same reply chain (the conversation id carries
  `;messageid=`, and every reply names the question as `replyToId`), public documents only;
  `channel show|set|off …` and `gaps [days]` after the mention go to the admin handler;
- channel message without a mention (delivered with the RSC permission
  ChannelMessage.Read.Group) → the conversation service decides: a follow-up in a chain
  it answered, or a help channel's unprompted question (answered only when grounded;
  otherwise at most an "Ask a person" offer as a targeted message the asker alone sees,
  with TEAMS_TARGETED_OFFERS — nothing at all without it); another bot's post (`28:` id
  or role "bot") is ignored;
- "Ask a person" (the Adaptive Card action on every answer) → the hand-off, out of band
  (a ticket call may be slow): typing and 202 in the request, the reply proactively;
- group chat @mention → answer in the chat, public documents only;
- 1:1 chat (`conversationType: personal`, explicitly) → every message is a question,
  streamed; answered with the asker's permissions only on `msteams` in our tenant
  (MicrosoftAppTenantId), public documents otherwise; `reindex`/`status`/`help`/`gaps`/
  `channel` go to the admin handler;
- `message/submitAction` (the 👍/👎 feedback buttons) → recorded, 200 with `{}`;
  in a conversation the bot may not act in now (the service decides), not recorded and
  the clicker is told why; the same for "Ask a person".

Answers are sent out of band (`delivery.py`): the request is acknowledged with the
typing indicator, the answer follows through `continue_conversation`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from botbuilder.core import ActivityHandler, BotAdapter, InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ConversationReference

from bot import messages
from bot.adapters.background import SHUTDOWN_DRAIN_SECONDS, Background
from bot.adapters.teams.activities import text_activity, typing_activity
from bot.adapters.teams.delivery import (
    answer_out_of_band,
    proactive,
    send,
)
from bot.adapters.teams.handoff import TeamsHandOff, handoff_card, handoff_request
from bot.adapters.teams.parsing import (
    activity_tenant,
    channel_of,
    feedback_comment,
    from_a_bot,
    is_admin_command,
    is_personal,
    mentions_bot,
    question_text,
)
from bot.adapters.teams.render import TEAMS_STYLE
from bot.adapters.teams.retry import TEAMS_SEND_ERRORS, with_retry
from bot.adapters.teams.streaming import STREAM_MAX_SECONDS
from bot.admin import AdminCommands
from bot.conversation import inbound as ev
from bot.conversation.service import ConversationService, Vote
from bot.errors import DeliveryError
from bot.helpchannels.chat_commands import Place, is_help_channel_command
from bot.models import Asker

log = logging.getLogger(__name__)
# TeamsInfo also raises TypeError/ValueError for a conversation it cannot look a member up in
MEMBER_LOOKUP_ERRORS: tuple[type[Exception], ...] = (*TEAMS_SEND_ERRORS, TypeError)

PLATFORM = "teams"
MEMBER_CACHE_SECONDS = 600.0


async def _prepend(first: ev.Event, rest: AsyncIterator[ev.Event]) -> AsyncIterator[ev.Event]:
    yield first
    try:
        async for event in rest:
            yield event
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


class TeamsHelpdeskBot(ActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        conversation: ConversationService,
        admin: AdminCommands | None,
        adapter: BotAdapter,
        app_id: str,
        *,
        tenant_id: str | None = None,
        stream_interval: float = 1.0,
        stream_max_seconds: float = STREAM_MAX_SECONDS,
        handoff: TeamsHandOff | None = None,
        targeted_offers: bool = False,
    ) -> None:
        super().__init__()
        self.handoff = handoff
        self.targeted_offers = targeted_offers  # TEAMS_TARGETED_OFFERS
        self.conversation = conversation
        self.admin = admin
        self.adapter = adapter
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.stream_interval = stream_interval
        self.stream_max_seconds = stream_max_seconds  # Teams ends a stream after 2 minutes
        self._emails: dict[str, tuple[str | None, float]] = {}
        self.background = Background()  # answers and admin replies: drained on shutdown
        self.follows = Background()  # reindex progress: cancelled on shutdown

    # ------------------------------------------------------------------ messages
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if from_a_bot(activity):
            return  # another bot (Teams does not echo the bot's own messages)
        personal = is_personal(activity)
        text = question_text(activity, strip_mention=not personal)
        msg = await self._inbound(turn_context, personal, text)
        reference = TurnContext.get_conversation_reference(activity)
        answer_id = handoff_request(activity)
        if answer_id is not None:
            # "Ask a person": acknowledged here (typing, then an empty 202); the ticket
            # call and the replies happen out of band. A redelivered click does nothing.
            # Whether the bot may act in this conversation is the hand-off's decision.
            handoff = self.handoff
            if handoff is not None and await self.conversation.first_delivery(msg):
                asker = await self._identified(turn_context, msg)
                click = ev.Click(asker=asker, thread=msg.thread, is_external=msg.is_external)
                await self._typing(turn_context, msg)
                self.background.spawn(
                    handoff.run(reference, answer_id, click),
                    name=f"teams-handoff-{msg.message_id}",
                )
            return
        command = is_admin_command(text) if personal else msg.addressed
        if self.admin is not None and command and (personal or is_help_channel_command(text)):
            if self.conversation.allowed_here(msg) and await self.conversation.first_delivery(msg):
                # the reply is posted for everyone in a channel or group chat
                place = Place(channel_id=msg.channel_id, private=msg.is_dm, shared=not personal)
                asker = await self._identified(turn_context, msg)
                await self._typing(turn_context, msg)
                self.background.spawn(
                    self._admin(reference, asker, text, place),
                    name=f"teams-admin-{msg.message_id}",
                )
            return
        events: AsyncIterator[ev.Event] = self.conversation.handle(msg)
        if msg.addressed:
            # Asked: decide and acknowledge within the request. The service's first event
            # is read here — it dedupes the delivery, checks the message is for the bot
            # and loads the thread — so a redelivered activity gets nothing at all;
            # otherwise the typing indicator goes out before the HTTP response.
            events = aiter(events)
            try:
                first = await anext(events)
            except StopAsyncIteration:
                return
            except Exception:  # boundary: this request's answer (one log line, an apology)
                log.exception("teams answer failed conv=%s id=%s", msg.thread, msg.message_id)
                await self._send(turn_context, text_activity(messages.GENERIC_APOLOGY))
                return
            await self._typing(turn_context, msg)
            if personal or not isinstance(first, ev.Status):  # 1:1: the informative update
                events = _prepend(first, events)
        # Unaddressed (a help channel's unprompted question, a reply in an answered
        # chain): nobody waits for an acknowledgement; the service decides out of band.
        self.background.spawn(
            answer_out_of_band(
                self.adapter,
                self.app_id,
                reference,
                self.conversation,
                events,
                streamed=personal,
                stream_interval=self.stream_interval,
                stream_max_seconds=self.stream_max_seconds,
                card=handoff_card if self.handoff else None,
                targeted_offers=self.targeted_offers,
            ),
            name=f"teams-answer-{msg.message_id}",
        )

    async def _typing(self, turn_context: TurnContext, msg: ev.InboundMessage) -> None:
        try:
            await self._send(turn_context, typing_activity())
        except TEAMS_SEND_ERRORS as exc:  # the answer does not depend on the indicator
            log.warning("teams typing not sent conv=%s error=%s", msg.thread, type(exc).__name__)

    async def _inbound(
        self, turn_context: TurnContext, personal: bool, text: str
    ) -> ev.InboundMessage:
        activity = turn_context.activity
        tenant = activity_tenant(activity)
        external = self._external(activity)
        insider = (
            personal
            and activity.channel_id == "msteams"
            and bool(self.tenant_id)
            and tenant == self.tenant_id
        )
        sender: ChannelAccount = activity.from_property
        email = await self._email(turn_context, sender.id) if insider else None
        conversation_type = activity.conversation.conversation_type
        channel = channel_of(activity) if conversation_type == "channel" else None
        root = activity.conversation.id.partition(";messageid=")[2]
        return ev.InboundMessage(
            asker=Asker(
                platform=PLATFORM,
                user_id=sender.aad_object_id or sender.id,
                email=email,
                display_name=sender.name,
            ),
            thread=activity.conversation.id,
            message_id=activity.id or "",
            text=text,
            is_dm=personal and not external,
            is_external=external,
            insider=insider,
            addressed=personal or mentions_bot(activity),
            # a reply in a channel's reply chain (delivered without a mention only with
            # the ChannelMessage.Read.Group permission)
            in_thread=bool(root) and root != activity.id,
            channel_id=channel,
        )

    def _external(self, activity: Activity) -> bool:
        """With a tenant configured, a conversation that does not positively name it (no
        tenant, or two that disagree) may be another organisation's: fail closed."""
        return bool(self.tenant_id) and activity_tenant(activity) != self.tenant_id

    async def _identified(self, turn_context: TurnContext, msg: ev.InboundMessage) -> Asker:
        """The asker with their email when the conversation is in our tenant (admin
        commands and ticket requesters outside a 1:1 chat); otherwise as it was."""
        activity = turn_context.activity
        if msg.asker.email or not self.tenant_id or activity_tenant(activity) != self.tenant_id:
            return msg.asker
        email = await self._email(turn_context, activity.from_property.id)
        return replace(msg.asker, email=email)

    async def _send(self, turn_context: TurnContext, activity: Activity) -> Any:
        return await send(turn_context, activity)

    # ------------------------------------------------------------------ askers
    async def _email(self, turn_context: TurnContext, member_id: str) -> str | None:
        cached = self._emails.get(member_id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        try:
            member = await with_retry(
                lambda: TeamsInfo.get_member(turn_context, member_id), what="get_member"
            )
        except MEMBER_LOOKUP_ERRORS as exc:
            # without a verified address the asker sees public documents only
            log.warning("teams member lookup failed user=%s error=%s", member_id, exc)
            return None
        address = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        email = str(address).strip().lower() if address else None
        self._emails[member_id] = (email, time.monotonic() + MEMBER_CACHE_SECONDS)
        return email

    # ------------------------------------------------------------------ admin
    async def _admin(
        self, reference: ConversationReference, asker: Asker, text: str, place: Place
    ) -> None:
        """The admin command's reply, proactively (after the request was acknowledged)."""
        assert self.admin is not None
        reply: Any = None
        try:
            reply = await self.admin.handle(asker, text, place, TEAMS_STYLE)
            reply_text = reply.text
        except Exception:  # top of the admin command's background task: a log line, an apology
            log.exception("teams admin command failed user=%s", asker.user_id)
            reply_text = messages.GENERIC_APOLOGY

        async def respond(ctx: TurnContext) -> None:
            await send(ctx, text_activity(reply_text))

        try:
            await proactive(self.adapter, self.app_id, reference, respond)
        except Exception as exc:  # still the top of the admin command's background task
            log.error("teams admin reply not delivered error=%s", type(exc).__name__)
            return
        request_id = getattr(reply, "follow_request_id", None)
        if request_id is not None:
            self.follows.spawn(
                self._follow(reference, int(request_id), asker), name=f"teams-follow-{request_id}"
            )

    async def _follow(
        self, reference: ConversationReference, request_id: int, asker: Asker
    ) -> None:
        """Post the reindex progress and keep editing it, proactively (the turn that
        asked for it has long ended)."""
        assert self.admin is not None

        async def post(text: str) -> str:
            ids: list[str] = []

            async def post_it(ctx: TurnContext) -> None:
                response = await send(ctx, text_activity(text))
                ids.append(getattr(response, "id", None) or "")

            await self.adapter.continue_conversation(reference, post_it, self.app_id)
            return ids[0] if ids else ""

        async def update(message_id: str, text: str) -> None:
            async def edit(ctx: TurnContext) -> None:
                activity = text_activity(text)
                activity.id = message_id
                await with_retry(lambda: ctx.update_activity(activity), what="update")

            try:
                await self.adapter.continue_conversation(reference, edit, self.app_id)
            except TEAMS_SEND_ERRORS as exc:
                raise DeliveryError(f"update: {type(exc).__name__}") from exc

        try:
            # admin commands run in the admin's 1:1 chat: failures may name the files
            # this admin may read (never others' restricted ones)
            await self.admin.follow(
                request_id, post, update, private=True, viewer=asker, style=TEAMS_STYLE
            )
        except Exception:  # top of the follow-up's background task: one log line
            log.exception("teams reindex follow failed request=%d", request_id)

    async def drain(self, wait: float = SHUTDOWN_DRAIN_SECONDS) -> bool:
        """Wait until every answer and follow-up started so far has been sent (tests)."""
        deadline = time.monotonic() + wait
        answers = await self.background.drain(wait)
        follows = await self.follows.drain(max(deadline - time.monotonic(), 0.0))
        return answers and follows

    async def close(self) -> None:
        """Server shutdown: answers in progress are finished (up to
        SHUTDOWN_DRAIN_SECONDS, then cancelled); reindex progress stops being followed
        (the request itself goes on in the worker; `status` still shows it)."""
        await self.follows.cancel()
        if not await self.background.drain():
            left = len(self.background.tasks)
            log.warning("teams answers still running at shutdown: %d cancelled", left)
        await self.background.cancel()

    # ------------------------------------------------------------------ invokes
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "message/submitAction":
            await self._feedback(turn_context)
            # the documented answer: 200 with an empty JSON object (anything else in the
            # body is a 400 "invoke response isn't empty" on Teams' side)
            return InvokeResponse(status=200, body={})
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
        click = ev.Click(
            asker=Asker(platform=PLATFORM, user_id=user_id, display_name=sender.name),
            thread=conversation,
            is_external=self._external(activity),
        )
        vote = await self.conversation.feedback(
            click, rating, message_id=message_id, comment=comment
        )
        if vote is Vote.NOT_HERE:
            # Teams shows its own "thanks" for the vote: say plainly that it was not kept
            # (a reply in the conversation: Teams has no message only the clicker sees
            # outside the TEAMS_TARGETED_OFFERS preview)
            try:
                await self._send(turn_context, text_activity(messages.CLICK_NOT_HERE))
            except TEAMS_SEND_ERRORS as exc:
                log.warning("teams refusal not sent conv=%s error=%s", conversation, exc)

    # ------------------------------------------------------------------ install
    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if is_personal(activity) and any(m.id == bot_id for m in members_added):
            await self._send(turn_context, text_activity(messages.TEAMS_WELCOME))
