"""A fake Anthropic Messages API for the real `anthropic` client (httpx2.MockTransport).

`FakeClaude` answers POST /v1/messages like the real API: a streamed reply as SSE
(`message_start`, `content_block_start`, `content_block_delta` with `text_delta` and
`citations_delta` carrying `search_result_location` citations, `content_block_stop`,
`message_delta`, `message_stop`) or a JSON message for non-streamed calls (the
follow-up rewrite). It records every request body so tests can assert what was sent
(search_result blocks, history), and can fail with the API's real error shapes.

Usage::

    claude = FakeClaude()
    claude.reply([("The allowance is ", None), ("27 days", (0, "27 days of annual leave"))])
    services = build_services(settings, anthropic_http_client=claude.client())
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2

Segment = tuple[str, tuple[int, str] | None]  # text, (search_result_index, cited_text)

ERRORS = {
    400: ("invalid_request_error", "messages: bad request"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit"),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream_body(
    segments: Sequence[Segment],
    search_results: Sequence[dict[str, Any]],
    thinking: str | None = None,
) -> str:
    """An SSE body: an optional (adaptive) thinking block, then one text content block per
    segment, cited segments with a citations_delta before their text (as the real API
    sends them)."""
    out = [
        sse(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-5-5",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 50, "output_tokens": 1},
                },
            },
        )
    ]
    first = 0
    if thinking is not None:
        first = 1
        out.append(
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                },
            )
        )
        out.append(
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": thinking},
                },
            )
        )
        out.append(
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": "sig-fake"},
                },
            )
        )
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    for i, (text, cite) in enumerate(segments, start=first):
        out.append(
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": {"type": "text", "text": "", "citations": None},
                },
            )
        )
        if cite is not None:
            idx, quote = cite
            result = search_results[idx] if idx < len(search_results) else {}
            out.append(
                sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {
                            "type": "citations_delta",
                            "citation": {
                                "type": "search_result_location",
                                "cited_text": quote,
                                "search_result_index": idx,
                                "source": result.get("source", ""),
                                "title": result.get("title", ""),
                                "start_block_index": 0,
                                "end_block_index": 1,
                            },
                        },
                    },
                )
            )
        for start in range(0, len(text), 12):  # several deltas, like the real stream
            out.append(
                sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "text_delta", "text": text[start : start + 12]},
                    },
                )
            )
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 42},
            },
        )
    )
    out.append(sse("message_stop", {"type": "message_stop"}))
    return "".join(out)


def error_response(status: int) -> httpx2.Response:
    kind, message = ERRORS.get(status, ("api_error", "error"))
    return httpx2.Response(
        status,
        json={"type": "error", "error": {"type": kind, "message": message}},
        headers={"request-id": "req_fake", "retry-after": "0"},
    )


@dataclass
class FakeClaude:
    segments: list[Segment] = field(default_factory=list)
    rewrite: str | None = None  # reply to non-streamed calls (the follow-up rewrite)
    thinking: str | None = None  # an adaptive-thinking block before the answer
    fail_with: int | None = None  # HTTP status for every call
    fail_times: int = 0  # with fail_with: fail only this many times, then answer
    requests: list[dict[str, Any]] = field(default_factory=list)

    def reply(self, segments: Sequence[Segment]) -> None:
        self.segments = list(segments)

    def search_results(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        last = body["messages"][-1]["content"]
        if isinstance(last, str):
            return []
        return [b for b in last if b.get("type") == "search_result"]

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append(body)
        failing = self.fail_times == 0 or len(self.requests) <= self.fail_times
        if self.fail_with is not None and failing:
            return error_response(self.fail_with)
        if not body.get("stream"):
            text = self.rewrite or ""
            return httpx2.Response(
                200,
                json={
                    "id": "msg_fake_rw",
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "claude"),
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 5},
                },
            )
        payload = stream_body(self.segments, self.search_results(body), self.thinking)
        return httpx2.Response(
            200, content=payload.encode(), headers={"content-type": "text/event-stream"}
        )

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler))

    @property
    def streamed_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("stream")]
