"""A local fake of the Slack Web API: a real aiohttp server on 127.0.0.1 (random port)
that answers like Slack and records every call.

Point the real `AsyncWebClient(base_url=fake.api_url)` at it. What it knows:
- `auth.test` (the bot's identity), `users.info` (with `profile.email`),
  `conversations.info` (is_im / is_private / is_mpim / is_ext_shared),
  `conversations.replies` (messages seeded with `add_message` plus everything the bot
  posted or streamed into the thread), `conversations.open`;
- `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `chat.getPermalink`, `chat.startStream`,
  `chat.appendStream`, `chat.stopStream` (the streamed text is accumulated per message);
- `reactions.add` (answers `already_reacted` on a repeat);
- `assistant.threads.setStatus`, `.setSuggestedPrompts`, `.setTitle`;
- `apps.connections.open` (app-level token only): the URL of `FakeSocketMode`;
- switches: `rate_limit(method, times, retry_after)` answers 429 with Retry-After,
  `fail(method, error)` answers `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0NORTHW"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Posted:
    channel: str
    ts: str
    thread_ts: str | None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    streaming: bool = False


_last_ts = 0.0


def next_ts() -> str:
    """A message ts like Slack's ("1780000000.000100"): wall-clock based, strictly
    increasing, shared by the fake and the tests so thread order is real."""
    global _last_ts
    _last_ts = max(time.time(), _last_ts + 0.000001)
    return f"{_last_ts:.6f}"


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a request (v0 HMAC-SHA256 signature)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _chunks_text(chunks: Any) -> str:
    if not isinstance(chunks, list):
        return ""
    return "".join(
        str(c.get("text", ""))
        for c in chunks
        if isinstance(c, dict) and c.get("type") == "markdown_text"
    )


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []  # seeded user messages
        self.posted: list[Posted] = []
        self.reactions: set[tuple[str, str, str]] = set()
        self._limits: dict[str, tuple[int, int]] = {}
        self._failures: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.delay: float = 0.0  # seconds added to every answer (latency of the real API)
        # `apps.connections.open` answers this WebSocket URL (tests/fakes/slack_socket_mode)
        self.socket_mode_url: str | None = None

    # ------------------------------------------------------------------ set-up
    def add_user(
        self,
        user_id: str,
        email: str | None,
        name: str = "",
        *,
        team_id: str = TEAM,
        **flags: Any,
    ) -> None:
        """A `users.info` user. `flags` as Slack sets them: `is_restricted` (multi-channel
        guest), `is_ultra_restricted` (single-channel guest), `deleted`, `is_stranger`
        (a Slack Connect user of another organisation: only then present),
        `enterprise_user` ({"enterprise_id": ...} on Enterprise Grid)."""
        profile: dict[str, Any] = {"real_name": name or user_id, "display_name": name}
        if email:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name or user_id,
            "deleted": False,
            "real_name": name or user_id,
            "is_admin": False,
            "is_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "profile": profile,
            **flags,
        }

    def add_channel(
        self,
        channel_id: str,
        *,
        is_im: bool = False,
        is_private: bool = False,
        is_mpim: bool = False,
        is_ext_shared: bool = False,
        user: str | None = None,
    ) -> None:
        info: dict[str, Any] = {
            "id": channel_id,
            "is_channel": not (is_im or is_mpim or is_private),
            "is_group": is_private and not is_mpim,
            "is_im": is_im,
            "is_mpim": is_mpim,
            "is_private": is_private or is_im or is_mpim,
            "is_ext_shared": is_ext_shared,
            "is_shared": is_ext_shared,
            "is_org_shared": False,
        }
        if is_im:
            info["user"] = user
        else:
            info["name"] = channel_id.lower()
        self.channels[channel_id] = info

    def add_message(
        self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None
    ) -> None:
        msg: dict[str, Any] = {"type": "message", "channel": channel, "ts": ts, "user": user}
        msg["text"] = text
        if thread_ts:
            msg["thread_ts"] = thread_ts
        self.messages.append(msg)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        self._limits[method] = (times, retry_after)

    def fail(self, method: str, error: str) -> None:
        self._failures[method] = error

    # ------------------------------------------------------------------ reading
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def answers_in(self, channel: str, thread_ts: str) -> list[Posted]:
        """Messages the bot posted or streamed into a thread."""
        return [p for p in self.posted if p.channel == channel and p.thread_ts == thread_ts]

    async def wait_for(
        self, predicate: Callable[[], bool], within: float = 20.0, interval: float = 0.02
    ) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {self.methods()}")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ server
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = {}
        if request.content_type == "application/json":
            body = await request.json()
            args = dict(body) if isinstance(body, dict) else {}
        else:
            raw = await request.text()
            args = {k: _decode(v) for k, v in parse_qsl(raw, keep_blank_values=True)}
        args.update({k: v for k, v in request.query.items() if k not in args})
        args = {k: _decode(v) for k, v in args.items()}
        self.calls.append(Call(method, args))
        if self.delay:
            await asyncio.sleep(self.delay)
        if method in self._limits:
            times, retry_after = self._limits[method]
            if times > 0:
                self._limits[method] = (times - 1, retry_after)
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(retry_after)},
                )
        if method in self._failures:
            return web.json_response({"ok": False, "error": self._failures[method]})
        if method == "apps.connections.open":
            return web.json_response(self._connections_open(request.headers))
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler(args)
        return web.json_response(result)

    # ------------------------------------------------------------------ methods
    def _connections_open(self, headers: Any) -> dict[str, Any]:
        """Socket Mode: only an app-level token (`xapp-…`, scope connections:write) may
        open a connection; Slack answers a bot token with `not_allowed_token_type`."""
        token = str(headers.get("Authorization", "")).removeprefix("Bearer ").strip()
        if not token:
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_mode_url is None:
            return {"ok": False, "error": "socket_mode_not_enabled"}
        return {"ok": True, "url": self.socket_mode_url}

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://northwind.slack.com/",
            "team": "Northwind",
            "user": "helpdesk",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        info = self.channels.get(str(args.get("channel")))
        if info is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": info}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{args.get('users', 'X')}"}}

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        msgs = [
            m
            for m in self.messages
            if m["channel"] == channel and (m["ts"] == ts or m.get("thread_ts") == ts)
        ]
        for p in self.posted:
            if p.channel == channel and p.thread_ts == ts:
                msgs.append(
                    {
                        "type": "message",
                        "ts": p.ts,
                        "thread_ts": ts,
                        "user": BOT_USER,
                        "bot_id": BOT_ID,
                        "text": p.text,
                    }
                )
        msgs.sort(key=lambda m: float(m["ts"]))
        return {"ok": True, "messages": msgs, "has_more": False}

    def _post(self, args: dict[str, Any], streaming: bool = False) -> Posted:
        blocks = args.get("blocks")
        posted = Posted(
            channel=str(args.get("channel")),
            ts=next_ts(),
            thread_ts=args.get("thread_ts"),
            text=str(args.get("text") or args.get("markdown_text") or ""),
            blocks=blocks if isinstance(blocks, list) else [],
            streaming=streaming,
        )
        self.posted.append(posted)
        return posted

    def _find(self, channel: Any, ts: Any) -> Posted | None:
        return next((p for p in self.posted if p.channel == channel and p.ts == ts), None)

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        p = self._post(args)
        return {"ok": True, "channel": p.channel, "ts": p.ts, "message": {"text": p.text}}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        p = self._find(args.get("channel"), args.get("ts"))
        if p is None:
            return {"ok": False, "error": "message_not_found"}
        p.text = str(args.get("text") or "")
        if isinstance(args.get("blocks"), list):
            p.blocks = args["blocks"]
        return {"ok": True, "channel": p.channel, "ts": p.ts, "text": p.text}

    def _m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments"}
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://northwind.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": next_ts()}

    def _m_chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(args.get("channel"))
        if not channel.startswith("D") and not (
            args.get("recipient_team_id") and args.get("recipient_user_id")
        ):
            return {"ok": False, "error": "missing_recipient_user_id"}
        p = self._post(args, streaming=True)
        p.text += _chunks_text(args.get("chunks"))
        return {"ok": True, "channel": p.channel, "ts": p.ts}

    def _m_chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        p = self._find(args.get("channel"), args.get("ts"))
        if p is None or not p.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        p.text += str(args.get("markdown_text") or "") + _chunks_text(args.get("chunks"))
        return {"ok": True, "channel": p.channel, "ts": p.ts}

    def _m_chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        p = self._find(args.get("channel"), args.get("ts"))
        if p is None or not p.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        p.text += str(args.get("markdown_text") or "") + _chunks_text(args.get("chunks"))
        if isinstance(args.get("blocks"), list):
            p.blocks = args["blocks"]
        p.streaming = False
        return {"ok": True, "channel": p.channel, "ts": p.ts, "message": {"text": p.text}}

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("timestamp")), str(args.get("name")))
        if key in self.reactions:
            return {"ok": False, "error": "already_reacted"}
        self.reactions.add(key)
        return {"ok": True}

    def _m_assistant_threads_setStatus(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _m_assistant_threads_setSuggestedPrompts(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _m_assistant_threads_setTitle(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}
