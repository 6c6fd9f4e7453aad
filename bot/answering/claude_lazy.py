"""Claude without paying for `import anthropic` up front.

Importing the SDK costs about a second. `LazyClaude` starts that import (and builds the
client) in a background thread as soon as the services are built, so it overlaps with
opening the index, loading the embedding model and embedding the question; the first
call waits only for whatever is left. It has `ClaudeGenerator`'s interface, and errors
while building the client surface at the first call, as the client's own would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from llama_index.core.schema import NodeWithScore

from bot.answering.pieces import CitedPiece, TextPiece
from bot.models import Turn

if TYPE_CHECKING:
    from bot.answering.claude import ClaudeGenerator


class LazyClaude:
    def __init__(self, build: Callable[[], ClaudeGenerator]) -> None:
        self._build = build
        self._future: Future[ClaudeGenerator] = Future()
        self._retried: ClaudeGenerator | None = None

        def load() -> None:
            try:
                self._future.set_result(build())
            except BaseException as exc:  # handed to the first caller
                self._future.set_exception(exc)

        threading.Thread(target=load, name="claude-import", daemon=True).start()

    def ready(self, timeout: float | None = None) -> ClaudeGenerator:
        """The generator (blocking until the import has finished)."""
        return self._future.result(timeout)

    async def _generator(self) -> ClaudeGenerator:
        try:
            return await asyncio.wrap_future(self._future)
        except (ImportError, RuntimeError):
            # an import racing the main thread's (Python reports a rare concurrent-import
            # deadlock as an error to one side): build once more, now the imports settled
            if self._retried is None:
                self._retried = await asyncio.to_thread(self._build)
            return self._retried

    async def rewrite_query(self, question: str, history: Sequence[Turn]) -> str:
        return await (await self._generator()).rewrite_query(question, history)

    async def stream(
        self, question: str, history: Sequence[Turn], passages: Sequence[NodeWithScore]
    ) -> AsyncIterator[TextPiece | CitedPiece]:
        generator = await self._generator()
        async for piece in generator.stream(question, history, passages):
            yield piece
