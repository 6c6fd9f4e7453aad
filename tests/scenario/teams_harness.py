"""Shared pieces of the Teams scenario tests: Teams-shaped activity JSON, a Claude fake
(MockTransport answering with real SSE events and `search_result_location` citations),
and a harness running the real aiohttp route with botbuilder against the fake connector.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from llama_index.core.embeddings import BaseEmbedding

from bot.adapters.teams.routes import BOT_KEY, add_teams_routes
from bot.services import Services, build_services
from bot.settings import Settings
from connectors.files import FilesConnector
from tests.conftest import SAMPLES
from tests.fakes.teams_connector import FakeTeamsConnector

BOT_ID = "28:bot-app-id"
BOT_NAME = "Helpdesk"
HELP_URL = "https://help.northwind.example/"
TENANT = "72f988bf-0000-0000-0000-000000000000"
TEAM_ID = "19:team-general@thread.tacv2"
_ids = itertools.count(1_800_000_000_001)


def user(aad: str, name: str) -> dict[str, Any]:
    return {"id": f"29:{aad}", "name": name, "aadObjectId": aad}


ALICE = user("aad-alice", "Alice Employee")
HANNAH = user("aad-hannah", "Hannah HR")
MEMBERS = {
    "29:aad-alice": {
        "id": "29:aad-alice",
        "name": "Alice Employee",
        "aadObjectId": "aad-alice",
        "email": "alice@northwind.example",
        "userPrincipalName": "alice@northwind.example",
        "tenantId": TENANT,
        "userRole": "user",
    },
    "29:aad-hannah": {
        "id": "29:aad-hannah",
        "name": "Hannah HR",
        "aadObjectId": "aad-hannah",
        "email": "hannah.hr@northwind.example",
        "userPrincipalName": "hannah.hr@northwind.example",
        "tenantId": TENANT,
        "userRole": "user",
    },
}


def _base(service_url: str, sender: dict[str, Any], conversation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(next(_ids)),
        "timestamp": "2026-03-02T09:15:00.000Z",
        "localTimestamp": "2026-03-02T10:15:00.000+01:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender,
        "conversation": conversation,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "locale": "en-US",
        "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}],
    }


def mention_entity() -> dict[str, Any]:
    return {
        "type": "mention",
        "text": f"<at>{BOT_NAME}</at>",
        "mentioned": {"id": BOT_ID, "name": BOT_NAME},
    }


def channel_mention(
    service_url: str, question: str, *, root_id: str | None = None, sender: dict[str, Any] = ALICE
) -> dict[str, Any]:
    """An @mention in a channel. A new post starts a reply chain whose root is the post
    itself; a reply names the chain's root in the conversation id."""
    activity = _base(service_url, sender, {})
    root = root_id or activity["id"]
    activity.update(
        type="message",
        text=f"<at>{BOT_NAME}</at> {question}",
        textFormat="plain",
        attachments=[{"contentType": "text/html", "content": f"<p>{question}</p>"}],
        conversation={
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"19:general@thread.tacv2;messageid={root}",
        },
        channelData={
            "teamsChannelId": "19:general@thread.tacv2",
            "teamsTeamId": TEAM_ID,
            "channel": {"id": "19:general@thread.tacv2"},
            "team": {"id": TEAM_ID},
            "tenant": {"id": TENANT},
        },
    )
    activity["entities"].insert(0, mention_entity())
    return activity


def group_mention(service_url: str, question: str, chat_id: str) -> dict[str, Any]:
    activity = _base(
        service_url,
        ALICE,
        {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT, "id": chat_id},
    )
    activity.update(
        type="message",
        text=f"<at>{BOT_NAME}</at> {question}",
        textFormat="plain",
        channelData={"tenant": {"id": TENANT}},
    )
    activity["entities"].insert(0, mention_entity())
    return activity


def personal_message(
    service_url: str, text: str, sender: dict[str, Any], chat_id: str
) -> dict[str, Any]:
    activity = _base(
        service_url,
        sender,
        {"conversationType": "personal", "tenantId": TENANT, "id": chat_id},
    )
    activity.update(type="message", text=text, textFormat="plain")
    activity["channelData"] = {"tenant": {"id": TENANT}}
    return activity


def feedback_invoke(
    service_url: str,
    conversation: dict[str, Any],
    reply_to_id: str,
    reaction: str,
    text: str = "",
    sender: dict[str, Any] = ALICE,
) -> dict[str, Any]:
    activity = _base(service_url, sender, conversation)
    activity.update(
        type="invoke",
        name="message/submitAction",
        replyToId=reply_to_id,
        value={
            "actionName": "feedback",
            "actionValue": {
                "reaction": reaction,
                "feedback": json.dumps({"feedbackText": text}),
            },
        },
        channelData={"tenant": {"id": TENANT}},
    )
    return activity


