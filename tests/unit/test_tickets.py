"""Tickets through the real Jira and Zendesk REST shapes (local fake servers): the
right fields, and every failure as one TicketError with a plain message."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot import messages
from bot.helpchannels.channels import TicketTarget
from bot.helpchannels.escalation import ticket_system
from bot.helpchannels.jsm import JsmRequests
from bot.helpchannels.tickets import (
    JiraTickets,
    TicketError,
    TicketRequest,
    TicketSettings,
    ZendeskTickets,
)
from tests.fakes.jira_server import FakeJira
from tests.fakes.zendesk_server import FakeZendesk

REQUEST = TicketRequest(
    question="How do I get VPN access for a contractor?",
    answer="I couldn't find anything about contractor VPN access.",
    thread_url="https://acme.slack.com/archives/C0HELP/p1733300000000100",
    transcript=(("Asker", "How do I get VPN access for a contractor?"), ("Helpdesk", "No idea")),
    requester_email="ana@example.com",
    requester_name="Ana",
)


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    site = FakeJira().start()
    yield site
    site.stop()


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    site = FakeZendesk().start()
    yield site
    site.stop()


def _jira(
    site: FakeJira, project: str = "IT", token: str | None = None, timeout: float = 5
) -> JiraTickets:
    return JiraTickets(site.url, site.email, token or site.token, project, timeout=timeout)


def _zendesk(site: FakeZendesk, token: str | None = None, timeout: float = 5) -> ZendeskTickets:
    return ZendeskTickets(site.url, site.email, token or site.token, timeout=timeout)


def _adf_text(node: object) -> str:
    if isinstance(node, dict):
        return str(node.get("text", "")) + "".join(_adf_text(c) for c in node.get("content", []))
    return ""


async def test_jira_issue_has_the_question_answer_thread_link_and_transcript(
    jira: FakeJira,
) -> None:
    ticket = await _jira(jira).create(REQUEST)
    assert ticket.key == "IT-1"
    assert ticket.url == f"{jira.url}/browse/IT-1"
    [issue] = jira.issues
    fields = issue["fields"]
    assert fields["project"] == {"key": "IT"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == REQUEST.question
    text = _adf_text(fields["description"])
    assert REQUEST.answer in text and "No idea" in text and "ana@example.com" in text
    links = [
        m["attrs"]["href"]
        for block in fields["description"]["content"]
        for node in block.get("content", [])
        for m in node.get("marks", [])
        if m["type"] == "link"
    ]
    assert links == [REQUEST.thread_url]


async def test_zendesk_ticket_has_the_fields_and_an_agent_link(zendesk: FakeZendesk) -> None:
    ticket = await _zendesk(zendesk).create(REQUEST)
    assert ticket.key == "35436"
    assert ticket.url == f"{zendesk.url}/agent/tickets/35436"
    [stored] = zendesk.tickets
    assert stored["subject"] == REQUEST.question
    assert REQUEST.thread_url in stored["description"] and "No idea" in stored["description"]
    assert stored["requester"] == {"email": "ana@example.com", "name": "Ana"}
    assert stored["tags"] == ["helpdesk-bot"] and stored["comment_public"] is False


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (500, None, {}, messages.TICKET_UNAVAILABLE.format(system="Jira", status=500)),
        (429, None, {"Retry-After": "30"}, messages.TICKET_RATE_LIMITED.format(system="Jira")),
        (403, {"errorMessages": ["No permission"], "errors": {}}, {},
         messages.TICKET_AUTH.format(system="Jira", prefix="JIRA")),
    ],
)  # fmt: skip
async def test_jira_failures_raise_one_typed_error(
    jira: FakeJira, status: int, body: object, headers: dict[str, str], expected: str
) -> None:
    jira.fail(status, body, headers=headers)
    with pytest.raises(TicketError) as err:
        await _jira(jira).create(REQUEST)
    assert err.value.user_message == expected
    assert jira.issues == []


async def test_jira_bad_credentials_unknown_project_and_timeout(jira: FakeJira) -> None:
    with pytest.raises(TicketError) as err:
        await _jira(jira, token="wrong").create(REQUEST)
    assert err.value.status == 401 and "JIRA_API_TOKEN" in err.value.user_message
    with pytest.raises(TicketError) as err:
        await _jira(jira, project="NOPE").create(REQUEST)
    assert err.value.user_message == messages.TICKET_REJECTED.format(
        system="Jira", reason="project: Specify a valid project ID or key"
    )
    jira.fail(201, "{}", delay=1.5)
    with pytest.raises(TicketError) as err:
        await _jira(jira, timeout=0.5).create(REQUEST)
    assert err.value.user_message == messages.TICKET_TIMEOUT.format(system="Jira")


async def test_a_short_retry_after_is_honoured_once(jira: FakeJira, zendesk: FakeZendesk) -> None:
    jira.fail(429, {"errorMessages": ["Rate limit exceeded"]}, headers={"Retry-After": "0"})
    assert (await _jira(jira).create(REQUEST)).key == "IT-1"
    zendesk.fail(429, {"error": "TooManyRequests"}, headers={"Retry-After": "0"}, times=2)
    with pytest.raises(TicketError) as err:
        await _zendesk(zendesk).create(REQUEST)
    assert err.value.user_message == messages.TICKET_RATE_LIMITED.format(system="Zendesk")
    assert zendesk.tickets == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, messages.TICKET_AUTH.format(system="Zendesk", prefix="ZENDESK")),
        (500, messages.TICKET_UNAVAILABLE.format(system="Zendesk", status=500)),
        (503, messages.TICKET_UNAVAILABLE.format(system="Zendesk", status=503)),
    ],
)
async def test_zendesk_failures_raise_one_typed_error(
    zendesk: FakeZendesk, status: int, expected: str
) -> None:
    client = _zendesk(zendesk, token="wrong") if status == 401 else _zendesk(zendesk)
    if status != 401:
        zendesk.fail(status)
    with pytest.raises(TicketError) as err:
        await client.create(REQUEST)
    assert err.value.user_message == expected
    assert zendesk.tickets == []


async def test_zendesk_validation_error_and_timeout(zendesk: FakeZendesk) -> None:
    zendesk.fail(
        422,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {"requester": [{"description": "Requester: Email is invalid"}]},
        },
    )
    with pytest.raises(TicketError) as err:
        await _zendesk(zendesk).create(REQUEST)
    assert "Requester: Email is invalid" in err.value.user_message
    zendesk.fail(201, json.dumps({"ticket": {"id": 1}}), delay=1.5)
    with pytest.raises(TicketError) as err:
        await _zendesk(zendesk, timeout=0.5).create(REQUEST)
    assert err.value.user_message == messages.TICKET_TIMEOUT.format(system="Zendesk")


async def test_an_unreachable_server_and_missing_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TicketError) as err:
        await ZendeskTickets("http://127.0.0.1:9", "a@b.c", "t", timeout=2).create(REQUEST)
    assert err.value.user_message == messages.TICKET_UNREACHABLE.format(system="Zendesk")
    for key in ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(TicketError) as err:
        ticket_system(TicketTarget("jira", "IT"), TicketSettings(_env_file=None))
    assert "JIRA_BASE_URL" in err.value.user_message


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, jira: FakeJira) -> None:
    monkeypatch.setenv("JIRA_BASE_URL", jira.url)
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", "jira-token")
    monkeypatch.setenv("JIRA_ISSUE_TYPE", "[System] Service request")
    client = ticket_system(TicketTarget("jira", "IT"), TicketSettings(_env_file=None))
    assert isinstance(client, JiraTickets)
    assert client.issue_type == "[System] Service request" and client.project_key == "IT"


# ------------------------------------------------------------------ Jira Service Management
def _jsm(site: FakeJira, project: str = "IT", request_type: str = "Get IT help") -> JsmRequests:
    return JsmRequests(site.url, site.email, site.token, project, request_type, timeout=5)


async def test_a_jsm_customer_request_is_filed_in_the_projects_service_desk() -> None:
    # the desk is on the second page of service desks
    desks = {"HR": ("2", {"Ask HR": "21"}), "IT": ("4", {"Get IT help": "31", "Other": "39"})}
    site = FakeJira(service_desks=desks, desk_page_size=1).start()
    try:
        ticket = await _jsm(site, request_type="get it HELP").create(REQUEST)
    finally:
        site.stop()
    assert ticket.key == "IT-1" and ticket.url == f"{site.url}/browse/IT-1"
    (filed,) = site.customer_requests
    assert filed["serviceDeskId"] == "4" and filed["requestTypeId"] == "31"
    values = filed["requestFieldValues"]
    assert values["summary"] == REQUEST.question
    for part in (REQUEST.answer, REQUEST.thread_url, "No idea", "ana@example.com"):
        assert part in values["description"]
    assert site.issues == []  # not the plain issue API
    paths = [path.split("?")[0] for path, _ in site.requests]
    assert paths == [
        "/rest/servicedeskapi/servicedesk",
        "/rest/servicedeskapi/servicedesk",
        "/rest/servicedeskapi/servicedesk/4/requesttype",
        "/rest/servicedeskapi/request",
    ]


async def test_jsm_unknown_desk_or_request_type_and_failures_are_one_plain_error(
    jira: FakeJira,
) -> None:
    with pytest.raises(TicketError) as err:
        await _jsm(jira, project="OPS").create(REQUEST)
    assert err.value.user_message == messages.TICKET_NOT_FOUND.format(system="Jira")
    with pytest.raises(TicketError) as err:
        await _jsm(jira, request_type="Order a unicorn").create(REQUEST)
    assert "Order a unicorn" in err.value.user_message
    assert err.value.user_message.startswith("I couldn't create a Jira ticket")
    jira.fail(500, times=1)
    with pytest.raises(TicketError) as err:
        await _jsm(jira).create(REQUEST)
    assert err.value.user_message == messages.TICKET_UNAVAILABLE.format(system="Jira", status=500)
    jira.service_desks["IT"][1]["Get IT help"] = "31"
    jira.fail(400, {"errorMessage": "Summary: field is required."})
    with pytest.raises(TicketError) as err:
        await _jsm(jira).create(REQUEST)
    assert "Summary: field is required." in err.value.user_message
    assert jira.customer_requests == []


def test_a_request_type_setting_makes_jira_projects_service_desks(
    monkeypatch: pytest.MonkeyPatch, jira: FakeJira
) -> None:
    monkeypatch.setenv("JIRA_BASE_URL", jira.url)
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", "jira-token")
    monkeypatch.setenv("JIRA_REQUEST_TYPE", "Get IT help")
    client = ticket_system(TicketTarget("jira", "IT"), TicketSettings(_env_file=None))
    assert isinstance(client, JsmRequests)
    assert client.request_type == "Get IT help" and client.project_key == "IT"
