"""Google Drive through the real client, the real SyncEngine and the real LanceDB index,
against the fake Drive API on loopback (tests/fakes/drive_server.py)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from connectors.base import (
    Acl,
    DocumentFailure,
    GroupMembers,
    SourceDocument,
    SyncMode,
    SyncRequest,
)
from connectors.drive import build_drive_connector
from connectors.drive.client import RetryPolicy
from connectors.drive.connector import DriveConnector
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.messages import DRIVE_CREDENTIALS_REJECTED as CREDENTIALS_REJECTED
from connectors.messages import DRIVE_RESYNC_NOTE as RESYNC_NOTE
from connectors.state import StateStore
from connectors.sync import SyncEngine, SyncProgress
from tests.fakes.drive_server import (
    FOLDER,
    FakeDrive,
    FakeFile,
    make_docx,
    make_pdf,
    make_pptx,
    make_xlsx,
    service_account_info,
)

REPO = Path(__file__).resolve().parents[2]
DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
SLIDES = "application/vnd.google-apps.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ANYONE = [{"type": "anyone", "role": "reader"}]
COMPANY = [{"type": "domain", "role": "reader", "domain": "example.com"}]
FAST = RetryPolicy(base_delay=0.001, max_delay=0.01)


def private(*emails: str) -> list[dict[str, Any]]:
    return [{"type": "user", "role": "reader", "emailAddress": e} for e in emails]


def build_corpus(fake: FakeDrive) -> None:
    fake.add(FakeFile("root", "My Drive", FOLDER, []), record=False)
    fake.folder("it", "IT", "root")
    fake.folder("net", "Network", "it")
    fake.folder("personal", "Personal", "root")
    fake.add_drive("sd1", "Engineering")
    fake.folder("sdrunbooks", "Runbooks", "sd1", drive_id="sd1")
    add = fake.add
    add(
        FakeFile(
            "doc1",
            "VPN setup",
            DOC,
            ["net"],
            permissions=ANYONE,
            exports={"text/markdown": b"# VPN setup\n\nInstall the GlobalProtect client."},
        )
    )
    sheet = make_xlsx(
        {
            "Laptops": [["Model", "Owner"], ["X1 Carbon", "Ana"]],
            "Monitors": [["Model"], ["Dell U2720"]],
        }
    )
    add(
        FakeFile(
            "sheet1",
            "Inventory",
            SHEET,
            ["it"],
            permissions=COMPANY,
            exports={XLSX: sheet, "text/csv": b"Model,Owner\nX1 Carbon,Ana"},
        )
    )
    add(
        FakeFile(
            "slides1",
            "Onboarding deck",
            SLIDES,
            ["it"],
            permissions=COMPANY,
            exports={"text/plain": b"Welcome aboard\nYour first week"},
        )
    )
    add(
        FakeFile(
            "pdf1",
            "Password policy.pdf",
            "application/pdf",
            ["it"],
            permissions=COMPANY,
            content=make_pdf("Password policy\nRotate passwords every year"),
        )
    )
    add(
        FakeFile(
            "docx1",
            "Travel policy.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ["it"],
            permissions=COMPANY,
            content=make_docx("Travel", ["Book trains for trips under four hours."]),
        )
    )
    add(
        FakeFile(
            "pptx1",
            "Security training.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ["it"],
            permissions=COMPANY,
            content=make_pptx([("Phishing", "Report suspicious mail to security")]),
        )
    )
    add(
        FakeFile(
            "xlsx1",
            "Budget.xlsx",
            XLSX,
            ["it"],
            permissions=COMPANY,
            content=make_xlsx({"2024": [["Item", "Cost"], ["Laptops", 1200]]}),
        )
    )
    add(
        FakeFile(
            "txt1",
            "Printer notes.txt",
            "text/plain",
            ["net"],
            permissions=COMPANY,
            content=b"The printer on floor 3 needs a badge.",
        )
    )
    add(
        FakeFile(
            "html1",
            "Holidays.html",
            "text/html",
            ["it"],
            permissions=COMPANY,
            content=b"<html><body><h1>Holidays</h1><p>Office closed on May 1.</p></body></html>",
        )
    )
    add(FakeFile("img1", "Logo.png", "image/png", ["it"], permissions=COMPANY, content=b"\x89PNG"))
    add(
        FakeFile(
            "secret1",
            "Salaries",
            DOC,
            ["it"],
            permissions=[{"type": "group", "role": "reader", "emailAddress": "HR@example.com"}],
            exports={"text/markdown": b"Salary bands are confidential."},
        )
    )
    add(
        FakeFile(
            "sd_doc1",
            "Deploy runbook",
            DOC,
            ["sdrunbooks"],
            drive_id="sd1",
            permissions=[{"type": "group", "role": "organizer", "emailAddress": "eng@example.com"}],
            exports={"text/markdown": b"Deploy with the pipeline."},
        )
    )
    add(
        FakeFile(
            "out1",
            "Diary",
            DOC,
            ["personal"],
            permissions=ANYONE,
            exports={"text/markdown": b"Private diary."},
        )
    )
    fake.groups = {"HR@example.com": ["pat@example.com"], "eng@example.com": ["lee@example.com"]}


INDEXED = {
    "doc1",
    "sheet1",
    "slides1",
    "pdf1",
    "docx1",
    "pptx1",
    "xlsx1",
    "txt1",
    "html1",
    "secret1",
    "sd_doc1",
}


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = FakeDrive().start()
    server.require_auth = True
    build_corpus(server)
    yield server
    server.stop()


@pytest.fixture
def settings(fake: FakeDrive, tmp_path: Path) -> Settings:
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(service_account_info(fake.url + "/token")))
    return Settings(
        _env_file=None,
        google_application_credentials=key,
        google_delegated_user="admin@example.com",
        drive_folder_ids=["it"],
        drive_shared_drive_ids=["sd1"],
        drive_public_domains=["example.com"],
        drive_api_url=fake.url,
    )


@pytest.fixture
def engine(index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding) -> SyncEngine:
    return SyncEngine(index, state, hashing_embedder, batch_docs=4)


def connector(settings: Settings, **kw: Any) -> DriveConnector:
    conn = build_drive_connector(settings, None, retry=kw.pop("retry", FAST), **kw)
    assert isinstance(conn, DriveConnector)
    return conn


def sync(
    engine: SyncEngine, settings: Settings, mode: SyncMode = SyncMode.INCREMENTAL, **kw: Any
) -> SyncProgress:
    progress = engine.run(connector(settings, **kw), mode)
    assert progress.status == "succeeded", (progress.error, progress.failures)
    return progress


def drive_ids(state: StateStore) -> set[str]:
    return {d.split(":", 1)[1] for d in state.known_documents("drive")}


def search_ids(engine: SyncEngine, query: str, principals: frozenset[str]) -> set[str]:
    vector = engine.embedder.get_query_embedding(query)
    hits = engine.index.search(query, vector, principals, 20)
    return {str(h.node.metadata["doc_id"]) for h in hits}


# ---------------------------------------------------------------------------- full sync
def test_full_sync_mixed_types(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    progress = sync(engine, settings)
    assert drive_ids(state) == INDEXED
    assert progress.added == len(INDEXED) and progress.failed == 0
    assert any("image/png (1)" in n for n in progress.notes)
    docs = {d.doc_id.split(":")[1]: d for d in _scan(settings) if isinstance(d, SourceDocument)}
    assert "Install the GlobalProtect client" in docs["doc1"].text
    assert "## Laptops\nModel,Owner\nX1 Carbon,Ana" in docs["sheet1"].text
    assert "## Monitors" in docs["sheet1"].text
    assert "Your first week" in docs["slides1"].text
    assert "Rotate passwords every year" in docs["pdf1"].text
    assert "# Travel" in docs["docx1"].text and "Book trains" in docs["docx1"].text
    assert "## Slide 1" in docs["pptx1"].text and "suspicious mail" in docs["pptx1"].text
    assert "Laptops,1200" in docs["xlsx1"].text
    assert docs["txt1"].text == "The printer on floor 3 needs a badge."
    assert "Office closed on May 1." in docs["html1"].text
    assert docs["txt1"].breadcrumbs == ("IT", "Network")
    assert docs["sd_doc1"].breadcrumbs == ("Engineering", "Runbooks")
    assert docs["doc1"].url == "https://docs.google.com/document/d/doc1/edit"
    assert docs["pdf1"].author == "owner"
    assert docs["doc1"].acl == Acl.everyone()
    assert docs["pdf1"].acl.public  # example.com is a public domain
    assert docs["secret1"].acl == Acl(False, frozenset({"group:drive:hr@example.com"}))
    assert docs["sd_doc1"].acl == Acl(False, frozenset({"group:drive:eng@example.com"}))
    assert fake.requested("/permissions"), "shared-drive permissions come from permissions.list"
    assert search_ids(engine, "Salary bands", frozenset()) & {"drive:secret1"} == set()
    member = frozenset({"user:pat@example.com", "group:drive:hr@example.com"})
    assert "drive:secret1" in search_ids(engine, "Salary bands confidential", member)
    # group members were read from the directory into the membership table
    groups = [i for i in _scan(settings) if isinstance(i, GroupMembers)]
    assert {g.group: g.members for g in groups}["group:drive:hr@example.com"] == frozenset(
        {"user:pat@example.com"}
    )
    # a second run changes nothing and downloads nothing
    before = len(fake.media_requests())
    again = sync(engine, settings)
    assert again.chunks_embedded == 0 and again.added == 0 and again.deleted == 0
    assert len(fake.media_requests()) == before


def _scan(settings: Settings) -> list[Any]:
    return list(connector(settings).scan(SyncRequest(SyncMode.FULL, None, {})))


def test_full_mode_reads_listing_not_changes_and_ends_with_seen_all(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    # a file that vanished without a change entry (e.g. before the token was taken)
    del fake.files["txt1"]
    progress = sync(engine, settings, SyncMode.FULL)
    assert "txt1" not in drive_ids(state)
    assert progress.deleted == 1 and progress.chunks_embedded == 0


# ---------------------------------------------------------------------------- incremental
def test_incremental_edit_via_changes(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    token = json.loads(state.checkpoint("drive") or "{}")["token"]
    fake.requests.clear()
    fake.edit("doc1", exports={"text/markdown": b"# VPN setup\n\nUse the new WireGuard client."})
    progress = sync(engine, settings)
    assert progress.updated == 1 and progress.added == 0 and progress.chunks_embedded >= 1
    assert fake.media_requests() == ["doc1"]
    assert not fake.requested("/drive/v3/files") or all(
        r[1] != "/drive/v3/files" for r in fake.requests
    ), "no listing in an incremental cycle"
    assert fake.requested("/changes")[0][2]["pageToken"] == token
    assert "drive:doc1" in search_ids(engine, "WireGuard", frozenset())
    assert json.loads(state.checkpoint("drive") or "{}")["token"] != token


def test_removal_and_trash_deleted_in_one_cycle(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    fake.delete("txt1")
    fake.trash("pdf1")
    progress = sync(engine, settings)
    assert progress.deleted == 2
    assert drive_ids(state) == INDEXED - {"txt1", "pdf1"}
    assert "drive:pdf1" not in search_ids(engine, "Rotate passwords", frozenset())


def test_unsharing_removes_from_public_scope_without_reembedding(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    assert "drive:doc1" in search_ids(engine, "GlobalProtect client", frozenset())
    fake.share("doc1", private("ana@example.com"))
    progress = sync(engine, settings)
    assert progress.chunks_embedded == 0 and progress.acl_updated == 1
    assert fake.media_requests().count("doc1") == 1, "the body is not downloaded again"
    assert "drive:doc1" not in search_ids(engine, "GlobalProtect client", frozenset())
    ana = frozenset({"user:ana@example.com"})
    assert "drive:doc1" in search_ids(engine, "GlobalProtect client", ana)
    row = state.document("drive:doc1")
    assert row is not None and row.acl == Acl(False, frozenset({"user:ana@example.com"}))


def test_moving_a_file_out_of_the_synced_folder_deletes_it(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    fake.move("doc1", "personal")
    progress = sync(engine, settings)
    assert progress.deleted == 1 and "doc1" not in drive_ids(state)
    fake.move("doc1", "net")  # and back in: indexed again
    sync(engine, settings)
    assert "doc1" in drive_ids(state)


def test_moving_a_folder_out_of_scope_deletes_its_files(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    fake.move("net", "personal")
    progress = sync(engine, settings)
    assert {"doc1", "txt1"} & drive_ids(state) == set()
    assert progress.deleted == 2


def test_renaming_a_folder_updates_breadcrumbs(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sync(engine, settings)
    fake.edit("net", name="Networking")
    sync(engine, settings)
    vector = engine.embedder.get_query_embedding("printer floor badge")
    hits = engine.index.search("printer floor badge", vector, frozenset(), 5)
    crumbs = {h.node.metadata["doc_id"]: h.node.metadata["breadcrumbs"] for h in hits}
    assert list(crumbs["drive:txt1"]) == ["IT", "Networking"]


# ---------------------------------------------------------------------------- faults
def test_export_size_error_skips_one_file(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    fake.files["sheet1"].export_error = "exportSizeLimitExceeded"
    progress = engine.run(connector(settings))
    assert progress.status == "succeeded"
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
    assert progress.status == "succeeded" and progress.failed == 1
    assert "DRIVE_MAX_FILE_MB" in progress.failures[0]["reason"]


def test_rate_limit_storm_survived_with_nothing_lost(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    sleeps: list[float] = []
    retry = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, sleep=sleeps.append)
    fake.rate_limit_storm(0.35)
    fake.fail(403, "userRateLimitExceeded", "/changes", count=3)
    progress = sync(engine, settings, retry=retry)
    assert drive_ids(state) == INDEXED and progress.failed == 0
    assert len(sleeps) >= 5
    fake.storm = None
    fake.edit("txt1", content=b"The printer on floor 4 needs a badge.")
    fake.fail(500, "backendError", "/export", count=2)
    fake.fail(429, "rateLimitExceeded", "/drive/v3/files/txt1", count=2)
    progress = sync(engine, settings, retry=retry)
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


# ---------------------------------------------------------------------------- crash
CRASH_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {repo!r})
    from bot.settings import Settings
    from connectors.base import SyncMode
    from connectors.drive import build_drive_connector
    from connectors.drive.client import RetryPolicy
    from connectors.embedder import HashingEmbedding
    from connectors.index import open_index
    from connectors.state import StateStore
    from connectors.sync import SyncEngine
    from pathlib import Path

    settings = Settings(_env_file=None, **json.loads({settings!r}))
    state = StateStore({state_url!r})
    engine = SyncEngine(open_index(Path({data!r})), state, HashingEmbedding(), batch_docs=5)
    conn = build_drive_connector(settings, state, retry=RetryPolicy(base_delay=0.001),
                                 page_size=10, workers=2)
    progress = engine.run(conn, SyncMode.INCREMENTAL)
    print(json.dumps(progress.summary()))
    """
)


