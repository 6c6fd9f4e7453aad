"""Leases, the reindex request queue and the worker schedule table, on SQLite and on a
real PostgreSQL server (each test runs against both)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from bot.conversation.store import ChatStore
from connectors import reindex_requests as queue
from connectors import schedule
from connectors.embedder import HashingEmbedding
from connectors.files import FilesConnector
from connectors.index import open_index
from connectors.leases import Lease, holder
from connectors.state import StateStore, utcnow
from connectors.sync import SyncEngine
from tests import fixtures_pg
from tests.conftest import REPO, SAMPLES

ACQUIRE_SCRIPT = """
import sys, time
from connectors.leases import Lease
from connectors.state import StateStore
state = StateStore(sys.argv[1])
go = float(sys.argv[2])
time.sleep(max(0.0, go - time.time()))
lease = Lease(state, "sync:files", sys.argv[3], 30)
print("won" if lease.acquire() else "lost", flush=True)
"""

db_url = fixtures_pg.db_url  # fixture: each test runs on SQLite and on PostgreSQL


def test_only_one_of_many_threads_gets_the_lease(db_url: str) -> None:
    state = StateStore(db_url)
    barrier = threading.Barrier(8)
    results: dict[str, bool] = {}

    def contend(owner: str) -> None:
        lease = Lease(state, "sync:files", owner, 30)
        barrier.wait()
        results[owner] = lease.acquire()

    threads = [threading.Thread(target=contend, args=(f"worker-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o, won in results.items() if won]
    assert len(winners) == 1
    current = holder(state, "sync:files")
    assert current is not None and current[0] == winners[0]
    # a different lease name is independent
    assert Lease(state, "sync:drive", "worker-x", 30).acquire()
    state.dispose()


def test_only_one_of_several_processes_gets_the_lease(db_url: str) -> None:
    StateStore(db_url).dispose()  # tables exist before the race
    go = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ACQUIRE_SCRIPT, db_url, str(go), f"proc-{i}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(outputs) == ["lost", "lost", "lost", "won"]


def test_an_expired_lease_is_taken_over_and_the_old_holder_notices(db_url: str) -> None:
    state = StateStore(db_url)
    crashed = Lease(state, "sync:files", "crashed-worker", 0.5)
    assert crashed.acquire()
    successor = Lease(state, "sync:files", "next-worker", 30)
    assert not successor.acquire(), "a live lease is exclusive"
    time.sleep(0.7)
    assert successor.acquire(), "an expired lease is taken over"
    assert not crashed.renew()
    assert crashed.lost.is_set()
    crashed.release()  # releasing a lease one no longer holds leaves the new holder alone
    current = holder(state, "sync:files")
    assert current is not None and current[0] == "next-worker"
    state.dispose()


def test_a_renewed_lease_outlives_its_ttl_and_is_free_once_released(db_url: str) -> None:
    state = StateStore(db_url)
    lease = Lease(state, "sync:files", "busy-worker", 0.6)
    assert lease.acquire()
    other = Lease(state, "sync:files", "other-worker", 30)
    with lease.kept_alive():
        time.sleep(1.5)  # 2.5 × the ttl: only the heartbeat keeps it
        assert not other.acquire()
        assert not lease.lost.is_set()
    lease.release()
    assert holder(state, "sync:files") is None
    assert other.acquire()
    state.dispose()


def test_each_queued_request_is_claimed_exactly_once(db_url: str) -> None:
    state = StateStore(db_url)
    ids = [r.id for r in queue.enqueue(state, ["files", "drive"] * 15, "incremental", "slack:U1")]
    barrier = threading.Barrier(6)
    claimed: list[int] = []
    lock = threading.Lock()

    def claimer() -> None:
        barrier.wait()
        while True:
            got = queue.claim_queued(state, "files") + queue.claim_queued(state, "drive")
            if not got:
                return
            with lock:
                claimed.extend(r.id for r in got)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids), "every request claimed, none twice"
    assert queue.queued_sources(state) == []
    state.dispose()


def test_a_batch_of_requests_is_found_from_its_first_row(db_url: str) -> None:
    state = StateStore(db_url)
    made = queue.enqueue(state, ["files", "confluence"], "full", "teams:aad-1")
    head = queue.get_request(state, made[0].id)
    assert head is not None and head.batch == [r.id for r in made]
    assert queue.queued_sources(state) == ["files", "confluence"]
    single = queue.enqueue(state, ["files"], "incremental", "slack:U1")[0]
    assert single.batch == [single.id]
    state.dispose()


def test_a_dead_workers_run_is_marked_interrupted_and_its_requests_requeued(db_url: str) -> None:
    state = StateStore(db_url)
    req = queue.enqueue(state, ["files"], "incremental", "slack:U1")[0]
    assert [r.id for r in queue.claim_queued(state, "files")] == [req.id]
    run_id = state.start_run("files", "incremental")
    queue.link_run(state, [req.id], run_id)
    stale_runs, requeued = queue.recover_stale(state, "files")
    assert (stale_runs, requeued) == ([run_id], [req.id])
    run = state.run(run_id)
    assert run is not None and run.status == "interrupted"
    again = queue.get_request(state, req.id)
    assert again is not None and again.status == "queued" and again.run_id is None
    state.dispose()


def test_worker_schedule_shows_live_workers_and_the_earliest_next_run(db_url: str) -> None:
    state = StateStore(db_url)
    now = utcnow()
    schedule.publish(state, "w1", {"files": now + timedelta(minutes=4), "drive": None})
    schedule.publish(state, "w2", {"files": now + timedelta(minutes=2)})
    assert schedule.live_workers(state) == ["w1", "w2"]
    assert schedule.next_runs(state)["files"] == now + timedelta(minutes=2)
    schedule.withdraw(state, "w2")
    assert schedule.next_runs(state)["files"] == now + timedelta(minutes=4)
    later = now + schedule.STALE_AFTER + timedelta(seconds=5)
    assert schedule.live_workers(state, later) == [], "a worker that stopped reporting is gone"
    assert schedule.next_runs(state, later) == {}
    state.dispose()


def test_state_tables_work_the_same(db_url: str, tmp_path: Path) -> None:
    """The chat-side and sync-side state on this backend: a real sync, dedupe, stats."""
    state = StateStore(db_url)
    index = open_index(tmp_path / "data")
    run = SyncEngine(index, state, HashingEmbedding()).run(FilesConnector(SAMPLES))
    assert run.status == "succeeded" and run.added > 40
    assert state.document_counts()["files"] == run.added
    assert state.chunk_counts()["files"] == index.count()
    assert state.checkpoint("files") is None or isinstance(state.checkpoint("files"), str)
    assert state.groups_of(["user:hannah.hr@northwind.example"]) == frozenset(
        {"group:files:hr-team"}
    )
    chat = ChatStore(state.engine)  # the chat side's records, on the same database
    assert chat.remember_event("slack:Ev1") and not chat.remember_event("slack:Ev1")
    assert chat.claim_thread_notice("slack", "C1:1.0")
    assert not chat.claim_thread_notice("slack", "C1:1.0")
    answer_id = chat.record_answer(
        "slack", "C1:1.0", "U1", "q", "a", ["files:x"], True, "extractive"
    )
    chat.record_feedback(answer_id, "U1", 1)
    chat.record_feedback(answer_id, "U2", -1, comment="wrong page")
    assert chat.answer_stats(utcnow() - timedelta(hours=24)) == {"answers": 1, "up": 1, "down": 1}
    rows = chat.feedback_rows()
    assert [(r["answer_id"], r["rating"], r["question"], r["doc_ids"]) for r in rows] == [
        (answer_id, 1, "q", ["files:x"]),
        (answer_id, -1, "q", ["files:x"]),
    ]
    state.dispose()
