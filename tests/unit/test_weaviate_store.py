"""The Weaviate backend without a server: schema, filter translation, ids, connection
parameters, and the requests the store sends (recorded at the client's gRPC seam)."""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from weaviate.classes.config import DataType, Tokenization
from weaviate.collections.classes.config import _CollectionConfigCreate
from weaviate.collections.filters import _FilterToGRPC
from weaviate.proto.v1 import (
    base_pb2,
    batch_delete_pb2,
    batch_pb2,
    properties_pb2,
    search_get_pb2,
)
from weaviate.util import _ServerVersion

from bot.helpchannels.channels import parse_sources
from bot.helpchannels.scope import drive_scope, source_restriction
from connectors import messages
from connectors.base import Acl, SourceDocument
from connectors.chunking import Chunker
from connectors.index import METADATA_KEYS, ChunkIndex, IndexBackend, SearchMode, scope_filters
from connectors.weaviate_client import build_client, parse_endpoint
from connectors.weaviate_schema import (
    NODE_ID_KEY,
    TEXT_KEY,
    VECTOR_NAME,
    collection_spec,
    missing_later_keys,
    node_from_properties,
    node_properties,
    node_uuid,
    schema_problems,
    weaviate_filter,
)
from connectors.weaviate_store import WeaviateChunkStore

Op = base_pb2.Filters


def f32(vector: list[float]) -> bytes:
    """A vector as Weaviate's gRPC API carries it (packed native float32)."""
    return struct.pack(f"{len(vector)}f", *vector)


def unf32(data: bytes) -> list[float]:
    return list(struct.unpack(f"{len(data) // 4}f", data))


def grpc(filters: MetadataFilters | None) -> base_pb2.Filters:
    """The translated filter as it goes on the wire."""
    where = weaviate_filter(filters)
    assert not isinstance(where, bool), f"expected a filter, got constant {where}"
    return _FilterToGRPC.convert(where)


def leaf(key: str, value: Any, op: FilterOperator = FilterOperator.EQ) -> MetadataFilter:
    return MetadataFilter(key=key, value=value, operator=op)


def both(*filters: MetadataFilter | MetadataFilters) -> MetadataFilters:
    return MetadataFilters(filters=list(filters), condition=FilterCondition.AND)


def either(*filters: MetadataFilter | MetadataFilters) -> MetadataFilters:
    return MetadataFilters(filters=list(filters), condition=FilterCondition.OR)


# --------------------------------------------------------------------------- filters
def test_scope_filter_is_contains_any_on_acl_principals_with_everyone() -> None:
    f = grpc(scope_filters(frozenset({"user:a@x.example", "group:files:hr"})))
    assert f.operator == Op.OPERATOR_CONTAINS_ANY
    assert f.target.property == "acl_principals"
    assert list(f.value_text_array.values) == [
        "everyone",
        "group:files:hr",
        "user:a@x.example",
    ]


def test_public_only_scope_is_contains_any_everyone() -> None:
    f = grpc(scope_filters(frozenset()))
    assert f.operator == Op.OPERATOR_CONTAINS_ANY
    assert list(f.value_text_array.values) == ["everyone"]


def test_nested_and_or() -> None:
    f = grpc(
        both(
            scope_filters(frozenset({"user:a@x.example"})),
            either(leaf("source", "files"), leaf("source", "drive")),
            leaf("acl_public", 1),
        )
    )
    assert f.operator == Op.OPERATOR_AND
    scope, sources, public = f.filters
    assert scope.operator == Op.OPERATOR_CONTAINS_ANY
    assert sources.operator == Op.OPERATOR_OR
    assert [(s.operator, s.target.property, s.value_text) for s in sources.filters] == [
        (Op.OPERATOR_EQUAL, "source", "files"),
        (Op.OPERATOR_EQUAL, "source", "drive"),
    ]
    assert public.operator == Op.OPERATOR_EQUAL
    assert public.value_boolean is True


def test_not_is_pushed_down_to_the_leaves() -> None:
    # Weaviate 1.30 has no Not operator: NOT (a AND b) == (NOT a) OR (NOT b)
    negated = MetadataFilters(
        filters=[leaf("source", "files"), leaf("chunk_index", 2, FilterOperator.GT)],
        condition=FilterCondition.NOT,
    )
    f = grpc(negated)
    assert f.operator == Op.OPERATOR_OR
    ne, lte = f.filters
    assert (ne.operator, ne.value_text) == (Op.OPERATOR_NOT_EQUAL, "files")
    assert (lte.operator, lte.value_int) == (Op.OPERATOR_LESS_THAN_EQUAL, 2)


