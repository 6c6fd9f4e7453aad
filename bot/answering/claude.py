"""Claude generation in this process: passages as `search_result` blocks with citations,
streamed (the request is built by `claude_request`, sent by `claude_api`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import anthropic
from llama_index.core.schema import NodeWithScore

from bot.answering.claude_api import make_client, map_error, reply_text, stream_answer
from bot.answering.claude_request import (
    REWRITE_MAX_TOKENS,
    REWRITE_PROMPT,
    SYSTEM_PROMPT,
    answer_messages,
    history_messages,
    query_from_reply,
    rewrite_messages,
    search_result_blocks,
)
from bot.answering.pieces import CitedPiece, TextPiece
from bot.models import Turn

__all__ = [
    "REWRITE_PROMPT",
    "SYSTEM_PROMPT",
    "ClaudeGenerator",
    "history_messages",
    "make_client",
    "map_error",
    "search_result_blocks",
]


class ClaudeGenerator:
    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        model: str,
        max_tokens: int,
        company: str,
        support_hint: str,
    ) -> None:
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.system = SYSTEM_PROMPT.format(company=company, support_hint=support_hint)

    async def rewrite_query(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone English search query for a follow-up or a question in another
        language."""
        reply = await reply_text(
            self.client,
            model=self.model,
            max_tokens=REWRITE_MAX_TOKENS,
            system=REWRITE_PROMPT,
            messages=rewrite_messages(question, history),
        )
        return query_from_reply(reply, question)

    async def stream(
        self, question: str, history: Sequence[Turn], passages: Sequence[NodeWithScore]
    ) -> AsyncIterator[TextPiece | CitedPiece]:
        async for piece in stream_answer(
            self.client,
            model=self.model,
            max_tokens=self.max_tokens,
            system=self.system,
            messages=answer_messages(question, history, passages),
        ):
            yield piece
