"""Patient vendor retries (issue 15, point 7): a 429/503 storm during a Confluence sync
loses nothing, and the patience is bounded by time (`SYNC_RETRY_BUDGET_SECONDS`), not by
a number of attempts. Real HTTP against the fake site (Cloud and Data Center), the real
SyncEngine and index."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from connectors.confluence import RetryPolicy
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.registry import build_connector
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.fakes.confluence_server import FakeConfluence
from tests.scenario.confluence_support import (
    DEPLOYMENTS,
    body_path,
    connector,
    doc,
    it_tree,
    make_site,
    run,
)


@pytest.fixture(params=DEPLOYMENTS)
def site(request: pytest.FixtureRequest) -> Iterator[FakeConfluence]:
    fake = make_site(request.param)
    yield fake
    fake.stop()


@pytest.fixture
def fast_engine(
    index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> SyncEngine:
    return SyncEngine(index, state, hashing_embedder)


def test_a_storm_of_twenty_429_and_503_in_a_row_loses_no_document(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    """Twenty refusals in a row on the same calls: a fixed number of attempts (8 before)
    gave up and failed the documents; the default five-minute budget waits them out."""
    pages = [site.add_page("IT", f"Page {i}", f"<p>text {i}</p>") for i in range(6)]
    conn_waits: list[float] = []
    conn = connector(site, retry=RetryPolicy(), sleep=conn_waits.append)
    run(fast_engine, conn)
    site.edit(pages[2].id, body="<p>text 2, revised</p>")
    site.edit(pages[4].id, body="<p>text 4, revised</p>")
    for _ in range(10):  # the changed-pages search and the page fetches, alternately
        site.fail(site.context + "/", 429, times=1, retry_after="1")
        site.fail(site.context + "/", 503, times=1, retry_after="1")
    conn_waits.clear()

    progress = run(fast_engine, conn)

    assert progress.failed == 0 and progress.updated == 2
    assert sum(f.times for f in site.faults) == 0  # all twenty were sent
    assert conn_waits == [1.0] * 20  # each Retry-After honoured, nothing shorter
    assert set(state.known_documents("confluence")) == {doc(p) for p in pages}


def test_429_storm_503_and_500s_are_survived_with_no_lost_pages(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    pages = [site.add_page("IT", f"Page {i}", f"<p>text {i}</p>") for i in range(30)]
    site.v1_cap = site.v2_cap = 5
    site.fail(site.context + "/", 429, times=15, retry_after="1", every=2)  # every other one
    # Cloud: the v2 bulk listings; Data Center (no v2): the space permission calls
    site.fail("/rest/api/space/" if site.dc else "/api/v2/spaces/", 503, times=3, retry_after="2")
    site.fail("content/search", 500, times=2)
    waits: list[float] = []
    policy = RetryPolicy(base_delay=0.001, max_delay=0.01, max_retry_after=30)
    conn = connector(site, retry=policy, sleep=waits.append)

    progress = run(fast_engine, conn)

    assert progress.failed == 0 and progress.added == 30
    assert set(state.known_documents("confluence")) == {doc(p) for p in pages}
    assert sum(f.times for f in site.faults) == 0  # every injected fault was hit
    assert waits.count(1.0) == 15 and waits.count(2.0) == 3  # Retry-After honoured


def test_retries_stop_when_the_time_budget_is_spent(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    it_tree(site)
    run(fast_engine, connector(site))
    site.fail("content/search", 503, times=10_000)  # never recovers
    waits: list[float] = []
    budget = RetryPolicy(budget_seconds=5, base_delay=1, max_delay=2)
    progress = fast_engine.run(connector(site, retry=budget, sleep=waits.append))
    assert 0 < sum(waits) <= 2 * 5  # two spaces' listings, each within its budget
    reasons = " ".join(f["reason"] for f in progress.failures)
    assert "Confluence did not answer" in reasons and "SYNC_RETRY_BUDGET_SECONDS" in reasons


def test_the_budget_setting_bounds_a_sync_in_real_time(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine, data_dir: Path
) -> None:
    """`SYNC_RETRY_BUDGET_SECONDS` as `helpdesk sync` reads it: a page Confluence keeps
    refusing (429, Retry-After: 1, forever) fails after about the budget, the rest syncs."""
    pages = [site.add_page("IT", f"Page {i}", f"<p>text {i}</p>") for i in range(3)]
    credentials: dict[str, str] = (
        {"confluence_pat": site.token}
        if site.dc
        else {"confluence_email": site.email, "confluence_api_token": site.token}
    )
    settings = Settings(
        _env_file=None,
        helpdesk_data_dir=data_dir,
        files_path=None,
        confluence_url=site.url,
        confluence_spaces=["IT"],
        sync_retry_budget_seconds=1.5,
        **credentials,  # type: ignore[arg-type]
    )
    run(fast_engine, build_connector("confluence", settings))
    site.edit(pages[1].id, body="<p>text 1, revised</p>")
    site.fail("lastmodified", 429, times=10_000, retry_after="1")
    site.fail(body_path(site, pages[1]), 429, times=10_000, retry_after="1")

    started = time.monotonic()
    progress = fast_engine.run(build_connector("confluence", settings))
    took = time.monotonic() - started

    assert 1.0 <= took < 6.0  # at most two calls, each gave up within its 1.5 s budget
    shown = (progress.error or "") + " ".join(f["reason"] for f in progress.failures)
    assert "did not answer" in shown and "SYNC_RETRY_BUDGET_SECONDS" in shown
    assert set(state.known_documents("confluence")) == {doc(p) for p in pages}  # none lost