def test_in_and_nin_on_scalar_keys() -> None:
    f = grpc(
        MetadataFilters(filters=[leaf("doc_id", ["files:a.md", "files:b.md"], FilterOperator.IN)])
    )
    assert f.operator == Op.OPERATOR_CONTAINS_ANY  # exact: doc_id is field-tokenized
    assert list(f.value_text_array.values) == ["files:a.md", "files:b.md"]

    f = grpc(MetadataFilters(filters=[leaf("chunk_index", [0, 1], FilterOperator.IN)]))
    assert f.operator == Op.OPERATOR_OR
    assert [s.value_int for s in f.filters] == [0, 1]

    f = grpc(MetadataFilters(filters=[leaf("source", ["files", "drive"], FilterOperator.NIN)]))
    assert f.operator == Op.OPERATOR_AND
    assert [(s.operator, s.value_text) for s in f.filters] == [
        (Op.OPERATOR_NOT_EQUAL, "files"),
        (Op.OPERATOR_NOT_EQUAL, "drive"),
    ]


def test_contains_on_a_list_key() -> None:
    f = grpc(MetadataFilters(filters=[leaf("breadcrumbs", "IT", FilterOperator.CONTAINS)]))
    assert (f.operator, list(f.value_text_array.values)) == (Op.OPERATOR_CONTAINS_ANY, ["IT"])


@pytest.mark.parametrize(
    "value",
    [
        "files:o'neil.md",
        'files:say "hi".md',
        "files:back\\slash.md",
        "files:%_*?.md",
        "files:line\nbreak.md",
        "files:') OR true --",
    ],
)
def test_values_are_sent_verbatim_never_escaped(value: str) -> None:
    f = grpc(MetadataFilters(filters=[leaf("doc_id", value)]))
    assert (f.operator, f.value_text) == (Op.OPERATOR_EQUAL, value)
    f = grpc(MetadataFilters(filters=[leaf("doc_id", [value], FilterOperator.IN)]))
    assert list(f.value_text_array.values) == [value]
    f = grpc(scope_filters(frozenset({f"user:{value}"})))
    assert f"user:{value}" in f.value_text_array.values


def test_constant_filters_fold() -> None:
    nothing = MetadataFilters(filters=[leaf("acl_principals", [], FilterOperator.ANY)])
    assert weaviate_filter(nothing) is False
    assert weaviate_filter(both(scope_filters(frozenset()), nothing)) is False
    assert (
        weaviate_filter(MetadataFilters(filters=[leaf("doc_id", [], FilterOperator.IN)])) is False
    )
    assert (
        weaviate_filter(MetadataFilters(filters=[leaf("doc_id", [], FilterOperator.NIN)])) is True
    )
    assert weaviate_filter(MetadataFilters(filters=[])) is True
    assert weaviate_filter(None) is True
    f = grpc(either(nothing, leaf("source", "files")))
    assert (f.operator, f.value_text) == (Op.OPERATOR_EQUAL, "files")


def test_a_drive_folder_scope_is_an_exact_match_on_ancestor_ids() -> None:
    f = grpc(drive_scope(["1ItFolder", "0AEngDrive"]))
    assert f.operator == Op.OPERATOR_AND
    source, ancestors = f.filters
    assert (source.operator, source.target.property) == (Op.OPERATOR_CONTAINS_ANY, "source")
    assert list(source.value_text_array.values) == ["drive"]
    assert (ancestors.operator, ancestors.target.property) == (
        Op.OPERATOR_CONTAINS_ANY,
        "ancestor_ids",
    )
    assert list(ancestors.value_text_array.values) == ["0AEngDrive", "1ItFolder"]
    # a channel's whole restriction, ANDed with the permission scope as the index does
    restriction = source_restriction(parse_sources("files,drive:1ItFolder"))
    assert restriction.filters is not None
    f = grpc(both(scope_filters(frozenset()), restriction.filters))
    scope, sources = f.filters
    assert scope.target.property == "acl_principals"
    assert sources.operator == Op.OPERATOR_OR
    files, drive = sources.filters
    assert list(files.value_text_array.values) == ["files"]
    assert [g.target.property for g in drive.filters] == ["source", "ancestor_ids"]


