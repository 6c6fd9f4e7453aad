"""Drive faults: export limits, oversize files, rate-limit storms, credentials, expired
change tokens, the ACL sweep, the Directory API, proxies and missing roots."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from connectors.base import (
    Acl,
    DocumentFailure,
    SyncMode,
)
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.messages import DRIVE_CREDENTIALS_REJECTED as CREDENTIALS_REJECTED
from connectors.messages import DRIVE_RESYNC_NOTE as RESYNC_NOTE
from connectors.retry import RetryPolicy
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.fakes.drive_server import FakeDrive
from tests.scenario.drive_harness import (
    ANYONE,
    INDEXED,
    connector,
    drive_ids,
    make_engine,
    make_settings,
    private,
    scan_full,
    start_fake,
    sync,
)


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    yield server
    server.stop()


@pytest.fixture
def settings(fake: FakeDrive, tmp_path: Path) -> Settings:
    return make_settings(fake, tmp_path)


@pytest.fixture
def engine(index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding) -> SyncEngine:
    return make_engine(index, state, hashing_embedder)


# ---------------------------------------------------------------------------- faults
def test_export_size_error_skips_one_file(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    fake.files["sheet1"].export_error = "exportSizeLimitExceeded"
    progress = engine.run(connector(settings))
    assert progress.status == "partial"
    assert progress.failed == 1 and progress.added == len(INDEXED) - 1
    assert progress.failures[0]["doc_id"] == "drive:sheet1"
    assert "exportSizeLimitExceeded" in progress.failures[0]["reason"]
    assert drive_ids(state) == INDEXED - {"sheet1"}


def test_oversized_file_is_a_counted_failure(
    fake: FakeDrive, settings: Settings, engine: SyncEngine
) -> None:
    settings.drive_max_file_mb = 1
    fake.files["pdf1"].content = b"%PDF" + b"0" * 2_000_000
    progress = engine.run(connector(settings))
    assert progress.status == "partial" and progress.failed == 1
    assert "DRIVE_MAX_FILE_MB" in progress.failures[0]["reason"]


def test_rate_limit_storm_survived_with_nothing_lost(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sleeps: list[float] = []
    retry = RetryPolicy(base_delay=0.001, max_delay=0.01)
    fake.rate_limit_storm(0.35)
    fake.fail(403, "userRateLimitExceeded", "/changes", count=3)
    progress = sync(engine, settings, retry=retry, sleep=sleeps.append)
    assert drive_ids(state) == INDEXED and progress.failed == 0
    assert len(sleeps) >= 5
    fake.storm = None
    fake.edit("txt1", content=b"The printer on floor 4 needs a badge.")
    fake.fail(500, "backendError", "/export", count=2)
    fake.fail(429, "rateLimitExceeded", "/drive/v3/files/txt1", count=2)
    progress = sync(engine, settings, retry=retry, sleep=sleeps.append)
    assert progress.updated == 1 and progress.failed == 0


def test_bad_credentials_give_the_clear_message(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    fake.reject_grants = True
    progress = engine.run(connector(settings))
    assert progress.status == "failed" and progress.error == CREDENTIALS_REJECTED
    assert state.checkpoint("drive") is None


def test_api_401_gives_the_clear_message(
    fake: FakeDrive, settings: Settings, engine: SyncEngine
) -> None:
    settings.google_application_credentials = None  # no token at all: the API says 401
    progress = engine.run(connector(settings))
    assert progress.status == "failed" and progress.error == CREDENTIALS_REJECTED


def test_expired_change_token_runs_one_full_resync(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    fake.expire_change_tokens()
    del fake.files["html1"]  # gone, and the change that said so is lost with the token
    progress = sync(engine, settings)
    assert RESYNC_NOTE in progress.notes
    assert drive_ids(state) == INDEXED - {"html1"}
    assert progress.chunks_embedded == 0
    run = state.last_run("drive")
    assert run is not None and RESYNC_NOTE in run.notes
    assert RESYNC_NOTE not in sync(engine, settings).notes


def test_acl_sweep_rereads_inherited_permissions(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    # a shared-drive membership change: no change entry for the files under it
    fake.files["sd_doc1"].permissions = private("lee@example.com")
    conn = connector(settings)
    progress = engine.run(conn)
    assert progress.acl_updated == 0, "not before the sweep is due"
    conn = connector(settings)
    conn.clock = lambda: datetime.now(UTC) + timedelta(hours=7)
    progress = engine.run(conn)
    assert progress.acl_updated == 1 and progress.chunks_embedded == 0
    row = state.document("drive:sd_doc1")
    assert row is not None and row.acl.principals == {"user:lee@example.com"}
    sweep_at = json.loads(state.checkpoint("drive") or "{}")["sweep_at"]
    assert datetime.fromisoformat(sweep_at) > datetime.now(UTC) + timedelta(hours=6)


def test_group_directory_refused_logs_once_and_keeps_groups(
    fake: FakeDrive,
    settings: Settings,
    engine: SyncEngine,
    state: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.directory_allowed = False
    with caplog.at_level(logging.WARNING):
        sync(engine, settings)
        sync(engine, settings, mode=SyncMode.FULL)
    lines = [r for r in caplog.records if "group membership is not read" in r.getMessage()]
    assert len(lines) <= 1
    row = state.document("drive:secret1")
    assert row is not None and "group:drive:hr@example.com" in row.acl.principals


def test_proxy_variables_are_not_used_for_loopback(
    fake: FakeDrive,
    settings: Settings,
    engine: SyncEngine,
    state: StateStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    sync(engine, settings)
    assert drive_ids(state) == INDEXED


def test_a_missing_root_is_noted_and_the_rest_synced(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    settings.drive_folder_ids = ["it", "nope"]
    progress = sync(engine, settings)
    assert any("nope" in n for n in progress.notes)
    assert drive_ids(state) == INDEXED
    settings.drive_folder_ids = ["nope"]
    settings.drive_shared_drive_ids = []
    failed = engine.run(connector(settings), SyncMode.FULL)
    assert failed.status == "failed" and "DRIVE_FOLDER_IDS" in (failed.error or "")


def test_everything_scope_without_folders(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    settings.drive_folder_ids = []
    settings.drive_shared_drive_ids = []
    sync(engine, settings)
    assert drive_ids(state) == INDEXED | {"out1"}
    row = state.document("drive:out1")
    assert row is not None


def test_failures_are_per_document(fake: FakeDrive, settings: Settings, engine: SyncEngine) -> None:
    fake.files["pdf1"].content = b"not a pdf"
    items = scan_full(settings)
    failures = [i for i in items if isinstance(i, DocumentFailure)]
    assert [f.doc_id for f in failures] == ["drive:pdf1"]
    assert "PDF" in failures[0].reason


def test_a_malformed_changes_page_ends_the_run_and_hides_what_it_did_not_read(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    saved = state.checkpoint("drive")
    fake.share("doc1", ANYONE + private("ana@example.com"))
    fake.fail(200, "", "/changes", count=100, kind="malformed")
    progress = engine.run(connector(settings))
    assert progress.status == "failed"
    assert progress.error is not None and "changes.list" in progress.error
    assert state.checkpoint("drive") == saved, "the change token is kept for the next cycle"
    hidden = state.document("drive:doc1")
    assert hidden is not None and hidden.acl == Acl(public=False), "fail closed: nobody"
    fake.faults.clear()
    again = sync(engine, settings)
    assert again.mode == "full" and again.chunks_embedded == 0
    row = state.document("drive:doc1")
    assert row is not None and "user:ana@example.com" in row.acl.principals


def test_a_429_503_storm_with_retry_after_loses_no_document(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sleeps: list[float] = []
    fake.rate_limit_storm(0.5, statuses=[429, 503], retry_after=1)
    fake.fail(503, "backendError", "/files/sheet1/export", count=20, retry_after=1)  # in a row
    progress = sync(engine, settings, retry=RetryPolicy(), sleep=sleeps.append)
    assert drive_ids(state) == INDEXED and progress.failed == 0
    assert len(sleeps) >= 20 and set(sleeps) == {1.0}, "every wait is the Retry-After asked for"
    row = state.document("drive:sheet1")
    assert row is not None and row.chunk_count > 0
