"""Targeted messages: a message in a channel or group chat that only one member sees
(Teams shows it tagged "Only you can see this message" and removes it after 24 hours) —
the Teams counterpart of Slack's ephemeral message. A public developer preview of
Teams, so it is used only with `TEAMS_TARGETED_OFFERS=true`.

On the wire it is the ordinary send with one query parameter,
`POST {serviceUrl}/v3/conversations/{id}/activities?isTargetedActivity=true`, whose
`recipient` is the member. botbuilder 4.17 (the last release) has no call for it, so
the request is built here on the turn's own connector client: same base URL, same
credentials, same error answers (`ErrorResponseException`) as its `send_activity`.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity
from botframework.connector.models import ErrorResponseException

from bot.adapters.teams.retry import with_retry

TARGETED_QUERY = {"isTargetedActivity": "true"}
_SEND_URL = "/v3/conversations/{conversationId}/activities"


def addressed_to_member(ctx: TurnContext, activity: Activity) -> Activity:
    """`activity` addressed like a reply in this turn: from the bot, in the turn's
    conversation (a channel's reply chain included), to the member whose message the
    turn answers (the `recipient` the targeted message is shown to)."""
    reference = TurnContext.get_conversation_reference(ctx.activity)
    return TurnContext.apply_conversation_reference(activity, reference)


async def send_targeted(ctx: TurnContext, activity: Activity) -> str | None:
    """Send `activity` (addressed by `addressed_to_member`) as a targeted message; its id.
    Raises what the connector's send raises (`TEAMS_SEND_ERRORS`) when it is refused —
    e.g. 400 where the tenant has no targeted messages, 403 when the bot is not in the
    conversation — and then nothing was posted."""
    if activity.recipient is None or not activity.recipient.id:
        raise ValueError("a targeted message needs its recipient")
    client: Any = ctx.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
    operations: Any = client.conversations

    async def post() -> Any:
        conversation_id = operations._serialize.url(
            "conversation_id", activity.conversation.id, "str"
        )
        url = operations._client.format_url(_SEND_URL, conversationId=conversation_id)
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json; charset=utf-8",
        }
        body = operations._serialize.body(activity, "Activity")
        request = operations._client.post(url, dict(TARGETED_QUERY), headers, body)
        response = await operations._client.async_send(request, stream=False)
        if response.status_code not in (200, 201, 202):
            raise ErrorResponseException(operations._deserialize, response)
        return operations._deserialize("ResourceResponse", response)

    sent = await with_retry(post, what="targeted")
    return getattr(sent, "id", None) or None
