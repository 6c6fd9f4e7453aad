"""The answering process's side of the Claude helper process (`claude_worker`).

Light on purpose (standard library only): `helpdesk ask` starts the helper right after
reading the settings, before its own heavy imports, so the SDK loads on another core
for as long as possible. Requests go out on the helper's stdin, pieces come back on its
stdout and are routed by request id to the event loop that asked.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import AnswerServiceError, HelpdeskError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaudeConfig:
    api_key: str
    base_url: str | None
    timeout: float
    max_retries: int
    model: str
    max_tokens: int
    company: str
    support_hint: str

    @classmethod
    def of(cls, settings: Settings) -> ClaudeConfig:
        assert settings.anthropic_api_key is not None
        return cls(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            timeout=settings.anthropic_timeout_seconds,
            max_retries=settings.anthropic_max_retries,
            model=settings.anthropic_model,
            max_tokens=settings.anthropic_max_tokens,
            company=settings.company_name,
            support_hint=settings.support_hint,
        )


class WorkerGoneError(HelpdeskError):
    """The helper process is not there (did not start, or exited)."""


class ClaudeWorker:
    def __init__(self, config: ClaudeConfig) -> None:
        self.config = config
        root = str(Path(__file__).resolve().parents[2])  # where `bot` is importable from
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bot.answering.claude_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]] = {}
        self._ids = itertools.count(1)
        self._gone = False
        self._ready = threading.Event()
        atexit.register(self.close)
        # the key goes through the pipe, never argv or the environment
        self._write(
            {
                "api_key": config.api_key,
                "base_url": config.base_url,
                "timeout": config.timeout,
                "max_retries": config.max_retries,
            }
        )
        threading.Thread(target=self._read, name="claude-worker-reader", daemon=True).start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _write(self, message: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(message).encode() + b"\n")
            self._proc.stdin.flush()
        except (OSError, ValueError) as exc:  # a broken pipe, or closed at exit
            raise WorkerGoneError(str(exc)) from exc

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("claude worker sent an unreadable line: not used any more")
                break
            if "failed" in message:
                log.warning("claude worker could not start: %s", message["failed"])
                break
            if message.get("ready"):
                self._ready.set()
            with self._lock:
                target = self._pending.get(message.get("id", 0))
            if target is not None:
                _deliver(target, message)
        with self._lock:
            self._gone = True
            targets = list(self._pending.values())
        for target in targets:
            _deliver(target, {"gone": True})

    async def request(self, payload: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The messages answering one request, up to (without) its end. Raises
        `AnswerServiceError` for the API's errors, `WorkerGoneError` without the helper."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        with self._lock:
            if self._gone:
                raise WorkerGoneError("exited")
            rid = next(self._ids)
            self._pending[rid] = (asyncio.get_running_loop(), queue)
        try:
            await asyncio.to_thread(self._write, {"id": rid, **payload})
            while True:
                message = await queue.get()
                if message.get("gone"):
                    raise WorkerGoneError("exited")
                if message.get("end"):
                    return
                if "error" in message:
                    raise AnswerServiceError(message["error"], log_detail=message.get("detail"))
                yield message
        finally:
            with self._lock:
                self._pending.pop(rid, None)

    def close(self) -> None:
        """At exit: close its stdin, on which it exits by itself (not waited for: that
        would hold up this process's exit); stopped outright if still loading."""
        with contextlib.suppress(OSError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            if not self._ready.is_set():
                self._proc.terminate()


def _deliver(target: tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]], msg: Any) -> None:
    loop, queue = target
    with contextlib.suppress(RuntimeError):  # a closed event loop: nobody waits any more
        loop.call_soon_threadsafe(queue.put_nowait, msg)


def start_worker(settings: Settings) -> ClaudeWorker | None:
    """The helper process when Claude is configured (None without a key, or when it
    cannot be started: answers are then produced in this process)."""
    key = settings.anthropic_api_key
    if key is None or not key.get_secret_value():
        return None
    try:
        return ClaudeWorker(ClaudeConfig.of(settings))
    except (OSError, WorkerGoneError) as exc:
        log.warning("claude worker not started (%s): answering in-process", exc)
        return None