def test_a_filter_on_a_property_an_old_collection_lacks_matches_nothing() -> None:
    """Weaviate refuses a filter on an unknown property; like SQL's NULL, a condition on
    it is never true, negated or not, so a `drive:ID` channel gets nothing from Drive."""
    missing = frozenset({"ancestor_ids"})
    scoped = drive_scope(["1ItFolder"])
    assert weaviate_filter(scoped, missing) is False
    assert weaviate_filter(both(scope_filters(frozenset()), scoped), missing) is False
    kept = weaviate_filter(either(scoped, leaf("source", "files")), missing)
    assert not isinstance(kept, bool)
    f = _FilterToGRPC.convert(kept)
    assert (f.operator, f.target.property, f.value_text) == (Op.OPERATOR_EQUAL, "source", "files")
    # NOT (drive AND unknown) is true only where "drive" is false, as in SQL
    negated = MetadataFilters(filters=[scoped], condition=FilterCondition.NOT)
    outside = weaviate_filter(negated, missing)
    assert not isinstance(outside, bool)
    f = _FilterToGRPC.convert(outside)
    assert (f.operator, f.value_text) == (Op.OPERATOR_NOT_EQUAL, "drive")
    # without the key in `missing`, the same filter is sent
    assert not isinstance(weaviate_filter(scoped), bool)


def test_bad_filters_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown metadata key"):
        weaviate_filter(MetadataFilters(filters=[leaf("text", "x")]))
    with pytest.raises(ValueError, match="Not/ContainsNone"):
        weaviate_filter(
            MetadataFilters(filters=[scope_filters(frozenset())], condition=FilterCondition.NOT)
        )
    with pytest.raises(ValueError, match="not supported"):
        weaviate_filter(MetadataFilters(filters=[leaf("title", "x", FilterOperator.TEXT_MATCH)]))
    with pytest.raises(ValueError, match="boolean"):
        weaviate_filter(MetadataFilters(filters=[leaf("acl_public", "maybe")]))


# --------------------------------------------------------------------------- schema
def test_schema_properties_match_the_chunk_metadata() -> None:
    spec = collection_spec("HelpdeskChunks")
    names = [p.name for p in spec.properties]
    assert len(names) == len(set(names))
    assert set(names) == {TEXT_KEY, NODE_ID_KEY, *METADATA_KEYS, "chunk_index"}

    doc = SourceDocument(
        source="files",
        doc_id="files:it/vpn.md",
        title="VPN",
        url="file:///vpn.md",
        text="Connect to the VPN before opening the intranet. " * 20,
        updated_at=datetime(2026, 1, 2, tzinfo=UTC),
        acl=Acl(public=False, principals=frozenset({"group:files:it"})),
        breadcrumbs=("IT", "Network"),
    )
    chunks = Chunker().chunk(doc)
    for chunk in chunks:
        assert set(chunk.metadata) <= set(names)
        chunk.embedding = [0.0] * 4
        assert set(node_properties(chunk)) == set(names)


def test_schema_types_tokenization_and_indexes() -> None:
    spec = collection_spec()
    text = spec.property(TEXT_KEY)
    assert (text.dataType, text.tokenization, text.indexSearchable) == (
        DataType.TEXT,
        Tokenization.WORD,
        True,
    )
    for key in (NODE_ID_KEY, "source", "doc_id", "title", "url", "updated_at", "content_hash"):
        p = spec.property(key)
        assert (p.dataType, p.tokenization, p.indexSearchable) == (
            DataType.TEXT,
            Tokenization.FIELD,
            False,
        ), key
    for key in ("doc_id", "source", "acl_principals", "acl_public", "chunk_index"):
        assert spec.property(key).indexFilterable is True, key
    principals = spec.property("acl_principals")
    assert (principals.dataType, principals.tokenization) == (
        DataType.TEXT_ARRAY,
        Tokenization.FIELD,
    )
    assert spec.property("breadcrumbs").dataType == DataType.TEXT_ARRAY
    assert spec.property("acl_public").dataType == DataType.BOOL
    assert spec.property("chunk_index").dataType == DataType.INT


