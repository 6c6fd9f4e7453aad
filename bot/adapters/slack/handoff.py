""" "Ask a person" on Slack: renders the conversation service's hand-off
(`bot.conversation.handoff`). Translates only: which ticket or target, whether the
question was already handed off, and whether the bot may act in the channel the click
came from (looked up afresh: it may have been shared since), is the neutral layer's
decision.

Target syntax (a channel's `--escalate-to`, else SLACK_ESCALATION_MENTION): a channel
(`C0…`, `G0…`, `<#C0…|name>`) gets the question, the bot's answer and the thread link
posted into it, and the asker is told in the thread; a user group or user (`S0…`,
`U0…`, `<!subteam^S0…>`) is mentioned in the thread itself with the same details.
"""

from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.api import slack_error
from bot.adapters.slack.conversations import Directory
from bot.adapters.slack.feedback import click_in, escalation_mention
from bot.adapters.slack.render import escape
from bot.conversation.handoff import HandOff, HandOffResult, HandOffStatus, request_lines
from bot.conversation.service import ConversationService
from bot.models import Asker

log = logging.getLogger(__name__)

PLATFORM = "slack"
_CHANNEL = re.compile(r"^(?:<#)?([CG][A-Z0-9]{6,})(?:\|[^>]*)?>?$")


def target_channel(target: str) -> str | None:
    """The channel id when the target names a channel, else None (a mention)."""
    match = _CHANNEL.match(target.strip())
    return match.group(1) if match else None


def request_text(result: HandOffResult, who: str) -> str:
    return "\n".join(request_lines(result, who, escape))


class SlackHandOff:
    def __init__(
        self,
        conversation: ConversationService,
        handoff: HandOff,
        client: AsyncWebClient,
        directory: Directory,
        *,
        support_hint: str,
    ) -> None:
        self.conversation = conversation
        self.handoff = handoff
        self.client = client
        self.directory = directory
        self.support_hint = support_hint

    async def run(self, *, value: str, user: str, channel: str) -> None:
        try:
            answer_id = int(value)
        except (TypeError, ValueError):
            answer_id = -1
        ref = await self.conversation.find_answer(PLATFORM, answer_id=answer_id)
        if ref is None:
            await self._ephemeral(channel, user, messages.HANDOFF_GONE)
            return
        thread_channel, _, thread_ts = ref.thread.partition(":")
        info = await self.directory.user(user)
        asker = Asker(PLATFORM, user, email=info.email, display_name=info.display_name)
        click = await click_in(self.directory, asker, channel, thread_channel)
        link = await self._permalink(thread_channel, thread_ts)
        result = await self.handoff.escalate(click, answer_id, link)
        if result.status is HandOffStatus.NOT_HERE:
            await self._ephemeral(channel, user, messages.CLICK_NOT_HERE)
        elif result.status is HandOffStatus.UNKNOWN:
            await self._ephemeral(channel, user, messages.HANDOFF_GONE)
        elif result.status is HandOffStatus.ALREADY:
            await self._ephemeral(channel, user, messages.HANDOFF_ALREADY)
        elif result.ticket is not None:
            ticket = result.ticket
            text = messages.HANDOFF_TICKET.format(
                system=ticket.system.capitalize(), key=escape(ticket.key), url=escape(ticket.url)
            )
            await self._thread(thread_channel, thread_ts, text)
        else:
            await self._to_target(result, user, thread_channel, thread_ts)

    async def _to_target(
        self, result: HandOffResult, user: str, thread_channel: str, thread_ts: str
    ) -> None:
        # the ticket system's own reason may echo what was sent: text, never a mention
        prefix = f"{escape(result.ticket_failure)} " if result.ticket_failure else ""
        who = f"<@{user}>"
        if not result.target:
            text = messages.HANDOFF_NOBODY.format(support_hint=self.support_hint)
            await self._thread(thread_channel, thread_ts, prefix + text)
            return
        channel = target_channel(result.target)
        if channel is None:  # a user group or a person: mentioned in the thread
            mention = escalation_mention(result.target) or result.target
            text = f"{mention} " + request_text(result, who)
            await self._thread(thread_channel, thread_ts, prefix + text)
            return
        try:
            await self.client.chat_postMessage(channel=channel, text=request_text(result, who))
        except SlackApiError as exc:
            log.error("slack hand-off post failed target=%s error=%s", channel, slack_error(exc))
            text = messages.HANDOFF_TARGET_UNREACHABLE.format(
                target=f"<#{channel}>", support_hint=self.support_hint
            )
            await self._thread(thread_channel, thread_ts, prefix + text)
            return
        text = messages.HANDOFF_ASKED.format(target=f"<#{channel}>")
        await self._thread(thread_channel, thread_ts, prefix + text)

    async def _permalink(self, channel: str, ts: str) -> str:
        if not ts:
            return ""
        try:
            resp = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
            return str(resp.get("permalink") or "")
        except SlackApiError as exc:
            log.warning("slack permalink failed channel=%s error=%s", channel, slack_error(exc))
            return ""

    async def _thread(self, channel: str, thread_ts: str, text: str) -> None:
        try:
            await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts or None, text=text
            )
        except SlackApiError as exc:
            log.error("slack hand-off reply failed channel=%s error=%s", channel, slack_error(exc))

    async def _ephemeral(self, channel: str, user: str, text: str) -> None:
        try:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:
            log.warning("slack ephemeral failed channel=%s error=%s", channel, slack_error(exc))
