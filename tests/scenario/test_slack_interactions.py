"""Slack interactions end to end: feedback buttons, "Ask a human", the `/helpdesk`
command (ask, admin help, reindex progress) and the AI-app assistant surface."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot import messages
from bot.adapters.slack.render import ACTION_FEEDBACK, escape
from connectors.embedder import OnnxEmbedding
from tests.fakes.slack_api import Posted
from tests.scenario.slack_harness import (
    DANA,
    DM_HANNAH,
    HANNAH,
    PUBLIC,
    SlackHarness,
    make_services,
    mention,
    message,
    new_ts,
    start_harness,
    stop_harness,
    synced_index,
)

Factory = Callable[..., Awaitable[SlackHarness]]


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return synced_index(tmp_path_factory, onnx_embedder)


@pytest.fixture
async def harness(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding
) -> AsyncIterator[Factory]:
    started: list[SlackHarness] = []

    async def make(**settings: Any) -> SlackHarness:
        services = make_services(synced_dir, tmp_path, onnx_embedder, None, **settings)
        h = await start_harness(services)
        started.append(h)
        return h

    yield make
    for h in started:
        await stop_harness(h)


async def answered(h: SlackHarness, question: str) -> tuple[dict[str, Any], Posted, str]:
    ev = mention(PUBLIC, DANA[0], question)
    await h.event(ev)
    await h.settle()
    (answer,) = h.fake.answers_in(PUBLIC, ev["ts"])
    actions = next(b for b in answer.blocks if b["type"] == "context_actions")
    (buttons,) = actions["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == ACTION_FEEDBACK
    answer_id = buttons["positive_button"]["value"].removeprefix("up:")
    assert buttons["negative_button"]["value"] == f"down:{answer_id}"
    return ev, answer, answer_id


def ephemerals(h: SlackHarness) -> list[dict[str, Any]]:
    return [c.args for c in h.fake.calls_to("chat.postEphemeral")]


# ---------------------------------------------------------------------- feedback
async def test_thumbs_up_is_recorded_with_question_answer_and_sources(harness: Factory) -> None:
    h = await harness()
    ev, answer, value = await answered(h, "how do I set up the VPN on a mac?")
    resp = await h.click(
        ACTION_FEEDBACK,
        f"up:{value}",
        user=HANNAH[0],
        channel=PUBLIC,
        message_ts=answer.ts,
        thread_ts=ev["ts"],
        kind="feedback_buttons",
    )
    await h.settle()
    assert resp.status == 200
    (row,) = h.services.chat.feedback_rows()
    assert row["rating"] == 1 and row["user_id"] == HANNAH[0] and row["platform"] == "slack"
    assert row["question"] == "how do I set up the VPN on a mac?"
    # the recorded answer is what the asker read (Slack decodes its three escapes)
    shown = answer.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert row["answer"] and row["answer"] in shown
    assert row["doc_ids"] and all(d.startswith("files:") for d in row["doc_ids"])
    assert row["conversation"] == f"{PUBLIC}:{ev['ts']}"
    (thanks,) = ephemerals(h)
    assert thanks["text"] == messages.FEEDBACK_THANKS and thanks["user"] == HANNAH[0]
    assert thanks["thread_ts"] == ev["ts"]


async def test_thumbs_down_offers_a_human_who_is_mentioned_in_the_thread(
    harness: Factory,
) -> None:
    h = await harness(slack_escalation_mention="S0ITSUPPORT")
    ev, answer, value = await answered(h, "how do I set up the VPN on a mac?")
    await h.click(
        ACTION_FEEDBACK,
        f"down:{value}",
        user=DANA[0],
        channel=PUBLIC,
        message_ts=answer.ts,
        thread_ts=ev["ts"],
        kind="feedback_buttons",
    )
    await h.settle()
    (row,) = h.services.chat.feedback_rows()
    assert row["rating"] == -1
    (offer,) = ephemerals(h)
    assert offer["text"] == messages.SLACK_FEEDBACK_SORRY
    assert "helpdesk_escalate" in json.dumps(offer["blocks"])

    await h.click(
        "helpdesk_escalate", value, user=DANA[0], channel=PUBLIC, message_ts="1.2", thread_ts=None
    )
    await h.settle()
    escalation = [p for p in h.fake.answers_in(PUBLIC, ev["ts"]) if p.ts != answer.ts]
    assert len(escalation) == 1
    assert "<!subteam^S0ITSUPPORT>" in escalation[0].text and f"<@{DANA[0]}>" in escalation[0].text


async def test_thumbs_down_without_an_escalation_group_points_to_the_support_channel(
    harness: Factory,
) -> None:
    h = await harness(support_hint="#it-help")
    ev, answer, value = await answered(h, "how do I reset my password?")
    await h.click(
        ACTION_FEEDBACK,
        f"down:{value}",
        user=DANA[0],
        channel=PUBLIC,
        message_ts=answer.ts,
        thread_ts=ev["ts"],
        kind="feedback_buttons",
    )
    await h.settle()
    (offer,) = ephemerals(h)
    assert "#it-help" in offer["text"] and "helpdesk_escalate" not in json.dumps(offer)


async def test_feedback_on_an_unknown_answer_says_so_and_records_nothing(
    harness: Factory,
) -> None:
    h = await harness()
    await h.click(
        "helpdesk_feedback_up",
        "999999",
        user=DANA[0],
        channel=PUBLIC,
        message_ts="1.2",
        thread_ts=None,
    )
    await h.settle()
    assert h.services.chat.feedback_rows() == []
    assert ephemerals(h)[0]["text"] == messages.SLACK_ANSWER_GONE
    # the same through Slack's feedback_buttons, and a value that is no vote at all
    for value in ("up:999999", "sideways"):
        await h.click(
            ACTION_FEEDBACK,
            value,
            user=DANA[0],
            channel=PUBLIC,
            message_ts="1.2",
            thread_ts=None,
            kind="feedback_buttons",
        )
    await h.settle()
    assert h.services.chat.feedback_rows() == []
    assert [e["text"] for e in ephemerals(h)] == [messages.SLACK_ANSWER_GONE] * 3


async def test_hand_made_buttons_of_earlier_answers_still_record_votes(harness: Factory) -> None:
    h = await harness()
    ev, answer, value = await answered(h, "how do I reset my password?")
    await h.click(
        "helpdesk_feedback_down",
        value,
        user=DANA[0],
        channel=PUBLIC,
        message_ts=answer.ts,
        thread_ts=ev["ts"],
    )
    await h.settle()
    (row,) = h.services.chat.feedback_rows()
    assert row["rating"] == -1 and row["question"] == "how do I reset my password?"


# ---------------------------------------------------------------------- /helpdesk
async def test_helpdesk_ask_answers_privately_with_dm_permissions(harness: Factory) -> None:
    h = await harness()
    resp = await h.command("ask What are the salary bands for an L3 engineer?", HANNAH[0], PUBLIC)
    await h.settle()
    assert resp.status == 200
    (reply,) = ephemerals(h)
    assert reply["user"] == HANNAH[0] and reply["channel"] == PUBLIC
    assert "Salary bands 2026" in json.dumps(reply["blocks"], ensure_ascii=False)
    assert h.fake.posted == []  # nothing visible to the channel

    # the same question from someone outside hr-team: not in their private answer
    await h.command("ask What are the salary bands for an L3 engineer?", DANA[0], PUBLIC)
    await h.settle()
    dana = ephemerals(h)[-1]
    assert dana["user"] == DANA[0]
    assert "Salary bands 2026" not in json.dumps(dana.get("blocks") or [], ensure_ascii=False)


async def test_helpdesk_ask_without_a_question_shows_usage(harness: Factory) -> None:
    h = await harness()
    await h.command("ask", DANA[0], PUBLIC)
    await h.settle()
    # escaped: `<question>` is text, not a link
    assert ephemerals(h)[0]["text"] == escape(messages.SLACK_ASK_USAGE)


async def test_helpdesk_help_is_answered_by_the_admin_commands(harness: Factory) -> None:
    h = await harness()
    resp = await h.command("help", DANA[0], PUBLIC)
    await h.settle()
    assert resp.status == 200
    (reply,) = ephemerals(h)
    assert reply["user"] == DANA[0]
    assert "reindex" in reply["text"] and "status" in reply["text"]


async def test_helpdesk_reindex_by_a_non_admin_is_refused(harness: Factory) -> None:
    h = await harness(admin_users=HANNAH[1])
    await h.command("reindex files", DANA[0], PUBLIC)
    await h.settle()
    assert ephemerals(h)[0]["text"] == messages.ADMIN_REFUSED
    assert not h.fake.calls_to("chat.postMessage")


async def test_helpdesk_reindex_by_an_admin_posts_progress_in_the_channel(
    harness: Factory,
) -> None:
    # ADMIN_USERS holds an email: the adapter supplies it from users.info
    h = await harness(admin_users=HANNAH[1])
    await h.command("reindex files", HANNAH[0], PUBLIC)
    await h.fake.wait_for(lambda: bool(h.fake.calls_to("chat.postMessage")), within=10)
    queued = ephemerals(h)[0]["text"]
    assert "request #" in queued
    progress = h.fake.calls_to("chat.postMessage")[0].args
    assert progress["channel"] == PUBLIC and progress["text"]
    # no worker runs in this test: stop following the queued request
    for task in list(h.bot.background.tasks):
        task.cancel()
    await asyncio.sleep(0)


# ---------------------------------------------------------------------- AI-app surface
async def test_assistant_thread_gets_suggested_prompts_and_answers_with_status_and_title(
    harness: Factory,
) -> None:
    h = await harness()
    thread = new_ts()
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": HANNAH[0],
            "context": {"channel_id": PUBLIC, "team_id": "T0NORTHW"},
            "channel_id": DM_HANNAH,
            "thread_ts": thread,
        },
        "event_ts": thread,
    }
    await h.event(started)
    await h.settle()
    (prompts,) = h.fake.calls_to("assistant.threads.setSuggestedPrompts")
    assert prompts.args["channel_id"] == DM_HANNAH and prompts.args["thread_ts"] == thread
    assert len(prompts.args["prompts"]) == len(messages.SLACK_SUGGESTED_PROMPTS)

    ev = message(
        DM_HANNAH,
        HANNAH[0],
        "What are the salary bands for L3?",
        channel_type="im",
        thread_ts=thread,
    )
    await h.event(ev)
    await h.settle()
    (status,) = h.fake.calls_to("assistant.threads.setStatus")
    assert status.args["status"] == messages.SEARCHING
    (title,) = h.fake.calls_to("assistant.threads.setTitle")
    assert title.args["title"] == "What are the salary bands for L3?"
    (answer,) = h.fake.answers_in(DM_HANNAH, thread)
    assert "Salary bands 2026" in json.dumps(answer.blocks, ensure_ascii=False)
    methods = h.fake.methods()
    assert methods.index("assistant.threads.setStatus") < methods.index("chat.startStream")


async def test_agent_messaging_dm_gets_prompts_on_open_and_answers_a_rootless_thread(
    harness: Factory,
) -> None:
    """Agent messaging (`agent_view`): opening the DM is `app_home_opened` (tab
    "messages"), and a question is a plain top-level DM message with no
    `assistant_app_thread` root: prompts on open, status and title, answer in its thread."""
    h = await harness()
    opened = {
        "type": "app_home_opened",
        "user": HANNAH[0],
        "channel": DM_HANNAH,
        "tab": "messages",
        "event_ts": new_ts(),
    }
    await h.event(opened)
    await h.event({**opened, "tab": "home", "event_ts": new_ts()})  # not the DM: nothing
    await h.settle()
    (prompts,) = h.fake.calls_to("assistant.threads.setSuggestedPrompts")
    assert prompts.args["channel_id"] == DM_HANNAH and "thread_ts" not in prompts.args
    assert prompts.args["title"] == messages.SLACK_SUGGESTED_TITLE
    assert [p["message"] for p in prompts.args["prompts"]] == [
        m for _, m in messages.SLACK_SUGGESTED_PROMPTS
    ]

    ev = message(DM_HANNAH, HANNAH[0], "What are the salary bands for L3?", channel_type="im")
    await h.event(ev)
    await h.settle()
    (status,) = h.fake.calls_to("assistant.threads.setStatus")
    assert status.args["status"] == messages.SEARCHING and status.args["thread_ts"] == ev["ts"]
    (title,) = h.fake.calls_to("assistant.threads.setTitle")
    assert title.args["title"] == "What are the salary bands for L3?"
    (answer,) = h.fake.answers_in(DM_HANNAH, ev["ts"])
    assert "Salary bands 2026" in json.dumps(answer.blocks, ensure_ascii=False)
    assert not h.fake.calls_to("reactions.add")
