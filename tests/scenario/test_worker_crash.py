"""A worker process SIGKILLed in the middle of a requested sync: its lease expires, the
next worker marks the dead run interrupted, serves the request again, resumes from the
last checkpoint, and the index ends with exactly the right chunks (nothing lost, nothing
duplicated). On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors import reindex_requests as queue
from connectors.embedder import HashingEmbedding
from connectors.index import open_index
from connectors.leases import holder
from connectors.state import StateStore
from connectors.sync_job import lease_name
from connectors.worker import Worker
from tests import fixtures_pg
from tests.conftest import REPO
from tests.scenario.test_worker_support import (
    MemoryConnector,
    make_docs,
    wait_until,
    worker_settings,
)

db_url = fixtures_pg.db_url  # fixture: each test runs on SQLite and on PostgreSQL

DOCS = 30
DELAY = 0.1
LEASE_SECONDS = 3.0  # the child uses the same ttl


@pytest.mark.slow
def test_killed_worker_lease_expires_and_the_next_run_resumes_exactly(
    db_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    state = StateStore(db_url)
    request = queue.enqueue(state, ["memory"], "incremental", "slack:U0ADMIN")[0]
    open_index(tmp_path / "warm-up")  # import the index libraries before the clock matters
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.scenario.test_worker_support",
            db_url,
            str(data),
            str(DOCS),
            str(DELAY),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def mid_sync() -> bool:
        run = state.last_run("memory")
        return run is not None and run.done >= 7

    try:
        assert wait_until(mid_sync, timeout=60), child.stderr.read() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    dead_run = state.last_run("memory")
    assert dead_run is not None and dead_run.status == "running"
    claimed = queue.get_request(state, request.id)
    assert claimed is not None and claimed.status == "running" and claimed.run_id == dead_run.id

    connector = MemoryConnector("memory", make_docs(DOCS), checkpoint_every=3)
    index = open_index(data)
    worker = Worker(
        worker_settings(lease_seconds=LEASE_SECONDS),
        state,
        index,
        HashingEmbedding(),
        connectors={"memory": lambda: connector},
        owner="successor",
    )
    assert worker.run_once("memory") is None, "the dead worker's lease is still valid"
    current = holder(state, lease_name("memory"))
    assert current is not None and current[0] == "doomed-worker"

    progress = None
    for _ in range(100):  # the lease expires within its ttl
        progress = worker.run_once("memory")
        if progress is not None:
            break
        time.sleep(0.1)
    assert progress is not None and progress.status == "succeeded"

    resumed_from = connector.started_at[0]
    assert resumed_from > 0 and resumed_from % 3 == 0, "resumed from the last checkpoint"
    assert progress.added + progress.updated == DOCS - resumed_from
    old = state.run(dead_run.id)
    assert old is not None and old.status == "interrupted"
    served = queue.get_request(state, request.id)
    assert served is not None and served.status == "done" and served.run_id == progress.run_id

    assert state.document_counts() == {"memory": DOCS}
    rows = [state.document(f"memory:doc-{i:03d}") for i in range(DOCS)]
    assert all(row is not None and not row.dirty for row in rows)
    assert index.count() == connector.expected_chunks(), "no chunk lost or duplicated"
    assert state.chunk_counts() == {"memory": index.count()}
    assert holder(state, lease_name("memory")) is None
    state.dispose()
