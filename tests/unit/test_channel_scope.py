"""A channel's sources restrict retrieval in the real embedded index, ANDed with the
permission scope (which still wins)."""

from __future__ import annotations

import pyarrow as pa
from llama_index.core.schema import BaseNode, TextNode

from bot.helpchannels.channels import parse_sources
from bot.helpchannels.scope import source_restriction, space_key_of_url
from connectors import messages
from connectors.base import Acl
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex, SearchMode, acl_readers
from connectors.lance_store import TABLE, LanceChunkStore, schema

DOCS = [
    # (doc_id, source, title, url, public)
    ("files:vpn.md", "files", "VPN setup", "file:///kb/vpn.md", True),
    ("confluence:1", "confluence", "VPN on macOS", "https://wiki.example/spaces/IT/pages/1", True),
    (
        "confluence:2",
        "confluence",
        "VPN for HR laptops",
        "https://wiki.example/display/HR/VPN",
        True,
    ),
    (
        "confluence:3",
        "confluence",
        "VPN salary band exceptions",
        "https://wiki.example/spaces/HR/pages/3",
        False,
    ),
    ("drive:abc", "drive", "VPN one-pager", "https://docs.google.com/document/d/abc", True),
    ("drive:def", "drive", "VPN runbook", "https://docs.google.com/document/d/def", True),
]
# Drive ancestry as the connector records it: shared drive / folders, top first
ANCESTORS = {"drive:abc": ["0AMyDrive", "1ItFolder", "1NetFolder"], "drive:def": ["0AEngDrive"]}


def _nodes(embedder: HashingEmbedding) -> list[BaseNode]:
    nodes: list[BaseNode] = []
    for doc_id, source, title, url, public in DOCS:
        acl = Acl(public, frozenset() if public else frozenset({"group:confluence:hr-team"}))
        node = TextNode(
            id_=f"{doc_id}#0",
            text=f"{title}: how to connect to the VPN",
            metadata={
                "source": source,
                "doc_id": doc_id,
                "title": title,
                "url": url,
                "updated_at": "2026-01-01T00:00:00+00:00",
                "acl_public": public,
                "acl_principals": acl_readers(acl),
                "content_hash": "h",
                "breadcrumbs": [],
                "ancestor_ids": ANCESTORS.get(doc_id, []),
                "chunk_index": 0,
            },
        )
        node.embedding = embedder.get_text_embedding(node.text)
        nodes.append(node)
    return nodes


def _index(index: ChunkIndex, embedder: HashingEmbedding) -> None:
    index.store.add(_nodes(embedder))


def _titles(
    index: ChunkIndex, embedder: HashingEmbedding, spec: str, principals: set[str]
) -> set[str]:
    urls = {d[0]: d[3] for d in DOCS if d[1] == "confluence"}
    restriction = source_restriction(parse_sources(spec), lambda source: urls)
    query = "how do I connect to the VPN"
    hits = index.search(
        query,
        embedder.get_query_embedding(query),
        frozenset(principals),
        10,
        SearchMode.HYBRID,
        restrict=restriction.filters,
    )
    return {h.node.metadata["title"] for h in hits}


def test_channel_sources_restrict_and_the_permission_scope_still_wins(
    index: ChunkIndex, hashing_embedder: HashingEmbedding
) -> None:
    _index(index, hashing_embedder)
    everything = {"VPN setup", "VPN on macOS", "VPN for HR laptops", "VPN one-pager", "VPN runbook"}
    assert _titles(index, hashing_embedder, "all", set()) == everything
    assert _titles(index, hashing_embedder, "files", set()) == {"VPN setup"}
    assert _titles(index, hashing_embedder, "files,drive", set()) == {
        "VPN setup",
        "VPN one-pager",
        "VPN runbook",
    }
    # a space narrowing: only that space, and a restricted page only for its readers
    assert _titles(index, hashing_embedder, "confluence:HR", set()) == {"VPN for HR laptops"}
    assert _titles(index, hashing_embedder, "confluence:HR", {"group:confluence:hr-team"}) == {
        "VPN for HR laptops",
        "VPN salary band exceptions",
    }
    assert _titles(index, hashing_embedder, "confluence:IT,files", set()) == {
        "VPN on macOS",
        "VPN setup",
    }


