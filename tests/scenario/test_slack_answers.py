"""Slack, end to end: signed requests into the real server and Bolt app, answers
streamed into the fake Slack Web API, from the real index over samples/."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot import messages
from connectors.embedder import OnnxEmbedding
from tests.fakes.claude import FakeClaude
from tests.fakes.slack_api import BOT_USER, TEAM, Posted
from tests.scenario.slack_harness import (
    DANA,
    DM_HANNAH,
    HANNAH,
    PUBLIC,
    SHARED,
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
def claude() -> FakeClaude:
    fake = FakeClaude()
    fake.reply(
        [
            ("Use the self-service portal to reset your password", (0, "reset")),
            (". It takes about five minutes.", None),
        ]
    )
    return fake


@pytest.fixture
async def harness(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding
) -> AsyncIterator[Factory]:
    started: list[SlackHarness] = []

    async def make(claude: FakeClaude | None = None, **settings: Any) -> SlackHarness:
        services = make_services(synced_dir, tmp_path, onnx_embedder, claude, **settings)
        h = await start_harness(services)
        started.append(h)
        return h

    yield make
    for h in started:
        await stop_harness(h)


def block_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def only_answer(h: SlackHarness, channel: str, thread_ts: str) -> Posted:
    answers = h.fake.answers_in(channel, thread_ts)
    assert len(answers) == 1, [a.text for a in answers]
    return answers[0]


# ---------------------------------------------------------------------- channel mention
async def test_mention_is_answered_in_its_thread_streamed_with_sources_and_buttons(
    harness: Factory, claude: FakeClaude
) -> None:
    h = await harness(claude)
    ev = mention(PUBLIC, DANA[0], "how do I reset my password?")
    started = time.perf_counter()
    resp = await h.event(ev)
    ack_ms = (time.perf_counter() - started) * 1000
    assert resp.status == 200
    assert ack_ms < 1000
    await h.settle()

    # marked at once, then streamed into the thread of the question (never the root)
    assert ("C0GENERAL", ev["ts"], "eyes") in h.fake.reactions
    start = h.fake.calls_to("chat.startStream")
    assert len(start) == 1
    assert start[0].args["thread_ts"] == ev["ts"]
    assert start[0].args["recipient_user_id"] == DANA[0]
    assert start[0].args["recipient_team_id"] == TEAM
    assert h.fake.methods().index("reactions.add") < h.fake.methods().index("chat.startStream")
    assert not [p for p in h.fake.posted if p.thread_ts is None]

    answer = only_answer(h, PUBLIC, ev["ts"])
    assert "Use the self-service portal to reset your password [1]" in answer.text
    assert "five minutes" in answer.text
    final = block_text(answer.blocks)
    assert "*Sources*" in final
    assert "[1] " in final and "Help centre" in final and "updated " in final
    assert "Password" in final or "password" in final
    (buttons,) = next(b for b in answer.blocks if b["type"] == "context_actions")["elements"]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == "helpdesk_feedback"
    answer_id = buttons["positive_button"]["value"].removeprefix("up:")
    assert buttons["negative_button"]["value"] == f"down:{answer_id}"
    (ask,) = next(b for b in answer.blocks if b["type"] == "actions")["elements"]
    assert ask["action_id"] == "helpdesk_handoff" and ask["value"] == answer_id
    record = h.services.chat.answer_record(int(answer_id))
    assert record is not None and record["question"] == "how do I reset my password?"
    assert record["doc_ids"] and record["message_id"] == answer.ts
    # the thread is now one the bot follows
    assert h.services.chat.thread_answered("slack", f"{PUBLIC}:{ev['ts']}")


async def test_mention_inside_a_thread_replies_in_that_thread(harness: Factory) -> None:
    h = await harness()
    root = new_ts()
    h.fake.add_message(PUBLIC, root, HANNAH[0], "Printer on 3rd floor is broken again")
    ev = mention(PUBLIC, DANA[0], "how do I print from my laptop?", thread_ts=root)
    await h.event(ev)
    await h.settle()
    assert only_answer(h, PUBLIC, root).text
    assert h.fake.calls_to("chat.startStream")[0].args["thread_ts"] == root


async def test_mention_without_a_question_asks_for_one(harness: Factory) -> None:
    h = await harness()
    ev = mention(PUBLIC, DANA[0], "")
    await h.event(ev)
    await h.settle()
    assert only_answer(h, PUBLIC, ev["ts"]).text == messages.EMPTY_QUESTION


# ---------------------------------------------------------------------- DMs and scope
async def test_dm_is_answered_in_the_dm_with_the_askers_permissions(harness: Factory) -> None:
    h = await harness()
    ev = message(
        DM_HANNAH, HANNAH[0], "What are the salary bands for an L3 engineer?", channel_type="im"
    )
    await h.event(ev)
    await h.settle()
    answer = only_answer(h, DM_HANNAH, ev["ts"])
    assert "Salary bands 2026" in block_text(answer.blocks)
    assert h.fake.calls_to("users.info")[0].args["user"] == HANNAH[0]


async def test_restricted_document_never_appears_in_a_channel(harness: Factory) -> None:
    h = await harness()
    question = "What are the salary bands for an L3 engineer?"
    ev = mention(PUBLIC, HANNAH[0], question)  # hannah may read it, the channel may not
    await h.event(ev)
    dm = message(DM_HANNAH, HANNAH[0], question, channel_type="im")
    await h.event(dm)
    await h.settle()
    in_channel = only_answer(h, PUBLIC, ev["ts"])
    assert "Salary bands" not in in_channel.text + block_text(in_channel.blocks)
    assert "CONFIDENTIAL" not in in_channel.text
    in_dm = only_answer(h, DM_HANNAH, dm["ts"])
    assert "Salary bands 2026" in block_text(in_dm.blocks)


async def test_dm_user_lookups_are_cached(harness: Factory) -> None:
    h = await harness()
    for text in ("how do I set up the VPN on a mac?", "how do I reset my password?"):
        await h.event(message(DM_HANNAH, HANNAH[0], text, channel_type="im"))
        await h.settle()
    assert len(h.fake.calls_to("users.info")) == 1
    assert len(h.fake.calls_to("conversations.info")) == 1


# ---------------------------------------------------------------------- thread follow-ups
async def test_follow_up_in_an_answered_thread_needs_no_mention(
    harness: Factory, claude: FakeClaude
) -> None:
    claude.rewrite = "how do I reset my password on a mac"
    h = await harness(claude)
    first = mention(PUBLIC, DANA[0], "how do I reset my password?")
    await h.event(first)
    await h.settle()
    follow = message(PUBLIC, DANA[0], "and on a mac?", thread_ts=first["ts"])
    await h.event(follow)
    await h.settle()

    answers = h.fake.answers_in(PUBLIC, first["ts"])
    assert len(answers) == 2
    # the thread's earlier turns (from the chat store) are the context, the bot's own
    # answer marked as the assistant's
    rewrite = next(r for r in claude.requests if not r.get("stream"))
    convo = rewrite["messages"][0]["content"]
    assert "user: how do I reset my password?" in convo
    assert "assistant: Use the self-service portal" in convo
    assert "and on a mac?" in convo


async def test_thread_the_bot_never_answered_is_left_alone(harness: Factory) -> None:
    h = await harness()
    root = new_ts()
    h.fake.add_message(PUBLIC, root, HANNAH[0], "lunch?")
    resp = await h.event(message(PUBLIC, DANA[0], "sure, 12:30", thread_ts=root))
    await h.event(message(PUBLIC, DANA[0], "how do I reset my password?"))  # channel root
    await h.settle()
    assert resp.status == 200
    assert h.fake.posted == []
    assert not h.fake.calls_to("reactions.add")


async def test_bot_messages_edits_and_joins_are_ignored(harness: Factory) -> None:
    h = await harness()
    ts = new_ts()
    await h.event(message(DM_HANNAH, "U0OTHERBOT", "beep", channel_type="im", bot_id="B0OTHER"))
    await h.event(
        message(
            DM_HANNAH, HANNAH[0], "edited question", channel_type="im", subtype="message_changed"
        )
    )
    await h.event(message(PUBLIC, DANA[0], "has joined", subtype="channel_join", ts=ts))
    await h.event(message(DM_HANNAH, BOT_USER, "my own answer", channel_type="im"))
    await h.settle()
    assert h.fake.posted == []


# ---------------------------------------------------------------------- duplicates
async def test_retried_event_is_answered_once(harness: Factory) -> None:
    h = await harness()
    ev = mention(PUBLIC, DANA[0], "how do I set up the VPN on Windows?")
    first = await h.event(ev, event_id="Ev0RETRY01")
    await h.settle()
    retry = await h.event(ev, event_id="Ev0RETRY01", retry_num=1)
    again = await h.event(ev, event_id="Ev0RETRY01", retry_num=2)
    await h.settle()
    assert (first.status, retry.status, again.status) == (200, 200, 200)
    only_answer(h, PUBLIC, ev["ts"])
    assert len(h.fake.calls_to("chat.startStream")) == 1


async def test_mention_in_answered_thread_arrives_twice_and_is_answered_once(
    harness: Factory,
) -> None:
    h = await harness()
    first = mention(PUBLIC, DANA[0], "how do I reset my password?")
    await h.event(first)
    await h.settle()
    ts = new_ts()
    text = "what about MFA on a lost phone?"
    await h.event(mention(PUBLIC, DANA[0], text, ts=ts, thread_ts=first["ts"]))
    as_message = message(PUBLIC, DANA[0], f"<@{BOT_USER}> {text}", ts=ts, thread_ts=first["ts"])
    await h.event(as_message)
    await h.settle()
    assert len(h.fake.answers_in(PUBLIC, first["ts"])) == 2  # first answer + one more


async def test_bad_signature_is_rejected_and_nothing_is_answered(harness: Factory) -> None:
    h = await harness()
    resp = await h.event(mention(PUBLIC, DANA[0], "how do I reset my password?"), secret="wrong")
    await h.settle()
    assert resp.status == 401
    assert h.fake.posted == [] and h.fake.calls == []


# ---------------------------------------------------------------------- shared channels
async def test_external_channel_gets_public_answers_and_one_notice_per_thread(
    harness: Factory,
) -> None:
    h = await harness()
    ev = mention(SHARED, DANA[0], "What are the salary bands for an L3 engineer?")
    await h.event(ev)
    await h.settle()
    again = mention(SHARED, DANA[0], "and for L4?", thread_ts=ev["ts"])
    await h.event(again)
    await h.settle()
    first, second = h.fake.answers_in(SHARED, ev["ts"])
    assert first.text.startswith(f"_{messages.EXTERNAL_CHANNEL_NOTICE}_")
    assert messages.EXTERNAL_CHANNEL_NOTICE not in second.text
    assert "Salary bands" not in first.text + block_text(first.blocks)
    assert not h.fake.calls_to("users.info")  # no personal scope there


async def test_external_channels_can_be_switched_off(harness: Factory) -> None:
    h = await harness(allow_external_channels=False)
    await h.event(mention(SHARED, DANA[0], "how do I reset my password?"))
    await h.settle()
    assert h.fake.posted == []
    assert not h.fake.calls_to("reactions.add")


# ---------------------------------------------------------------------- failures
async def test_claude_failure_becomes_an_apology_in_the_thread(harness: Factory) -> None:
    claude = FakeClaude(fail_with=529)
    h = await harness(claude)
    ev = mention(PUBLIC, DANA[0], "how do I reset my password?")
    await h.event(ev)
    await h.settle()
    answer = only_answer(h, PUBLIC, ev["ts"])
    assert answer.text == messages.CLAUDE_OVERLOADED
    everything = json.dumps([c.args for c in h.fake.calls])
    assert "overloaded_error" not in everything and "Traceback" not in everything
    assert not h.services.chat.thread_answered("slack", f"{PUBLIC}:{ev['ts']}")


async def test_slack_rate_limit_is_waited_out(harness: Factory) -> None:
    h = await harness()
    h.fake.rate_limit("chat.startStream", times=1, retry_after=1)
    ev = mention(PUBLIC, DANA[0], "how do I reset my password?")
    await h.event(ev)
    await h.settle()
    assert len(h.fake.calls_to("chat.startStream")) == 2
    assert "Sources" in block_text(only_answer(h, PUBLIC, ev["ts"]).blocks)


async def test_when_streaming_is_refused_the_answer_is_posted_whole(harness: Factory) -> None:
    h = await harness()
    h.fake.fail("chat.startStream", "method_not_supported_for_channel_type")
    ev = mention(PUBLIC, DANA[0], "how do I reset my password?")
    await h.event(ev)
    await h.settle()
    answer = only_answer(h, PUBLIC, ev["ts"])
    final = block_text(answer.blocks)
    assert "Sources" in final and '"feedback_buttons"' in final
    assert answer.text  # fallback text for notifications


async def test_healthz(harness: Factory) -> None:
    h = await harness()
    resp = await h.http.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["ok"] is True
