"""The Claude helper process: `python -m bot.answering.claude_worker`.

`import anthropic` is about 1.5 s of pure-Python work (some 3,400 modules and 1,500
pydantic classes). In a thread it holds the GIL against the answering process's own
start-up (LlamaIndex, LanceDB, the embedding model), so it cannot overlap it; in this
process it runs on another core. Protocol, one JSON object per line:

- in:  the client settings `{"api_key", "base_url", "timeout", "max_retries"}`, then
       requests `{"id", "op": "stream" | "reply", "model", "max_tokens", "system",
       "messages"}`, served concurrently;
- out: `{"ready": true}` once the client is built (or `{"failed": detail}`), then per
       request `{"id", "text"}` / `{"id", "cited": [[index, quote], ...]}` pieces, ended
       by `{"id", "end": true}` or `{"id", "error": user message, "detail": log detail}`.

The process ends when its stdin closes (the answering process exited). It runs at a
lower scheduling priority: the answering process's own start-up (and the embedding model
loading beside it) is what the first answer waits for, while this process only has to be
ready by the time the passages are found — on a machine with fewer free cores than
runnable threads, the answering process goes first (about 0.1 s of a 2.9 s cold `ask` on
two cores, `make bench`). Once loaded it mostly waits on the network.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from typing import IO, Any

from bot import messages
from bot.answering.pieces import TextPiece
from bot.errors import UserFacingError

log = logging.getLogger("bot.answering.claude_worker")


PRIORITY_STEP = 10  # `nice` increment: yields the cores under contention, still gets its share


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    _lower_priority()
    from bot.answering import claude_api  # imports anthropic: the slow part, done here

    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    try:
        settings = json.loads(sys.stdin.readline() or "{}")
        client = claude_api.make_client(
            settings["api_key"],
            settings.get("base_url"),
            float(settings["timeout"]),
            int(settings["max_retries"]),
        )
    except Exception as exc:
        _send(out, {"failed": f"{type(exc).__name__}: {exc}"})
        return
    _send(out, {"ready": True})
    asyncio.run(_serve(out, client))


async def _serve(out: IO[str], client: Any) -> None:
    from bot.answering.claude_warmup import warm_up

    await warm_up()  # before the first question arrives; it waits in the pipe meanwhile
    tasks: set[asyncio.Task[None]] = set()
    while line := await asyncio.to_thread(sys.stdin.readline):
        task = asyncio.create_task(_handle(out, client, json.loads(line)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for task in tasks:  # nobody is left to read the answers
        task.cancel()


async def _handle(out: IO[str], client: Any, request: dict[str, Any]) -> None:
    from bot.answering import claude_api  # loaded by `main`

    rid = request["id"]
    call = {k: request[k] for k in ("model", "max_tokens", "system", "messages")}
    try:
        if request["op"] == "stream":
            async for piece in claude_api.stream_answer(client, **call):
                if isinstance(piece, TextPiece):
                    _send(out, {"id": rid, "text": piece.text})
                else:
                    _send(out, {"id": rid, "cited": piece.citations})
        else:
            _send(out, {"id": rid, "text": await claude_api.reply_text(client, **call)})
        _send(out, {"id": rid, "end": True})
    except UserFacingError as exc:
        _send(out, {"id": rid, "error": exc.user_message, "detail": str(exc)})
    except Exception as exc:
        log.exception("claude worker request failed")
        _send(out, {"id": rid, "error": messages.CLAUDE_UNAVAILABLE, "detail": type(exc).__name__})


def _lower_priority() -> None:
    if hasattr(os, "nice"):  # not on Windows: there the process keeps its priority
        try:
            os.nice(PRIORITY_STEP)
        except OSError:  # not allowed here: the same process, just not yielding
            log.debug("claude worker keeps its priority")


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
