"""Socket Mode end to end: `helpdesk serve`'s own start-up (`bot.server.create_app` with
SLACK_APP_TOKEN and no signing secret) runs the real Bolt `AsyncSocketModeHandler`
against `FakeSocketMode` (Slack's WebSocket protocol) and `FakeSlackApi` (Web API).

One conversation over one process: a mention answered in its thread, `/helpdesk ask`,
a feedback button, `disconnect` messages (refresh_requested, warning) and a dropped connection whose
un-acknowledged envelope Slack redelivers — answered once, not lost, not doubled."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import messages
from bot.adapters.slack import SlackBot
from bot.adapters.slack.api import SlackClient
from bot.server import SLACK_KEY, create_app
from bot.services import Services
from connectors.embedder import OnnxEmbedding
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackApi
from tests.fakes.slack_socket_mode import APP_ID, FakeSocketMode
from tests.scenario.slack_harness import (
    DANA,
    HANNAH,
    PUBLIC,
    make_services,
    mention,
    seed_workspace,
    synced_index,
)

APP_TOKEN = "xapp-1-A0HELPDESK-1234-abcdef"


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return synced_index(tmp_path_factory, onnx_embedder)


class Running:
    def __init__(
        self, api: FakeSlackApi, socket: FakeSocketMode, bot: SlackBot, services: Services
    ) -> None:
        self.api, self.socket, self.bot, self.services = api, socket, bot, services
        self._events = 0

    def event_body(self, event: dict[str, Any]) -> dict[str, Any]:
        self._events += 1
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"EvSOCKET{self._events:04d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
            ],
            "is_ext_shared_channel": False,
        }

    async def ask(self, question: str, *, drop: bool = False) -> tuple[dict[str, Any], str]:
        ev = mention(PUBLIC, DANA[0], question)
        self.api.add_message(PUBLIC, ev["ts"], DANA[0], ev["text"])
        envelope = await self.socket.send("events_api", self.event_body(ev), drop=drop)
        return ev, envelope


@pytest.fixture
async def running(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding
) -> AsyncIterator[Running]:
    services = make_services(
        synced_dir,
        tmp_path,
        onnx_embedder,
        slack_bot_token="xoxb-test",
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,  # Socket Mode needs none
    )
    api, socket = FakeSlackApi(), FakeSocketMode()
    await api.start()
    await socket.start()
    socket.attach(api)
    seed_workspace(api)
    app = create_app(services, slack_client=SlackClient(token="xoxb-test", base_url=api.api_url))
    server: TestClient[Any, Any] = TestClient(TestServer(app))
    await server.start_server()  # starts the Socket Mode handler, as `helpdesk serve` does
    try:
        yield Running(api, socket, app[SLACK_KEY], services)
    finally:
        await app[SLACK_KEY].background.drain(30)
        await server.close()
        await socket.stop()
        await api.stop()
        services.state.dispose()


async def test_socket_mode_answers_commands_buttons_and_survives_reconnects(
    running: Running,
) -> None:
    r = running
    await r.socket.wait_connected(1)
    assert len(r.api.calls_to("apps.connections.open")) == 1

    # a mention: acked by envelope id, answered in its thread with sources and buttons
    ev, envelope = await r.ask("how do I set up the VPN on a mac?")
    ack = await r.socket.wait_acked(envelope)
    assert ack == {"envelope_id": envelope}
    await r.bot.background.drain(30)
    (answer,) = r.api.answers_in(PUBLIC, ev["ts"])
    assert "VPN" in answer.text and answer.thread_ts == ev["ts"]
    feedback = next(b for b in answer.blocks if b.get("block_id", "").startswith("helpdesk_fe"))
    (buttons,) = feedback["elements"]
    assert buttons["type"] == "feedback_buttons"

    # a slash command: acked at once, answered privately
    command = await r.socket.send(
        "slash_commands",
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "team_domain": "northwind",
            "channel_id": PUBLIC,
            "channel_name": "general",
            "user_id": HANNAH[0],
            "user_name": "hannah",
            "command": "/helpdesk",
            "text": "ask What are the salary bands for an L3 engineer?",
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": f"{r.api.api_url}response_url",
            "trigger_id": "1337.42.abcd",
        },
    )
    await r.socket.wait_acked(command)
    await r.bot.background.drain(30)
    (private,) = [c.args for c in r.api.calls_to("chat.postEphemeral")]
    assert private["user"] == HANNAH[0]
    assert "Salary bands 2026" in json.dumps(private["blocks"], ensure_ascii=False)

    # a button press (interactive envelope): the vote is recorded, the voter thanked
    click = await r.socket.send(
        "interactive",
        {
            "type": "block_actions",
            "user": {"id": HANNAH[0], "team_id": TEAM},
            "api_app_id": APP_ID,
            "team": {"id": TEAM, "domain": "northwind"},
            "container": {
                "type": "message",
                "message_ts": answer.ts,
                "channel_id": PUBLIC,
                "is_ephemeral": False,
                "thread_ts": ev["ts"],
            },
            "channel": {"id": PUBLIC, "name": "general"},
            "message": {"type": "message", "ts": answer.ts, "thread_ts": ev["ts"]},
            "trigger_id": "1337.42.efgh",
            "response_url": f"{r.api.api_url}response_url",
            "actions": [
                {
                    "type": "feedback_buttons",
                    "action_id": buttons["action_id"],
                    "block_id": feedback["block_id"],
                    "value": buttons["positive_button"]["value"],
                    "text": buttons["positive_button"]["text"],
                    "action_ts": str(time.time()),
                }
            ],
        },
    )
    await r.socket.wait_acked(click)
    await r.bot.background.drain(30)
    (row,) = r.services.chat.feedback_rows()
    assert row["rating"] == 1 and row["user_id"] == HANNAH[0]
    assert row["question"] == "how do I set up the VPN on a mac?"
    assert r.api.calls_to("chat.postEphemeral")[-1].args["text"] == messages.FEEDBACK_THANKS

    # Slack refreshes the connection: the client opens a new one and keeps answering
    await r.socket.disconnect("refresh_requested")
    await r.socket.wait_connected(2)
    assert len(r.api.calls_to("apps.connections.open")) == 2
    ev2, envelope2 = await r.ask("how do I reset my password?")
    await r.socket.wait_acked(envelope2)
    await r.bot.background.drain(30)
    assert len(r.api.answers_in(PUBLIC, ev2["ts"])) == 1
    # a `warning` (Slack is about to close this connection) is handled the same way
    await r.socket.disconnect("warning")
    await r.socket.wait_connected(3)
    assert len(r.api.calls_to("apps.connections.open")) == 3

    # the connection drops right after an envelope was sent, before its ack: the client
    # reconnects, Slack redelivers the envelope, and the question is answered exactly once
    ev3, envelope3 = await r.ask("how many days of annual leave do I get?", drop=True)
    await r.socket.wait_connected(4)
    await r.socket.wait_acked(envelope3)
    await r.bot.background.drain(30)
    retries = [e for e in r.socket.delivered if e.envelope_id == envelope3]
    assert [e.retry_attempt for e in retries] == [0, 1]
    assert retries[1].retry_reason == "timeout"
    (third,) = r.api.answers_in(PUBLIC, ev3["ts"])
    assert "leave" in third.text.lower()
    assert r.socket.unacked == []
    # every answer in the run went to its own question's thread, once
    threads = [str(p.thread_ts) for p in r.api.posted if p.streaming or p.blocks]
    assert sorted(threads) == sorted([ev["ts"], ev2["ts"], ev3["ts"]])
