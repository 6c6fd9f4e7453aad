"""Tickets for escalated questions: Jira (Cloud REST API v3, `POST /rest/api/3/issue`)
and Zendesk (`POST /api/v2/tickets.json`), each through its real REST API with httpx;
Jira Service Management's customer-request API is in `jsm.py`, the choice of client in
`escalation.py`.

Jira: a channel's ticket project is `jira:PROJECT_KEY`, and the issue API takes the
project key directly (`fields.project.key`), with `JIRA_ISSUE_TYPE`. The description is
Atlassian Document Format (v3 requires it): the question, the bot's answer, the thread
link and the transcript. With `JIRA_REQUEST_TYPE` set the project is a service desk and
a customer request of that type is created instead (`jsm.py`).

Zendesk: a ticket with the same content as its first comment (`public: false`, an
internal note the agents see), the asker as requester when their email is known.

All three clients share one HTTP set-up (`TicketApi`: base URL, an httpx client with
basic auth — Jira `email:api_token`, Zendesk `email/token:api_token`). Every failure
(401/403, 404, 400/422, 429, 5xx, timeout, connection error, unreadable body) becomes
one `TicketError` whose `user_message` says plainly what happened; the caller falls
back to the escalation target.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import messages
from bot.errors import UserFacingError

MAX_RETRY_WAIT = 2.0  # honour a 429/503 Retry-After up to this many seconds, once


class TicketSettings(BaseSettings):
    """Ticket settings, from the environment and `.env` (README, "Help channels")."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    jira_base_url: str | None = None  # https://acme.atlassian.net
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_issue_type: str = "Task"
    # set: `jira:KEY` is a Jira Service Management desk, and a customer request of this
    # request type (its name, e.g. "Get IT help") is created through the JSM API
    jira_request_type: str | None = None
    zendesk_base_url: str | None = None  # https://acme.zendesk.com
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    ticket_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class TicketRequest:
    question: str
    answer: str  # what the bot said ("" when it had nothing)
    thread_url: str
    transcript: Sequence[tuple[str, str]] = ()  # (speaker, text), oldest first
    requester_email: str | None = None
    requester_name: str | None = None
    channel: str = ""
    labels: Sequence[str] = field(default_factory=lambda: ("helpdesk-bot",))

    @property
    def subject(self) -> str:
        line = " ".join(self.question.split())
        return line if len(line) <= 120 else line[:117].rstrip() + "…"


@dataclass(frozen=True)
class Ticket:
    system: str  # jira | zendesk
    key: str  # IT-42 | 35436
    url: str  # where a person opens it


class TicketError(UserFacingError):
    def __init__(
        self, system: str, user_message: str, *, status: int | None = None, detail: str = ""
    ) -> None:
        super().__init__(user_message, log_detail=f"{system} ticket failed: {status} {detail}")
        self.system = system
        self.status = status


class TicketSystem(Protocol):
    name: str

    async def create(self, request: TicketRequest) -> Ticket: ...

    async def aclose(self) -> None: ...


def label(system: str) -> str:
    return {"jira": "Jira", "zendesk": "Zendesk"}.get(system, system)


def _error_for(system: str, response: httpx.Response) -> TicketError:
    status = response.status_code
    name = label(system)
    if status in (401, 403):
        text = messages.TICKET_AUTH.format(system=name, prefix=system.upper())
    elif status == 404:
        text = messages.TICKET_NOT_FOUND.format(system=name)
    elif status == 429:
        text = messages.TICKET_RATE_LIMITED.format(system=name)
    elif status >= 500:
        text = messages.TICKET_UNAVAILABLE.format(system=name, status=status)
    else:
        text = messages.TICKET_REJECTED.format(system=name, reason=_reason(response))
    return TicketError(system, text, status=status, detail=response.text[:300])