# ---------------------------------------------------------------------- Claude fake
def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class ClaudeFake:
    """Answers /v1/messages like the real API: streamed text deltas, then a citation of
    the first search result it was sent. Records every request body."""

    def __init__(
        self,
        delay: float = 0.0,
        fail_status: int | None = None,
        gate: asyncio.Event | None = None,
    ) -> None:
        self.delay = delay
        self.fail_status = fail_status
        self.gate = gate  # streamed answers wait for it (a slow Claude, released by the test)
        self.requests: list[dict[str, Any]] = []
        self.answered = 0  # streamed answers completed

    @staticmethod
    def search_results(body: dict[str, Any]) -> list[dict[str, Any]]:
        content = body["messages"][-1]["content"]
        if isinstance(content, str):
            return []
        return [b for b in content if b.get("type") == "search_result"]

    async def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if self.fail_status is not None:
            kind = "overloaded_error" if self.fail_status == 529 else "api_error"
            return httpx2.Response(
                self.fail_status,
                json={"type": "error", "error": {"type": kind, "message": "unavailable"}},
            )
        if not body.get("stream"):
            return httpx2.Response(
                200,
                json={
                    "id": "msg_rewrite",
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": [{"type": "text", "text": body["messages"][-1]["content"]}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 10},
                },
            )
        if self.gate is not None:
            await self.gate.wait()
        results = self.search_results(body)
        first = results[0]
        passage = first["content"][0]["text"]
        cited = passage.split("\n")[0][:200]
        words = (
            f"Per {first['title']}, here is what applies to you: {cited} "
            "If anything is unclear, your manager or the helpdesk can explain it."
        ).split()
        chunks = [" ".join(words[i : i + 3]) + " " for i in range(0, len(words), 3)]
        return httpx2.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=self._events(body["model"], chunks, first, cited),
        )

    async def _events(
        self, model: str, chunks: list[str], first: dict[str, Any], cited: str
    ) -> AsyncIterator[bytes]:
        yield _sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 50, "output_tokens": 1},
                },
            },
        )
        yield _sse(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": "", "citations": []},
            },
        )
        for chunk in chunks:
            if self.delay:
                await asyncio.sleep(self.delay)
            yield _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": chunk},
                },
            )
        yield _sse(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {
                    "type": "citations_delta",
                    "citation": {
                        "type": "search_result_location",
                        "cited_text": cited,
                        "search_result_index": 0,
                        "source": first["source"],
                        "title": first["title"],
                        "start_block_index": 0,
                        "end_block_index": 1,
                    },
                },
            },
        )
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 40},
            },
        )
        yield _sse("message_stop", {"type": "message_stop"})
        self.answered += 1


# ---------------------------------------------------------------------- harness
def make_services(
    data_dir: Path,
    embedder: BaseEmbedding,
    claude: ClaudeFake | None = None,
    **settings: Any,
) -> Services:
    extra: dict[str, Any] = {}
    client = None
    if claude is not None:
        extra["anthropic_api_key"] = "sk-ant-test"
        extra["anthropic_max_retries"] = 0
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(claude.handler))
    values: dict[str, Any] = {
        "helpdesk_data_dir": data_dir,
        "files_path": SAMPLES,
        "microsoft_app_tenant_id": TENANT,  # the organisation the bot is installed in
        **extra,
    }
    values.update(settings)
    config = Settings(_env_file=None, **values)
    return build_services(config, embedder=embedder, anthropic_http_client=client)


_SYNCED: dict[str, Path] = {}


def synced_samples(tmp_path_factory: Any, embedder: BaseEmbedding) -> Path:
    """A data dir with the sample help centre indexed, synced once per test session and
    shared by the Teams test modules (each uses its own conversation ids)."""
    if "dir" not in _SYNCED:
        data_dir = tmp_path_factory.mktemp("teams-data")
        services = make_services(data_dir, embedder)
        progress = services.sync_engine().run(FilesConnector(SAMPLES, base_url=HELP_URL))
        assert progress.failed == 0 and progress.added > 10
        services.state.dispose()
        _SYNCED["dir"] = data_dir
    return _SYNCED["dir"]


class TeamsHarness:
    """The real `/api/messages` route on an aiohttp test server + the fake connector."""

    def __init__(
        self, services: Services, admin: Any = None, token_http_client: Any = None
    ) -> None:
        self.services = services
        self.admin = admin
        self.token_http_client = token_http_client
        self.connector = FakeTeamsConnector(members=dict(MEMBERS))
        self.client: TestClient[web.Request, web.Application] | None = None
        self.app = web.Application()

    async def __aenter__(self) -> TeamsHarness:
        await self.connector.start()
        add_teams_routes(
            self.app, self.services, self.admin, token_http_client=self.token_http_client
        )
        self.client = TestClient(TestServer(self.app))
        await self.client.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app[BOT_KEY].drain()
        assert self.client is not None
        await self.client.close()
        await self.connector.stop()

    @property
    def service_url(self) -> str:
        return self.connector.url

    @property
    def bot(self) -> Any:
        return self.app[BOT_KEY]

    async def post(
        self,
        activity: dict[str, Any],
        headers: dict[str, str] | None = None,
        *,
        settle: bool = True,
    ) -> Any:
        """POST the activity; with `settle`, also wait until everything the bot started
        for it out of band (the answer) has been sent."""
        assert self.client is not None
        response = await self.client.post("/api/messages", json=activity, headers=headers or {})
        await response.read()
        if settle:
            assert await self.bot.drain(wait=60.0), "the answer was not sent within 60 s"
        return response
