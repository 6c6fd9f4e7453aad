"""👍/👎 on an answer; after a 👎, the offer of "Ask a human".

The vote comes from Slack's `feedback_buttons` element (value `up:<answer id>` or
`down:<answer id>`), or from the hand-made 👍/👎 buttons of answers posted before it (value
the answer id, the action id says which); the conversation service records the vote
against that answer — unless the channel is one the bot may not act in now (checked
afresh at each click: it may have become shared with another organisation since the
answer; the service decides). Replies are ephemeral (only the voter sees them); the
hand-off itself is `bot.adapters.slack.handoff`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.api import slack_error
from bot.adapters.slack.conversations import Directory
from bot.adapters.slack.render import VOTE_DOWN, VOTE_UP, escalate_blocks
from bot.conversation.inbound import Click
from bot.conversation.service import ConversationService, Vote
from bot.models import Asker

log = logging.getLogger(__name__)

PLATFORM = "slack"


def escalation_mention(value: str | None) -> str | None:
    """`S0123ABC` (a user group) → `<!subteam^S0123ABC>`, `U0123ABC` → `<@U0123ABC>`;
    anything else (already `<!subteam^…>`, `@here`, a name) is used as written."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"S[A-Z0-9]{6,}", value):
        return f"<!subteam^{value}>"
    if re.fullmatch(r"[UW][A-Z0-9]{6,}", value):
        return f"<@{value}>"
    if value in ("@here", "@channel"):
        return f"<!{value[1:]}>"
    return value


def feedback_vote(value: str) -> tuple[int, str] | None:
    """`up:42` → (+1, "42"), `down:42` → (-1, "42"); anything else → None."""
    which, _, answer = value.partition(":")
    rating = {VOTE_UP: 1, VOTE_DOWN: -1}.get(which)
    return (rating, answer) if rating is not None and answer else None


async def click_in(directory: Directory, asker: Asker, channel: str, *also: str) -> Click:
    """A click in `channel` as the conversation service sees it: external when it — or
    any of `also` (the channel of the answer clicked on) — is shared with another
    organisation now. Asked of Slack at the click, not taken from the cache; a failed
    look-up counts as external."""
    external = False
    for name in dict.fromkeys((channel, *also)):
        if name:
            external = external or (await directory.conversation(name, fresh=True)).external
    return Click(asker=asker, thread=channel, is_external=external)


def _answer_id(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Feedback:
    def __init__(
        self,
        conversation: ConversationService,
        client: AsyncWebClient,
        directory: Directory,
        *,
        escalation: str | None,
        support_hint: str,
    ) -> None:
        self.conversation = conversation
        self.client = client
        self.directory = directory
        self.mention = escalation_mention(escalation)
        self.support_hint = support_hint

    async def vote(
        self, *, value: str, rating: int, user: str, channel: str, thread_ts: str | None
    ) -> None:
        answer_id = _answer_id(value)
        click = await click_in(self.directory, Asker(PLATFORM, user), channel)
        outcome = await self.conversation.feedback(click, rating, answer_id=answer_id)
        if outcome is Vote.NOT_HERE:
            await self._ephemeral(channel, user, thread_ts, messages.CLICK_NOT_HERE)
        elif outcome is Vote.UNKNOWN or answer_id is None:
            await self._ephemeral(channel, user, thread_ts, messages.SLACK_ANSWER_GONE)
        elif outcome is Vote.THANKS:
            await self._ephemeral(channel, user, thread_ts, messages.FEEDBACK_THANKS)
        elif self.mention:
            text = messages.SLACK_FEEDBACK_SORRY
            await self._ephemeral(
                channel, user, thread_ts, text, blocks=escalate_blocks(text, answer_id)
            )
        else:
            text = messages.SLACK_FEEDBACK_SORRY_NO_ESCALATION.format(
                support_hint=self.support_hint
            )
            await self._ephemeral(channel, user, thread_ts, text)

    async def _ephemeral(
        self,
        channel: str,
        user: str,
        thread_ts: str | None,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=text, thread_ts=thread_ts, blocks=blocks
            )
        except SlackApiError as exc:
            log.warning(
                "slack ephemeral failed channel=%s user=%s error=%s",
                channel,
                user,
                slack_error(exc),
            )
