"""A local fake of Slack's Socket Mode: a real aiohttp WebSocket server on 127.0.0.1
(random port) speaking the protocol the way Slack does
(https://docs.slack.dev/apis/events-api/using-socket-mode).

- `apps.connections.open` on `FakeSlackApi` answers `url` (set by `attach`), a
  `ws://…/link/?ticket=…` URL; every connection first receives
  `{"type": "hello", "num_connections": n, "connection_info": {...}, "debug_info": {...}}`.
- `send(kind, payload)` wraps a payload in an envelope
  `{"envelope_id", "type": "events_api" | "slash_commands" | "interactive", "payload",
  "accepts_response_payload", "retry_attempt", "retry_reason"}` and sends it on the
  newest connection. The client acknowledges with `{"envelope_id": ..., "payload"?: ...}`;
  acks are recorded in `acks` (envelope id → list of ack messages).
- An envelope not acknowledged when its connection goes away is redelivered on the next
  connection with `retry_attempt` + 1 and `retry_reason: "timeout"`, as Slack retries.
- `drop()` closes the connection like a network drop / server restart (close code 1001,
  any ack still in flight on it is lost); `disconnect(reason)` sends
  `{"type": "disconnect", "reason": "refresh_requested" | "warning" | ...}`, after which
  the client opens a new connection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.slack_api import FakeSlackApi

APP_ID = "A0HELPDESK"
_envelopes = itertools.count(1)
_tickets = itertools.count(1)


@dataclass
class Connection:
    ws: web.WebSocketResponse
    number: int
    dropping: bool = False  # acks arriving on a dropped connection never reach Slack


@dataclass
class Envelope:
    envelope_id: str
    kind: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""

    def message(self) -> dict[str, Any]:
        return {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.kind,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
        }


@dataclass
class FakeSocketMode:
    connections: list[Connection] = field(default_factory=list)
    acks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delivered: list[Envelope] = field(default_factory=list)  # every send, redeliveries too
    port: int = 0
    _pending: dict[str, Envelope] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ server
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close(code=WSCloseCode.GOING_AWAY)
        if self._runner is not None:
            await self._runner.cleanup()

    def attach(self, api: FakeSlackApi) -> None:
        """`apps.connections.open` on the Web API fake hands out this server's URL."""
        api.socket_mode_url = f"ws://127.0.0.1:{self.port}/link/?ticket=t-{next(_tickets)}"

    @property
    def open_connections(self) -> list[Connection]:
        return [c for c in self.connections if not c.ws.closed and not c.dropping]

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(ws=ws, number=len(self.connections) + 1)
        self.connections.append(conn)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.open_connections),
                "debug_info": {
                    "host": "applink-fake-1",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": APP_ID},
            }
        )
        for envelope in list(self._pending.values()):  # Slack retries what was not acked
            envelope.retry_attempt += 1
            envelope.retry_reason = "timeout"
            await self._deliver(conn, envelope)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT or conn.dropping:
                continue
            data = json.loads(msg.data)
            envelope_id = data.get("envelope_id")
            if envelope_id:
                self.acks.setdefault(str(envelope_id), []).append(data)
                self._pending.pop(str(envelope_id), None)
        return ws

    async def _deliver(self, conn: Connection, envelope: Envelope) -> None:
        self._pending[envelope.envelope_id] = envelope
        self.delivered.append(replace(envelope))  # a snapshot (retry_attempt changes)
        await conn.ws.send_json(envelope.message())

    # ------------------------------------------------------------------ driving
    async def wait_connected(self, count: int = 1, within: float = 15.0) -> Connection:
        """Until `count` connections were opened in all and the newest is open."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(self.connections) >= count and self.open_connections:
                return self.open_connections[-1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no Socket Mode connection #{count} (have {len(self.connections)})")

    async def send(self, kind: str, payload: dict[str, Any], *, drop: bool = False) -> str:
        """Deliver an envelope on the newest open connection; `drop=True` loses the
        connection right after sending, before any ack can arrive."""
        conn = await self.wait_connected()
        envelope = Envelope(
            envelope_id=f"{next(_envelopes):08x}-fake-{kind}",
            kind=kind,
            payload=payload,
            accepts_response_payload=kind != "events_api",
        )
        if drop:
            conn.dropping = True
        await self._deliver(conn, envelope)
        if drop:
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"connection lost")
        return envelope.envelope_id

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        conn = await self.wait_connected()
        await conn.ws.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}}
        )

    async def drop(self) -> None:
        conn = await self.wait_connected()
        conn.dropping = True
        await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"connection lost")

    async def wait_acked(self, envelope_id: str, within: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.acks.get(envelope_id):
                return self.acks[envelope_id][0]
            await asyncio.sleep(0.02)
        raise AssertionError(f"envelope {envelope_id} was never acknowledged")

    @property
    def unacked(self) -> list[str]:
        return list(self._pending)