def test_a_drive_narrowing_keeps_what_sits_below_that_folder_or_shared_drive(
    index: ChunkIndex, hashing_embedder: HashingEmbedding
) -> None:
    _index(index, hashing_embedder)

    def titles(spec: str) -> set[str]:
        return _titles(index, hashing_embedder, spec, set())

    assert titles("drive:1NetFolder") == {"VPN one-pager"}
    assert titles("drive:1ItFolder") == {"VPN one-pager"}  # any depth below the folder
    assert titles("drive:0AEngDrive") == {"VPN runbook"}  # a shared drive's id
    assert titles("drive:1ItFolder,drive:0AEngDrive") == {"VPN one-pager", "VPN runbook"}
    assert titles("drive:1ItFolder,files") == {"VPN one-pager", "VPN setup"}
    assert titles("drive:1itfolder") == set()  # Drive ids are case-sensitive
    assert titles("drive:1OtherFolder") == set()
    assert titles("confluence:NOPE") == set()
    restriction = source_restriction(parse_sources("drive:1ItFolder"), lambda source: {})
    assert restriction.unsupported == ()
    assert index.upgrade_notice() is None


def test_an_index_from_before_drive_folder_ids_gives_a_drive_scoped_channel_nothing(
    index: ChunkIndex, hashing_embedder: HashingEmbedding
) -> None:
    """A table created before `ancestor_ids` existed (LanceDB fixes the schema at the
    first insert): a `drive:ID` channel gets nothing from Drive, never everything; the
    rest works; status says what to run; the first write appends the column."""
    store = index.store
    assert isinstance(store, LanceChunkStore)
    old = pa.schema([f for f in schema(store.dimensions) if f.name != "ancestor_ids"])
    rows = []
    for i, node in enumerate(_nodes(hashing_embedder)):
        meta = {k: v for k, v in node.metadata.items() if k != "ancestor_ids"}
        rows.append(
            {
                "id": node.node_id,
                "text": node.get_content(),
                "vector": node.embedding,
                **meta,
                "chunk_index": i,
            }
        )
    store.client.create_table(TABLE, data=pa.Table.from_pylist(rows, schema=old))
    reader = ChunkIndex(LanceChunkStore(index.location), "lancedb", index.location)

    def titles(spec: str) -> set[str]:
        return _titles(reader, hashing_embedder, spec, set())

    assert titles("drive:1ItFolder") == set()
    assert titles("drive:0AEngDrive,files") == {"VPN setup"}
    assert titles("drive") == {"VPN one-pager", "VPN runbook"}
    assert titles("confluence:HR") == {"VPN for HR laptops"}
    notice = reader.upgrade_notice()
    assert notice == messages.INDEX_LACKS_ANCESTOR_IDS
    assert "helpdesk sync drive --full" in notice

    # the writer (a sync) appends the column; the rows already there stay unknown
    moved = [n for n in _nodes(hashing_embedder) if n.metadata["doc_id"] == "drive:abc"]
    moved[0].id_ = "drive:abc#new#0"
    index.replace_documents(["drive:abc"], moved)
    assert titles("drive:1ItFolder") == {"VPN one-pager"}
    assert titles("drive:0AEngDrive") == set()  # still from before: nothing, not all
    notice = reader.upgrade_notice()
    assert notice == messages.INDEX_DRIVE_CHUNKS_WITHOUT_ANCESTOR_IDS.format(count=1)


def test_space_keys_from_every_confluence_url_shape() -> None:
    assert space_key_of_url("https://x.atlassian.net/wiki/spaces/HR/pages/1/Leave") == "HR"
    assert space_key_of_url("https://wiki.example/display/IT/VPN") == "IT"
    assert space_key_of_url("https://wiki.example/pages/viewpage.action?pageId=1&spaceKey=FIN") == (
        "FIN"
    )
    assert space_key_of_url("https://wiki.example/x/AbC") is None
