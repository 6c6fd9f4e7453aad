"""Issue 15 point 8: a crashed `helpdesk sync` does not block the next one.

`helpdesk sync` killed with SIGKILL in the middle of a sync leaves its lease behind; an
immediate re-run on the same host sees the holder's process is gone, takes the lease
over at once (not after WORKER_LEASE_SECONDS) and ends with exactly the chunks of a
clean sync. While the holder really is alive, the refusal names it. Real subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from connectors.index import open_index
from connectors.leases import Holder, holder
from connectors.state import StateStore
from connectors.sync_job import lease_name
from tests.conftest import REPO

DOCS = 400  # several batches of 64, so a kill lands between two commits

HOLD_SCRIPT = """
import sys, time
from connectors.leases import Lease, make_owner
from connectors.state import StateStore
lease = Lease(StateStore(sys.argv[1]), "sync:files", make_owner(), 3600)
assert lease.acquire()
print("holding", flush=True)
time.sleep(600)
"""


def write_kb(kb: Path) -> None:
    kb.mkdir()
    for i in range(DOCS):
        words = " ".join(f"topic{i} detail{j} step{j % 7}" for j in range(40))
        (kb / f"page-{i:03d}.md").write_text(f"# Page {i}\n\n{words}\n", encoding="utf-8")


def env_for(root: Path, kb: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "SLACK_", "CONFLUENCE_", "GOOGLE_", "WEAVIATE_"))
    }
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "HELPDESK_DATA_DIR": str(root / "data"),
            "FILES_PATH": str(kb),
            "SOURCES": "files",
            "WORKER_LEASE_SECONDS": "3600",  # expiry cannot be what lets the re-run in
            "EMBEDDER": "hashing",  # the sync's bookkeeping is under test, not the model
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


def sync(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "sync", "files"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def chunks_by_doc(data: Path) -> dict[str, int]:
    state = StateStore(f"sqlite:///{data / 'state.sqlite3'}")
    try:
        rows = {d: state.document(d) for d in state.document_urls("files")}
        result = {d: r.chunk_count for d, r in rows.items() if r is not None and not r.dirty}
        assert len(result) == len(rows), "no document left dirty"
        return result
    finally:
        state.dispose()


@pytest.mark.slow
def test_killed_sync_is_taken_over_at_once_and_ends_with_a_clean_syncs_chunks(
    tmp_path: Path,
) -> None:
    kb = tmp_path / "kb"
    write_kb(kb)
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    crashed.mkdir()
    clean.mkdir()
    env = env_for(crashed, kb)
    db = crashed / "data" / "state.sqlite3"

    child = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sync", "files"],
        env=env,
        cwd=crashed,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def mid_sync() -> bool:
        """Some documents committed, not all, the lease held (read with plain sqlite3:
        the child may still be creating the tables)."""
        if not db.exists():
            return False
        try:
            with closing(sqlite3.connect(db, timeout=1)) as conn:
                done = conn.execute(
                    "SELECT count(*) FROM documents WHERE source = 'files'"
                ).fetchone()[0]
                held = conn.execute(
                    "SELECT count(*) FROM leases WHERE name = 'sync:files'"
                ).fetchone()[0]
        except sqlite3.Error:
            return False
        return bool(0 < done < DOCS and held)

    try:
        assert wait_until(mid_sync, 300), child.stderr.read() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    state = StateStore(f"sqlite:///{db}")
    left = holder(state, lease_name("files"))
    state.dispose()
    assert left is not None, "the killed sync left its lease behind"
    dead = Holder.of(*left)
    assert dead.pid == child.pid and dead.host == socket.gethostname()
    assert left[1].timestamp() - time.time() > 3000, "valid for most of an hour"

    started = time.monotonic()
    rerun = sync(env, crashed)
    assert rerun.returncode == 0, rerun.stderr
    assert "another sync" not in rerun.stderr
    assert time.monotonic() - started < 300

    reference = sync(env_for(clean, kb), clean)
    assert reference.returncode == 0, reference.stderr
    after_crash, after_clean = chunks_by_doc(crashed / "data"), chunks_by_doc(clean / "data")
    assert len(after_clean) == DOCS
    assert after_crash == after_clean, "exactly a clean sync's documents and chunks"
    assert open_index(crashed / "data").count() == sum(after_clean.values())
    assert open_index(clean / "data").count() == sum(after_clean.values())
    state = StateStore(f"sqlite:///{db}")
    assert holder(state, lease_name("files")) is None, "the re-run released the lease"
    assert state.chunk_counts() == {"files": sum(after_clean.values())}
    state.dispose()


@pytest.mark.slow
def test_a_live_holder_is_named_and_waited_for_then_taken_over_once_it_dies(
    tmp_path: Path,
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "vpn.md").write_text("# VPN\n\nConnect with the company client.\n", encoding="utf-8")
    env = env_for(tmp_path, kb)
    (tmp_path / "data").mkdir()
    db_url = f"sqlite:///{tmp_path / 'data' / 'state.sqlite3'}"
    StateStore(db_url).dispose()
    holder_proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, db_url],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder_proc.stdout is not None
        assert holder_proc.stdout.readline().strip() == "holding"
        refused = sync(env, tmp_path)
        assert refused.returncode == 1
        assert "another sync of this source is running" in refused.stderr
        assert f"process {holder_proc.pid} on {socket.gethostname()}" in refused.stderr, (
            refused.stderr
        )
        assert "lease held until" in refused.stderr
    finally:
        holder_proc.send_signal(signal.SIGKILL)
        holder_proc.wait(timeout=60)
    taken = sync(env, tmp_path)
    assert taken.returncode == 0, taken.stderr
    state = StateStore(db_url)
    assert state.document_counts() == {"files": 1}
    state.dispose()
