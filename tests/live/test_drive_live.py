"""Against the real Google Drive API; skipped unless credentials and a scope are set.

    GOOGLE_APPLICATION_CREDENTIALS=/path/key.json [GOOGLE_DELEGATED_USER=admin@corp.com] \\
    DRIVE_FOLDER_IDS=<a small folder> pytest tests/live/test_drive_live.py

Read-only (drive.readonly scope). Point DRIVE_FOLDER_IDS (or DRIVE_SHARED_DRIVE_IDS) at a
small folder: the test runs a full sync of it into a temporary index, then a
changes-feed cycle from the stored token.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.settings import Settings
from connectors.base import SourceDocument, SyncMode, SyncRequest
from connectors.drive import DriveConnector, build_drive_connector
from connectors.embedder import HashingEmbedding
from connectors.index import open_index
from connectors.state import StateStore
from connectors.sync import SyncEngine

KEY = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
SCOPED = bool(os.environ.get("DRIVE_FOLDER_IDS") or os.environ.get("DRIVE_SHARED_DRIVE_IDS"))

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (KEY and Path(KEY).is_file() and SCOPED),
        reason="set GOOGLE_APPLICATION_CREDENTIALS and DRIVE_FOLDER_IDS or DRIVE_SHARED_DRIVE_IDS",
    ),
]


def test_live_full_sync_then_changes_cycle(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, drive_api_url=None)
    state = StateStore(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    engine = SyncEngine(open_index(tmp_path), state, HashingEmbedding())
    full = engine.run(build_drive_connector(settings.drive_settings()), SyncMode.INCREMENTAL)
    assert full.status == "succeeded", full.error
    checkpoint = json.loads(state.checkpoint("drive") or "{}")
    assert checkpoint["token"] and checkpoint["listing"] is None
    again = engine.run(build_drive_connector(settings.drive_settings()), SyncMode.INCREMENTAL)
    assert again.status == "succeeded", again.error
    assert again.chunks_embedded <= full.chunks_embedded


def test_live_documents_have_metadata(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, drive_api_url=None)
    conn = build_drive_connector(settings.drive_settings())
    assert isinstance(conn, DriveConnector)
    docs = [
        item
        for item in conn.scan(SyncRequest(SyncMode.FULL, None, {}))
        if isinstance(item, SourceDocument)
    ]
    for doc in docs[:20]:
        assert doc.doc_id.startswith("drive:") and doc.url.startswith("https://")
        assert doc.breadcrumbs, "folder path as breadcrumbs"
        assert doc.acl.public or doc.acl.principals
