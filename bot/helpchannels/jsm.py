"""Jira Service Management customer requests (Cloud REST API, `/rest/servicedeskapi`):
what a channel with `--ticket jira:PROJECT_KEY` files when `JIRA_REQUEST_TYPE` is set —
a request in the service desk's queue, with its SLAs, as the portal would create it.

The request API names a service desk and a request type by numeric id, so the channel's
project key is looked up first (`GET /servicedesk`, paged: the desk whose `projectKey`
it is), then the request type by its name (`GET /servicedesk/{id}/requesttype`), and
the request is created (`POST /request` with `requestFieldValues` summary and a plain-
text description: the question, the bot's answer, the thread link and the transcript).
The request is raised by the API user (the bot account, which must be an agent of the
desk or a customer allowed to raise requests); the asker is named in the description.
The link is the request's agent view (`_links.agent`, else `/browse/KEY`). Every
failure is a `TicketError`, as for the other ticket systems.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot import messages
from bot.helpchannels.tickets import (
    Ticket,
    TicketApi,
    TicketError,
    TicketRequest,
    call_json,
    zendesk_body,
)

API = "/rest/servicedeskapi"
PAGE = 50
MAX_PAGES = 20  # 1,000 service desks


def request_description(request: TicketRequest) -> str:
    """The request's description, plain text (JSM renders it as wiki markup)."""
    body = zendesk_body(request)
    if request.requester_name or request.requester_email:
        who = request.requester_name or ""
        if request.requester_email:
            who = f"{who} <{request.requester_email}>".strip()
        body += f"\n{messages.TICKET_ASKED_BY} {who}"
    return body


class JsmRequests(TicketApi):
    name = "jira"

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        project_key: str,
        request_type: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, email, api_token, timeout, transport)
        self.project_key = project_key
        self.request_type = request_type

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return await call_json(
            "jira", self._client, "GET", self.base_url + API + path, params=params
        )

    async def service_desk_id(self) -> str:
        start = 0
        for _page in range(MAX_PAGES):
            body = await self._get("/servicedesk", {"start": str(start), "limit": str(PAGE)})
            values = body.get("values") or []
            for desk in values:
                if isinstance(desk, dict) and desk.get("projectKey") == self.project_key:
                    return str(desk["id"])
            if body.get("isLastPage", True) or not values:
                break
            start += len(values)  # the site may send fewer than asked for
        raise TicketError(
            "jira",
            messages.TICKET_NOT_FOUND.format(system="Jira"),
            detail=f"no service desk for project {self.project_key}",
        )

    async def request_type_id(self, desk_id: str) -> str:
        wanted = self.request_type.strip().casefold()
        body = await self._get(
            f"/servicedesk/{desk_id}/requesttype", {"searchQuery": self.request_type}
        )
        for kind in body.get("values") or []:
            if isinstance(kind, dict) and str(kind.get("name", "")).strip().casefold() == wanted:
                return str(kind["id"])
        reason = messages.TICKET_NO_REQUEST_TYPE.format(
            name=self.request_type, project=self.project_key
        )
        raise TicketError("jira", messages.TICKET_REJECTED.format(system="Jira", reason=reason))

    async def create(self, request: TicketRequest) -> Ticket:
        desk_id = await self.service_desk_id()
        type_id = await self.request_type_id(desk_id)
        payload = {
            "serviceDeskId": desk_id,
            "requestTypeId": type_id,
            "requestFieldValues": {
                "summary": request.subject,
                "description": request_description(request),
            },
        }
        body = await call_json(
            "jira", self._client, "POST", f"{self.base_url}{API}/request", payload=payload
        )
        key = str(body.get("issueKey") or "")
        if not key:
            text = messages.TICKET_UNAVAILABLE.format(system="Jira", status="no request key")
            raise TicketError("jira", text, status=201)
        links = body.get("_links") if isinstance(body.get("_links"), dict) else {}
        url = str((links or {}).get("agent") or f"{self.base_url}/browse/{key}")
        return Ticket("jira", key, url)