def test_schema_on_the_wire_has_no_vectorizer_and_cosine_hnsw() -> None:
    spec = collection_spec("helpdeskChunks")
    wire = _CollectionConfigCreate(
        name=spec.name, properties=list(spec.properties), vector_config=spec.vector_config
    )._to_dict()
    assert wire["class"] == "HelpdeskChunks"
    vector = wire["vectorConfig"][VECTOR_NAME]
    assert vector["vectorizer"] == {"none": {}}
    assert vector["vectorIndexType"] == "hnsw"
    assert vector["vectorIndexConfig"]["distance"] == "cosine"
    assert vector["vectorIndexConfig"]["filterStrategy"] == "acorn"
    props = {p["name"]: p for p in wire["properties"]}
    assert props["acl_principals"]["dataType"] == ["text[]"]
    assert props["acl_principals"]["tokenization"] == "field"
    assert props["text"]["tokenization"] == "word"


@dataclass(frozen=True)
class ExistingProperty:
    """The fields of weaviate's `_Property` that `schema_problems` reads."""

    name: str
    data_type: DataType
    tokenization: Tokenization | None
    index_filterable: bool


def test_an_existing_collection_must_match_the_schema() -> None:
    spec = collection_spec()
    same = [
        ExistingProperty(p.name, p.dataType, p.tokenization, bool(p.indexFilterable))
        for p in spec.properties
    ]
    assert schema_problems(spec, same) == []
    principals = next(i for i, p in enumerate(same) if p.name == "acl_principals")
    worded = list(same)
    worded[principals] = replace(same[principals], tokenization=Tokenization.WORD)
    assert schema_problems(spec, worded) == ["acl_principals: tokenization word, not field"]
    assert schema_problems(spec, same[1:]) == ["text: missing"]
    llama_default = [ExistingProperty("text", DataType.TEXT, Tokenization.WORD, True)]
    assert len(schema_problems(spec, llama_default)) == len(spec.properties) - 2
    # a collection from before `ancestor_ids`: usable, the property is added by a write
    before = [p for p in same if p.name != "ancestor_ids"]
    assert schema_problems(spec, before) == []
    assert missing_later_keys(spec, before) == {"ancestor_ids"}
    assert missing_later_keys(spec, same) == frozenset()
    ancestors = spec.property("ancestor_ids")
    assert (ancestors.dataType, ancestors.tokenization, ancestors.indexFilterable) == (
        DataType.TEXT_ARRAY,
        Tokenization.FIELD,  # exact ids: `1AbC-d` must not match by its word `d`
        True,
    )


# --------------------------------------------------------------------------- ids
def test_uuids_are_deterministic_uuid5_of_the_node_id() -> None:
    node_id = "files:o'neil.md#0123456789ab#0"
    assert node_uuid(node_id) == node_uuid(node_id)
    assert node_uuid(node_id) == str(uuid.uuid5(uuid.NAMESPACE_DNS, node_id))
    assert uuid.UUID(node_uuid(node_id)).version == 5
    assert node_uuid(node_id) != node_uuid("files:o'neil.md#0123456789ab#1")


def test_node_round_trip_matches_the_embedded_store_shape() -> None:
    node = TextNode(
        id_="files:a.md#h#0",
        text="IT › VPN\nbody",
        metadata={
            "source": "files",
            "doc_id": "files:a.md",
            "title": "VPN",
            "url": "u",
            "updated_at": "2026-01-01T00:00:00+00:00",
            "acl_public": True,
            "acl_principals": ["everyone"],
            "content_hash": "h",
            "breadcrumbs": ["IT"],
            "ancestor_ids": ["0AMyDrive", "1ItFolder"],
            "chunk_index": 0,
        },
    )
    back = node_from_properties(node_properties(node))
    assert back.node_id == node.node_id
    assert back.text == node.text
    assert back.metadata == {k: v for k, v in node.metadata.items() if k != "chunk_index"}
    assert back.ref_doc_id == "files:a.md"


# --------------------------------------------------------------------------- connecting
def test_endpoints_from_urls() -> None:
    local = parse_endpoint("http://localhost:8080")
    assert (local.http_host, local.http_port, local.http_secure) == ("localhost", 8080, False)
    assert (local.grpc_host, local.grpc_port, local.grpc_secure) == ("localhost", 50051, False)

    tls = parse_endpoint("https://weaviate.corp.example?grpc=weaviate-grpc.corp.example:443")
    assert (tls.http_port, tls.http_secure) == (443, True)
    assert (tls.grpc_host, tls.grpc_port, tls.grpc_secure) == (
        "weaviate-grpc.corp.example",
        443,
        True,
    )

    assert parse_endpoint("http://weaviate").http_port == 80  # k8s service port

    cloud = parse_endpoint("https://abc123.c0.europe-west3.gcp.weaviate.cloud")
    assert cloud.cloud and cloud.grpc_host == "grpc-abc123.c0.europe-west3.gcp.weaviate.cloud"
    assert (cloud.http_port, cloud.grpc_port) == (443, 443)
    assert parse_endpoint("abc123.weaviate.network").grpc_host == "abc123.grpc.weaviate.network"

    with pytest.raises(ValueError, match="WEAVIATE_URL"):
        parse_endpoint("localhost:8080")
    with pytest.raises(ValueError, match="WEAVIATE_API_KEY"):
        build_client("https://abc123.weaviate.cloud", None)


