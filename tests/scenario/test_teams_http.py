"""Teams endpoint at the HTTP level: authentication stays on when an app id is
configured, and bad requests are answered 400 without reaching the bot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from bot import messages
from bot.services import Services
from connectors.embedder import HashingEmbedding
from tests.scenario.teams_harness import (
    ALICE,
    BOT_ID,
    TENANT,
    TeamsHarness,
    channel_mention,
    make_services,
    personal_message,
)


@pytest.fixture
def secured(data_dir: Path) -> Services:
    """A bot registered in Azure: app id, secret and tenant set (SingleTenant)."""
    return make_services(
        data_dir,
        HashingEmbedding(),
        MicrosoftAppId="00000000-1111-2222-3333-444444444444",
        MicrosoftAppPassword="not-a-real-secret",
        MicrosoftAppTenantId=TENANT,
        MicrosoftAppType="SingleTenant",
    )


def forged_token(issuer: str) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": "00000000-1111-2222-3333-444444444444",
        "serviceurl": "http://127.0.0.1/",
        "nbf": now - 60,
        "exp": now + 3600,
    }
    return jwt.encode(claims, "attacker-chosen-key-long-enough-for-hs256!", algorithm="HS256")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer not-a-jwt",
        f"Bearer {forged_token('https://attacker.example')}",
    ],
    ids=["no-header", "basic", "garbage", "wrong-issuer"],
)
async def test_unauthenticated_request_is_rejected_when_an_app_id_is_configured(
    secured: Services, authorization: str | None
) -> None:
    async with TeamsHarness(secured) as teams:
        activity = channel_mention(teams.service_url, "What is the VPN address?")
        headers = {"Authorization": authorization} if authorization else {}
        response = await teams.post(activity, headers=headers)
        assert response.status == 401
        assert teams.connector.requests == 0, "nothing is sent for a rejected request"
        assert secured.chat.recent_turns("teams", activity["conversation"]["id"]) == []


@pytest.fixture
def open_bot(data_dir: Path) -> Services:
    return make_services(data_dir, HashingEmbedding())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"type": "message", "text": ', "application/json"),
        (b'{"type": "message", "text": "hi"}', None),
        (b'{"type": "message", "text": "hi"}', "text/plain"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"text": "no type"}', "application/json"),
        (b"\xff\xfe", "application/json"),
    ],
    ids=["truncated-json", "no-content-type", "text-plain", "array", "no-type", "not-utf8"],
)
async def test_malformed_request_is_answered_400_not_500(
    open_bot: Services, body: bytes, content_type: str | None
) -> None:
    async with TeamsHarness(open_bot) as teams:
        assert teams.client is not None
        headers = {"Content-Type": content_type} if content_type else {}
        response = await teams.client.post("/api/messages", data=body, headers=headers)
        assert response.status == 400
        assert teams.connector.requests == 0


async def test_empty_mention_gets_a_prompt_instead_of_an_answer(open_bot: Services) -> None:
    async with TeamsHarness(open_bot) as teams:
        activity = channel_mention(teams.service_url, "")
        await teams.post(activity)
        sent = teams.connector.messages(activity["conversation"]["id"])
        assert [s.text for s in sent] == [messages.EMPTY_QUESTION]


async def test_duplicate_delivery_is_answered_once(open_bot: Services) -> None:
    async with TeamsHarness(open_bot) as teams:
        chat = "a:1personal-dup"
        activity = personal_message(teams.service_url, "Where is the VPN guide?", ALICE, chat)
        await teams.post(activity)
        first = len(teams.connector.in_conversation(chat))
        await teams.post(activity)
        assert first > 0 and len(teams.connector.in_conversation(chat)) == first


async def test_installing_the_app_in_a_personal_chat_says_hello(open_bot: Services) -> None:
    async with TeamsHarness(open_bot) as teams:
        chat = "a:1personal-new"
        activity: dict[str, Any] = personal_message(teams.service_url, "", ALICE, chat)
        activity.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
        del activity["text"]
        await teams.post(activity)
        assert [s.text for s in teams.connector.messages(chat)] == [messages.TEAMS_WELCOME]
