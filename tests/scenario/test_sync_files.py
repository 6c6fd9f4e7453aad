"""Sync of a local folder through the real SyncEngine, embedder and LanceDB index."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from connectors.base import SyncMode
from connectors.embedder import HashingEmbedding
from connectors.files import FilesConnector
from connectors.index import ChunkIndex, SearchMode
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.conftest import REPO, SAMPLES


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def touch_later(path: Path) -> None:
    """Make sure an edit changes the mtime even on coarse file systems."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(
        root / "hr/leave.md",
        """
        ---
        title: Annual leave
        ---
        Everyone gets 27 days of annual leave per year plus public holidays.
        Book leave in Personio at least two weeks ahead.
        """,
    )
    write(
        root / "hr/salary.md",
        """
        ---
        title: Salary bands
        acl: {public: false, groups: [hr-team], users: [cfo@acme.example]}
        ---
        The L5 salary band is 98,000 to 120,000 euro. Strictly confidential.
        """,
    )
    write(
        root / "it/vpn.html",
        "<html><head><title>VPN setup</title></head><body><h1>VPN</h1>"
        "<p>The VPN gateway is vpn.acme.example on UDP port 51820.</p></body></html>",
    )
    write(root / "groups.yaml", "hr-team: [hannah@acme.example]\n")
    return root


def search_titles(
    index: ChunkIndex, engine: SyncEngine, query: str, principals: frozenset[str]
) -> list[str]:
    vector = engine.embedder.get_query_embedding(query)
    hits = index.search(query, vector, principals, 10, SearchMode.HYBRID)
    return [h.node.metadata["title"] for h in hits]