@pytest.mark.slow
def test_crash_mid_sync_resumes_from_saved_page_token(
    fake: FakeDrive, settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    n = 60
    fake.folder("bulk", "Bulk", "root")
    for i in range(n):
        body = f"Bulk note {i}: " + " ".join(f"word{i}-{j}" for j in range(20))
        fake.add(
            FakeFile(
                f"b{i:03d}",
                f"Note {i}",
                "text/plain",
                ["bulk"],
                content=body.encode(),
                permissions=COMPANY,
            )
        )
    settings.drive_folder_ids = ["bulk"]
    settings.drive_shared_drive_ids = []
    state_url = f"sqlite:///{data_dir / 'state.sqlite3'}"
    script = tmp_path / "run_sync.py"
    script.write_text(
        CRASH_SCRIPT.format(
            repo=str(REPO),
            settings=settings.model_dump_json(
                include={
                    "google_application_credentials",
                    "google_delegated_user",
                    "drive_folder_ids",
                    "drive_shared_drive_ids",
                    "drive_public_domains",
                    "drive_api_url",
                }
            ),
            state_url=state_url,
            data=str(data_dir),
        )
    )
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    fake.block_media_after = 37
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    state = StateStore(state_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and fake.media_served <= 37:
            time.sleep(0.05)
        time.sleep(0.5)  # let the engine commit what it can
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        saved = json.loads(state.checkpoint("drive") or "{}")
        assert saved["listing"]["page"], saved  # killed mid-listing, after some pages
        committed = {d for d, k in state.known_documents("drive").items() if k.content_hash}
        assert 20 <= len(committed) < n
        fake.block_media_after = None
        fake.unblock.set()
        fake.requests.clear()
        out = subprocess.run(
            [sys.executable, str(script)],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
            text=True,
        )
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        assert summary["failed"] == 0
        first_listing = next(r for r in fake.requests if r[1] == "/drive/v3/files")
        assert first_listing[2].get("pageToken") == saved["listing"]["page"]
        assert not fake.requested("startPageToken"), "the saved change token is kept"
        downloaded = {f"drive:{i}" for i in fake.media_requests()}
        assert not downloaded & committed, "committed files are not fetched again"
        index = engine_index(data_dir)
        assert index.count() == n  # one chunk per note: exact, no duplicates
        assert state.chunk_counts()["drive"] == n
        assert len(state.known_documents("drive")) == n
    finally:
        if proc.poll() is None:
            proc.kill()
        state.dispose()


def engine_index(data_dir: Path) -> ChunkIndex:
    from connectors.index import open_index

    return open_index(data_dir)


def test_failures_are_per_document(fake: FakeDrive, settings: Settings, engine: SyncEngine) -> None:
    fake.files["pdf1"].content = b"not a pdf"
    items = _scan(settings)
    failures = [i for i in items if isinstance(i, DocumentFailure)]
    assert [f.doc_id for f in failures] == ["drive:pdf1"]
    assert "PDF" in failures[0].reason