def test_client_keeps_init_checks_but_not_the_pypi_lookup() -> None:
    client = build_client("http://localhost:8080", "secret-key")
    connection = client._connection
    assert connection._skip_init_checks is False
    assert connection._check_package_version("sync") is None  # no network involved
    assert "_check_package_version" in vars(connection)
    assert connection._headers["authorization"] == "Bearer secret-key"
    client.close()


# --------------------------------------------------------------------------- the store
class RecordingServer:
    """Stands in for Weaviate at the client's gRPC seam: records requests, replays replies."""

    def __init__(self) -> None:
        self.searches: list[search_get_pb2.SearchRequest] = []
        self.batches: list[batch_pb2.BatchObjectsRequest] = []
        self.deletes: list[batch_delete_pb2.BatchDeleteRequest] = []
        self.search_replies: list[search_get_pb2.SearchReply] = []
        self.delete_matches: list[int] = []
        self.client = build_client("http://localhost:8080", None)
        connection: Any = self.client._connection
        connection._weaviate_version = _ServerVersion.from_string("1.30.5")
        connection._connected = True
        connection.grpc_search = self._search
        connection.grpc_batch_objects = self._batch
        connection.grpc_batch_delete = self._delete

    def _search(self, request: search_get_pb2.SearchRequest) -> search_get_pb2.SearchReply:
        self.searches.append(request)
        return self.search_replies.pop(0) if self.search_replies else search_get_pb2.SearchReply()

    def _batch(
        self, request: batch_pb2.BatchObjectsRequest, timeout: float, max_retries: float
    ) -> dict[int, str]:
        self.batches.append(request)
        return {}

    def _delete(
        self, request: batch_delete_pb2.BatchDeleteRequest
    ) -> batch_delete_pb2.BatchDeleteReply:
        self.deletes.append(request)
        n = self.delete_matches.pop(0) if self.delete_matches else 0
        return batch_delete_pb2.BatchDeleteReply(matches=n, successful=n)

    def store(self) -> WeaviateChunkStore:
        store = WeaviateChunkStore(self.client, "HelpdeskChunks")
        store._exists = True  # the collection "exists": no REST schema calls
        return store


@pytest.fixture
def server() -> RecordingServer:
    return RecordingServer()


def chunk(node_id: str, doc_id: str, vector: list[float]) -> TextNode:
    return TextNode(
        id_=node_id,
        text="VPN setup",
        embedding=vector,
        metadata={
            "source": "files",
            "doc_id": doc_id,
            "title": "VPN",
            "url": "u",
            "updated_at": "2026-01-01",
            "acl_public": False,
            "acl_principals": ["group:files:it"],
            "content_hash": "h",
            "breadcrumbs": ["IT"],
            "chunk_index": 0,
        },
    )


def test_store_satisfies_the_backend_protocol(server: RecordingServer) -> None:
    assert isinstance(server.store(), IndexBackend)


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        (VectorStoreQueryMode.DEFAULT, "near_vector"),
        (VectorStoreQueryMode.TEXT_SEARCH, "bm25_search"),
        (VectorStoreQueryMode.HYBRID, "hybrid_search"),
    ],
)
def test_every_search_mode_carries_the_permission_filter(
    server: RecordingServer, mode: VectorStoreQueryMode, kind: str
) -> None:
    result = server.store().query(
        VectorStoreQuery(
            query_embedding=[0.5, 0.5],
            query_str="vpn o'neil",
            similarity_top_k=3,
            mode=mode,
            filters=scope_filters(frozenset({"user:a@x.example"})),
            alpha=0.3,
        )
    )
    assert result.nodes == []
    (request,) = server.searches
    assert request.HasField(kind)
    assert request.limit == 3
    assert request.filters.operator == Op.OPERATOR_CONTAINS_ANY
    assert request.filters.target.property == "acl_principals"
    assert list(request.filters.value_text_array.values) == ["everyone", "user:a@x.example"]
    if kind == "hybrid_search":
        h = request.hybrid_search
        assert (h.query, list(h.properties)) == ("vpn o'neil", [TEXT_KEY])
        assert h.alpha == pytest.approx(0.3)
        assert list(h.targets.target_vectors) == [VECTOR_NAME]
    if kind == "bm25_search":
        assert list(request.bm25_search.properties) == [TEXT_KEY]
    if kind == "near_vector":
        assert list(request.near_vector.targets.target_vectors) == [VECTOR_NAME]


