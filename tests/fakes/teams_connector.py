"""A local stand-in for the Bot Framework connector service (the `serviceUrl` Teams puts
in every activity). Records what the bot sends, answers like the real service:

- POST /v3/conversations/{id}/activities[/{replyToId}] → 201 {"id": ...}; updates of a
  stream that already has an id (and its final message) → 202 {} as Teams does;
- PUT /v3/conversations/{id}/activities/{activityId} → 200 {"id": ...};
- GET /v3/conversations/{id}/members/{userId} → the member (email, userPrincipalName...);
- `?isTargetedActivity=true` (a targeted message, shown to its `recipient` alone) is
  recorded as `targeted`; like Teams it needs a recipient and is refused (400) in a 1:1
  chat; `refuse_targeted` answers every one 400, as a tenant without the preview would;
- `throttle(n)` makes the next n calls answer 429 with Retry-After;
- every call's `Authorization` header is recorded (`authorizations`).

It also enforces Teams' streaming rules (sequence from 1 and increasing, no sequence on
the final message, nothing after the final message, text required, and the two-minute
limit on one stream — `stream_max_seconds`, after which every post on the stream, the
final message too, is a 403 `ContentStreamNotAllowed` "Content stream finished due to
exceeded streaming time.") with the service's error answers, so a bot that breaks them
fails the test.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    method: str
    conversation_id: str
    activity: dict[str, Any]
    reply_to_id: str | None = None
    activity_id: str | None = None  # id assigned (POST) or edited (PUT)
    status: int = 201
    targeted: bool = False  # sent with ?isTargetedActivity=true: only `recipient` sees it

    @property
    def type(self) -> str:
        return str(self.activity.get("type", ""))

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    def entity(self, type_: str) -> dict[str, Any] | None:
        for entity in self.activity.get("entities") or []:
            if entity.get("type") == type_:
                return dict(entity)
        return None

    @property
    def streaminfo(self) -> dict[str, Any] | None:
        return self.entity("streaminfo")


@dataclass
class _Stream:
    last_sequence: int = 0
    ended: bool = False
    started: float = field(default_factory=time.monotonic)
    timed_out: bool = False


@dataclass
class FakeTeamsConnector:
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id → member
    sent: list[Sent] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    throttled: int = 0
    requests: int = 0
    authorizations: list[str] = field(default_factory=list)  # each call's Authorization
    retry_after: str = "1"
    refuse_targeted: bool = False
    stream_max_seconds: float = 120.0  # Teams: "the strict time limit of two minutes"
    _throttle_next: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000_001))
    _streams: dict[str, _Stream] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    url: str = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._post)
        app.router.add_post("/v3/conversations/{cid}/activities/{reply_to}", self._post)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._put)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def throttle(self, times: int, retry_after: str = "1") -> None:
        self._throttle_next = times
        self.retry_after = retry_after

    # ------------------------------------------------------------------ queries
    def messages(self, conversation_id: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.type == "message"
            and s.method == "POST"
            and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    def in_conversation(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    # ------------------------------------------------------------------ handlers
    def _throttled(self, request: web.Request) -> web.Response | None:
        self.requests += 1
        self.authorizations.append(request.headers.get("Authorization", ""))
        if self._throttle_next > 0:
            self._throttle_next -= 1
            self.throttled += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "API calls quota exceeded"}},
                status=429,
                headers={"Retry-After": self.retry_after},
            )
        return None

    def _error(self, status: int, code: str, message: str) -> web.Response:
        self.rejected.append((status, f"{code}: {message}"))
        return web.json_response({"error": {"code": code, "message": message}}, status=status)

    async def _post(self, request: web.Request) -> web.Response:
        throttled = self._throttled(request)
        if throttled is not None:
            return throttled
        body = json.loads(await request.read())
        cid = request.match_info["cid"]
        reply_to = request.match_info.get("reply_to")
        targeted = request.query.get("isTargetedActivity") == "true"
        if targeted:
            recipient = body.get("recipient") or {}
            personal = (body.get("conversation") or {}).get("conversationType") == "personal"
            if self.refuse_targeted or not recipient.get("id") or personal:
                return self._error(400, "BadArgument", "Bad argument")
        info = next((e for e in body.get("entities") or [] if e.get("type") == "streaminfo"), None)
        status = 201
        if info is not None:
            problem = self._check_stream(body, info)
            if problem is not None:
                return problem
            if info.get("streamId"):
                status = 202
        new_id = str(next(self._ids)) if status == 201 else None
        if info is not None and new_id is not None:
            self._streams[new_id] = _Stream(last_sequence=int(info.get("streamSequence") or 0))
        self.sent.append(Sent("POST", cid, body, reply_to, new_id, status, targeted))
        return web.json_response({"id": new_id} if new_id else {}, status=status)

    def _check_stream(self, body: dict[str, Any], info: dict[str, Any]) -> web.Response | None:
        stream_type = info.get("streamType", "streaming")
        sequence = info.get("streamSequence")
        if not body.get("text"):
            return self._error(400, "BadRequest", "Start streaming activities should include text")
        if stream_type == "final":
            if sequence is not None:
                return self._error(400, "BadRequest", "streamSequence must not be set on final")
            if body.get("type") != "message":
                return self._error(400, "BadRequest", "final stream activity must be a message")
        elif not isinstance(sequence, int) or sequence < 1:
            return self._error(400, "BadRequest", "streamSequence is required")
        stream_id = info.get("streamId")
        if not stream_id:
            if sequence != 1:
                return self._error(400, "BadRequest", "the first streamSequence must be 1")
            return None
        stream = self._streams.get(str(stream_id))
        if stream is None:
            return self._error(400, "BadRequest", "unknown streamId")
        if stream.timed_out or (
            not stream.ended and time.monotonic() - stream.started > self.stream_max_seconds
        ):
            stream.ended = stream.timed_out = True
            return self._error(
                403,
                "ContentStreamNotAllowed",
                "Content stream finished due to exceeded streaming time.",
            )
        if stream.ended:
            return self._error(
                403,
                "ContentStreamNotAllowed",
                "Content stream is not allowed on an already completed streamed message",
            )
        if stream_type == "final":
            stream.ended = True
        else:
            assert isinstance(sequence, int)
            if sequence <= stream.last_sequence:
                return self._error(
                    400, "ContentStreamSequenceOrderPreConditionFailed", "out of order"
                )
            stream.last_sequence = sequence
        return None

    async def _put(self, request: web.Request) -> web.Response:
        throttled = self._throttled(request)
        if throttled is not None:
            return throttled
        body = json.loads(await request.read())
        aid = request.match_info["aid"]
        self.sent.append(Sent("PUT", request.match_info["cid"], body, None, aid, 200))
        return web.json_response({"id": aid}, status=200)

    async def _member(self, request: web.Request) -> web.Response:
        throttled = self._throttled(request)
        if throttled is not None:
            return throttled
        member = self.members.get(request.match_info["uid"])
        if member is None:
            return self._error(404, "MemberNotFoundInConversation", "member not found")
        return web.json_response(member)
