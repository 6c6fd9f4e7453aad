"""The Confluence connector through the real SyncEngine and the real LanceDB index,
against a fake Confluence site served over real HTTP (tests/fakes/confluence_server.py):
every scenario taking `site` runs against Cloud and against Data Center.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import (
    Acl,
    DocumentFailure,
    SourceDocument,
    SyncMode,
    SyncRequest,
)
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex, SearchMode, open_index
from connectors.messages import CONFLUENCE_CREDENTIALS_REJECTED as CREDENTIALS_REJECTED
from connectors.messages import CONFLUENCE_PAT_REJECTED as PAT_REJECTED
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.fakes.confluence_server import FakeConfluence, _cursor
from tests.scenario.confluence_support import (
    DEPLOYMENTS,
    body_path,
    connector,
    doc,
    hidden_email_user,
    hits,
    it_tree,
    make_site,
    run,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=DEPLOYMENTS)
def site(request: pytest.FixtureRequest) -> Iterator[FakeConfluence]:
    fake = make_site(request.param)
    yield fake
    fake.stop()


@pytest.fixture
def cloud_site() -> Iterator[FakeConfluence]:
    fake = make_site("cloud")
    yield fake
    fake.stop()


@pytest.fixture
def fast_engine(
    index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> SyncEngine:
    return SyncEngine(index, state, hashing_embedder)


# ---------------------------------------------------------------------- full sync
def test_full_sync_pages_blogposts_acls_breadcrumbs_and_paginated_listings(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    home, vpn, mac = it_tree(site)
    blog = site.add_page("IT", "New laptops", "<p>Laptop refresh in May.</p>", kind="blogpost")
    salaries = site.add_page("HR", "Salary bands", "<p>Band table.</p>")
    secret = site.add_page("HR", "Investigations", "<p>Only two people.</p>")
    site.restrict(secret.id, users=["u1", "u3"])  # carol is not in hr: she cannot read it
    archived = site.add_page("IT", "Old VPN", "<p>PPTP</p>", status="archived")
    trashed = site.add_page("IT", "Draft", "<p>trash</p>", status="trashed")
    other = site.add_page("ARCH", "Not synced", "<p>other space</p>")
    site.v1_cap = site.v2_cap = 2  # every listing pages

    progress = run(fast_engine, connector(site), SyncMode.FULL)

    assert progress.added == 6 and progress.failed == 0
    indexed = set(state.known_documents("confluence"))
    assert indexed == {doc(c) for c in (home, vpn, mac, blog, salaries, secret)}
    assert not {doc(c) for c in (archived, trashed, other)} & indexed
    assert state.document(doc(mac)).acl == Acl(public=True)  # type: ignore[union-attr]
    assert state.document(doc(salaries)).acl == Acl(  # type: ignore[union-attr]
        public=False, principals=frozenset({"group:confluence:hr"})
    )
    assert state.document(doc(secret)).acl == Acl(  # type: ignore[union-attr]
        public=False, principals=frozenset({"user:alice@example.com"})
    )
    row = state.document(doc(mac))
    expected_url = (
        f"{site.url}/display/IT/VPN+on+Mac"
        if site.dc
        else f"{site.url}/spaces/IT/pages/{mac.id}/VPN+on+Mac"
    )
    assert row is not None and row.url == expected_url
    # pagination followed every link style without losing the context path (/wiki on
    # Cloud, /confluence on Data Center, where links are relative to it)
    assert site.count("start=" if site.dc else "cursor=") >= 3
    assert all(r.startswith(site.context + "/") for r in site.requests)
    if site.dc:  # Data Center: v1 only
        assert not [r for r in site.requests if "/api/v2" in r]
    # group members (email, or account id / username when hidden) are in the membership table
    assert "group:confluence:hr" in state.groups_of(["user:alice@example.com"])
    assert "group:confluence:hr" in state.groups_of([hidden_email_user(site, "u2")])
    # breadcrumbs are the ancestors' titles, prepended to every chunk
    nodes = index.search("kernel extension", None, frozenset(), 5, mode=SearchMode.KEYWORD)
    mac_node = next(n for n in nodes if n.node.metadata["doc_id"] == doc(mac))
    assert mac_node.node.metadata["breadcrumbs"] == ["IT Home", "VPN"]
    assert mac_node.node.get_content().startswith("IT Home › VPN › VPN on Mac\n")


def test_scan_yields_documents_with_version_author_and_storage_text(
    site: FakeConfluence, state: StateStore
) -> None:
    page = site.add_page(
        "IT",
        "Printers",
        '<ac:structured-macro ac:name="toc"/><h2>Floor 3</h2><table><tbody>'
        "<tr><th>Name</th><th>IP</th></tr><tr><td>P3-A</td><td>10.0.3.7</td></tr>"
        '</tbody></table><ac:structured-macro ac:name="note"><ac:rich-text-body>'
        "<p>Badge required.</p></ac:rich-text-body></ac:structured-macro>",
    )
    items = list(connector(site).scan(SyncRequest(SyncMode.FULL, None, {})))
    docs = [i for i in items if isinstance(i, SourceDocument)]
    assert len(docs) == 1
    d = docs[0]
    assert d.doc_id == doc(page) and d.title == "Printers" and d.author == "Ann"
    assert d.version is not None and d.version.startswith("1:")
    assert "## Floor 3" in d.text and "| P3-A | 10.0.3.7 |" in d.text
    assert "Note:\nBadge required." in d.text


# ---------------------------------------------------------------------- incremental
def test_incremental_picks_up_an_edit_through_the_cql_window(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine, index: ChunkIndex
) -> None:
    _, _, mac = it_tree(site)
    conn = connector(site)
    run(fast_engine, conn)
    first_checkpoint = state.checkpoint("confluence")
    site.edit(mac.id, body="<p>Since macOS 15 use the System Settings VPN pane.</p>")
    before = len(site.requests)

    progress = run(fast_engine, conn)

    assert (progress.updated, progress.added, progress.deleted) == (1, 0, 0)
    assert progress.chunks_embedded == 1
    this_run = site.requests[before:]
    cql = [r for r in this_run if "lastmodified" in r]
    assert cql, "the incremental run used the CQL window"
    # the body came from the window (CQL dates read in the account's zone, here
    # America/Los_Angeles), not from the per-page safety net
    assert not [r for r in this_run if body_path(site, mac) in r]
    assert doc(mac) in hits(index, "System Settings VPN pane")
    assert state.checkpoint("confluence") >= first_checkpoint  # type: ignore[operator]


def test_delete_trash_archive_and_move_out_disappear_in_one_cycle(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    home, vpn, mac = it_tree(site)
    gone = [site.add_page("IT", f"Page {i}", f"<p>unique{i} words</p>") for i in range(4)]
    conn = connector(site)
    run(fast_engine, conn)
    site.content.pop(gone[0].id)  # deleted (purged)
    site.set_status(gone[1].id, "trashed")
    site.set_status(gone[2].id, "archived")
    site.move(gone[3].id, "ARCH")  # moved to a space that is not synced

    progress = run(fast_engine, conn)

    assert progress.deleted == 4 and progress.chunks_embedded == 0
    assert set(state.known_documents("confluence")) == {doc(home), doc(vpn), doc(mac)}
    for i, page in enumerate(gone):
        assert doc(page) not in hits(index, f"unique{i} words")


def test_a_space_taken_out_of_the_space_list_is_removed_in_the_next_cycle(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    """CONFLUENCE_SPACES=IT,HR becomes IT: the HR pages are no longer synced, so they
    go in the next (incremental) cycle, whoever could read them, and IT stays as it is."""
    home, vpn, mac = it_tree(site)
    leave = site.add_page("HR", "Leave policy", "<p>25 days of leave.</p>")
    run(fast_engine, connector(site, spaces=("IT", "HR")))
    hr = frozenset({"group:confluence:hr"})
    assert doc(leave) in hits(index, "25 days of leave", hr)

    progress = run(fast_engine, connector(site, spaces=("IT",)))

    assert progress.deleted == 1 and progress.chunks_embedded == 0
    assert set(state.known_documents("confluence")) == {doc(home), doc(vpn), doc(mac)}
    assert doc(leave) not in hits(index, "25 days of leave", hr)
    assert index.store.count(f"doc_id = '{doc(leave)}'") == 0
    assert doc(mac) in hits(index, "kernel extension")


def test_restricting_a_parent_removes_children_from_public_scope_without_reembedding(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    home, vpn, mac = it_tree(site)
    conn = connector(site)
    run(fast_engine, conn)
    assert doc(mac) in hits(index, "kernel extension")

    site.restrict(vpn.id, groups=["hr"])  # no version bump, no lastmodified change
    progress = run(fast_engine, conn)

    assert progress.chunks_embedded == 0
    assert progress.acl_updated == 2  # the parent and its child
    assert doc(mac) not in hits(index, "kernel extension")
    assert doc(vpn) not in hits(index, "GlobalProtect MFA")
    assert doc(mac) in hits(index, "kernel extension", frozenset({"group:confluence:hr"}))
    assert doc(home) in hits(index, "Welcome to IT")
    assert state.document(doc(mac)).acl == Acl(  # type: ignore[union-attr]
        public=False, principals=frozenset({"group:confluence:hr"})
    )


def test_group_membership_changes_are_synced(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    site.add_page("HR", "Leave policy", "<p>25 days.</p>")
    conn = connector(site)
    run(fast_engine, conn)
    assert "group:confluence:hr" not in state.groups_of(["user:carol@example.com"])
    site.add_group("hr", ["u1", "u3"])
    run(fast_engine, conn)
    assert "group:confluence:hr" in state.groups_of(["user:carol@example.com"])
    assert "group:confluence:hr" not in state.groups_of([hidden_email_user(site, "u2")])


# ---------------------------------------------------------------------- faults
def test_an_unreadable_space_is_hidden_in_that_cycle_and_comes_back_without_reembedding(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    _, _, mac = it_tree(site)
    leave = site.add_page("HR", "Leave policy", "<p>25 days of leave.</p>")
    conn = connector(site)
    run(fast_engine, conn)
    hr = frozenset({"group:confluence:hr"})
    assert doc(leave) in hits(index, "25 days of leave", hr)
    site.spaces["HR"].forbidden = True  # 403 on the space and its content
    site.content.pop(mac.id)

    progress = run(fast_engine, conn)

    assert progress.deleted == 1  # the IT deletion still happens
    assert doc(leave) not in hits(index, "25 days of leave", hr)  # hidden from everyone
    assert state.document(doc(leave)).acl == Acl(public=False)  # type: ignore[union-attr]
    reasons = [f["reason"] for f in progress.failures]
    assert any("space HR skipped" in r and "403" in r and "hidden" in r for r in reasons)

    site.spaces["HR"].forbidden = False  # readable again: an ACL update, no re-embedding
    progress = run(fast_engine, conn)
    assert progress.chunks_embedded == 0
    assert doc(leave) in hits(index, "25 days of leave", hr)
    site.content.pop(leave.id)
    progress = run(fast_engine, conn)
    assert doc(leave) not in state.known_documents("confluence")


def test_bad_credentials_give_the_clear_message_and_a_failed_run(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    it_tree(site)
    progress = fast_engine.run(connector(site, token="wrong"))
    expected = PAT_REJECTED if site.dc else CREDENTIALS_REJECTED
    assert progress.status == "failed"
    assert progress.error == expected
    assert "CONFLUENCE_PAT" in PAT_REJECTED
    assert "CONFLUENCE_EMAIL/CONFLUENCE_API_TOKEN" in CREDENTIALS_REJECTED
    last = state.last_run("confluence")
    assert last is not None and last.status == "failed" and last.error == expected


def test_a_malformed_body_is_one_failed_document(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    ok = site.add_page("IT", "Fine", "<p>fine</p>")
    bad = site.add_page("IT", "Broken", None)
    progress = fast_engine.run(connector(site))
    assert progress.status == "partial"
    assert progress.failed == 1 and progress.failures[0]["doc_id"] == doc(bad)
    assert set(state.known_documents("confluence")) == {doc(ok)}
    items = list(connector(site).scan(SyncRequest(SyncMode.FULL, None, {})))
    assert any(isinstance(i, DocumentFailure) and i.doc_id == doc(bad) for i in items)


# ---------------------------------------------------------------------- killed sync
SYNC_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from connectors.base import SyncMode
    from connectors.confluence import (
        ConfluenceApi, ConfluenceClient, ConfluenceConnector, ConfluenceOptions, RetryPolicy)
    from connectors.embedder import HashingEmbedding
    from connectors.index import open_index
    from connectors.state import StateStore
    from connectors.sync import SyncEngine

    url, data = sys.argv[1], Path(sys.argv[2])
    state = StateStore(f"sqlite:///{data / 'state.sqlite3'}")
    client = ConfluenceClient(url, email="bot@example.com", api_token="secret",
                              retry=RetryPolicy(base_delay=0.01))
    conn = ConfluenceConnector(ConfluenceApi(client), ConfluenceOptions(spaces=("IT",)))
    engine = SyncEngine(open_index(data), state, HashingEmbedding(), batch_docs=4)
    print(json.dumps(engine.run(conn, SyncMode.INCREMENTAL).summary()), flush=True)
    """
)


