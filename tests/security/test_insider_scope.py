"""Issue 11 point 7: personal (DM) scope only for a positively known insider.

Slack: a DM gets the asker's documents only when users.info shows a full member of the
installing workspace — a guest (single- or multi-channel), a Slack Connect stranger, a
deactivated user or a member of another workspace gets public documents, even with the
entitled email. Teams: only `msteams`, an explicit `personal` conversation and our tenant.
The restricted page never reaches the reply nor the request sent to Claude; the positive
control (the full member in her DM) gets it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.embedder import OnnxEmbedding
from tests.fakes.claude import FakeClaude
from tests.scenario import slack_harness as slack
from tests.scenario import teams_harness as teams

QUESTION = "What are the salary bands for an L3 engineer?"
RESTRICTED = "Salary bands 2026"  # the restricted page's title
EMAIL = slack.HANNAH[1]  # in hr-team: entitled to the restricted page

Factory = Callable[..., Awaitable[slack.SlackHarness]]


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return slack.synced_index(tmp_path_factory, onnx_embedder)


@pytest.fixture
def claude() -> FakeClaude:
    fake = FakeClaude()
    fake.reply([("See the salary bands page", (0, "bands"))])
    return fake


def sent_to_claude(claude: FakeClaude) -> str:
    return json.dumps(claude.requests)


@pytest.fixture
async def harness(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude
) -> AsyncIterator[slack.SlackHarness]:
    services = slack.make_services(synced_dir, tmp_path, onnx_embedder, claude)
    h = await slack.start_harness(services)
    yield h
    await slack.stop_harness(h)


SLACK_OUTSIDERS: dict[str, dict[str, Any]] = {
    "multi-channel guest": {"is_restricted": True},
    "single-channel guest": {"is_restricted": True, "is_ultra_restricted": True},
    "slack connect stranger": {"is_stranger": True},
    "deactivated": {"deleted": True},
    "other workspace": {"team_id": "T0OTHERORG"},
    "no guest flags in users.info": {"is_restricted": None},
}


@pytest.mark.parametrize("kind", list(SLACK_OUTSIDERS))
async def test_slack_dm_of_someone_not_a_full_member_gets_public_documents_only(
    harness: slack.SlackHarness, claude: FakeClaude, kind: str
) -> None:
    h = harness
    flags = dict(SLACK_OUTSIDERS[kind])
    if flags.get("is_restricted", False) is None:
        flags.pop("is_restricted")
        h.fake.add_user("U0OUTSIDE", EMAIL, "Outsider")
        del h.fake.users["U0OUTSIDE"]["is_restricted"]
    else:
        h.fake.add_user("U0OUTSIDE", EMAIL, "Outsider", **flags)
    h.fake.add_channel("D0OUTSIDE", is_im=True, user="U0OUTSIDE")
    ev = slack.message("D0OUTSIDE", "U0OUTSIDE", QUESTION, channel_type="im")
    await h.event(ev)
    await h.settle()
    [answer] = h.fake.answers_in("D0OUTSIDE", ev["ts"])
    assert RESTRICTED not in answer.text + json.dumps(answer.blocks)
    assert RESTRICTED not in sent_to_claude(claude)


async def test_slack_full_member_in_her_dm_gets_the_restricted_page(
    harness: slack.SlackHarness, claude: FakeClaude
) -> None:
    h = harness
    ev = slack.message(slack.DM_HANNAH, slack.HANNAH[0], QUESTION, channel_type="im")
    await h.event(ev)
    await h.settle()
    [answer] = h.fake.answers_in(slack.DM_HANNAH, ev["ts"])
    assert RESTRICTED in json.dumps(answer.blocks)
    assert RESTRICTED in sent_to_claude(claude)


async def test_slack_failed_users_info_is_not_an_insider_even_for_a_real_member(
    harness: slack.SlackHarness, claude: FakeClaude
) -> None:
    h = harness
    h.fake.fail("users.info", "internal_error")  # Hannah is a full member, but unknown now
    ev = slack.message(slack.DM_HANNAH, slack.HANNAH[0], QUESTION, channel_type="im")
    await h.event(ev)
    await h.settle()
    [answer] = h.fake.answers_in(slack.DM_HANNAH, ev["ts"])
    assert RESTRICTED not in answer.text + json.dumps(answer.blocks)
    assert RESTRICTED not in sent_to_claude(claude)


async def test_slack_helpdesk_ask_by_a_guest_is_answered_from_public_documents(
    harness: slack.SlackHarness, claude: FakeClaude
) -> None:
    h = harness
    h.fake.add_user("U0GUEST01", EMAIL, "Guest", is_restricted=True)
    await h.command(f"ask {QUESTION}", "U0GUEST01", slack.PUBLIC)
    await h.settle()
    [reply] = [c for c in h.fake.calls_to("chat.postEphemeral")]
    assert RESTRICTED not in json.dumps(reply.args)
    assert RESTRICTED not in sent_to_claude(claude)


# ---------------------------------------------------------------------- Teams
def hannah_personal(service_url: str, chat: str) -> dict[str, Any]:
    return teams.personal_message(service_url, QUESTION, teams.HANNAH, chat)


def no_conversation_type(activity: dict[str, Any]) -> None:
    del activity["conversation"]["conversationType"]


def other_tenant(activity: dict[str, Any]) -> None:
    activity["conversation"]["tenantId"] = "0b0b0b0b-1111-2222-3333-444444444444"
    activity["channelData"] = {"tenant": {"id": "0b0b0b0b-1111-2222-3333-444444444444"}}


def not_msteams(activity: dict[str, Any]) -> None:
    activity["channelId"] = "webchat"


def tenants_disagree(activity: dict[str, Any]) -> None:
    activity["channelData"] = {"tenant": {"id": "0b0b0b0b-1111-2222-3333-444444444444"}}


TEAMS_OUTSIDERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "missing conversation type": no_conversation_type,
    "another tenant": other_tenant,
    "not the msteams channel": not_msteams,
    "conversation and channelData tenants disagree": tenants_disagree,
}


@pytest.mark.parametrize("kind", [*TEAMS_OUTSIDERS, "no tenant configured", "positive control"])
async def test_teams_personal_scope_only_on_msteams_personal_chats_of_our_tenant(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude, kind: str
) -> None:
    # without MicrosoftAppTenantId no tenant is positively ours: nobody is an insider
    tenant = None if kind == "no tenant configured" else teams.TENANT
    services = slack.make_services(
        synced_dir, tmp_path, onnx_embedder, claude, microsoft_app_tenant_id=tenant
    )
    async with teams.TeamsHarness(services) as t:
        chat = f"a:1personal-{kind.replace(' ', '-')}"
        activity = hannah_personal(t.service_url, chat)
        if kind in TEAMS_OUTSIDERS:
            TEAMS_OUTSIDERS[kind](activity)
        assert (await t.post(activity)).status == 202  # answered out of band
        shown = json.dumps([s.activity for s in t.connector.in_conversation(chat)])
        if kind == "positive control":
            assert RESTRICTED in shown and RESTRICTED in sent_to_claude(claude)
        else:
            assert RESTRICTED not in shown and RESTRICTED not in sent_to_claude(claude)
            if kind != "missing conversation type":  # a channel message not addressed to it
                assert t.connector.in_conversation(chat), "answered from public documents"
    services.state.dispose()
