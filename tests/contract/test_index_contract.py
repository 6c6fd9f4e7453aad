"""One contract for every index backend: what the bot and the sync engine rely on.

Runs against the embedded LanceDB store always, and against Weaviate when `WEAVIATE_URL`
points at a server (`docker compose up -d weaviate`, then
`WEAVIATE_URL=http://localhost:8080 pytest tests/contract`). Each Weaviate test uses its
own collection and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from llama_index.core.schema import BaseNode, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

from connectors.base import Acl, SourceDocument
from connectors.chunking import Chunker
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex, SearchMode

HR = "group:files:hr"
IT = "group:files:it"
PUBLIC_DOC = "files:handbook.md"
RESTRICTED_DOC = "files:o'neil.md"  # a quote in the id, on purpose
OTHER_DOC = "files:it/laptops.md"
ALL_MODES = [SearchMode.VECTOR, SearchMode.KEYWORD, SearchMode.HYBRID]
QUERY = "vpn salary"


def _doc(doc_id: str, title: str, text: str, acl: Acl) -> SourceDocument:
    return SourceDocument(
        source=doc_id.split(":", 1)[0],
        doc_id=doc_id,
        title=title,
        url=f"file:///{doc_id}",
        text=text,
        updated_at=datetime(2026, 1, 5, tzinfo=UTC),
        acl=acl,
        breadcrumbs=("Company",),
    )


DOCS = [
    _doc(
        PUBLIC_DOC,
        "Handbook",
        "Connect to the VPN before opening the intranet. Salary is paid monthly. " * 6,
        Acl(public=True, principals=frozenset()),
    ),
    _doc(
        RESTRICTED_DOC,
        "Salary bands",
        "Salary bands for 2026 and VPN access rules for the HR team only. " * 40,
        Acl(public=False, principals=frozenset({HR})),
    ),
    _doc(
        OTHER_DOC,
        "Laptops",
        "Laptop refresh happens every three years; the VPN client is preinstalled. " * 6,
        Acl(public=False, principals=frozenset({IT})),
    ),
]


def _embedded(nodes: list[TextNode]) -> list[TextNode]:
    vectors = HashingEmbedding().embed([n.get_content() for n in nodes])
    for node, vector in zip(nodes, vectors, strict=True):
        node.embedding = vector
    return nodes


def chunks(doc: SourceDocument) -> list[TextNode]:
    return _embedded(Chunker().chunk(doc))


@pytest.fixture(params=["lancedb", "weaviate"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChunkIndex]:
    if request.param == "lancedb":
        from connectors.lance_store import LanceChunkStore

        uri = tmp_path / "index"
        yield ChunkIndex(LanceChunkStore(uri, dimensions=384), "lancedb", str(uri))
        return
    url = os.environ.get("WEAVIATE_URL")
    if not url:
        pytest.skip(
            "WEAVIATE_URL not set: start Weaviate with `docker compose up -d weaviate` "
            "to run the Weaviate contract tests"
        )
    from connectors.weaviate_store import WeaviateChunkStore

    collection = f"HelpdeskContract{uuid.uuid4().hex[:12]}"
    store = WeaviateChunkStore.connect(url, os.environ.get("WEAVIATE_API_KEY"), collection)
    try:
        yield ChunkIndex(store, "weaviate", url)
    finally:
        store.clear()
        store.close()


def load(index: ChunkIndex, docs: list[SourceDocument] = DOCS) -> dict[str, list[TextNode]]:
    by_doc = {doc.doc_id: chunks(doc) for doc in docs}
    for doc_id, nodes in by_doc.items():
        index.replace_documents([doc_id], nodes)
    index.prepare_for_readers()
    return by_doc


def search(
    index: ChunkIndex, principals: frozenset[str], mode: SearchMode, top_k: int = 20
) -> set[str]:
    vector = HashingEmbedding().embed([QUERY])[0]
    hits = index.search(QUERY, vector, principals, top_k=top_k, mode=mode)
    return {str(hit.node.ref_doc_id) for hit in hits}


def nodes_of(index: ChunkIndex, doc_id: str) -> list[BaseNode]:
    store = index.store
    get_nodes = getattr(store, "get_nodes")  # noqa: B009 - not in the IndexBackend protocol
    only = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=doc_id)])
    found: list[BaseNode] = get_nodes(filters=only)
    return found


# --------------------------------------------------------------------------- tests
@pytest.mark.parametrize("mode", ALL_MODES)
def test_empty_index_search_returns_nothing(index: ChunkIndex, mode: SearchMode) -> None:
    assert search(index, frozenset({HR}), mode) == set()
    assert index.count() == 0
    assert index.count_by_source() == {}
    index.delete_documents([PUBLIC_DOC])  # deleting from an empty index is fine too
    index.update_acl(PUBLIC_DOC, Acl(public=False, principals=frozenset()))


@pytest.mark.parametrize("mode", ALL_MODES)
def test_public_scope_never_returns_restricted_chunks(index: ChunkIndex, mode: SearchMode) -> None:
    load(index)
    assert search(index, frozenset(), mode) == {PUBLIC_DOC}


@pytest.mark.parametrize("mode", ALL_MODES)
def test_the_right_principal_sees_restricted_chunks(index: ChunkIndex, mode: SearchMode) -> None:
    load(index)
    assert search(index, frozenset({HR}), mode) == {PUBLIC_DOC, RESTRICTED_DOC}
    assert search(index, frozenset({IT}), mode) == {PUBLIC_DOC, OTHER_DOC}
    assert search(index, frozenset({"user:nobody@x.example"}), mode) == {PUBLIC_DOC}


def test_counts(index: ChunkIndex) -> None:
    by_doc = load(index)
    total = sum(len(nodes) for nodes in by_doc.values())
    assert index.count() == total
    assert index.count_by_source() == {"files": total}


def _top_vector_hit(
    index: ChunkIndex, node: TextNode, principals: frozenset[str]
) -> tuple[str, float]:
    query = VectorStoreQuery(
        query_embedding=node.get_embedding(),
        similarity_top_k=1,
        filters=MetadataFilters(
            filters=[
                MetadataFilter(
                    key="acl_principals",
                    value=sorted({"everyone", *principals}),
                    operator=FilterOperator.ANY,
                )
            ]
        ),
    )
    result = index.store.query(query)
    nodes = getattr(result, "nodes", None) or []
    scores = getattr(result, "similarities", None) or []
    assert nodes, "the chunk should be found by its own vector"
    return nodes[0].node_id, float(scores[0])


@pytest.mark.parametrize("mode", ALL_MODES)
def test_update_acl_flips_visibility_without_changing_vectors(
    index: ChunkIndex, mode: SearchMode
) -> None:
    by_doc = load(index)
    total = index.count()
    first = by_doc[RESTRICTED_DOC][0]

    index.update_acl(RESTRICTED_DOC, Acl(public=True, principals=frozenset({HR})))
    index.prepare_for_readers()
    assert search(index, frozenset(), mode) == {PUBLIC_DOC, RESTRICTED_DOC}
    node_id, score = _top_vector_hit(index, first, frozenset())
    assert node_id == first.node_id
    assert score == pytest.approx(1.0, abs=1e-4)  # the stored vector is the same
    stored = nodes_of(index, RESTRICTED_DOC)
    assert {n.node_id for n in stored} == {n.node_id for n in by_doc[RESTRICTED_DOC]}
    for node in stored:
        assert node.metadata["acl_public"] is True
        assert node.metadata["acl_principals"] == ["everyone", HR]
        assert node.get_content() in {n.get_content() for n in by_doc[RESTRICTED_DOC]}

    index.update_acl(RESTRICTED_DOC, Acl(public=False, principals=frozenset({IT})))
    index.prepare_for_readers()
    assert search(index, frozenset(), mode) == {PUBLIC_DOC}
    assert search(index, frozenset({HR}), mode) == {PUBLIC_DOC}
    assert search(index, frozenset({IT}), mode) == {PUBLIC_DOC, RESTRICTED_DOC, OTHER_DOC}
    assert index.count() == total


@pytest.mark.parametrize("mode", ALL_MODES)
def test_restricting_to_nobody_works_and_keeps_the_batch_s_other_acl_changes(
    index: ChunkIndex, mode: SearchMode
) -> None:
    """The fail-closed path itself: "readable by nobody" with no new content, in one
    batch with other ACL changes (LanceDB used to fail on the empty principal list and
    lose the whole batch)."""
    by_doc = load(index)
    total = index.count()
    nobody = Acl(public=False, principals=frozenset())
    index.update_acls(
        {
            RESTRICTED_DOC: nobody,  # first: a failure here must not lose the others
            OTHER_DOC: Acl(public=True, principals=frozenset({IT})),
            PUBLIC_DOC: Acl(public=False, principals=frozenset({HR})),
        }
    )
    index.prepare_for_readers()
    assert search(index, frozenset(), mode) == {OTHER_DOC}
    assert search(index, frozenset({HR}), mode) == {PUBLIC_DOC, OTHER_DOC}
    everybody = frozenset({HR, IT, "user:cfo@acme.example", "domain:acme.example"})
    assert RESTRICTED_DOC not in search(index, everybody, mode)
    stored = nodes_of(index, RESTRICTED_DOC)
    assert {n.node_id for n in stored} == {n.node_id for n in by_doc[RESTRICTED_DOC]}
    for node in stored:  # the text is kept (metadata-only), readable by nobody
        assert node.metadata["acl_public"] is False
        assert list(node.metadata["acl_principals"] or []) == []
    assert index.count() == total


def test_delete_documents_removes_all_their_chunks_and_nothing_else(index: ChunkIndex) -> None:
    by_doc = load(index)
    assert len(by_doc[RESTRICTED_DOC]) > 1  # several chunks, all must go
    index.delete_documents([RESTRICTED_DOC, "files:never-indexed.md"])
    index.prepare_for_readers()
    assert nodes_of(index, RESTRICTED_DOC) == []
    assert len(nodes_of(index, PUBLIC_DOC)) == len(by_doc[PUBLIC_DOC])
    assert len(nodes_of(index, OTHER_DOC)) == len(by_doc[OTHER_DOC])
    assert index.count() == len(by_doc[PUBLIC_DOC]) + len(by_doc[OTHER_DOC])
    for mode in ALL_MODES:
        assert RESTRICTED_DOC not in search(index, frozenset({HR}), mode)


def test_readding_the_same_nodes_does_not_duplicate(index: ChunkIndex) -> None:
    by_doc = load(index)
    total = index.count()
    for doc_id, nodes in by_doc.items():
        index.replace_documents([doc_id], nodes)
    index.prepare_for_readers()
    assert index.count() == total
    for mode in ALL_MODES:
        vector = HashingEmbedding().embed([QUERY])[0]
        hits = index.search(QUERY, vector, frozenset({HR, IT}), top_k=50, mode=mode)
        ids = [hit.node.node_id for hit in hits]
        assert len(ids) == len(set(ids)), f"{mode}: duplicate chunks {ids}"


def test_adding_the_same_nodes_twice_is_idempotent_on_weaviate(index: ChunkIndex) -> None:
    if index.backend != "weaviate":
        pytest.skip("the embedded store appends; ChunkIndex.replace_documents dedupes it")
    nodes = chunks(DOCS[1])
    index.store.add(nodes)
    index.store.add(nodes)
    assert index.count() == len(nodes)


def test_ids_with_quotes_work_everywhere(index: ChunkIndex) -> None:
    quoted = _doc(
        'files:it\'s "quoted" \\ path.md',
        "Quoted",
        "An odd file name about the VPN. " * 4,
        Acl(public=False, principals=frozenset({"user:o'neil@x.example"})),
    )
    by_doc = load(index, [*DOCS, quoted])
    assert len(nodes_of(index, quoted.doc_id)) == len(by_doc[quoted.doc_id])
    assert len(nodes_of(index, RESTRICTED_DOC)) == len(by_doc[RESTRICTED_DOC])
    assert quoted.doc_id in search(index, frozenset({"user:o'neil@x.example"}), SearchMode.VECTOR)
    index.update_acl(quoted.doc_id, Acl(public=True, principals=frozenset()))
    assert quoted.doc_id in search(index, frozenset(), SearchMode.VECTOR)
    index.delete_documents([quoted.doc_id, RESTRICTED_DOC])
    assert nodes_of(index, quoted.doc_id) == []
    assert nodes_of(index, RESTRICTED_DOC) == []
    assert len(nodes_of(index, PUBLIC_DOC)) == len(by_doc[PUBLIC_DOC])


@pytest.mark.parametrize("mode", ALL_MODES)
def test_chunks_of_a_source_that_is_not_configured_are_never_returned(
    index: ChunkIndex, mode: SearchMode
) -> None:
    """A source taken out of the configuration is hidden inside the query, for every
    reader: its public chunks too, whoever asks."""
    wiki = _doc("confluence:7", "VPN wiki", "The VPN salary portal moved. " * 6, Acl(public=True))
    load(index, [*DOCS, wiki])
    everyone = frozenset({HR, IT})
    assert search(index, everyone, mode) == {PUBLIC_DOC, RESTRICTED_DOC, OTHER_DOC, "confluence:7"}
    index.sources = frozenset({"confluence"})  # files no longer configured
    assert search(index, everyone, mode) == {"confluence:7"}
    index.sources = frozenset()  # nothing configured: nothing answered
    assert search(index, everyone, mode) == set()


def test_delete_source_removes_every_chunk_of_that_source_and_nothing_else(
    index: ChunkIndex,
) -> None:
    wiki = _doc("confluence:7", "VPN wiki", "The VPN salary portal moved. " * 6, Acl(public=True))
    by_doc = load(index, [*DOCS, wiki])
    index.delete_source("files")
    assert index.count_by_source() == {"confluence": len(by_doc["confluence:7"])}
    assert search(index, frozenset({HR, IT}), SearchMode.VECTOR) == {"confluence:7"}
    index.delete_source("files")  # nothing left of it: a no-op
    assert index.count() == len(by_doc["confluence:7"])
