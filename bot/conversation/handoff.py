"""Hand-off to a person, platform-neutral: "Ask a person" on an answer (or on the
private offer after an unanswered question in a help channel) becomes a ticket or a
message to the channel's escalation target.

`HandOff.escalate` first checks the conversation the click came from: where the bot may
not act now (`ConversationService.allowed_here`: e.g. a channel shared with another
organisation since the answer was given, with ALLOW_EXTERNAL_CHANNELS=false) nothing is
copied anywhere — no post, no ticket — and the adapter tells the clicker why. Then it
claims the answer (one hand-off per question: a second click is told
someone was already asked), files a ticket when the channel has a ticket project
(`bot.helpchannels.escalation.escalate`), and otherwise — or when the ticket fails, with
the plain reason for the asker — names the escalation target: the channel's, else the
platform's default (Slack: SLACK_ESCALATION_MENTION). The hand-off is recorded, so the
knowledge-gap report counts escalated questions. The adapter posts the result: to the
target (a channel, or a mention of a user group in the thread) and tells the asker.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from bot import messages
from bot.conversation.inbound import Click
from bot.conversation.store import ChatStore
from bot.helpchannels.channels import ChannelSettingsLookup
from bot.helpchannels.escalation import escalate
from bot.helpchannels.gap_records import channel_of
from bot.helpchannels.tickets import Ticket, TicketRequest, TicketSettings

log = logging.getLogger(__name__)

TRANSCRIPT_TURNS = 20


class HandOffStatus(enum.Enum):
    DONE = "done"  # a ticket, or a target to post to (or neither: nobody to ask)
    ALREADY = "already"  # this question was already handed off
    UNKNOWN = "unknown"  # no such answer on record (pruned, another platform)
    NOT_HERE = "not_here"  # clicked where the bot may not act now: nothing was copied


@dataclass(frozen=True)
class HandOffResult:
    status: HandOffStatus
    thread: str = ""  # the chat store's key of the thread the question was asked in
    question: str = ""
    answer: str = ""  # the bot's answer ("" when it had nothing grounded)
    thread_url: str = ""
    ticket: Ticket | None = None
    target: str | None = None  # where to post the hand-off (platform syntax), None: nobody
    ticket_failure: str | None = None  # the ticket failed: this is the plain reason
    # the answer was given privately (a DM, a private `/helpdesk ask` reply): it may quote
    # documents only the asker may read, so it is never copied to the target or a ticket
    answer_private: bool = False


class HandOff:
    def __init__(
        self,
        store: ChatStore,
        lookup: ChannelSettingsLookup,
        tickets: TicketSettings,
        *,
        allowed_here: Callable[[Click], bool],
        default_targets: Mapping[str, str | None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.lookup = lookup
        self.tickets = tickets
        self.allowed_here = allowed_here  # the conversation service's decision
        self.default_targets = dict(default_targets or {})
        self.transport = transport

    async def escalate(self, click: Click, answer_id: int, thread_url: str) -> HandOffResult:
        platform, asker = click.platform, click.asker
        if not self.allowed_here(click):
            log.info(
                "%s hand-off refused in conversation %s answer_id=%d",
                platform,
                click.thread,
                answer_id,
            )
            return HandOffResult(HandOffStatus.NOT_HERE)
        row = await asyncio.to_thread(self.store.answer_record, answer_id)
        if row is None or row["platform"] != platform:
            return HandOffResult(HandOffStatus.UNKNOWN)
        thread = str(row["conversation"])
        question = str(row["question"])
        channel_id, is_dm = channel_of(platform, thread)
        private = is_dm or ":command:" in thread
        answer = str(row["answer"]) if row["grounded"] and not private else ""
        if not await asyncio.to_thread(self.store.claim_escalation, answer_id, asker.user_id):
            log.info("%s hand-off already done answer_id=%d", platform, answer_id)
            return HandOffResult(
                HandOffStatus.ALREADY, thread, question, answer, thread_url, answer_private=private
            )
        channel = None if is_dm else await asyncio.to_thread(self.lookup.get, channel_id)
        transcript = await asyncio.to_thread(
            self.store.recent_turns, platform, thread, TRANSCRIPT_TURNS
        )
        request = TicketRequest(
            question=question,
            answer=messages.TICKET_ANSWER_PRIVATE if private else answer,
            thread_url=thread_url,
            transcript=[
                (
                    (
                        messages.TICKET_SPEAKER_BOT
                        if role == "assistant"
                        else messages.TICKET_SPEAKER_ASKER
                    ),
                    text,
                )
                for role, text in transcript
                if not (private and role == "assistant")
            ],
            requester_email=asker.email,
            requester_name=asker.display_name,
            channel=channel_id,
        )
        outcome = await escalate(channel, request, self.tickets, self.transport)
        target = outcome.escalate_to or self.default_targets.get(platform)
        await asyncio.to_thread(
            self.store.finish_escalation,
            answer_id,
            outcome.ticket.key if outcome.ticket else None,
            None if outcome.ticket else target,
        )
        log.info(
            "%s hand-off answer_id=%d channel=%s ticket=%s target=%s ticket_failed=%s",
            platform,
            answer_id,
            channel_id,
            outcome.ticket.key if outcome.ticket else None,
            None if outcome.ticket else target,
            outcome.ticket_failure is not None,
        )
        return HandOffResult(
            HandOffStatus.DONE,
            thread,
            question,
            answer,
            thread_url,
            ticket=outcome.ticket,
            target=None if outcome.ticket else target,
            ticket_failure=outcome.ticket_failure,
            answer_private=private,
        )


def request_lines(result: HandOffResult, who: str, escape: Callable[[str], str] = str) -> list[str]:
    """The hand-off request as the escalation target reads it, one line per part;
    `escape` is the surface's text escaping (Slack mrkdwn), applied to user text."""
    lines = [
        messages.HANDOFF_REQUEST.format(who=who),
        messages.HANDOFF_QUESTION.format(question=escape(result.question)),
        messages.HANDOFF_ANSWER_PRIVATE
        if result.answer_private
        else messages.HANDOFF_ANSWER.format(answer=escape(result.answer))
        if result.answer
        else messages.HANDOFF_NO_ANSWER,
    ]
    if result.thread_url:
        lines.append(messages.HANDOFF_THREAD.format(url=result.thread_url))
    return lines
