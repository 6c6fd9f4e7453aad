"""A channel's sources restrict retrieval in the real embedded index, ANDed with the
permission scope (which still wins)."""

from __future__ import annotations

from llama_index.core.schema import TextNode

from bot.helpchannels.channels import parse_sources
from bot.helpchannels.scope import source_restriction, space_key_of_url
from connectors.base import Acl
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex, SearchMode, acl_readers

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
]


def _index(index: ChunkIndex, embedder: HashingEmbedding) -> None:
    nodes = []
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
                "chunk_index": 0,
            },
        )
        node.embedding = embedder.get_text_embedding(node.text)
        nodes.append(node)
    index.store.add(nodes)


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
    everything = {"VPN setup", "VPN on macOS", "VPN for HR laptops", "VPN one-pager"}
    assert _titles(index, hashing_embedder, "all", set()) == everything
    assert _titles(index, hashing_embedder, "files", set()) == {"VPN setup"}
    assert _titles(index, hashing_embedder, "files,drive", set()) == {"VPN setup", "VPN one-pager"}
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


def test_a_drive_folder_narrowing_cannot_be_expressed_and_matches_nothing(
    index: ChunkIndex, hashing_embedder: HashingEmbedding
) -> None:
    _index(index, hashing_embedder)
    restriction = source_restriction(parse_sources("drive:1FolderId"), lambda source: {})
    assert [str(s) for s in restriction.unsupported] == ["drive:1FolderId"]
    assert _titles(index, hashing_embedder, "drive:1FolderId", set()) == set()
    assert _titles(index, hashing_embedder, "drive:1FolderId,files", set()) == {"VPN setup"}
    assert _titles(index, hashing_embedder, "confluence:NOPE", set()) == set()


def test_space_keys_from_every_confluence_url_shape() -> None:
    assert space_key_of_url("https://x.atlassian.net/wiki/spaces/HR/pages/1/Leave") == "HR"
    assert space_key_of_url("https://wiki.example/display/IT/VPN") == "IT"
    assert space_key_of_url("https://wiki.example/pages/viewpage.action?pageId=1&spaceKey=FIN") == (
        "FIN"
    )
    assert space_key_of_url("https://wiki.example/x/AbC") is None
