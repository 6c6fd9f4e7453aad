"""The worker end to end: an admin's `reindex` through `AdminCommands.handle` becomes a
request row, a running `Worker` picks it up within 5 s, and `follow()` posts progress and
edits it in place until the summary. Runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import messages
from bot.admin import AdminCommands
from bot.models import Asker
from connectors import reindex_requests as queue
from connectors.base import Connector
from connectors.leases import holder
from connectors.sync_job import lease_name
from connectors.worker import Worker
from tests import fixtures_pg
from tests.conftest import SAMPLES
from tests.scenario.test_worker_support import (
    Chat,
    MemoryConnector,
    Meter,
    make_docs,
    make_services,
    start_worker,
    wait_until,
)

ADMIN = Asker(platform="slack", user_id="U0ADMIN", email="ops@northwind.example")
ADMIN2 = Asker(platform="teams", user_id="aad-2", email="Second.Admin@northwind.example")

db_url = fixtures_pg.db_url  # fixture: each test runs on SQLite and on PostgreSQL


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.shutdown(wait=True)


async def test_admin_reindex_runs_on_the_worker_and_the_summary_is_posted(
    db_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    shutil.copytree(SAMPLES, tmp_path / "kb")
    (tmp_path / "kb" / "it" / "scanned-form.txt").write_bytes(b"\xff\xfe\x00 not text")
    services = make_services(db_url, tmp_path)
    admin = AdminCommands(services)
    workers.append(start_worker(services))  # default poll: every 2 s

    reply = await admin.handle(ADMIN, "reindex files")
    assert reply.text.startswith("Queued a reindex of Help centre (request #")
    assert reply.follow_request_id is not None
    chat = Chat()
    await asyncio.wait_for(admin.follow(reply.follow_request_id, chat.post, chat.update), 60)

    request = queue.get_request(services.state, reply.follow_request_id)
    assert request is not None and request.status == "done" and request.started_at
    assert (request.started_at - request.created_at).total_seconds() < 5, "picked up within 5 s"
    indexed = sum(1 for p in SAMPLES.rglob("*") if p.suffix in {".md", ".html", ".pdf"})
    assert len(chat.posts) == 1, "one progress message, edited in place"
    assert chat.final.startswith("⚠️ Help centre: partial, done in "), "never ✅ with a failure"
    assert f"{indexed} added, 0 updated, 0 deleted, 0 unchanged, 1 failed (" in chat.final
    # the failed file is new (not known to be public): its name stays out of a channel
    assert messages.ADMIN_FAILURE_HIDDEN in chat.final and "scanned-form" not in chat.final
    assert services.state.document_counts() == {"files": indexed}
    assert services.state.chunk_counts()["files"] == services.index.count()

    # the same request followed in a DM with the admin: the file was never read, so
    # nobody knows who may read it; its name stays out of the DM too (worker log only)
    dm = Chat()
    await admin.follow(reply.follow_request_id, dm.post, dm.update, private=True, viewer=ADMIN)
    assert dm.posts == [dm.final]
    assert messages.ADMIN_FAILURE_HIDDEN_DM in dm.final and "scanned-form" not in dm.final


async def test_progress_is_edited_in_place_with_rate_eta_and_failures(
    tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    slow = MemoryConnector(
        "files", make_docs(14), delay=0.12, failing=frozenset({"doc-003"}), checkpoint_every=2
    )
    admin = AdminCommands(services)
    workers.append(start_worker(services, {"files": lambda: slow}, poll_seconds=0.2))
    reply = await admin.handle(ADMIN, "reindex files full")
    assert reply.text.startswith("Queued a full reindex of Help centre")
    assert reply.follow_request_id is not None
    chat = Chat()
    await asyncio.wait_for(
        admin.follow(reply.follow_request_id, chat.post, chat.update, interval=0.4), 60
    )
    texts = [t for _, t, _ in chat.updates]
    running = [t for t in texts if t.startswith("⏳ Help centre: ")]
    assert running, texts
    assert any(
        re.search(r"\d+ / 14 documents · [\d.]+ docs/s · about \d+ s left · 1 failed so far", t)
        for t in running
    ), running
    assert all(mid == "msg-1" for mid, _, _ in chat.updates)
    gaps = [b[2] - a[2] for a, b in zip(chat.updates, chat.updates[1:-1], strict=False)]
    assert all(g >= 0.39 for g in gaps), f"at most one edit per interval: {gaps}"
    assert chat.final.startswith("⚠️ Help centre: partial, done in ")
    assert "13 added, 0 updated, 0 deleted, 0 unchanged, 1 failed (" in chat.final
    # the failed page was never indexed, so its title stays out of the channel
    assert "Title of doc-003" not in chat.final
    run = services.state.last_run("files")
    assert run is not None and run.mode == "full"


async def test_two_reindex_requests_made_together_are_served_by_one_run(
    db_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(db_url, tmp_path)
    meter = Meter()
    connector = MemoryConnector("files", make_docs(6), meter=meter)
    admin = AdminCommands(services)
    first, second = await asyncio.gather(
        admin.handle(ADMIN, "reindex files"), admin.handle(ADMIN2, "reindex files full")
    )
    assert first.follow_request_id and second.follow_request_id
    workers.append(start_worker(services, {"files": lambda: connector}, poll_seconds=0.2))
    chats = (Chat(), Chat())
    await asyncio.wait_for(
        asyncio.gather(
            admin.follow(first.follow_request_id, chats[0].post, chats[0].update, interval=0.2),
            admin.follow(second.follow_request_id, chats[1].post, chats[1].update, interval=0.2),
        ),
        60,
    )
    a = queue.get_request(services.state, first.follow_request_id)
    b = queue.get_request(services.state, second.follow_request_id)
    assert a is not None and b is not None
    assert a.run_id is not None and a.run_id == b.run_id
    assert a.status == b.status == "done"
    assert meter.scans == 1
    run = services.state.run(a.run_id)
    assert run is not None and run.mode == "full", "one asked for full: the merged run is full"
    assert chats[0].final == chats[1].final
    assert "6 added" in chats[0].final


async def test_a_request_made_during_a_run_waits_for_the_next_run(
    tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    meter = Meter()
    connector = MemoryConnector("files", make_docs(8), delay=0.15, meter=meter)
    admin = AdminCommands(services)
    workers.append(start_worker(services, {"files": lambda: connector}, poll_seconds=0.2))
    first = await admin.handle(ADMIN, "reindex files")
    assert first.follow_request_id is not None
    await asyncio.to_thread(wait_until, lambda: services.state.last_run("files") is not None)
    second = await admin.handle(ADMIN, "reindex")
    assert "Help centre is syncing right now; your reindex starts as soon as" in second.text
    assert second.follow_request_id is not None
    chat = Chat()
    await asyncio.wait_for(
        admin.follow(second.follow_request_id, chat.post, chat.update, interval=0.2), 60
    )
    assert chat.posts[0] == "🕒 Help centre: waiting for the sync that is running now to end…"
    a = queue.get_request(services.state, first.follow_request_id)
    b = queue.get_request(services.state, second.follow_request_id)
    assert a is not None and b is not None and a.run_id != b.run_id
    assert meter.most == 1 and meter.scans == 2
    assert "8 unchanged" in chat.final, "the second run re-embeds nothing"


def test_scheduled_runs_follow_the_interval_and_never_overlap_across_replicas(
    db_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(db_url, tmp_path, sync_interval_minutes_files=0.01)  # 0.6 s
    meter = Meter()
    docs = make_docs(5)

    def factory() -> Connector:
        return MemoryConnector("files", docs, delay=0.1, meter=meter)

    for _ in range(2):  # two worker replicas against one state store
        workers.append(start_worker(services, {"files": factory}, sync_on_start=True))
    time.sleep(4)
    nexts = [w.next_run_times()["files"] for w in workers]
    for w in workers:
        w.shutdown(wait=True)
    assert meter.most == 1, "a source never syncs twice at once"
    assert meter.scans >= 3, f"only {meter.scans} scheduled runs in 4 s at a 0.6 s interval"
    succeeded = services.state.last_run("files", status="succeeded")
    assert succeeded is not None and succeeded.unchanged == 5
    assert all(n is not None for n in nexts)
    assert services.state.document_counts() == {"files": 5}
    assert holder(services.state, lease_name("files")) is None, "leases released"


def test_shutdown_commits_the_running_batch_and_the_next_worker_finishes(
    db_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(db_url, tmp_path)
    docs = make_docs(30)
    connector = MemoryConnector("files", docs, delay=0.05, checkpoint_every=3)
    request = queue.enqueue(services.state, ["files"], "incremental", "slack:U0ADMIN")[0]
    worker = start_worker(services, {"files": lambda: connector}, poll_seconds=0.2)

    def six_done() -> bool:
        run = services.state.last_run("files")
        return run is not None and run.done >= 6

    assert wait_until(six_done)
    stopped_at = time.monotonic()
    worker.shutdown(wait=True)
    assert time.monotonic() - stopped_at < 5, "shutdown waits only for the current batch"
    run = services.state.last_run("files")
    assert run is not None and run.status == "interrupted"
    assert holder(services.state, lease_name("files")) is None, "lease released"
    again = queue.get_request(services.state, request.id)
    assert again is not None and again.status == "queued", "the request goes back to the queue"
    committed = services.state.document_counts().get("files", 0)
    assert 6 <= committed < 30
    assert services.state.chunk_counts()["files"] == services.index.count()

    workers.append(start_worker(services, {"files": lambda: connector}, poll_seconds=0.2))

    def finished() -> bool:
        row = queue.get_request(services.state, request.id)
        return row is not None and row.finished

    assert wait_until(finished, timeout=30)
    done = queue.get_request(services.state, request.id)
    assert done is not None and done.status == "done"
    assert connector.started_at[-1] > 0, "resumed from the checkpoint"
    assert services.state.document_counts() == {"files": 30}
    assert services.index.count() == connector.expected_chunks()


def test_a_request_for_a_source_the_worker_does_not_run_fails_with_a_reason(
    tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    request = queue.enqueue(services.state, ["confluence"], "incremental", "slack:U0ADMIN")[0]
    workers.append(
        start_worker(services, {"files": lambda: MemoryConnector("files", {})}, poll_seconds=0.2)
    )

    def finished() -> bool:
        row = queue.get_request(services.state, request.id)
        return row is not None and row.finished

    assert wait_until(finished, timeout=10)
    row = queue.get_request(services.state, request.id)
    assert row is not None and row.status == "failed"
    assert row.error == "the source 'confluence' is not configured"