def test_first_sync_indexes_every_page_and_a_second_embeds_nothing(
    kb: Path, index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> None:
    engine = SyncEngine(index, state, hashing_embedder)
    first = engine.run(FilesConnector(kb))
    assert first.status == "succeeded"
    assert (first.added, first.updated, first.deleted, first.failed) == (3, 0, 0, 0)
    assert first.chunks_embedded == index.count() == 3
    second = engine.run(FilesConnector(kb))
    assert (second.added, second.unchanged, second.chunks_embedded) == (0, 3, 0)
    full = engine.run(FilesConnector(kb), SyncMode.FULL)
    assert (full.unchanged, full.chunks_embedded) == (3, 0)
    assert state.groups_of(["user:hannah@acme.example"]) == frozenset({"group:files:hr-team"})


def test_edit_delete_and_acl_change_are_reflected_on_the_next_sync(
    kb: Path, index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> None:
    engine = SyncEngine(index, state, hashing_embedder)
    engine.run(FilesConnector(kb))
    public: frozenset[str] = frozenset()
    assert "Salary bands" not in search_titles(index, engine, "L5 salary band", public)

    leave = kb / "hr/leave.md"
    leave.write_text(leave.read_text().replace("27 days", "30 days"))
    touch_later(leave)
    (kb / "it/vpn.html").unlink()
    salary = kb / "hr/salary.md"
    salary.write_text(salary.read_text().replace("public: false, groups: [hr-team], ", ""))
    salary.write_text(
        salary.read_text().replace("acl: {users: [cfo@acme.example]}", "acl: {public: true}")
    )
    touch_later(salary)

    run = engine.run(FilesConnector(kb))
    assert (run.updated, run.deleted, run.acl_updated) == (1, 1, 1)
    assert run.chunks_embedded == 1, (
        "only the edited page is re-embedded; the ACL change is metadata"
    )
    texts = [n.get_content() for n in index.store.get_nodes()]  # type: ignore[attr-defined]
    assert any("30 days" in t for t in texts) and not any("27 days" in t for t in texts)
    assert "VPN setup" not in search_titles(index, engine, "VPN gateway", public)
    assert "Salary bands" in search_titles(index, engine, "L5 salary band", public)
    assert index.count() == 2


def test_a_bad_document_is_reported_and_the_rest_synced(
    kb: Path, index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> None:
    write(kb / "broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    (kb / "binary.txt").write_bytes(b"\xff\xfe\x00garbage")
    run = SyncEngine(index, state, hashing_embedder).run(FilesConnector(kb))
    assert run.status == "partial", "a run with failed documents is never 'succeeded'"
    assert (run.added, run.failed) == (3, 2)
    reasons = {f["doc_id"]: f["reason"] for f in run.failures}
    assert reasons["files:broken.md"] == (
        "invalid YAML front matter (expected ',' or ']', but got '<stream end>' on line 3)"
        " — the file is readable by nobody until this is fixed"
    )
    assert reasons["files:binary.txt"] == (
        "not UTF-8 text — the file is readable by nobody until this is fixed"
    )
    last = state.last_run("files")
    assert last is not None and (last.status, last.failed) == ("partial", 2)


def test_a_failed_document_is_kept_but_readable_by_nobody_until_it_reads_again(
    kb: Path, index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> None:
    engine = SyncEngine(index, state, hashing_embedder)
    engine.run(FilesConnector(kb))
    leave = kb / "hr/leave.md"
    good = leave.read_text()
    leave.write_text("---\ntitle: [oops\n---\n")
    touch_later(leave)
    run = engine.run(FilesConnector(kb))
    assert (run.failed, run.deleted, run.acl_updated, run.chunks_embedded) == (1, 0, 1, 0)
    hannah = frozenset({"user:hannah@acme.example", "group:files:hr-team"})
    assert "Annual leave" not in search_titles(index, engine, "annual leave days", hannah)
    assert state.known_documents("files")["files:hr/leave.md"].acl.principals == frozenset()
    assert index.count() == 3, "the old text is kept, not deleted"

    again = engine.run(FilesConnector(kb))  # still broken: still nobody, still reported
    assert (again.status, again.failed) == ("partial", 1)
    leave.write_text(good)
    touch_later(leave)
    fixed = engine.run(FilesConnector(kb))
    assert (fixed.status, fixed.failed, fixed.acl_updated, fixed.chunks_embedded) == (
        "succeeded",
        0,
        1,
        0,
    )
    assert "Annual leave" in search_titles(index, engine, "annual leave days", frozenset())


def test_missing_folder_fails_the_sync_with_a_clear_error(
    tmp_path: Path, index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> None:
    run = SyncEngine(index, state, hashing_embedder).run(FilesConnector(tmp_path / "nope"))
    assert run.status == "failed"
    assert run.error is not None and "is not a folder" in run.error
    last = state.last_run("files")
    assert last is not None and last.status == "failed"


CRASH_SCRIPT = """
import os, sys, time
from pathlib import Path
from connectors.embedder import HashingEmbedding
from connectors.files import FilesConnector
from connectors.index import open_index
from connectors.state import StateStore
from connectors.sync import SyncEngine

class SlowEmbedder(HashingEmbedding):
    def embed(self, texts):
        Path(os.environ["PROGRESS"]).write_text("embedding")
        time.sleep(float(os.environ.get("DELAY", "0")))
        return super().embed(texts)

data = Path(sys.argv[1])
engine = SyncEngine(open_index(data), StateStore(f"sqlite:///{data / 'state.sqlite3'}"),
                    SlowEmbedder(), batch_docs=4, embed_batch=8)
print(engine.run(FilesConnector(Path(sys.argv[2]))).summary())
"""


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.1, 1.0, 2.2])
def test_sync_killed_with_sigkill_resumes_with_exact_chunks(
    tmp_path: Path, kill_after: float, hashing_embedder: HashingEmbedding
) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(SAMPLES, kb)
    data = tmp_path / "data"
    data.mkdir()
    script = tmp_path / "crash_sync.py"
    script.write_text(CRASH_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROGRESS": str(tmp_path / "p"), "DELAY": "0.3"}
    proc = subprocess.Popen([sys.executable, str(script), str(data), str(kb)], env=env)
    deadline = time.monotonic() + 60
    while not (tmp_path / "p").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the first sync was killed before it finished"
    interrupted = StateStore(f"sqlite:///{data / 'state.sqlite3'}")
    last = interrupted.last_run("files")
    assert last is not None and last.status == "running"
    interrupted.dispose()

    env["DELAY"] = "0"
    done = subprocess.run(
        [sys.executable, str(script), str(data), str(kb)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

    # the expected index: a clean sync of the same folder in a fresh place
    clean = tmp_path / "clean"
    clean.mkdir()
    from connectors.index import open_index

    clean_state = StateStore(f"sqlite:///{clean / 'state.sqlite3'}")
    clean_index = open_index(clean)
    SyncEngine(clean_index, clean_state, hashing_embedder).run(FilesConnector(kb))

    resumed_index = open_index(data)
    resumed_state = StateStore(f"sqlite:///{data / 'state.sqlite3'}")
    got = sorted(n.node_id for n in resumed_index.store.get_nodes())  # type: ignore[attr-defined]
    want = sorted(n.node_id for n in clean_index.store.get_nodes())  # type: ignore[attr-defined]
    assert got == want, "no chunk lost, none duplicated"
    assert resumed_state.document_counts() == clean_state.document_counts()
    known = resumed_state.known_documents("files")
    assert all(k.content_hash for k in known.values()), "no document left dirty"