@pytest.mark.parametrize(
    ("text", "vector", "kind"),
    [("", [0.5, 0.5], "near_vector"), ("vpn", None, "bm25_search")],
)
def test_hybrid_with_one_side_missing_runs_the_other(
    server: RecordingServer, text: str, vector: list[float] | None, kind: str
) -> None:
    server.store().query(
        VectorStoreQuery(
            query_embedding=vector,
            query_str=text,
            similarity_top_k=2,
            mode=VectorStoreQueryMode.HYBRID,
            filters=scope_filters(frozenset()),
        )
    )
    (request,) = server.searches
    assert request.HasField(kind)


def test_a_filter_that_matches_nothing_sends_nothing(server: RecordingServer) -> None:
    nothing = MetadataFilters(filters=[leaf("acl_principals", [], FilterOperator.ANY)])
    result = server.store().query(
        VectorStoreQuery(query_embedding=[1.0], similarity_top_k=3, filters=nothing)
    )
    assert result.nodes == [] and server.searches == []


def test_reading_a_missing_collection_returns_nothing(server: RecordingServer) -> None:
    store = WeaviateChunkStore(server.client, "HelpdeskChunks")
    collections: Any = server.client.collections
    collections.exists = lambda name: False
    query = VectorStoreQuery(query_embedding=[1.0], query_str="x", similarity_top_k=3)
    assert store.query(query).nodes == []
    assert store.count() == 0
    assert store.count_by_source() == {}
    assert store.get_nodes() == []
    store.delete_documents(["files:a.md"])
    store.delete_source("files")
    store.update_acl("files:a.md", True, ["everyone"])
    assert server.searches == server.batches == server.deletes == []


def test_add_writes_deterministic_uuids_and_named_vectors(server: RecordingServer) -> None:
    store = server.store()
    nodes = [chunk("files:o'neil.md#h#0", "files:o'neil.md", [0.25, 0.5])]
    store.add(nodes)
    store.add(nodes)
    first, second = (b.objects[0] for b in server.batches)
    assert first.uuid == second.uuid == node_uuid("files:o'neil.md#h#0")
    assert [v.name for v in first.vectors] == [VECTOR_NAME]
    assert unf32(first.vectors[0].vector_bytes) == [0.25, 0.5]
    props = first.properties
    assert props.non_ref_properties["doc_id"] == "files:o'neil.md"
    assert props.non_ref_properties[NODE_ID_KEY] == "files:o'neil.md#h#0"
    texts = {a.prop_name: list(a.values) for a in props.text_array_properties}
    assert texts["acl_principals"] == ["group:files:it"]


def test_delete_documents_filters_on_exact_doc_ids_until_none_match(
    server: RecordingServer,
) -> None:
    server.delete_matches = [3, 0]
    server.store().delete_documents(["files:o'neil.md", "files:b.md"])
    assert len(server.deletes) == 2
    where = server.deletes[0].filters
    assert (where.operator, where.target.property) == (Op.OPERATOR_CONTAINS_ANY, "doc_id")
    assert list(where.value_text_array.values) == ["files:o'neil.md", "files:b.md"]


def test_a_search_answers_from_the_configured_sources_only(server: RecordingServer) -> None:
    """The permission scope and `source IN [configured]` go to Weaviate as one filter, in
    the query itself; with no source configured nothing is asked at all."""
    index = ChunkIndex(server.store(), "weaviate", "http://localhost:8080", ["drive", "files"])
    index.search("vpn", [0.5, 0.5], frozenset({"user:a@x.example"}), 3, SearchMode.HYBRID)
    (request,) = server.searches
    assert request.filters.operator == Op.OPERATOR_AND
    scope, sources = request.filters.filters
    assert (scope.target.property, list(scope.value_text_array.values)) == (
        "acl_principals",
        ["everyone", "user:a@x.example"],
    )
    assert (sources.operator, sources.target.property) == (Op.OPERATOR_CONTAINS_ANY, "source")
    assert list(sources.value_text_array.values) == ["drive", "files"]

    index.sources = frozenset()
    assert index.search("vpn", [0.5, 0.5], frozenset(), 3) == []
    assert len(server.searches) == 1  # nothing can match: nothing sent


