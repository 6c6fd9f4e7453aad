"""Helpers for the worker and admin scenarios (no tests here).

`MemoryConnector` is the in-memory connector seam: a resumable feed of documents with
a checkpoint every few documents and an optional delay per document (a slow source).
`child_main` is the body of a worker subprocess the crash test SIGKILLs.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.services import Services, build_services
from bot.settings import Settings
from connectors.base import (
    Acl,
    Checkpoint,
    Discovered,
    DocumentFailure,
    SeenAll,
    SourceDocument,
    SourceError,
    SyncItem,
    SyncMode,
    SyncRequest,
)
from connectors.chunking import Chunker
from connectors.embedder import HashingEmbedding
from connectors.sync_settings import WorkerSettings
from connectors.worker import Worker

WHEN = datetime(2026, 1, 5, tzinfo=UTC)


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll `predicate` every 50 ms until it holds (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def make_docs(n: int, words: int = 40) -> dict[str, str]:
    """n documents with distinct text; ids sort in creation order."""
    return {f"doc-{i:03d}": " ".join(f"topic{i} word{j}" for j in range(words)) for i in range(n)}


class Meter:
    """How many scans run at once (and the most ever), shared by connector instances."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.scans = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.scans += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


class MemoryConnector:
    """A resumable feed: the checkpoint is the position of the next document."""

    def __init__(
        self,
        name: str,
        docs: dict[str, str],
        *,
        delay: float = 0.0,
        checkpoint_every: int = 2,
        private: frozenset[str] = frozenset(),
        failing: frozenset[str] = frozenset(),
        error: str | None = None,
        meter: Meter | None = None,
    ) -> None:
        self.name = name
        self.docs = docs
        self.delay = delay
        self.checkpoint_every = checkpoint_every
        self.private = private
        self.failing = failing
        self.error = error
        self.meter = meter
        self.started_at: list[int] = []

    def document(self, native: str) -> SourceDocument:
        acl = (
            Acl(public=False, principals=frozenset({"group:memory:hr-team"}))
            if native in self.private
            else Acl.everyone()
        )
        return SourceDocument(
            source=self.name,
            doc_id=f"{self.name}:{native}",
            title=f"Title of {native}",
            url=f"https://kb.example/{native}",
            text=self.docs[native],
            updated_at=WHEN,
            acl=acl,
            version="1",
        )

    def expected_chunks(self) -> int:
        chunker = Chunker()
        return sum(len(chunker.chunk(self.document(d))) for d in self.docs if d not in self.failing)

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        if self.meter:
            self.meter.enter()
        try:
            yield from self._scan(request)
        finally:
            if self.meter:
                self.meter.leave()

    def _scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        if self.error:
            raise SourceError(self.error)
        start = 0
        if request.mode == SyncMode.INCREMENTAL and request.checkpoint:
            start = int(json.loads(request.checkpoint)["next"])
        self.started_at.append(start)
        ids = sorted(self.docs)
        yield Discovered(total=len(ids) - start)
        for i in range(start, len(ids)):
            native = ids[i]
            if native in self.failing:
                yield DocumentFailure(
                    source=self.name,
                    doc_id=f"{self.name}:{native}",
                    title=f"Title of {native}",
                    reason="the page body could not be converted",
                )
            else:
                yield self.document(native)
            if self.delay:
                time.sleep(self.delay)
            if (i + 1) % self.checkpoint_every == 0:
                yield Checkpoint(json.dumps({"next": i + 1}))
        # a finished pass: the next incremental run lists everything again (unchanged
        # documents are not re-embedded)
        yield Checkpoint(json.dumps({"next": 0}))
        if start == 0:
            yield SeenAll()


def worker_settings(**values: Any) -> WorkerSettings:
    """The worker's typed settings for a scenario: a short lease, a fast poll."""
    return WorkerSettings(**{"lease_seconds": 2.0, "poll_seconds": 0.2, **values})


class Chat:
    """Our own post/update callbacks: what the chat would show, with timestamps."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.updates: list[tuple[str, str, float]] = []

    async def post(self, text: str) -> str:
        self.posts.append(text)
        return f"msg-{len(self.posts)}"

    async def update(self, message_id: str, text: str) -> None:
        self.updates.append((message_id, text, time.monotonic()))

    @property
    def final(self) -> str:
        return self.updates[-1][1] if self.updates else self.posts[-1]


def make_services(db: str, tmp_path: Path, **settings: Any) -> Services:
    """The web side's services on `db`, the hashing embedder, source `files` at tmp/kb."""
    values: dict[str, Any] = {
        "helpdesk_data_dir": tmp_path / "data",
        "database_url": db,
        "files_path": tmp_path / "kb",
        "admin_users": ["U0ADMIN", "second.admin@northwind.example"],
        "worker_lease_seconds": 5.0,
        "sources": ["files"],
    }
    values.update(settings)
    (tmp_path / "kb").mkdir(exist_ok=True)
    return build_services(Settings(_env_file=None, **values), embedder=HashingEmbedding())


def start_worker(
    services: Services, connectors: dict[str, Any] | None = None, **kwargs: Any
) -> Worker:
    """A worker on the same state and index (as `helpdesk worker` would be)."""
    worker = services.worker(
        connectors=connectors, sync_on_start=kwargs.pop("sync_on_start", False), **kwargs
    )
    worker.start()
    return worker


def child_main() -> None:
    """A worker process that syncs a slow source once (the crash test kills it)."""
    from connectors.index import open_index
    from connectors.state import StateStore

    db_url, data_dir, n, delay = (
        sys.argv[1],
        Path(sys.argv[2]),
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    state = StateStore(db_url)
    connector = MemoryConnector("memory", make_docs(n), delay=delay, checkpoint_every=3)
    worker = Worker(
        worker_settings(lease_seconds=3.0),
        state,
        open_index(data_dir),
        HashingEmbedding(),
        connectors={"memory": lambda: connector},
        owner="doomed-worker",
    )
    print("child started", flush=True)
    progress = worker.run_once("memory")
    print(f"child finished {progress}", flush=True)


if __name__ == "__main__":
    child_main()
