"""Google Drive through the real client, the real SyncEngine and the real LanceDB index,
against the fake Drive API on loopback: full listings and changes-feed cycles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from connectors.base import (
    Acl,
    GroupMembers,
    SourceDocument,
    SyncMode,
)
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.fakes.drive_server import FakeDrive
from tests.scenario.drive_harness import (
    INDEXED,
    drive_ids,
    make_engine,
    make_settings,
    private,
    scan_full,
    search_ids,
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


# ---------------------------------------------------------------------------- full sync
def test_full_sync_mixed_types(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    progress = sync(engine, settings)
    assert drive_ids(state) == INDEXED
    assert progress.added == len(INDEXED) and progress.failed == 0
    assert any("image/png (1)" in n for n in progress.notes)
    docs = {d.doc_id.split(":")[1]: d for d in scan_full(settings) if isinstance(d, SourceDocument)}
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
    groups = [i for i in scan_full(settings) if isinstance(i, GroupMembers)]
    assert {g.group: g.members for g in groups}["group:drive:hr@example.com"] == frozenset(
        {"user:pat@example.com"}
    )
    # a second run changes nothing and downloads nothing
    before = len(fake.media_requests())
    again = sync(engine, settings)
    assert again.chunks_embedded == 0 and again.added == 0 and again.deleted == 0
    assert len(fake.media_requests()) == before


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


def test_a_folder_or_shared_drive_taken_out_of_the_settings_is_removed_in_the_next_cycle(
    fake: FakeDrive, settings: Settings, engine: SyncEngine, state: StateStore
) -> None:
    """DRIVE_SHARED_DRIVE_IDS=sd1 removed (nothing changed in Drive, so the changes feed
    says nothing): the next incremental run lists what is still in scope and removes the
    shared drive's files; the folder that stays keeps its files, nothing re-embedded. Put
    back, the shared drive is listed at once (not only at the next ACL sweep)."""
    sync(engine, settings)
    assert "sd_doc1" in drive_ids(state)
    narrowed = settings.model_copy(update={"drive_shared_drive_ids": []})

    progress = sync(engine, narrowed)

    assert drive_ids(state) == INDEXED - {"sd_doc1"}
    assert progress.deleted == 1 and progress.chunks_embedded == 0
    assert any("DRIVE_SHARED_DRIVE_IDS" in note for note in progress.notes)
    again = sync(engine, narrowed)  # recorded: the next cycle is incremental again
    assert (again.deleted, again.added, again.notes) == (0, 0, [])
    sync(engine, settings)
    assert drive_ids(state) == INDEXED


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
