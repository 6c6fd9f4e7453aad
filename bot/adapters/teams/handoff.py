""" "Ask a person" on Teams: the card action on every answer, and the rendering of the
conversation service's hand-off (`bot.conversation.handoff`). Translates only.

The button is an Adaptive Card `Action.Submit`; Teams sends its `data` back as a
message activity with `value` (no text) in the conversation the card is in. A channel's
escalation target is a Teams channel id (`19:…@thread.tacv2`): the question, the bot's
answer and a link to the thread are posted there as a new post (proactively), and the
asker is told in the thread. Teams has no ephemeral messages, so an unanswered
question in an auto-answer channel gets no offer at all (nothing others would see).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, Attachment, ConversationAccount, ConversationReference

from bot import messages
from bot.adapters.teams.activities import text_activity
from bot.adapters.teams.retry import with_retry
from bot.conversation.handoff import HandOff, HandOffResult, HandOffStatus, request_lines
from bot.conversation.service import ConversationService
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
    return "\n\n".join(request_lines(result, who))


class TeamsHandOff:
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

    async def run(self, turn_context: TurnContext, answer_id: int, asker: Asker) -> None:
        ref = await self.conversation.find_answer(PLATFORM, answer_id=answer_id)
        if ref is None:
            await self._reply(turn_context, messages.HANDOFF_GONE)
            return
        link = thread_link(ref.thread, self.tenant_id)
        result = await self.handoff.escalate(PLATFORM, answer_id, asker, link)
        if result.status is HandOffStatus.UNKNOWN:
            await self._reply(turn_context, messages.HANDOFF_GONE)
        elif result.status is HandOffStatus.ALREADY:
            await self._reply(turn_context, messages.HANDOFF_ALREADY)
        elif result.ticket is not None:
            ticket = result.ticket
            await self._reply(
                turn_context,
                messages.HANDOFF_TICKET.format(
                    system=ticket.system.capitalize(), key=ticket.key, url=ticket.url
                ),
            )
        else:
            prefix = f"{result.ticket_failure} " if result.ticket_failure else ""
            text = await self._to_target(turn_context, result, asker)
            await self._reply(turn_context, prefix + text)

    async def _to_target(
        self, turn_context: TurnContext, result: HandOffResult, asker: Asker
    ) -> str:
        """Post to the target channel; the text telling the asker what happened."""
        if not result.target:
            return messages.HANDOFF_NOBODY.format(support_hint=self.support_hint)
        if not is_channel_id(result.target):
            log.warning("teams hand-off target is not a channel id target=%s", result.target)
            return messages.HANDOFF_TARGET_UNREACHABLE.format(
                target=messages.HANDOFF_TEAMS_TARGET, support_hint=self.support_hint
            )
        activity = turn_context.activity
        reference = ConversationReference(
            channel_id=activity.channel_id,
            service_url=activity.service_url,
            bot=activity.recipient,
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
            await self.adapter.continue_conversation(reference, post, self.app_id)
        except Exception as exc:
            log.error("teams hand-off post failed target=%s error=%s", result.target, exc)
            return messages.HANDOFF_TARGET_UNREACHABLE.format(
                target=messages.HANDOFF_TEAMS_TARGET, support_hint=self.support_hint
            )
        return messages.HANDOFF_ASKED.format(target=messages.HANDOFF_TEAMS_TARGET)

    async def _reply(self, turn_context: TurnContext, text: str) -> Any:
        return await with_retry(
            lambda: turn_context.send_activity(text_activity(text)), what="handoff"
        )
