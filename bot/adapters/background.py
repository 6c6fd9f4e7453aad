"""`Background`: the tasks an adapter starts after acknowledging a platform's request
(answers, admin replies, hand-offs, reindex progress). The server drains them on
shutdown, and tests wait on them. Shared by the Slack and Teams adapters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

SHUTDOWN_DRAIN_SECONDS = 30.0


@dataclass
class Background:
    """Tasks started after the inbound request was acknowledged."""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, wait: float = SHUTDOWN_DRAIN_SECONDS) -> bool:
        """Wait for every task (also those started meanwhile); False on timeout."""
        deadline = time.monotonic() + wait
        while self.tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.wait(set(self.tasks), timeout=left)
        return True

    async def cancel(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self, wait: float = 10.0) -> None:
        """Shutdown: wait up to `wait` seconds, then cancel what is still running."""
        await self.drain(wait)
        await self.cancel()
