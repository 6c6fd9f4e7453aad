"""The fail-closed promise across "Ask a person": an answer given in a DM from documents
only the asker may read is not copied into the escalation channel (everyone there would
read it). The human is told who asked, the question and where; the asker keeps the
answer. Control: a channel's answer (public documents only) is still passed on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import messages
from bot.adapters.slack.render import ACTION_FEEDBACK
from connectors.embedder import OnnxEmbedding
from tests.fakes.slack_api import Posted
from tests.scenario import slack_harness as slack

QUESTION = "What are the salary bands for an L3 engineer?"
RESTRICTED = "Salary bands 2026"
SECRETS = ("€58,000", "€64,000", "Compensation Committee")
HELP_CHANNEL = "C0ITHELP01"


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return slack.synced_index(tmp_path_factory, onnx_embedder)


@pytest.fixture
async def harness(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding
) -> AsyncIterator[slack.SlackHarness]:
    services = slack.make_services(
        synced_dir, tmp_path, onnx_embedder, None, slack_escalation_mention=HELP_CHANNEL
    )
    h = await slack.start_harness(services)
    yield h
    await slack.stop_harness(h)


def answer_id(answer: Posted) -> str:
    blocks = json.dumps(answer.blocks)
    start = blocks.index('"up:') + len('"up:')
    return blocks[start : blocks.index('"', start)]


async def escalate(h: slack.SlackHarness, channel: str, user: str, ev: dict[str, str]) -> str:
    [answer] = h.fake.answers_in(channel, ev["ts"])
    await h.click(
        ACTION_FEEDBACK,
        f"down:{answer_id(answer)}",
        user=user,
        channel=channel,
        message_ts=answer.ts,
        thread_ts=ev["ts"],
        kind="feedback_buttons",
    )
    await h.settle()
    await h.click(
        "helpdesk_escalate",
        answer_id(answer),
        user=user,
        channel=channel,
        message_ts="1.2",
        thread_ts=None,
    )
    await h.settle()
    return json.dumps([p.text for p in h.fake.posted if p.channel == HELP_CHANNEL])


async def test_a_dm_answer_from_restricted_documents_is_not_posted_to_the_help_channel(
    harness: slack.SlackHarness,
) -> None:
    h = harness
    ev = slack.message(slack.DM_HANNAH, slack.HANNAH[0], QUESTION, channel_type="im")
    await h.event(ev)
    await h.settle()
    [answer] = h.fake.answers_in(slack.DM_HANNAH, ev["ts"])
    shown = json.dumps(answer.blocks)
    assert RESTRICTED in shown  # positive control: the member reads it in her DM

    posted = await escalate(h, slack.DM_HANNAH, slack.HANNAH[0], ev)

    assert QUESTION in posted, "the help channel is asked"
    assert messages.HANDOFF_ANSWER_PRIVATE in posted
    for secret in (RESTRICTED, *SECRETS):
        assert secret not in posted, secret


async def test_a_channel_answer_is_still_passed_on(harness: slack.SlackHarness) -> None:
    h = harness
    question = "how do I set up the VPN on a mac?"
    ev = slack.mention(slack.PUBLIC, slack.DANA[0], question)
    await h.event(ev)
    await h.settle()
    posted = await escalate(h, slack.PUBLIC, slack.DANA[0], ev)
    assert question in posted and "VPN" in posted.replace(question, "")
    assert messages.HANDOFF_ANSWER_PRIVATE not in posted
