"""The auto-answer gate and the escalation hand-off, without a chat surface."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import messages
from bot.helpchannels.channels import (
    ChannelSettings,
    ChannelSettingsLookup,
    ChannelSettingsRepository,
    TicketTarget,
)
from bot.helpchannels.escalation import escalate
from bot.helpchannels.gate import AutoAnswerGate, ChannelMessage
from bot.helpchannels.tickets import TicketRequest, TicketSettings
from connectors.state import StateStore
from tests.fakes.jira_server import FakeJira


def _msg(text: str = "How do I reset my password?", **kw: object) -> ChannelMessage:
    fields: dict[str, object] = {
        "channel_id": "C0HELP",
        "user_id": "U0ANA",
        "text": text,
        "from_bot": False,
        "is_new_message": True,
        "is_top_level": True,
    }
    fields.update(kw)
    return ChannelMessage(**fields)  # type: ignore[arg-type]


def test_the_gate_answers_only_questions_from_people_in_auto_answer_channels(
    state: StateStore,
) -> None:
    repo = ChannelSettingsRepository(state.engine)
    repo.update("C0HELP", auto_answer=True)
    repo.update("C0QUIET", auto_answer=False)
    now = [0.0]
    gate = AutoAnswerGate(ChannelSettingsLookup(repo, clock=lambda: now[0]), clock=lambda: now[0])
    assert gate.decide(_msg()).answer
    assert gate.decide(_msg(from_bot=True)).reason == "from a bot"
    assert gate.decide(_msg(is_new_message=False)).reason == "not a new message"
    assert gate.decide(_msg(is_top_level=False)).reason == "thread reply"
    assert gate.decide(_msg(channel_id="C0QUIET")).reason == "auto-answer off"
    assert gate.decide(_msg(channel_id="C0NEW")).reason == "auto-answer off"
    assert gate.decide(_msg("Thanks, that worked!")).reason.startswith("not a question")
    # three auto-answers a minute per person, then silence until the minute has passed
    assert gate.decide(_msg(user_id="U0BEN")).answer
    assert gate.decide(_msg(user_id="U0BEN")).answer
    assert gate.decide(_msg(user_id="U0BEN")).answer
    assert gate.decide(_msg(user_id="U0BEN")).reason == "rate limited"
    assert gate.decide(_msg(user_id="U0CAS")).answer
    now[0] += 61
    assert gate.decide(_msg(user_id="U0BEN")).answer


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    site = FakeJira().start()
    yield site
    site.stop()


REQUEST = TicketRequest("Who approves overtime?", "", "https://acme.slack.com/archives/C0HELP/p1")


async def test_escalation_files_a_ticket_or_falls_back_with_the_reason(
    jira: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    settings = TicketSettings(
        _env_file=None, jira_base_url=jira.url, jira_email=jira.email, jira_api_token=jira.token
    )
    channel = ChannelSettings("C0HELP", escalate_to="S0SUPPORT", ticket=TicketTarget("jira", "IT"))
    done = await escalate(channel, REQUEST, settings)
    assert done.ticket is not None and done.ticket.key == "IT-1"
    assert done.ticket_failure is None
    jira.fail(500)
    failed = await escalate(channel, REQUEST, settings)
    assert failed.ticket is None and failed.escalate_to == "S0SUPPORT"
    assert failed.ticket_failure == messages.TICKET_UNAVAILABLE.format(system="Jira", status=500)
    assert len(jira.issues) == 1
    plain = await escalate(ChannelSettings("C0HELP", escalate_to="C0ONCALL"), REQUEST, settings)
    assert plain.ticket is None and plain.escalate_to == "C0ONCALL" and plain.ticket_failure is None
    unset = await escalate(channel, REQUEST, TicketSettings(_env_file=None))
    assert unset.escalate_to == "S0SUPPORT" and "JIRA_BASE_URL" in (unset.ticket_failure or "")
