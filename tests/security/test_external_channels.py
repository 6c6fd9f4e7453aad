"""Issue 11 point 8: ALLOW_EXTERNAL_CHANNELS=false applies to every entry point —
mentions, DMs, thread follow-ups, every `/helpdesk` command, Teams — honours the event
envelope's `is_ext_shared_channel`, and a conversation whose kind could not be read
(conversations.info failed) counts as external. With external channels allowed, such a
conversation gets public documents only, never the asker's personal scope."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.admin import AdminCommands
from connectors.embedder import OnnxEmbedding
from tests.fakes.claude import FakeClaude
from tests.scenario import slack_harness as slack
from tests.scenario import teams_harness as teams

QUESTION = "What are the salary bands for an L3 engineer?"
RESTRICTED = "Salary bands 2026"  # the restricted page's title
OTHER_TENANT = "0b0b0b0b-1111-2222-3333-444444444444"

Factory = Callable[..., Awaitable[slack.SlackHarness]]


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return slack.synced_index(tmp_path_factory, onnx_embedder)


@pytest.fixture
def claude() -> FakeClaude:
    fake = FakeClaude()
    fake.reply([("See the salary bands page", (0, "bands"))])
    return fake


@pytest.fixture
async def harness(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude
) -> AsyncIterator[Factory]:
    started: list[slack.SlackHarness] = []

    async def make(**settings: Any) -> slack.SlackHarness:
        services = slack.make_services(synced_dir, tmp_path, onnx_embedder, claude, **settings)
        h = await slack.start_harness(services)
        started.append(h)
        return h

    yield make
    for h in started:
        await slack.stop_harness(h)


def nothing_said(h: slack.SlackHarness, claude: FakeClaude) -> None:
    assert h.fake.posted == []
    assert not h.fake.calls_to("chat.postEphemeral")
    assert not h.fake.calls_to("reactions.add")
    assert not h.fake.calls_to("chat.startStream")
    assert claude.requests == []


async def test_slack_every_entry_point_is_closed_in_an_external_channel(
    harness: Factory, claude: FakeClaude
) -> None:
    h = await harness(allow_external_channels=False, admin_users=[slack.HANNAH[0]])
    root = slack.mention(slack.SHARED, slack.HANNAH[0], QUESTION)
    await h.event(root)
    await h.event(slack.message(slack.SHARED, slack.HANNAH[0], "and L4?", thread_ts=root["ts"]))
    for command in (f"ask {QUESTION}", "status", "help", "reindex files"):
        await h.command(command, slack.HANNAH[0], slack.SHARED)
    await h.settle()
    nothing_said(h, claude)


async def test_slack_envelope_flag_marks_a_channel_external(
    harness: Factory, claude: FakeClaude
) -> None:
    h = await harness(allow_external_channels=False)
    # conversations.info of this channel says nothing about sharing; the envelope does
    await h.event(slack.mention(slack.PUBLIC, slack.HANNAH[0], QUESTION), ext_shared=True)
    await h.settle()
    nothing_said(h, claude)


async def test_slack_failed_conversations_info_counts_as_external(
    harness: Factory, claude: FakeClaude
) -> None:
    h = await harness(allow_external_channels=False)
    h.fake.fail("conversations.info", "internal_error")
    await h.event(slack.message(slack.DM_HANNAH, slack.HANNAH[0], QUESTION, channel_type="im"))
    await h.event(slack.mention(slack.PUBLIC, slack.HANNAH[0], QUESTION))
    await h.settle()
    nothing_said(h, claude)


async def test_slack_failed_conversations_info_gives_public_documents_when_allowed(
    harness: Factory, claude: FakeClaude
) -> None:
    h = await harness()
    h.fake.fail("conversations.info", "internal_error")
    ev = slack.message(slack.DM_HANNAH, slack.HANNAH[0], QUESTION, channel_type="im")
    await h.event(ev)
    await h.settle()
    [answer] = h.fake.answers_in(slack.DM_HANNAH, ev["ts"])
    assert RESTRICTED not in answer.text + json.dumps(answer.blocks)
    assert RESTRICTED not in json.dumps(claude.requests)


async def test_slack_positive_control_full_member_dm_is_answered_from_her_documents(
    harness: Factory, claude: FakeClaude
) -> None:
    h = await harness(allow_external_channels=False)
    ev = slack.message(slack.DM_HANNAH, slack.HANNAH[0], QUESTION, channel_type="im")
    await h.event(ev)
    await h.settle()
    [answer] = h.fake.answers_in(slack.DM_HANNAH, ev["ts"])
    assert RESTRICTED in json.dumps(answer.blocks)


async def test_teams_conversation_of_another_tenant_is_ignored_when_external_is_off(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude
) -> None:
    services = slack.make_services(
        synced_dir,
        tmp_path,
        onnx_embedder,
        claude,
        microsoft_app_tenant_id=teams.TENANT,
        allow_external_channels=False,
    )
    async with teams.TeamsHarness(services, AdminCommands(services)) as t:
        channel = teams.channel_mention(t.service_url, QUESTION, sender=teams.HANNAH)
        channel["conversation"]["tenantId"] = OTHER_TENANT
        channel["channelData"]["tenant"] = {"id": OTHER_TENANT}
        personal = teams.personal_message(t.service_url, "status", teams.HANNAH, "a:1ext")
        personal["conversation"]["tenantId"] = OTHER_TENANT
        personal["channelData"] = {"tenant": {"id": OTHER_TENANT}}
        for activity in (channel, personal):
            assert (await t.post(activity)).status == 202  # answered out of band
        assert t.connector.messages() == []
        assert claude.requests == []
        # positive control: our tenant's channel is answered
        ours = teams.channel_mention(t.service_url, QUESTION, sender=teams.HANNAH)
        await t.post(ours)
        [reply] = t.connector.messages(ours["conversation"]["id"])[-1:]
        assert reply.text and RESTRICTED not in json.dumps(reply.activity)
    services.state.dispose()


@pytest.mark.parametrize("tenant", ["missing", "disagreeing"])
async def test_teams_conversation_of_unknown_tenant_counts_as_external(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude, tenant: str
) -> None:
    """With a tenant configured, an activity that does not positively name it (no tenant
    at all, or conversation.tenantId and channelData.tenant.id disagreeing) is external."""
    services = slack.make_services(
        synced_dir,
        tmp_path,
        onnx_embedder,
        claude,
        microsoft_app_tenant_id=teams.TENANT,
        allow_external_channels=False,
    )
    async with teams.TeamsHarness(services, AdminCommands(services)) as t:
        channel = teams.channel_mention(t.service_url, QUESTION, sender=teams.HANNAH)
        if tenant == "missing":
            del channel["conversation"]["tenantId"]
            del channel["channelData"]["tenant"]
        else:
            channel["conversation"]["tenantId"] = OTHER_TENANT
        assert (await t.post(channel)).status == 202
        assert t.connector.messages() == []
        assert claude.requests == []
    services.state.dispose()
