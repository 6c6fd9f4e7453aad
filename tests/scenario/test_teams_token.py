"""The bot's connector token (client credentials from Entra ID) is requested once and
reused for every turn until shortly before it expires — botbuilder alone builds new
credentials, and so requests a new token, for every connector client it creates.

Registered bot (app id, secret, SingleTenant), inbound requests signed with the Bot
Framework's (locally served) keys, Entra ID's token endpoint faked on loopback; the
connector fake records the bearer token of every call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

from bot.services import Services
from connectors.embedder import HashingEmbedding
from tests.fakes.bot_framework_keys import BotFrameworkKeys, serve_keys
from tests.fakes.entra_token import FakeEntra, redirecting_session, serve_entra
from tests.scenario.teams_harness import (
    TENANT,
    TeamsHarness,
    channel_mention,
    make_services,
)

APP_ID = "00000000-1111-2222-3333-444444444444"
SECRET = "client-secret-value"
TURNS = 5


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotFrameworkKeys]:
    with serve_keys(BotFrameworkKeys()) as served:
        monkeypatch.setitem(
            JwtTokenExtractor.metadataCache,
            AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
            _OpenIdMetadata(served.metadata_url),
        )
        yield served


@pytest.fixture
def registered(data_dir: Path) -> Services:
    return make_services(
        data_dir,
        HashingEmbedding(),
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword=SECRET,
        MicrosoftAppTenantId=TENANT,
        MicrosoftAppType="SingleTenant",
    )


async def ask_turns(teams: TeamsHarness, keys: BotFrameworkKeys, turns: int) -> list[str]:
    conversations = []
    for n in range(turns):
        activity = channel_mention(teams.service_url, f"How do I connect to the VPN, take {n}?")
        token = keys.sign(keys.claims(APP_ID, teams.service_url))
        response = await teams.post(activity, headers={"Authorization": f"Bearer {token}"})
        assert response.status == 202
        conversations.append(activity["conversation"]["id"])
    return conversations


async def test_one_token_is_requested_for_many_turns(
    registered: Services, keys: BotFrameworkKeys
) -> None:
    with serve_entra(FakeEntra(APP_ID, SECRET)) as entra:
        session = redirecting_session(entra)
        async with TeamsHarness(registered, token_http_client=session) as teams:
            conversations = await ask_turns(teams, keys, TURNS)
            for conv in conversations:  # every turn acknowledged and answered
                assert [s.type for s in teams.connector.in_conversation(conv)] == [
                    "typing",
                    "message",
                ]
        assert len(entra.issued) == 1, entra.paths
        form = entra.token_requests[0]
        assert form["grant_type"] == "client_credentials" and form["client_id"] == APP_ID
        assert form["scope"] == "https://api.botframework.com/.default"
        # the in-request typing indicators and the proactive answers alike
        assert teams.connector.authorizations == ["Bearer fake-entra-token-1"] * (2 * TURNS)


async def test_a_token_about_to_expire_is_not_reused(
    registered: Services, keys: BotFrameworkKeys
) -> None:
    # Entra issues tokens that expire in 2 minutes: each is too close to its end
    with serve_entra(FakeEntra(APP_ID, SECRET, expires_in=120)) as entra:
        session = redirecting_session(entra)
        async with TeamsHarness(registered, token_http_client=session) as teams:
            await ask_turns(teams, keys, 2)
        assert len(entra.issued) >= 2
        assert teams.connector.authorizations[-1] == f"Bearer {entra.issued[-1]}"
