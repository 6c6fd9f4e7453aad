"""Teams answers out of band (issue 15 point 3): the inbound activity is acknowledged at
once — typing indicator, then 202 — and the answer follows through the adapter's
proactive `continue_conversation`, so it never depends on the inbound request's lifetime.
A Claude fake held back by the test proves the order; redeliveries get nothing more."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import messages
from connectors.embedder import OnnxEmbedding
from tests.scenario.teams_harness import (
    ALICE,
    ClaudeFake,
    TeamsHarness,
    channel_mention,
    group_mention,
    make_services,
    personal_message,
    synced_samples,
)


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return synced_samples(tmp_path_factory, onnx_embedder)


async def test_channel_answer_arrives_after_the_inbound_request_returned(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    gate = asyncio.Event()
    claude = ClaudeFake(gate=gate)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        activity = channel_mention(teams.service_url, "How many days of annual leave do I get?")
        conv = activity["conversation"]["id"]
        response = await teams.post(activity, settle=False)
        # the request is over: acknowledged with the typing indicator, no answer yet
        assert response.status == 202
        assert [s.type for s in teams.connector.in_conversation(conv)] == ["typing"]
        assert claude.answered == 0

        gate.set()  # Claude answers only now, long after the request returned
        assert await teams.bot.drain(wait=60.0)
        sent = teams.connector.in_conversation(conv)
        assert [s.type for s in sent] == ["typing", "message"]
        reply = sent[-1]
        assert reply.reply_to_id == activity["id"]  # still in the question's reply chain
        assert "[1]" in reply.text and reply.entity("https://schema.org/Message")
        assert teams.connector.rejected == []


async def test_slow_answer_lands_exactly_once_when_the_activity_is_redelivered(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    gate = asyncio.Event()
    claude = ClaudeFake(gate=gate)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        chat = "19:redelivered-chat@thread.v2"
        activity = group_mention(teams.service_url, "How do I connect to the VPN?", chat)
        first = await teams.post(activity, settle=False)
        # the Bot Framework redelivers the same activity (same id) while Claude is slow
        again = await teams.post(activity, settle=False)
        assert first.status == 202 and again.status == 202
        assert [s.type for s in teams.connector.in_conversation(chat)] == ["typing"]

        gate.set()
        assert await teams.bot.drain(wait=60.0)
        await teams.post(activity)  # and once more after the answer was sent
        sent = teams.connector.in_conversation(chat)
        assert [s.type for s in sent] == ["typing", "message"]
        streamed = [r for r in claude.requests if r.get("stream")]
        assert len(streamed) == 1 and claude.answered == 1
        turns = services.chat.recent_turns("teams", chat, 10)
        assert [role for role, _ in turns] == ["user", "assistant"]


async def test_streamed_answer_in_a_personal_chat_is_sent_after_the_request_returned(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    gate = asyncio.Event()
    claude = ClaudeFake(gate=gate, delay=0.45)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        chat = "a:1personal-alice-oob"
        activity = personal_message(teams.service_url, "How do I reset my password?", ALICE, chat)
        response = await teams.post(activity, settle=False)
        assert response.status == 202
        gate.set()
        assert await teams.bot.drain(wait=60.0)
        assert teams.connector.rejected == []
        ack, informative, *updates, final = teams.connector.in_conversation(chat)
        assert ack.type == "typing" and ack.streaminfo is None
        assert informative.streaminfo == {
            "type": "streaminfo",
            "streamType": "informative",
            "streamSequence": 1,
        }
        assert informative.text == messages.SEARCHING
        stream_id = informative.activity_id
        assert updates, "the answer was streamed"
        assert [u.streaminfo for u in updates] == [
            {
                "type": "streaminfo",
                "streamType": "streaming",
                "streamId": stream_id,
                "streamSequence": n,
            }
            for n in range(2, len(updates) + 2)
        ]
        assert final.type == "message" and final.streaminfo == {
            "type": "streaminfo",
            "streamType": "final",
            "streamId": stream_id,
        }
        assert final.text.startswith(updates[-1].text.rstrip()[:40])


async def test_an_answer_in_progress_at_shutdown_is_still_sent(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    gate = asyncio.Event()
    claude = ClaudeFake(gate=gate)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        activity = channel_mention(teams.service_url, "How do I report a phishing email?")
        conv = activity["conversation"]["id"]
        await teams.post(activity, settle=False)
        asyncio.get_running_loop().call_later(0.5, gate.set)
        assert teams.client is not None
        await teams.client.close()  # the server shuts down: answers in progress are drained
        assert [s.type for s in teams.connector.in_conversation(conv)] == ["typing", "message"]


async def test_unaddressed_channel_message_gets_no_typing_indicator(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    async with TeamsHarness(services) as teams:
        activity = channel_mention(teams.service_url, "lunch anyone?")
        activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
        activity["text"] = "lunch anyone?"
        response = await teams.post(activity)
        assert response.status == 202
        assert teams.connector.sent == []


async def test_a_stream_open_too_long_ends_with_the_whole_answer_as_a_message(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    """Teams ends a stream after two minutes; the bot stops streaming before that (here
    after 1.5 s instead of 100 s) and sends the final answer as a message of its own."""
    claude = ClaudeFake(delay=0.3)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        teams.bot.stream_interval, teams.bot.stream_max_seconds = 0.2, 1.5
        chat = "a:1personal-alice-long-stream"
        await teams.post(personal_message(teams.service_url, "How do I reset my password?",
                                          ALICE, chat))  # fmt: skip
        assert teams.connector.rejected == []
        ack, informative, *updates, final = teams.connector.in_conversation(chat)
        assert ack.type == informative.type == "typing"
        assert all(u.type == "typing" and u.streaminfo for u in updates)
        assert final.type == "message" and final.streaminfo is None and final.status == 201
        assert "[1]" in final.text and final.entity("https://schema.org/Message")
        assert len(teams.connector.messages(chat)) == 1
        # 👍/👎 on that message reach the answer
        assert services.chat.answer_by_message("teams", str(final.activity_id)) is not None


async def test_a_stream_teams_ended_for_its_age_still_delivers_the_answer_once(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake(delay=0.3)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        teams.connector.stream_max_seconds = 1.0  # Teams' two minutes, shortened
        teams.bot.stream_interval = 0.2
        chat = "a:1personal-alice-timed-out"
        await teams.post(personal_message(teams.service_url, "How do I reset my password?",
                                          ALICE, chat))  # fmt: skip
        timed_out = (
            "ContentStreamNotAllowed: Content stream finished due to exceeded streaming time."
        )
        assert teams.connector.rejected == [(403, timed_out)]  # refused once, then not tried
        messages_sent = teams.connector.messages(chat)
        (final,) = messages_sent
        assert final.streaminfo is None and "[1]" in final.text
        assert services.chat.answer_by_message("teams", str(final.activity_id)) is not None