def test_delete_source_filters_on_the_exact_source_until_none_match(
    server: RecordingServer,
) -> None:
    server.delete_matches = [7, 0]
    ChunkIndex(server.store(), "weaviate", "http://localhost:8080").delete_source("files")
    assert len(server.deletes) == 2
    where = server.deletes[0].filters
    assert (where.operator, where.target.property) == (Op.OPERATOR_EQUAL, "source")
    assert where.value_text == "files"


def _stored(node: TextNode) -> search_get_pb2.SearchReply:
    fields: dict[str, properties_pb2.Value] = {}
    for key, value in node_properties(node).items():
        if isinstance(value, bool):
            fields[key] = properties_pb2.Value(bool_value=value)
        elif isinstance(value, int):
            fields[key] = properties_pb2.Value(int_value=value)
        elif isinstance(value, list):
            fields[key] = properties_pb2.Value(
                list_value=properties_pb2.ListValue(
                    text_values=properties_pb2.TextValues(values=value)
                )
            )
        else:
            fields[key] = properties_pb2.Value(text_value=value)
    vector = base_pb2.Vectors(
        name=VECTOR_NAME,
        vector_bytes=f32(node.get_embedding()),
        type=base_pb2.Vectors.VECTOR_TYPE_SINGLE_FP32,
    )
    result = search_get_pb2.SearchResult(
        properties=search_get_pb2.PropertiesResult(
            non_ref_props=properties_pb2.Properties(fields=fields)
        ),
        metadata=search_get_pb2.MetadataResult(
            id_as_bytes=uuid.UUID(node_uuid(node.node_id)).bytes, vectors=[vector]
        ),
    )
    return search_get_pb2.SearchReply(results=[result])


def test_update_acl_rewrites_the_acl_and_sends_the_stored_vector_back(
    server: RecordingServer,
) -> None:
    stored = chunk("files:o'neil.md#h#0", "files:o'neil.md", [0.1, -0.7, 0.3])
    server.search_replies = [_stored(stored)]
    server.store().update_acl("files:o'neil.md", True, ["group:files:it", "everyone"])

    (fetch,) = server.searches
    assert (fetch.filters.operator, fetch.filters.value_text) == (
        Op.OPERATOR_EQUAL,
        "files:o'neil.md",
    )
    (batch,) = server.batches
    (obj,) = batch.objects
    assert obj.uuid == node_uuid("files:o'neil.md#h#0")
    assert obj.vectors[0].vector_bytes == f32(stored.get_embedding())
    props = obj.properties
    texts = {a.prop_name: list(a.values) for a in props.text_array_properties}
    assert texts["acl_principals"] == ["everyone", "group:files:it"]
    assert texts["breadcrumbs"] == ["IT"]
    assert props.non_ref_properties["acl_public"] is True
    assert props.non_ref_properties[TEXT_KEY] == "VPN setup"


def test_query_results_become_nodes_with_similarities(server: RecordingServer) -> None:
    stored = chunk("files:a.md#h#0", "files:a.md", [0.6, 0.8])
    reply = _stored(stored)
    reply.results[0].metadata.distance = 0.25
    reply.results[0].metadata.distance_present = True
    server.search_replies = [reply]
    result = server.store().query(VectorStoreQuery(query_embedding=[0.6, 0.8], similarity_top_k=1))
    assert result.ids == ["files:a.md#h#0"]
    assert result.similarities is not None
    assert result.similarities[0] == pytest.approx(0.75)
    assert result.nodes is not None
    (node,) = result.nodes
    assert node.metadata["acl_principals"] == ["group:files:it"]
    assert node.ref_doc_id == "files:a.md"
    assert node.get_embedding() == pytest.approx([0.6, 0.8])


