"""Against a real Confluence site; skipped unless CONFLUENCE_URL and credentials are set.

    CONFLUENCE_URL=https://acme.atlassian.net/wiki CONFLUENCE_EMAIL=... \\
    CONFLUENCE_API_TOKEN=... CONFLUENCE_SPACES=DOCS pytest tests/live/test_confluence_live.py

Data Center / Server: `CONFLUENCE_URL=https://wiki.acme.com/confluence CONFLUENCE_PAT=...`
(and `CONFLUENCE_DEPLOYMENT=datacenter` when detection should not probe).

Read-only: it lists and reads, never writes to the site. Set CONFLUENCE_SPACES to a small
space: the test runs a full sync of it into a temporary index.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.base import SourceDocument, SyncMode, SyncRequest
from connectors.confluence import build_confluence_connector
from connectors.confluence.client import ConfluenceClient
from connectors.embedder import HashingEmbedding
from connectors.index import open_index
from connectors.source_settings import ConfluenceSettings
from connectors.state import StateStore
from connectors.sync import SyncEngine

URL = os.environ.get("CONFLUENCE_URL")
HAS_CREDENTIALS = bool(
    os.environ.get("CONFLUENCE_PAT")
    or (os.environ.get("CONFLUENCE_EMAIL") and os.environ.get("CONFLUENCE_API_TOKEN"))
)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (URL and HAS_CREDENTIALS),
        reason="set CONFLUENCE_URL and CONFLUENCE_EMAIL+CONFLUENCE_API_TOKEN (or CONFLUENCE_PAT)",
    ),
]


def _config() -> ConfluenceSettings:
    return ConfluenceSettings(
        url=URL,
        email=os.environ.get("CONFLUENCE_EMAIL"),
        api_token=os.environ.get("CONFLUENCE_API_TOKEN"),
        pat=os.environ.get("CONFLUENCE_PAT"),
        deployment=os.environ.get("CONFLUENCE_DEPLOYMENT"),
        spaces=tuple(s for s in os.environ.get("CONFLUENCE_SPACES", "").split(",") if s),
        public_groups=tuple(
            g
            for g in os.environ.get("CONFLUENCE_PUBLIC_GROUPS", "confluence-users").split(",")
            if g
        ),
    )


def test_live_full_then_incremental_sync(tmp_path: Path) -> None:
    state = StateStore(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    index = open_index(tmp_path)
    engine = SyncEngine(index, state, HashingEmbedding())
    connector = build_confluence_connector(_config())

    full = engine.run(connector, SyncMode.FULL)
    assert full.status == "succeeded", (full.error, full.failures)
    assert full.added >= 1
    assert index.count() == sum(state.chunk_counts().values())

    again = engine.run(connector, SyncMode.INCREMENTAL)
    assert again.status == "succeeded", (again.error, again.failures)
    assert again.chunks_embedded <= full.chunks_embedded  # nothing unchanged re-embedded
    state.dispose()


def test_live_documents_have_urls_versions_and_text(tmp_path: Path) -> None:
    state = StateStore(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    connector = build_confluence_connector(_config())
    for item in connector.scan(SyncRequest(SyncMode.FULL, None, {})):
        if isinstance(item, SourceDocument):
            assert item.url.startswith(("http://", "https://"))
            assert item.version and item.doc_id.startswith("confluence:")
            break
    state.dispose()


def test_live_pagination_keeps_the_context_path() -> None:
    assert URL
    config = _config()
    client = ConfluenceClient(
        URL,
        email=config.email,
        api_token=config.api_token,
        pat=config.pat,
        deployment=config.deployment,
    )
    params = {"cql": "type = page", "limit": 1}
    pages = client.paginate(client.api("/rest/api/content/search"), params)
    first = next(pages)
    assert isinstance(first, list)
    second = next(pages, None)  # page 2 (if any) must not 404 from a lost /wiki
    assert second is None or isinstance(second, list)
    client.close()
