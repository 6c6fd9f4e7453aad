"""Teams: real Bot Framework activities posted to /api/messages (botbuilder, no app id:
the SDK's development mode), replies captured by a fake connector service."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from bot import messages
from connectors.embedder import OnnxEmbedding
from tests.scenario.teams_harness import (
    ALICE,
    HANNAH,
    ClaudeFake,
    TeamsHarness,
    channel_mention,
    feedback_invoke,
    group_mention,
    make_services,
    personal_message,
    synced_samples,
)


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return synced_samples(tmp_path_factory, onnx_embedder)


async def test_channel_mention_is_answered_in_the_reply_chain_with_citations_and_ai_label(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake()
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        activity = channel_mention(teams.service_url, "How many days of annual leave do I get?")
        response = await teams.post(activity)
        assert response.status == 202

        conv = activity["conversation"]["id"]
        sent = teams.connector.in_conversation(conv)
        assert [s.type for s in sent] == ["typing", "message"]
        reply = sent[-1]
        # in the reply chain of the question, never a new post
        assert reply.reply_to_id == activity["id"]
        assert reply.conversation_id.endswith(f";messageid={activity['id']}")
        # the mention was stripped before answering
        asked = claude.requests[-1]["messages"][-1]["content"][-1]["text"]
        assert asked == "How many days of annual leave do I get?"
        # text with [1], the schema.org Message entity with the claim, the AI label
        assert "[1]" in reply.text
        entity = reply.entity("https://schema.org/Message")
        assert entity is not None
        assert entity["@type"] == "Message" and entity["additionalType"] == ["AIGeneratedContent"]
        claim = entity["citation"][0]
        assert claim["@type"] == "Claim" and claim["position"] == 1
        appearance = claim["appearance"]
        assert appearance["@type"] == "DigitalDocument"
        assert appearance["name"] and len(appearance["name"]) <= 80
        assert 0 < len(appearance["abstract"]) <= 160
        assert appearance["url"].startswith(("http://", "https://"))
        assert reply.activity["channelData"]["feedbackLoop"] == {"type": "default"}
        # no streaming outside 1:1 chats
        assert all(s.streaminfo is None for s in sent)


async def test_follow_up_in_the_same_reply_chain_uses_earlier_turns(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake()
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        first = channel_mention(teams.service_url, "How does parental leave work?")
        await teams.post(first)
        follow = channel_mention(teams.service_url, "and for adoption?", root_id=first["id"])
        await teams.post(follow)
        last = claude.requests[-1]["messages"]
        roles = [m["role"] for m in last]
        assert roles == ["user", "assistant", "user"]
        assert last[0]["content"] == "How does parental leave work?"
        # the follow-up reply is in the same chain
        replies = teams.connector.messages(first["conversation"]["id"])
        assert len(replies) == 2
        assert replies[1].reply_to_id == follow["id"]


async def test_group_chat_mention_gets_one_final_message_in_the_chat(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)  # extractive mode, no API key
    async with TeamsHarness(services) as teams:
        chat = "19:meeting-chat-1234@thread.v2"
        activity = group_mention(teams.service_url, "How do I connect to the VPN?", chat)
        await teams.post(activity)
        sent = teams.connector.in_conversation(chat)
        assert [s.type for s in sent] == ["typing", "message"]
        reply = sent[-1]
        assert reply.text.startswith(messages.EXTRACTIVE_INTRO)
        assert "[1]" in reply.text
        entity = reply.entity("https://schema.org/Message")
        assert entity is not None and entity["citation"]
        # quotes as written: not labelled as AI-generated
        assert "additionalType" not in entity


async def test_message_without_mention_in_a_channel_is_ignored(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    async with TeamsHarness(services) as teams:
        activity = channel_mention(teams.service_url, "lunch anyone?")
        activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
        activity["text"] = "lunch anyone?"
        await teams.post(activity)
        assert teams.connector.sent == []


async def test_personal_chat_streams_informative_then_text_then_final(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake(delay=0.45)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        chat = "a:1personal-alice"
        activity = personal_message(
            teams.service_url, "How many days of annual leave do I get?", ALICE, chat
        )
        response = await teams.post(activity)
        assert response.status == 202
        assert teams.connector.rejected == []
        # the acknowledgement: a plain typing indicator, before the HTTP response
        ack, *sent = teams.connector.in_conversation(chat)
        assert ack.type == "typing" and ack.streaminfo is None and not ack.text
        infos = [s.streaminfo for s in sent]
        assert all(infos), "every activity of the answer belongs to the stream"
        kinds = [i["streamType"] for i in infos if i]
        assert kinds[0] == "informative" and kinds[-1] == "final"
        assert kinds.count("streaming") >= 2 and set(kinds[1:-1]) == {"streaming"}
        assert sent[0].type == "typing" and sent[0].text == messages.SEARCHING
        stream_id = sent[0].activity_id
        assert stream_id and all(i["streamId"] == stream_id for i in infos[1:] if i)
        sequences = [i["streamSequence"] for i in infos[:-1] if i]
        assert sequences == list(range(1, len(sequences) + 1))
        assert "streamSequence" not in infos[-1]  # type: ignore[operator]
        # each update carries the text so far; the final message the whole answer
        texts = [s.text for s in sent[1:-1]]
        for earlier, later in itertools.pairwise(texts):
            assert later.startswith(earlier) and len(later) > len(earlier)
        final = sent[-1]
        assert final.type == "message" and final.text.startswith(texts[0])
        assert "[1]" in final.text
        assert final.entity("https://schema.org/Message")["additionalType"] == [  # type: ignore[index]
            "AIGeneratedContent"
        ]
        assert final.activity["channelData"]["feedbackLoop"] == {"type": "default"}
        assert final.activity["channelData"]["streamType"] == "final"


async def test_restricted_document_only_in_the_entitled_askers_personal_chat(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake()
    services = make_services(synced_dir, onnx_embedder, claude)
    question = "What are the salary bands for 2026? L3 base salary midpoint"
    async with TeamsHarness(services) as teams:
        # in a channel, even Hannah (hr-team) gets public documents only
        channel = channel_mention(teams.service_url, question, sender=HANNAH)
        await teams.post(channel)
        reply = teams.connector.messages(channel["conversation"]["id"])[-1]
        assert "salary-bands-2026" not in str(reply.activity)
        # nothing public answers, so Claude may not be asked at all; if it is, never with it
        assert all(
            "salary-bands-2026" not in r["source"]
            for request in claude.requests
            for r in claude.search_results(request)
        )

        # Alice (not in hr-team) in a 1:1: still not
        alice_chat = "a:1personal-alice-salary"
        await teams.post(personal_message(teams.service_url, question, ALICE, alice_chat))
        final = teams.connector.messages(alice_chat)[-1]
        assert "salary-bands-2026" not in str(final.activity)

        # Hannah in her 1:1: the restricted page is searched and cited
        hannah_chat = "a:1personal-hannah"
        await teams.post(personal_message(teams.service_url, question, HANNAH, hannah_chat))
        sources = [r["source"] for r in claude.search_results(claude.requests[-1])]
        assert any("salary-bands-2026" in s for s in sources)
        final = teams.connector.messages(hannah_chat)[-1]
        claims = final.entity("https://schema.org/Message")["citation"]  # type: ignore[index]
        assert any("salary-bands-2026" in c["appearance"]["url"] for c in claims)


async def test_feedback_invoke_is_recorded_and_answered_200_with_an_empty_object(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake()
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        activity = channel_mention(teams.service_url, "How do I report a phishing email?")
        await teams.post(activity)
        reply = teams.connector.messages(activity["conversation"]["id"])[-1]
        before = len(services.chat.feedback_rows())
        invoke = feedback_invoke(
            teams.service_url,
            activity["conversation"],
            str(reply.activity_id),
            "dislike",
            "The link in step 2 is broken",
        )
        response = await teams.post(invoke)
        # the documented answer to the invoke: 200 with an empty JSON object
        assert response.status == 200
        assert await response.json() == {}
        rows = services.chat.feedback_rows()[before:]
        assert len(rows) == 1
        row = rows[0]
        assert row["platform"] == "teams" and row["rating"] == -1
        assert row["question"] == "How do I report a phishing email?"
        assert row["answer"] == reply.text
        assert row["doc_ids"] and row["comment"] == "The link in step 2 is broken"
        assert row["user_id"] == "aad-alice"
        # Teams shows its own confirmation: the bot sends nothing
        assert teams.connector.messages(activity["conversation"]["id"])[-1] is reply


async def test_feedback_on_a_streamed_answer_finds_it_by_stream_id(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    async with TeamsHarness(services) as teams:
        chat = "a:1personal-alice-feedback"
        activity = personal_message(teams.service_url, "How do I reset my password?", ALICE, chat)
        await teams.post(activity)
        stream_id = teams.connector.in_conversation(chat)[1].activity_id
        conversation = activity["conversation"]
        before = len(services.chat.feedback_rows())
        response = await teams.post(
            feedback_invoke(teams.service_url, conversation, str(stream_id), "like")
        )
        assert response.status == 200
        row = services.chat.feedback_rows()[before]
        assert row["rating"] == 1 and row["question"] == "How do I reset my password?"
        assert row["comment"] is None


async def test_throttled_connector_is_retried_after_retry_after(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    async with TeamsHarness(services) as teams:
        teams.connector.throttle(2, retry_after="1")
        chat = "19:throttled-chat@thread.v2"
        started = time.monotonic()
        await teams.post(group_mention(teams.service_url, "How do I connect to the VPN?", chat))
        elapsed = time.monotonic() - started
        assert teams.connector.throttled == 2
        sent = teams.connector.in_conversation(chat)
        assert [s.type for s in sent] == ["typing", "message"]  # nothing lost, nothing doubled
        assert elapsed >= 2.0


async def test_answer_service_error_shows_its_message_and_leaks_nothing(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = ClaudeFake(fail_status=529)
    services = make_services(synced_dir, onnx_embedder, claude)
    async with TeamsHarness(services) as teams:
        chat = "a:1personal-alice-error"
        await teams.post(
            personal_message(teams.service_url, "How do I reset my password?", ALICE, chat)
        )
        sent = teams.connector.in_conversation(chat)
        assert teams.connector.rejected == []
        final = sent[-1]
        assert final.streaminfo and final.streaminfo["streamType"] == "final"
        assert final.text == messages.CLAUDE_OVERLOADED
        assert final.entity("https://schema.org/Message") is None
