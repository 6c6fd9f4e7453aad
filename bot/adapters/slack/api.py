"""Small helpers around the Slack Web API client."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientError, FormData
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}
# Slack methods that post a message and accept the unfurl flags (chat.postEphemeral,
# chat.update and the chat.*Stream methods take none: they do not unfurl)
UNFURLING_METHODS = frozenset({"chat.postMessage", "chat.scheduleMessage"})
# what a Web API or response_url call raises when Slack did not take it: Slack's error
# answer or a request the SDK refused (SlackClientError), the HTTP layer (aiohttp), the
# network or a timeout (OSError)
SLACK_CALL_ERRORS: tuple[type[Exception], ...] = (SlackClientError, ClientError, OSError)


class SlackClient(AsyncWebClient):
    """`AsyncWebClient` whose every posted message has link and media previews off:
    a document's link in an answer never unfurls its page (title, image, text) into a
    channel. The one place this is decided, for Bolt's `say` as for our own calls."""

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        if api_method in UNFURLING_METHODS:
            if json is not None:
                json = {**json, **NO_UNFURL}
            elif isinstance(data, dict):
                data = {**data, **NO_UNFURL}
            else:
                params = {**(params or {}), **NO_UNFURL}
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (`channel_not_found`...), or the HTTP status when the body
    was not Slack's JSON."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{getattr(exc.response, 'status_code', '?')}"