@pytest.mark.slow
def test_a_sync_killed_mid_way_resumes_without_duplicates(
    cloud_site: FakeConfluence, data_dir: Path, tmp_path: Path
) -> None:
    site = cloud_site
    pages = [
        site.add_page("IT", f"Page {i}", "".join(f"<p>Line {j} of page {i}.</p>" for j in range(3)))
        for i in range(40)
    ]
    site.v2_cap = 10
    site.block_match = "cursor=" + _cursor(20)  # the third listing page: 20 docs committed
    script = tmp_path / "sync.py"
    script.write_text(SYNC_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), site.url, str(data_dir), str(REPO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    probe = StateStore(f"sqlite:///{data_dir / 'state.sqlite3'}")
    try:
        assert site.blocked.wait(120), proc.stderr.read().decode() if proc.stderr else ""
        # listing pages are prefetched: wait for the two before the blocked one to commit
        deadline = time.monotonic() + 60
        while len(probe.known_documents("confluence")) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    probe.dispose()
    site.block_match = None
    site.release.set()

    state = StateStore(f"sqlite:///{data_dir / 'state.sqlite3'}")
    index = open_index(data_dir)
    rows = state.known_documents("confluence")
    clean = {d for d, k in rows.items() if k.content_hash}  # dirty rows: killed mid-write
    assert 16 <= len(clean) <= 20 and len(rows) <= 20  # two listing pages (nearly) done
    assert state.checkpoint("confluence") is not None

    engine = SyncEngine(index, state, HashingEmbedding())
    progress = run(engine, connector(site, spaces=("IT",)))

    # only what was not committed is embedded again: nothing twice, nothing lost
    assert progress.added == 40 - len(rows)
    assert progress.updated == len(rows) - len(clean)
    assert progress.chunks_embedded == 40 - len(clean)  # one chunk per page here
    known = state.known_documents("confluence")
    assert set(known) == {doc(p) for p in pages}
    expected = sum(r.chunk_count for r in map(state.document, known) if r is not None)
    assert index.count() == expected
    for p in pages:  # each document has exactly its own chunks, no duplicates
        row = state.document(doc(p))
        assert row is not None and not row.dirty
        found = index.store.count(f"doc_id = '{doc(p)}'")
        assert found == row.chunk_count
    # a further cycle changes nothing
    again = run(engine, connector(site, spaces=("IT",)))
    assert (again.added, again.updated, again.deleted, again.chunks_embedded) == (0, 0, 0, 0)
    state.dispose()