def _reason(response: httpx.Response) -> str:
    """A short reason from Jira's `{errorMessages, errors}`, JSM's `{errorMessage}`, Zendesk's
    `{error, description, details}` error bodies."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    parts: list[str] = [str(m) for m in body.get("errorMessages") or []]
    if body.get("errorMessage"):  # Jira Service Management's shape
        parts.append(str(body["errorMessage"]))
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{k}: {v}" for k, v in errors.items()]
    details = body.get("details")
    if isinstance(details, dict):
        for items in details.values():
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("description"):
                    parts.append(str(item["description"]))
    if not parts and body.get("description"):
        parts.append(str(body["description"]))
    return "; ".join(parts)[:200] or f"HTTP {response.status_code}"


async def _post(
    system: str, client: httpx.AsyncClient, url: str, payload: dict[str, Any]
) -> dict[str, Any]:
    return await call_json(system, client, "POST", url, payload=payload)


async def call_json(
    system: str,
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One request to the ticket system; its JSON object, or a `TicketError`."""
    for attempt in (1, 2):
        try:
            response = await client.request(method, url, json=payload, params=params)
        except httpx.TimeoutException as exc:
            text = messages.TICKET_TIMEOUT.format(system=label(system))
            raise TicketError(system, text, detail=repr(exc)) from exc
        except httpx.HTTPError as exc:
            text = messages.TICKET_UNREACHABLE.format(system=label(system))
            raise TicketError(system, text, detail=repr(exc)) from exc
        if response.status_code in (429, 503) and attempt == 1:
            wait = _retry_after(response)
            if wait is not None and wait <= MAX_RETRY_WAIT:
                await asyncio.sleep(wait)
                continue
        if response.status_code not in (200, 201):
            raise _error_for(system, response)
        try:
            body = response.json()
        except ValueError as exc:
            text = messages.TICKET_UNAVAILABLE.format(system=label(system), status="bad body")
            raise TicketError(system, text, status=response.status_code) from exc
        if not isinstance(body, dict):
            text = messages.TICKET_UNAVAILABLE.format(system=label(system), status="bad body")
            raise TicketError(system, text, status=response.status_code)
        return body
    raise AssertionError("unreachable")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class TicketApi:
    """What every ticket client shares: the site's base URL (no trailing slash) and one
    httpx client — basic auth, JSON accepted, the ticket timeout — closed by `aclose`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        api_token: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            auth=httpx.BasicAuth(username, api_token),
            timeout=timeout,
            headers={"Accept": "application/json"},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


# ------------------------------------------------------------------ Jira
def _adf_text(text: str, bold: bool = False, link: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    marks: list[dict[str, Any]] = []
    if bold:
        marks.append({"type": "strong"})
    if link:
        marks.append({"type": "link", "attrs": {"href": link}})
    if marks:
        node["marks"] = marks
    return node


def _adf_paragraph(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": [c for c in content if c.get("text")]}


def jira_description(request: TicketRequest) -> dict[str, Any]:
    """The issue description in Atlassian Document Format."""
    blocks = [
        _adf_paragraph(_adf_text(messages.TICKET_QUESTION, bold=True), _adf_text(request.question)),
        _adf_paragraph(
            _adf_text(messages.TICKET_BOT_ANSWER, bold=True),
            _adf_text(request.answer or messages.TICKET_NO_ANSWER),
        ),
        _adf_paragraph(
            _adf_text(messages.TICKET_THREAD, bold=True),
            _adf_text(request.thread_url, link=request.thread_url),
        ),
    ]
    if request.requester_name or request.requester_email:
        who = request.requester_name or ""
        if request.requester_email:
            who = f"{who} <{request.requester_email}>".strip()
        blocks.append(
            _adf_paragraph(_adf_text(messages.TICKET_ASKED_BY, bold=True), _adf_text(who))
        )
    if request.transcript:
        blocks.append({"type": "heading", "attrs": {"level": 3}, "content": [
            _adf_text(messages.TICKET_TRANSCRIPT)
        ]})  # fmt: skip
        for speaker, text in request.transcript:
            blocks.append(_adf_paragraph(_adf_text(f"{speaker}: ", bold=True), _adf_text(text)))
    return {"type": "doc", "version": 1, "content": blocks}


class JiraTickets(TicketApi):
    name = "jira"

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        project_key: str,
        issue_type: str = "Task",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, email, api_token, timeout, transport)
        self.project_key = project_key
        self.issue_type = issue_type

    async def create(self, request: TicketRequest) -> Ticket:
        payload = {
            "fields": {
                "project": {"key": self.project_key},
                "issuetype": {"name": self.issue_type},
                "summary": request.subject,
                "description": jira_description(request),
                "labels": list(request.labels),
            }
        }
        body = await _post("jira", self._client, f"{self.base_url}/rest/api/3/issue", payload)
        key = str(body.get("key") or "")
        if not key:
            text = messages.TICKET_UNAVAILABLE.format(system="Jira", status="no issue key")
            raise TicketError("jira", text, status=201)
        return Ticket("jira", key, f"{self.base_url}/browse/{key}")


# ------------------------------------------------------------------ Zendesk
def zendesk_body(request: TicketRequest) -> str:
    lines = [
        f"{messages.TICKET_QUESTION} {request.question}",
        f"{messages.TICKET_BOT_ANSWER} {request.answer or messages.TICKET_NO_ANSWER}",
        f"{messages.TICKET_THREAD} {request.thread_url}",
    ]
    if request.transcript:
        lines += ["", messages.TICKET_TRANSCRIPT]
        lines += [f"{speaker}: {text}" for speaker, text in request.transcript]
    return "\n".join(lines)


class ZendeskTickets(TicketApi):
    name = "zendesk"

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, f"{email}/token", api_token, timeout, transport)

    async def create(self, request: TicketRequest) -> Ticket:
        ticket: dict[str, Any] = {
            "subject": request.subject,
            "comment": {"body": zendesk_body(request), "public": False},
            "tags": [t.replace(" ", "_") for t in request.labels],
        }
        if request.requester_email:
            ticket["requester"] = {
                "email": request.requester_email,
                "name": request.requester_name or request.requester_email,
            }
        body = await _post(
            "zendesk", self._client, f"{self.base_url}/api/v2/tickets.json", {"ticket": ticket}
        )
        created = body.get("ticket")
        ticket_id = created.get("id") if isinstance(created, dict) else None
        if ticket_id is None:
            text = messages.TICKET_UNAVAILABLE.format(system="Zendesk", status="no ticket id")
            raise TicketError("zendesk", text, status=201)
        return Ticket("zendesk", str(ticket_id), f"{self.base_url}/agent/tickets/{ticket_id}")
