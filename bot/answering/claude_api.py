"""The calls to the Messages API through the `anthropic` SDK, on plain request data.

Citations come from the API's `search_result_location` citations (each names the
`search_result_index` of a passage we sent), never from parsing `[n]` out of text.
A text block that carries citations is followed by its markers, e.g. "… 27 days [1]".

This module imports nothing heavier than the SDK: it is what the helper process of
`claude_worker` loads, next to an answering process that has LlamaIndex and the index.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import anthropic

from bot import messages
from bot.answering.pieces import CitedPiece, TextPiece
from bot.errors import AnswerServiceError

log = logging.getLogger(__name__)


def map_error(exc: Exception) -> AnswerServiceError:
    """Vendor errors → a clear message for the asker; details stay in the log."""
    status = getattr(exc, "status_code", None)
    detail = f"{type(exc).__name__} status={status}"
    if isinstance(exc, anthropic.AuthenticationError):
        return AnswerServiceError(messages.CLAUDE_AUTH, log_detail=detail)
    if isinstance(exc, anthropic.PermissionDeniedError):
        return AnswerServiceError(messages.CLAUDE_PERMISSION, log_detail=detail)
    if isinstance(exc, anthropic.RateLimitError):
        return AnswerServiceError(messages.CLAUDE_RATE_LIMITED, log_detail=detail)
    if isinstance(exc, anthropic.APITimeoutError):
        return AnswerServiceError(messages.CLAUDE_TIMEOUT, log_detail=detail)
    if status == 529 or "overloaded" in str(exc).lower():
        return AnswerServiceError(messages.CLAUDE_OVERLOADED, log_detail=detail)
    if isinstance(exc, anthropic.BadRequestError):
        return AnswerServiceError(messages.CLAUDE_BAD_REQUEST, log_detail=detail)
    return AnswerServiceError(messages.CLAUDE_UNAVAILABLE, log_detail=detail)


def make_client(
    api_key: str,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    http_client: Any = None,
) -> anthropic.AsyncAnthropic:
    kwargs: dict[str, Any] = {
        "api_key": api_key,
        "timeout": timeout,
        "max_retries": max_retries,
    }
    if base_url:
        kwargs["base_url"] = base_url
    if http_client is not None:
        kwargs["http_client"] = http_client
    return anthropic.AsyncAnthropic(**kwargs)


async def reply_text(
    client: anthropic.AsyncAnthropic,
    *,
    model: str,
    max_tokens: int,
    system: str,
    messages: list[dict[str, Any]],
) -> str:
    """A non-streamed call's text (thinking blocks left out)."""
    try:
        msg = await client.messages.create(
            model=model,
            max_tokens=max_tokens,
            system=system,
            messages=messages,  # type: ignore[arg-type]
        )
    except anthropic.APIError as exc:
        raise map_error(exc) from exc
    return "".join(b.text for b in msg.content if b.type == "text")


async def stream_answer(
    client: anthropic.AsyncAnthropic,
    *,
    model: str,
    max_tokens: int,
    system: str,
    messages: list[dict[str, Any]],
) -> AsyncIterator[TextPiece | CitedPiece]:
    try:
        async with client.messages.stream(
            model=model,
            max_tokens=max_tokens,
            system=system,
            messages=messages,  # type: ignore[arg-type]
        ) as stream:
            block_citations: list[tuple[int, str]] = []
            async for event in stream:
                if event.type == "text":
                    if event.text:
                        yield TextPiece(event.text)
                elif event.type == "citation" and event.citation.type == "search_result_location":
                    citation = event.citation
                    block_citations.append((citation.search_result_index, citation.cited_text))
                elif event.type == "content_block_stop" and block_citations:
                    yield CitedPiece(tuple(block_citations))
                    block_citations = []
    except anthropic.APIError as exc:
        log.warning("claude request failed: %s", type(exc).__name__)
        raise map_error(exc) from exc
