"""A Drive sync killed with SIGKILL mid-listing resumes from the saved page token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.fakes.drive_server import FakeDrive, FakeFile
from tests.scenario.drive_harness import (
    COMPANY,
    REPO,
    make_engine,
    make_settings,
    start_fake,
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


# ---------------------------------------------------------------------------- crash
CRASH_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {repo!r})
    from bot.settings import Settings
    from connectors.base import SyncMode
    from connectors.drive import build_drive_connector
    from connectors.retry import RetryPolicy
    from connectors.embedder import HashingEmbedding
    from connectors.index import open_index
    from connectors.state import StateStore
    from connectors.sync import SyncEngine
    from pathlib import Path

    settings = Settings(_env_file=None, **json.loads({settings!r}))
    state = StateStore({state_url!r})
    engine = SyncEngine(open_index(Path({data!r})), state, HashingEmbedding(), batch_docs=5)
    conn = build_drive_connector(settings.drive_settings(),
                                 retry=RetryPolicy(base_delay=0.001),
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
