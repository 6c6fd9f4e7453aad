"""`/helpdesk status` as anyone sees it, read from the state store the worker writes:
idle, running and failed sources, the next scheduled run, the index, answers today;
never a document title."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot import messages
from bot.admin import AdminCommands
from bot.models import Asker
from connectors.state import documents, sync_runs, utcnow
from connectors.worker import Worker
from tests.conftest import SAMPLES
from tests.scenario.test_worker_support import (
    MemoryConnector,
    make_docs,
    make_services,
    start_worker,
    wait_until,
)

ANYONE = Asker(platform="slack", user_id="U0EMPLOYEE", email="emma@northwind.example")


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.shutdown(wait=True)


async def test_idle_source_shows_counts_last_and_next_sync_index_and_answers(
    tmp_path: Path, workers: list[Worker]
) -> None:
    shutil.copytree(SAMPLES, tmp_path / "kb")
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    worker = start_worker(services)
    workers.append(worker)
    progress = worker.run_once("files")
    assert progress is not None and progress.status == "succeeded"
    assert wait_until(lambda: bool(worker.next_run_times()))
    state = services.state
    chat = services.chat
    answer_id = chat.record_answer("slack", "C1:1.0", "U1", "q", "a", [], True, "extractive")
    chat.record_answer("teams", "conv-1", "aad-1", "q", "a", [], False, "extractive")
    chat.record_feedback(answer_id, "U1", 1)

    text = (await AdminCommands(services).handle(ANYONE, "status")).text
    docs = state.document_counts()["files"]
    chunks = state.chunk_counts()["files"]
    assert text.splitlines()[:4] == [
        messages.ADMIN_STATUS_HEADER,
        f"*Help centre* (`files`): {docs} documents, {chunks} chunks",
        "   last successful sync just now",
        text.splitlines()[3],
    ]
    # the 5-minute interval started moments ago (rounded to the second)
    assert re.fullmatch(r"   next scheduled sync in (4 min \d+|5 min 0) s", text.splitlines()[3])
    assert re.search(rf"^Index: lancedb, {chunks} chunks, \d+\.\d MB$", text, re.M)
    assert messages.ADMIN_STATUS_ANSWERS.format(answers=2, up=1, down=0) in text
    assert "Sync workers running: 1" in text
    assert "failed" not in text
    # open to everyone, so no document title of any kind (restricted ones included)
    with state.engine.connect() as conn:
        titles = [str(t) for t in conn.execute(select(documents.c.title)).scalars()]
    salary = state.document("files:hr/salary-bands-2026.md")
    assert salary is not None and not salary.acl.public and salary.title in titles
    assert [t for t in titles if t in text] == []


async def test_running_source_shows_progress_rate_and_eta(
    tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    slow = MemoryConnector("files", make_docs(40), delay=0.1)
    workers.append(start_worker(services, {"files": lambda: slow}, poll_seconds=0.2))
    admin = AdminCommands(services)
    reply = await admin.handle(Asker("slack", "U0ADMIN"), "reindex files")
    assert reply.follow_request_id is not None

    def some_done() -> bool:
        run = services.state.last_run("files")
        return run is not None and run.done >= 4

    assert wait_until(some_done)
    text = (await admin.handle(ANYONE, "status")).text
    assert re.search(
        r"^   running now \(incremental\): \d+ / 40 documents · [\d.]+ docs/s · about \d+ s left$",
        text,
        re.M,
    ), text
    assert "   never synced successfully yet" in text


async def test_failed_source_shows_the_error_in_plain_words(
    tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    good = MemoryConnector("files", make_docs(3))
    broken = MemoryConnector(
        "files",
        {},
        error="Confluence rejected the credentials (HTTP 401): renew CONFLUENCE_API_TOKEN.",
    )
    current = {"connector": good}
    worker = start_worker(services, {"files": lambda: current["connector"]})
    workers.append(worker)
    assert worker.run_once("files") is not None
    current["connector"] = broken
    failed = worker.run_once("files")
    assert failed is not None and failed.status == "failed"

    text = (await AdminCommands(services).handle(ANYONE, "status")).text
    assert "*Help centre* (`files`): 3 documents, 3 chunks" in text
    assert "   last successful sync just now" in text
    assert (
        "   ⚠️ last run just now failed: Confluence rejected the credentials (HTTP 401): "
        "renew CONFLUENCE_API_TOKEN."
    ) in text


async def test_a_source_no_longer_configured_is_shown_with_its_count_and_the_way_out(
    tmp_path: Path, workers: list[Worker]
) -> None:
    """`/helpdesk status` after `SOURCES` dropped `files`: the documents still indexed
    are counted, said to be never answered, and the operator's command to remove them is
    named; the configured source is listed as usual."""
    db = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    synced = make_services(db, tmp_path)
    worker = start_worker(synced, {"files": lambda: MemoryConnector("files", make_docs(3))})
    workers.append(worker)
    assert worker.run_once("files") is not None
    services = make_services(db, tmp_path, sources=["confluence"])  # files taken out

    text = (await AdminCommands(services).handle(ANYONE, "status")).text
    lines = text.splitlines()
    at = lines.index("*Help centre* (`files`): 3 documents, 3 chunks")
    assert lines[at + 1] == messages.ADMIN_STATUS_NOT_CONFIGURED.format(
        source="files", documents=3, s="s"
    )
    assert "`helpdesk forget files`" in lines[at + 1] and "never answered" in lines[at + 1]
    assert "(`confluence`): 0 documents" in text
    assert text.count("not configured") == 1


async def test_without_a_worker_status_says_so_and_counts_queued_requests(
    tmp_path: Path,
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    admin = AdminCommands(services)
    reply = await admin.handle(Asker("slack", "U0ADMIN"), "reindex")
    assert messages.ADMIN_NO_WORKER in reply.text
    text = (await admin.handle(ANYONE, "status")).text
    assert "   no scheduled sync (no worker running)" in text
    assert "   1 reindex request queued" in text
    assert text.endswith(messages.ADMIN_STATUS_NO_WORKER)


async def test_a_run_whose_worker_died_is_shown_as_stalled(tmp_path: Path) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    run_id = services.state.start_run("files", "incremental")
    services.state.update_run(run_id, done=12, total=40)
    with services.state.engine.begin() as conn:  # what a SIGKILLed worker leaves behind
        conn.execute(
            update(sync_runs)
            .where(sync_runs.c.id == run_id)
            .values(heartbeat_at=utcnow() - timedelta(minutes=10))
        )
    text = (await AdminCommands(services).handle(ANYONE, "status")).text
    assert "   running now (incremental): 12 / 40 documents" in text
    assert re.search(
        r"^   ⚠️ no progress reported for 10 min \d+ s: its worker may have stopped; the next "
        r"run resumes from the last checkpoint$",
        text,
        re.M,
    ), text


async def test_documents_that_failed_are_listed_without_restricted_titles(
    tmp_path: Path, workers: list[Worker]
) -> None:
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    first = MemoryConnector("files", make_docs(3), private=frozenset({"doc-001"}))
    docs = {**make_docs(3), "doc-003": "a new page that cannot be read"}
    second = MemoryConnector(
        "files", docs, private=frozenset({"doc-001"}), failing=frozenset({"doc-001", "doc-003"})
    )
    current = {"connector": first}
    worker = start_worker(services, {"files": lambda: current["connector"]})
    workers.append(worker)
    assert worker.run_once("files") is not None
    current["connector"] = second
    assert worker.run_once("files") is not None

    text = (await AdminCommands(services).handle(ANYONE, "status")).text
    lines = text.splitlines()
    at = lines.index("   2 documents failed in the last sync:")
    # one restricted page, one never indexed (its permissions are unknown): no titles
    assert lines[at + 1 : at + 3] == [messages.ADMIN_FAILURE_HIDDEN] * 2
    assert "Title of doc-001" not in text and "Title of doc-003" not in text


async def test_a_damaged_index_is_shown_as_unavailable_and_the_rest_still_shows(
    tmp_path: Path, workers: list[Worker]
) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "vpn.md").write_text("# VPN\n\nInstall the VPN client from the portal.\n")
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    worker = start_worker(services)
    workers.append(worker)
    progress = worker.run_once("files")
    assert progress is not None and progress.status == "succeeded"
    for versions in (tmp_path / "data" / "index").rglob("_versions"):
        shutil.rmtree(versions)  # the table's manifests are gone: every read fails

    text = (await AdminCommands(services).handle(ANYONE, "status")).text
    assert messages.ADMIN_STATUS_INDEX_UNAVAILABLE.format(backend="lancedb") in text
    assert "(`files`): 1 documents" in text and "Answers in the last 24 h" in text
