"""Claude without paying for `import anthropic` on the answering path.

Importing the SDK is about 1.5 s of pure-Python work, and a thread doing it holds the
GIL against the rest of start-up, so overlapping it in a thread saves almost nothing.
`LazyClaude` has `ClaudeGenerator`'s interface and two ways to get there:

- with a `ClaudeConfig` (one-shot commands: `helpdesk ask` / `chat`), the SDK is loaded
  and called in a helper process (`claude_worker`) started at once, on another core,
  while this process opens the index, loads the embedding model and embeds the question.
  Should that process be unavailable (it failed to start, or exited before answering),
  the answer is produced in this process instead — never half of one;
- without one (the server), the import runs in a background thread and the first call
  waits for whatever is left.
Errors while building the client surface at the first call, as the client's own would.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from llama_index.core.schema import NodeWithScore

from bot import messages
from bot.answering.claude_process import ClaudeWorker, WorkerGoneError
from bot.answering.claude_request import (
    REWRITE_MAX_TOKENS,
    REWRITE_PROMPT,
    SYSTEM_PROMPT,
    answer_messages,
    query_from_reply,
    rewrite_messages,
)
from bot.answering.pieces import CitedPiece, TextPiece
from bot.errors import AnswerServiceError
from bot.models import Turn

if TYPE_CHECKING:
    from bot.answering.claude import ClaudeGenerator

log = logging.getLogger(__name__)


class LazyClaude:
    def __init__(
        self, build: Callable[[], ClaudeGenerator], worker: ClaudeWorker | None = None
    ) -> None:
        self._build = build
        self._worker = worker
        self._future: Future[ClaudeGenerator] = Future()
        self._started = False
        self._retried: ClaudeGenerator | None = None
        if worker is None:
            self._start_import()

    def _start_import(self) -> None:
        if self._started:
            return
        self._started = True

        def load() -> None:
            try:
                self._future.set_result(self._build())
            except BaseException as exc:  # handed to the first caller
                self._future.set_exception(exc)

        threading.Thread(target=load, name="claude-import", daemon=True).start()

    def ready(self, timeout: float | None = None) -> ClaudeGenerator:
        """The in-process generator (blocking until the import has finished)."""
        self._start_import()
        return self._future.result(timeout)

    async def _generator(self) -> ClaudeGenerator:
        self._start_import()
        try:
            return await asyncio.wrap_future(self._future)
        except (ImportError, RuntimeError):
            # an import racing the main thread's (Python reports a rare concurrent-import
            # deadlock as an error to one side): build once more, now the imports settled
            if self._retried is None:
                self._retried = await asyncio.to_thread(self._build)
            return self._retried

    async def rewrite_query(self, question: str, history: Sequence[Turn]) -> str:
        if self._worker is not None:
            payload = {
                "op": "reply",
                "model": self._worker.config.model,
                "max_tokens": REWRITE_MAX_TOKENS,
                "system": REWRITE_PROMPT,
                "messages": rewrite_messages(question, history),
            }
            try:
                reply = "".join([m["text"] async for m in self._worker.request(payload)])
                return query_from_reply(reply, question)
            except WorkerGoneError:
                log.warning("claude worker gone: rewriting in-process")
        return await (await self._generator()).rewrite_query(question, history)

    async def stream(
        self, question: str, history: Sequence[Turn], passages: Sequence[NodeWithScore]
    ) -> AsyncIterator[TextPiece | CitedPiece]:
        if self._worker is not None:
            config = self._worker.config
            payload = {
                "op": "stream",
                "model": config.model,
                "max_tokens": config.max_tokens,
                "system": SYSTEM_PROMPT.format(
                    company=config.company, support_hint=config.support_hint
                ),
                "messages": answer_messages(question, history, passages),
            }
            started = False
            try:
                async for message in self._worker.request(payload):
                    started = True
                    if "text" in message:
                        yield TextPiece(message["text"])
                    else:
                        yield CitedPiece(tuple((int(i), str(q)) for i, q in message["cited"]))
                return
            except WorkerGoneError as exc:
                if started:  # never half an answer from there and the rest from here
                    raise AnswerServiceError(
                        messages.CLAUDE_UNAVAILABLE, log_detail=f"claude worker gone: {exc}"
                    ) from exc
                log.warning("claude worker gone: answering in-process")
        generator = await self._generator()
        async for piece in generator.stream(question, history, passages):
            yield piece
