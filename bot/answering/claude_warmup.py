"""Warming the SDK's response parsing before the first question.

The `anthropic` SDK builds its pydantic validators for the streamed event types the
first time it parses one: about 0.1 s of CPU, which would otherwise be spent between the
first question's request and its first words. The helper process (`claude_worker`) has
time to spare before that question arrives, so it runs one streamed answer and one plain
reply through the real client against a canned response, in-process (an
`httpx2.MockTransport`: nothing goes over the network, no key is sent anywhere). The
canned stream has the shapes a real answer has: a thinking block, a cited text block,
the closing events.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx2

from bot.answering import claude_api

log = logging.getLogger(__name__)

_MESSAGE: dict[str, Any] = {
    "id": "msg_warm_up",
    "type": "message",
    "role": "assistant",
    "model": "warm-up",
    "content": [],
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
_CITATION: dict[str, Any] = {
    "type": "search_result_location",
    "cited_text": "warm",
    "search_result_index": 0,
    "source": "warm-up",
    "title": "warm-up",
    "start_block_index": 0,
    "end_block_index": 1,
}
_EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": _MESSAGE},
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "."},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "s"},
    },
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "text", "text": "", "citations": None},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "citations_delta", "citation": _CITATION},
    },
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "warm"}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 2},
    },
    {"type": "message_stop"},
]
STREAM_BODY = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in _EVENTS)
REPLY_BODY = {
    **_MESSAGE,
    "content": [{"type": "text", "text": "warm", "citations": None}],
    "stop_reason": "end_turn",
}


def _canned(request: httpx2.Request) -> httpx2.Response:
    if json.loads(request.content).get("stream"):
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, text=STREAM_BODY)
    return httpx2.Response(200, json=REPLY_BODY)


async def warm_up() -> bool:
    """One streamed answer and one reply through the SDK, answered in-process. False if
    that did not work (nothing is lost: the first question then pays for the parsing)."""
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(_canned))
    client = claude_api.make_client("warm-up", None, 10.0, 0, http_client=http)
    call: dict[str, Any] = {
        "model": "warm-up",
        "max_tokens": 1,
        "system": "warm-up",
        "messages": [{"role": "user", "content": "warm-up"}],
    }
    try:
        pieces = [piece async for piece in claude_api.stream_answer(client, **call)]
        await claude_api.reply_text(client, **call)
    except Exception as exc:  # never in the way of the real questions
        log.debug("claude warm-up did not run: %s", type(exc).__name__)
        return False
    finally:
        await client.close()
    return len(pieces) == 2  # the text, then its citation
