""" "Ask a person" on Teams: the card action on every answer, and the rendering of the
conversation service's hand-off (`bot.conversation.handoff`). Translates only.

The button is an Adaptive Card `Action.Submit`; Teams sends its `data` back as a
message activity with `value` (no text) in the conversation the card is in. A channel's
escalation target is a Teams channel id (`19:…@thread.tacv2`): the question, the bot's
answer and a link to the thread are posted there as a new post (proactively), and the
asker is told in the thread. An unanswered question in an auto-answer channel gets
the offer as a targeted message to the asker alone (`TEAMS_TARGETED_OFFERS`,
`targeted.py`; a Teams preview), else no offer at all (nothing others would see); the
click on its card comes back like any other.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote, urlencode

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, Attachment, ConversationAccount, ConversationReference

from bot import messages
from bot.adapters.teams.activities import text_activity
from bot.adapters.teams.delivery import proactive
from bot.adapters.teams.render import escape, link
from bot.adapters.teams.retry import TEAMS_SEND_ERRORS, with_retry
from bot.conversation.handoff import HandOff, HandOffResult, HandOffStatus, request_lines
from bot.conversation.inbound import Click
from bot.conversation.service import ConversationService
from bot.helpchannels.tickets import Ticket
from bot.models import Asker

log = logging.getLogger(__name__)

PLATFORM = "teams"
SUBMIT_KEY = "helpdesk"
SUBMIT_HANDOFF = "handoff"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def handoff_card(answer_id: int) -> Attachment:
    return Attachment(
        content_type=CARD_TYPE,
        content={
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": messages.HANDOFF_CARD_TEXT, "isSubtle": True}],
            "actions": [
                {
                    "type": "Action.Submit",
                    "title": messages.ASK_A_PERSON,
                    "data": {SUBMIT_KEY: SUBMIT_HANDOFF, "answer_id": answer_id},
                }
            ],
        },
    )


def handoff_request(activity: Activity) -> int | None:
    """The answer id of an "Ask a person" click, or None for any other message."""
    value = activity.value if isinstance(activity.value, dict) else {}
    if value.get(SUBMIT_KEY) != SUBMIT_HANDOFF:
        return None
    raw = str(value.get("answer_id", ""))
    return int(raw) if raw.isdigit() else -1


def is_channel_id(target: str) -> bool:
    return target.startswith("19:") and target.endswith(("@thread.tacv2", "@thread.skype"))


def thread_link(thread: str, tenant_id: str | None) -> str:
    """A deep link to a channel reply chain (`19:…@thread.tacv2;messageid=ROOT`); ""
    for anything else."""
    channel, _, rest = thread.partition(";messageid=")
    if not rest or not is_channel_id(channel):
        return ""
    query = {"parentMessageId": rest, **({"tenantId": tenant_id} if tenant_id else {})}
    return f"https://teams.microsoft.com/l/message/{quote(channel)}/{rest}?{urlencode(query)}"


def request_text(result: HandOffResult, who: str) -> str:
    """The post in the escalation channel: the asker's name, question and the bot's
    answer are text we did not write, escaped (`render.escape`)."""
    return "\n\n".join(request_lines(result, escape(who), escape))


def ticket_text(ticket: Ticket) -> str:
    """The asker told about their ticket: its key and link come from the ticket system."""
    return messages.HANDOFF_TICKET.format(
        system=ticket.system.capitalize(),
        key=escape(ticket.key),
        url=link(ticket.url, ticket.url),
    )


def failure_prefix(result: HandOffResult) -> str:
    """Why no ticket was filed (it may quote the ticket system's refusal), before what
    was done instead; "" when no ticket failed."""
    return f"{escape(result.ticket_failure)} " if result.ticket_failure else ""


class TeamsHandOff:
    """The hand-off of one click, out of band: the click (an `Action.Submit` message
    activity, acknowledged in its request with the typing indicator and an empty 202 —
    no invoke body) starts `run` in a background task; the ticket call (a slow Jira or
    Zendesk, with its retries) and the posts happen after the request has ended, and
    the asker is told in the thread through the proactive `continue_conversation`."""

    def __init__(
        self,
        conversation: ConversationService,
        handoff: HandOff,
        adapter: BotAdapter,
        app_id: str,
        *,
        tenant_id: str | None,
        support_hint: str,
    ) -> None:
        self.conversation = conversation
        self.handoff = handoff
        self.adapter = adapter
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.support_hint = support_hint

    async def run(self, reference: ConversationReference, answer_id: int, click: Click) -> None:
        """Escalate and tell the asker in the conversation `reference` names (replying to
        the click). Never raises: a failure ends as the generic apology and a log line."""
        try:
            text = await self._escalate(reference, answer_id, click)
        except asyncio.CancelledError:
            raise
        except Exception:  # top of the hand-off's background task: a log line, an apology
            log.exception("teams hand-off failed answer_id=%d", answer_id)
            text = messages.GENERIC_APOLOGY

        async def reply(ctx: TurnContext) -> None:
            await with_retry(lambda: ctx.send_activity(text_activity(text)), what="handoff")

        try:
            await proactive(self.adapter, self.app_id, reference, reply)
        except Exception as exc:  # still the top of the hand-off's background task
            log.error(
                "teams hand-off reply not delivered answer_id=%d error=%s",
                answer_id,
                type(exc).__name__,
            )

    async def _escalate(
        self, reference: ConversationReference, answer_id: int, click: Click
    ) -> str:
        """The hand-off itself; the text telling the asker what happened."""
        ref = await self.conversation.find_answer(PLATFORM, answer_id=answer_id)
        if ref is None:
            return messages.HANDOFF_GONE
        link = thread_link(ref.thread, self.tenant_id)
        result = await self.handoff.escalate(click, answer_id, link)
        if result.status is HandOffStatus.NOT_HERE:
            return messages.CLICK_NOT_HERE
        if result.status is HandOffStatus.UNKNOWN:
            return messages.HANDOFF_GONE
        if result.status is HandOffStatus.ALREADY:
            return messages.HANDOFF_ALREADY
        if result.ticket is not None:
            return ticket_text(result.ticket)
        return failure_prefix(result) + await self._to_target(reference, result, click.asker)

    async def _to_target(
        self, reference: ConversationReference, result: HandOffResult, asker: Asker
    ) -> str:
        """Post to the target channel; the text telling the asker what happened."""
        if not result.target:
            return messages.HANDOFF_NOBODY.format(support_hint=self.support_hint)
        if not is_channel_id(result.target):
            log.warning("teams hand-off target is not a channel id target=%s", result.target)
            return messages.HANDOFF_TARGET_UNREACHABLE.format(
                target=messages.HANDOFF_TEAMS_TARGET, support_hint=self.support_hint
            )
        target = ConversationReference(
            channel_id=reference.channel_id,
            service_url=reference.service_url,
            bot=reference.bot,
            conversation=ConversationAccount(
                id=result.target,
                is_group=True,
                conversation_type="channel",
                tenant_id=self.tenant_id,
            ),
        )
        text = request_text(result, asker.display_name or messages.HANDOFF_SOMEONE)

        async def post(ctx: TurnContext) -> None:
            await with_retry(lambda: ctx.send_activity(text_activity(text)), what="handoff")

        try:
            await self.adapter.continue_conversation(target, post, self.app_id)
        except TEAMS_SEND_ERRORS as exc:
            log.error("teams hand-off post failed target=%s error=%s", result.target, exc)
            return messages.HANDOFF_TARGET_UNREACHABLE.format(
                target=messages.HANDOFF_TEAMS_TARGET, support_hint=self.support_hint
            )
        return messages.HANDOFF_ASKED.format(target=messages.HANDOFF_TEAMS_TARGET)