def test_restricting_to_nobody_sends_an_empty_principal_list_and_keeps_the_batch(
    server: RecordingServer,
) -> None:
    """The fail-closed update: "readable by nobody" (no principals, not public) is a
    valid write, and the batch's other ACL changes are sent too."""
    secret = chunk("files:secret.md#h#0", "files:secret.md", [0.5, 0.5, 0.1])
    other = chunk("files:other.md#h#0", "files:other.md", [0.2, 0.1, 0.9])
    server.search_replies = [_stored(secret), _stored(other)]
    index = ChunkIndex(server.store(), "weaviate", "http://localhost:8080")
    index.update_acls(
        {
            "files:secret.md": Acl(public=False, principals=frozenset()),
            "files:other.md": Acl(public=True, principals=frozenset()),
        }
    )
    assert [s.filters.value_text for s in server.searches] == ["files:secret.md", "files:other.md"]
    first, second = server.batches
    (nobody,) = first.objects
    assert nobody.uuid == node_uuid("files:secret.md#h#0")
    assert nobody.vectors[0].vector_bytes == f32(secret.get_embedding())
    assert nobody.properties.non_ref_properties["acl_public"] is False
    assert "acl_principals" in list(nobody.properties.empty_list_props)
    texts = {a.prop_name: list(a.values) for a in nobody.properties.text_array_properties}
    assert "acl_principals" not in texts
    assert nobody.properties.non_ref_properties[TEXT_KEY] == "VPN setup"  # text kept
    (public,) = second.objects
    texts = {a.prop_name: list(a.values) for a in public.properties.text_array_properties}
    assert texts["acl_principals"] == ["everyone"]


class OldCollectionConfig:
    """`collection.config` of a collection created before `ancestor_ids`: `get()` lists
    its properties (the fields `schema_problems` reads), `add_property` records."""

    def __init__(self) -> None:
        spec = collection_spec()
        self.properties = [
            ExistingProperty(p.name, p.dataType, p.tokenization, bool(p.indexFilterable))
            for p in spec.properties
            if p.name != "ancestor_ids"
        ]
        self.added: list[Any] = []

    def get(self) -> Any:
        return self

    def add_property(self, prop: Any) -> None:
        self.added.append(prop)
        self.properties.append(
            ExistingProperty(prop.name, prop.dataType, prop.tokenization, prop.indexFilterable)
        )


def old_collection(server: RecordingServer) -> tuple[WeaviateChunkStore, OldCollectionConfig]:
    config = OldCollectionConfig()
    collections: Any = server.client.collections
    real_get = collections.get

    class Collection:
        def __init__(self, name: str) -> None:
            self._real = real_get(name)
            self.config = config

        def __getattr__(self, name: str) -> Any:
            return getattr(self._real, name)

    collections.exists = lambda name: True
    collections.get = Collection
    return WeaviateChunkStore(server.client, "HelpdeskChunks"), config


def test_an_old_collection_is_read_without_its_missing_property_and_upgraded_by_a_write(
    server: RecordingServer,
) -> None:
    store, config = old_collection(server)
    restriction = source_restriction(parse_sources("drive:1ItFolder"))
    scoped = VectorStoreQuery(
        query_embedding=[1.0],
        query_str="vpn",
        similarity_top_k=3,
        filters=both(
            scope_filters(frozenset()), restriction.filters or MetadataFilters(filters=[])
        ),
    )
    assert store.query(scoped).nodes == []
    assert server.searches == []  # nothing asked: never everything
    assert store.upgrade_notice() == messages.INDEX_LACKS_ANCESTOR_IDS
    plain = VectorStoreQuery(
        query_embedding=[1.0], similarity_top_k=3, filters=scope_filters(frozenset())
    )
    store.query(plain)
    assert len(server.searches) == 1  # other channels keep working

    node = chunk("drive:abc#h#0", "drive:abc", [0.5, 0.5])
    node.metadata["source"] = "drive"
    node.metadata["ancestor_ids"] = ["0AMyDrive", "1ItFolder"]
    store.add([node])
    (added,) = config.added
    assert (added.name, added.dataType, added.tokenization) == (
        "ancestor_ids",
        DataType.TEXT_ARRAY,
        Tokenization.FIELD,
    )
    (batch,) = server.batches
    texts = {a.prop_name: list(a.values) for a in batch.objects[0].properties.text_array_properties}
    assert texts["ancestor_ids"] == ["0AMyDrive", "1ItFolder"]
    assert store.upgrade_notice() is None
    store.query(scoped)
    assert server.searches[-1].filters.filters[1].filters[1].target.property == "ancestor_ids"
