"""Issue 11 point 11: forged requests are refused, quietly.

A Teams activity whose token uses `alg: none`, a key id the Bot Framework never
published, a key-confusion HS256 signature or a bad signature is answered 401 — not 500
with a traceback at ERROR — and leaves exactly one short log line; so does a Slack
request with a bad signature. The real aiohttp server, botbuilder's real JWT validation
(keys from a local stand-in for the Bot Framework's key endpoint), the real Bolt app."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata
from cryptography.hazmat.primitives import serialization

from bot.services import Services
from connectors.embedder import HashingEmbedding
from tests.fakes.bot_framework_keys import BotFrameworkKeys, new_rsa_key, serve_keys
from tests.scenario.teams_harness import (
    TENANT,
    TeamsHarness,
    channel_mention,
    make_services,
)

APP_ID = "00000000-1111-2222-3333-444444444444"
QUESTION = "What is the VPN address?"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotFrameworkKeys]:
    """The Bot Framework's published keys, served on loopback: botbuilder's metadata for
    the real key endpoint URL is pointed at the local server (the network edge)."""
    with serve_keys(BotFrameworkKeys()) as served:
        monkeypatch.setitem(
            JwtTokenExtractor.metadataCache,
            AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
            _OpenIdMetadata(served.metadata_url),
        )
        yield served


@pytest.fixture
def secured(data_dir: Path) -> Services:
    return make_services(
        data_dir,
        HashingEmbedding(),
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="not-a-real-secret",
        MicrosoftAppTenantId=TENANT,
        MicrosoftAppType="SingleTenant",
    )


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(header)}.{b64(claims)}."


def forgeries(keys: BotFrameworkKeys, service_url: str) -> dict[str, str]:
    claims = keys.claims(APP_ID, service_url)
    attacker = new_rsa_key()
    public_pem = keys.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "alg-none-known-kid": unsigned({"alg": "none", "typ": "JWT", "kid": keys.kid}, claims),
        "alg-none-no-kid": unsigned({"alg": "none", "typ": "JWT"}, claims),
        "unknown-kid": jwt.encode(
            claims, attacker, algorithm="RS256", headers={"kid": "attacker-key-1"}
        ),
        "known-kid-wrong-key": jwt.encode(
            claims, attacker, algorithm="RS256", headers={"kid": keys.kid}
        ),
        # key confusion: HMAC "signed" with the published public key
        "hs256-with-public-key": jwt.encode(
            claims, public_pem.decode()[:64] * 2, algorithm="HS256", headers={"kid": keys.kid}
        ),
        "genuine-key-wrong-audience": keys.sign(keys.claims("another-bot", service_url)),
    }


FORGERIES = [
    "alg-none-known-kid",
    "alg-none-no-kid",
    "unknown-kid",
    "known-kid-wrong-key",
    "hs256-with-public-key",
    "genuine-key-wrong-audience",
]


def assert_one_short_line(caplog: pytest.LogCaptureFixture) -> None:
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(noisy) == 1, [r.getMessage() for r in noisy]
    [record] = noisy
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and not record.exc_text
    message = record.getMessage()
    assert "\n" not in message and len(message) < 160, message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_teams_token_is_a_401_with_one_short_log_line(
    secured: Services,
    keys: BotFrameworkKeys,
    forgery: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with TeamsHarness(secured) as teams:
        activity = channel_mention(teams.service_url, QUESTION)
        token = forgeries(keys, teams.service_url)[forgery]
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = await teams.post(activity, headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401, await response.text()
        assert_one_short_line(caplog)
        assert any("authentication failed" in r.getMessage() for r in caplog.records)
        assert teams.connector.requests == 0, "nothing is sent for a forged request"
        assert secured.chat.recent_turns("teams", activity["conversation"]["id"]) == []
    # the keys really were consulted: the forgeries failed validation, not a fetch
    assert "/v1/.well-known/keys" in keys.fetches


@pytest.mark.parametrize(
    "secret_text",
    [
        "my payroll number is 12345",
        # a JSON body whose text splits on '&' into 'ssl_check=1' is not Slack's
        # ssl_check ping: it is verified, not waved through to Bolt (which logs the body)
        "my payroll number is 12345 &ssl_check=1&",
    ],
    ids=["plain", "ssl_check inside a JSON body"],
)
async def test_forged_slack_request_is_a_401_with_one_short_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, secret_text: str
) -> None:
    from tests.scenario.slack_harness import (
        DANA,
        PUBLIC,
        SECRET,
        mention,
        start_harness,
        stop_harness,
    )
    from tests.scenario.test_worker_support import make_services as worker_services

    services = worker_services(
        f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path, slack_signing_secret=SECRET
    )
    h = await start_harness(services)
    try:
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            response = await h.event(mention(PUBLIC, DANA[0], secret_text), secret="not-the-secret")
        assert response.status == 401
        assert_one_short_line(caplog)
        assert not [r for r in caplog.records if secret_text in r.getMessage()], (
            "the forged body is not logged"
        )
        await h.settle()
        assert h.fake.calls_to("chat.startStream") == []
        assert h.fake.calls_to("chat.postMessage") == []

        # control: the same request signed with the real secret is answered
        response = await h.event(mention(PUBLIC, DANA[0], QUESTION))
        assert response.status == 200
        # control: Slack's own unsigned ssl_check ping is still answered (by Bolt)
        ping = await h.post(
            "ssl_check=1&token=legacy-verification-token",
            "application/x-www-form-urlencoded",
            secret="not-the-secret",
        )
        assert ping.status == 200
    finally:
        await stop_harness(h)
