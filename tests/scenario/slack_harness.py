"""The Slack adapter end to end: the real server (`bot.server.create_app`) with the
real Bolt `AsyncApp`, behind aiohttp's test server, receiving signed requests; its
`AsyncWebClient` points at `FakeSlackApi`. Answers come from the real engine over the
synced samples (extractive, or Claude through `FakeClaude`)."""

from __future__ import annotations

import itertools
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.slack import SlackBot
from bot.adapters.slack.api import SlackClient
from bot.server import SLACK_KEY, create_app, tune_interpreter_for_serving
from bot.services import Services, build_services
from bot.settings import Settings
from connectors.embedder import OnnxEmbedding
from connectors.files import FilesConnector
from tests.conftest import SAMPLES
from tests.fakes.claude import FakeClaude
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackApi, next_ts, sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
HANNAH = ("U0HANNAH", "hannah.hr@northwind.example")
DANA = ("U0DANA01", "dana.dev@northwind.example")
PUBLIC = "C0GENERAL"
PRIVATE = "G0PRIVATE"
SHARED = "C0SHARED1"
DM_HANNAH = "D0HANNAH"
DM_DANA = "D0DANA01"

_ids = itertools.count(1)


_synced: dict[str, Path] = {}


def synced_index(tmp_path_factory: Any, embedder: OnnxEmbedding) -> Path:
    """The samples synced once per test session (about 40 s), shared read-only by the
    Slack test modules; each test gets its own copy of the state database."""
    if "dir" not in _synced:
        data = tmp_path_factory.mktemp("slack-index")
        settings = Settings(_env_file=None, helpdesk_data_dir=data, files_path=SAMPLES)
        services = build_services(settings, embedder=embedder)
        run = services.sync_engine().run(FilesConnector(SAMPLES))
        assert run.status == "succeeded" and run.failed == 0
        services.state.dispose()
        _synced["dir"] = data
    return _synced["dir"]


def settings_for(data: Path, state_db: Path, **extra: Any) -> Settings:
    extra = {"slack_signing_secret": SECRET, "run_worker": False, **extra}
    return Settings(
        _env_file=None,
        helpdesk_data_dir=data,
        database_url=f"sqlite:///{state_db}",
        files_path=SAMPLES,
        **extra,
    )


def make_services(
    synced: Path,
    tmp: Path,
    embedder: OnnxEmbedding,
    claude: FakeClaude | None = None,
    **extra: Any,
) -> Services:
    """Services over the shared synced index, with a private copy of its state."""
    state_db = tmp / "state.sqlite3"
    shutil.copy(synced / "state.sqlite3", state_db)
    if claude is not None:
        extra = {"anthropic_api_key": "sk-test", "anthropic_max_retries": 0, **extra}
    settings = settings_for(synced, state_db, **extra)
    return build_services(
        settings,
        embedder=embedder,
        anthropic_http_client=claude.client() if claude is not None else None,
    )


def seed_workspace(fake: FakeSlackApi) -> None:
    fake.add_user(HANNAH[0], HANNAH[1], "Hannah")
    fake.add_user(DANA[0], DANA[1], "Dana")
    fake.add_channel(PUBLIC)
    fake.add_channel(PRIVATE, is_private=True)
    fake.add_channel(SHARED, is_ext_shared=True)
    fake.add_channel(DM_HANNAH, is_im=True, user=HANNAH[0])
    fake.add_channel(DM_DANA, is_im=True, user=DANA[0])


def new_ts() -> str:
    return next_ts()


@dataclass
class SlackHarness:
    fake: FakeSlackApi
    http: TestClient[Any, Any]
    services: Services
    app: web.Application
    sent: list[str] = field(default_factory=list)

    @property
    def bot(self) -> SlackBot:
        return self.app[SLACK_KEY]

    async def settle(self) -> None:
        await self.bot.background.drain(30)

    # ------------------------------------------------------------------ requests
    async def post(
        self,
        body: str,
        content_type: str,
        *,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> ClientResponse:
        all_headers = {"Content-Type": content_type, **sign(body, secret), **(headers or {})}
        return await self.http.post("/slack/events", data=body.encode(), headers=all_headers)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        secret: str = SECRET,
        ext_shared: bool = False,
    ) -> ClientResponse:
        if event.get("type") in ("message", "app_mention") and event.get("user"):
            known = {(m["channel"], m["ts"]) for m in self.fake.messages}
            if (event["channel"], event["ts"]) not in known:
                self.fake.add_message(
                    event["channel"],
                    event["ts"],
                    event["user"],
                    event["text"],
                    event.get("thread_ts"),
                )
        event_id = event_id or f"Ev{next(_ids):08d}"
        self.sent.append(event_id)
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM,
                "api_app_id": "A0HELPDESK",
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
                ],
                "is_ext_shared_channel": ext_shared,
            }
        )
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", secret=secret, headers=headers)

    async def command(self, text: str, user: str, channel: str) -> ClientResponse:
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM,
                "team_domain": "northwind",
                "channel_id": channel,
                "channel_name": channel.lower(),
                "user_id": user,
                "user_name": user.lower(),
                "command": "/helpdesk",
                "text": text,
                "api_app_id": "A0HELPDESK",
                "response_url": f"{self.fake.api_url}response_url",
                "trigger_id": "1337.42.abcd",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str,
        message_ts: str,
        thread_ts: str | None,
        kind: str = "button",
    ) -> ClientResponse:
        """A block action; `kind="feedback_buttons"`: Slack's native 👍/👎 element, whose
        action carries the pressed button's value and text."""
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        action: dict[str, Any] = {
            "type": kind,
            "action_id": action_id,
            "block_id": f"helpdesk_feedback_{value.rpartition(':')[2]}",
            "value": value,
            "action_ts": str(time.time()),
        }
        if kind == "feedback_buttons":
            up = value.startswith("up:")
            action["text"] = {"type": "plain_text", "text": "👍" if up else "👎"}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0HELPDESK",
            "team": {"id": TEAM, "domain": "northwind"},
            "container": container,
            "channel": {"id": channel, "name": channel.lower()},
            "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "text": ""},
            "trigger_id": "1337.42.efgh",
            "response_url": f"{self.fake.api_url}response_url",
            "actions": [action],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")


def mention(
    channel: str, user: str, text: str, *, ts: str | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "team": TEAM,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    channel: str,
    user: str,
    text: str,
    *,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
        "team": TEAM,
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def start_harness(services: Services) -> SlackHarness:
    fake = FakeSlackApi()
    await fake.start()
    seed_workspace(fake)
    client = SlackClient(token="xoxb-test", base_url=fake.api_url)
    tune_interpreter_for_serving()  # as `helpdesk serve` does at start-up
    app = create_app(services, slack_client=client)
    http: TestClient[Any, Any] = TestClient(TestServer(app))
    await http.start_server()
    return SlackHarness(fake=fake, http=http, services=services, app=app)


async def stop_harness(h: SlackHarness) -> None:
    await h.settle()
    await h.http.close()
    await h.fake.stop()
    h.services.state.dispose()
