"""The production index: a Weaviate collection behind a LlamaIndex vector store.

Written on the weaviate-client v4 API directly, not as a subclass of
`llama_index.vector_stores.weaviate.WeaviateVectorStore` (1.7.1), because that class
would need nearly every method overridden to behave like the embedded store:

- it uses the node id as the Weaviate UUID (our ids, `files:a.md#<hash>#0`, are not
  UUIDs) and writes through auto-schema (`ref_doc_id`, `_node_content` JSON, ...);
- it keeps metadata inside the `_node_content` JSON it reads nodes back from, so an ACL
  change would have to rewrite that blob, and the flat ACL columns could drift from it;
- every query is `hybrid()`: `TEXT_SEARCH` silently becomes a pure vector search
  (alpha 1), there is no BM25 mode;
- its filter translation has no IN/NIN/CONTAINS, and empty `MetadataFilters` or empty
  `ANY` lists become invalid Weaviate filters.
Its one useful piece, `FilterOperator.ANY` -> `contains_any`, is the one line of
`weaviate_filter` below.

What this module guarantees, like `LanceChunkStore`:

- one explicit collection schema (`collection_spec`), created by the first write, never
  by auto-schema: every chunk metadata key is a flat property, text is BM25-searchable
  (`word` tokenization), the other strings use `field` tokenization (exact match, so
  `acl_principals contains_any [...]` cannot match a prefix or a word of a principal);
- object UUIDs are `generate_uuid5(node_id)`: re-adding a chunk overwrites it;
- the permission filter is a Weaviate filter applied inside the vector index (ACORN
  filter strategy), before the top-k cut; filter values travel as typed gRPC values,
  never as query text, so quotes in ids need no escaping;
- an ACL change rewrites two properties and sends the stored vector back unchanged;
- readers never write: querying a collection that does not exist yet returns nothing.

Weaviate 1.30 has no `Not` / `ContainsNone` filter operators (1.33+), so negation is
pushed down to the leaves (EQ<->NE, IN<->NIN, GT<->LTE, ...); negating ANY/ALL/CONTAINS
is refused rather than answered wrongly.

Connecting (`WeaviateChunkStore.connect`): `WEAVIATE_URL` is `http(s)://host[:port]`;
gRPC defaults to the same host on port 50051 (TLS when the URL is https), overridable
with `?grpc=host:port` (the Helm chart serves gRPC as a separate `weaviate-grpc`
service). Weaviate Cloud hosts use the cloud's fixed endpoints and need an API key. The
client is built exactly as `connect_to_custom` / `connect_to_weaviate_cloud` build it,
through the documented `WeaviateClient(...)` constructor, so that the one init check
that talks to the internet, the PyPI "newer client available" lookup, can be switched
off on that instance: offline it costs a DNS timeout, and behind a proxy that answers
with an HTML page it raises and aborts the connection. The real init checks (server
version, gRPC health, OIDC discovery) still run; `skip_init_checks` stays False.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import weaviate
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from weaviate.classes.config import (
    Configure,
    DataType,
    Property,
    Tokenization,
    VectorDistances,
    VectorFilterStrategy,
)
from weaviate.classes.data import DataObject
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, FilterReturn, HybridFusion, MetadataQuery
from weaviate.connect.base import ConnectionParams
from weaviate.exceptions import WeaviateQueryError
from weaviate.util import generate_uuid5

log = logging.getLogger(__name__)

DEFAULT_COLLECTION = "HelpdeskChunks"
VECTOR_NAME = "default"
TEXT_KEY = "text"
NODE_ID_KEY = "node_id"  # the LlamaIndex node id; the Weaviate UUID is derived from it
SCALAR_KEYS = ("source", "doc_id", "title", "url", "updated_at", "content_hash")
LIST_KEYS = ("acl_principals", "breadcrumbs")
DEFAULT_GRPC_PORT = 50051
WRITE_BATCH = 500  # objects per insert_many (~3 KB each with a 384-d vector)
ID_BATCH = 500  # values per contains_any when deleting by doc id / fetching by node id
PAGE = 1000  # objects per fetch page
QUERY_MAXIMUM_RESULTS = 10_000  # Weaviate's default cap on offset + limit
CLOUD_DOMAINS = (".weaviate.cloud", ".weaviate.network", ".weaviate.io")

# Where clauses: a Weaviate filter, or a constant (True = no restriction, False = nothing).
Where = FilterReturn | bool


# --------------------------------------------------------------------------- schema
@dataclass(frozen=True)
class CollectionSpec:
    """Everything `client.collections.create` gets for the chunk collection."""

    name: str
    properties: tuple[Property, ...]
    vector_config: Any  # weaviate's private `_VectorConfigCreate`
    description: str

    def property(self, name: str) -> Property:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(name)

    def create(self, client: weaviate.WeaviateClient) -> None:
        client.collections.create(
            self.name,
            description=self.description,
            properties=list(self.properties),
            vector_config=self.vector_config,
        )


def _field(name: str, data_type: DataType) -> Property:
    """An exact-match (field-tokenized), filterable, not BM25-searchable property."""
    return Property(
        name=name,
        data_type=data_type,
        tokenization=Tokenization.FIELD,
        index_filterable=True,
        index_searchable=False,
    )


def collection_spec(name: str = DEFAULT_COLLECTION) -> CollectionSpec:
    """The explicit schema: chunk text, node id and every chunk metadata key as a column.

    Every metadata key is filterable (as every column is in the embedded store), so the
    same `MetadataFilters` work on both backends.
    """
    properties = (
        Property(
            name=TEXT_KEY,
            data_type=DataType.TEXT,
            tokenization=Tokenization.WORD,
            index_searchable=True,
            index_filterable=False,
        ),
        _field(NODE_ID_KEY, DataType.TEXT),
        *(_field(key, DataType.TEXT) for key in SCALAR_KEYS),
        Property(name="acl_public", data_type=DataType.BOOL, index_filterable=True),
        *(_field(key, DataType.TEXT_ARRAY) for key in LIST_KEYS),
        Property(
            name="chunk_index",
            data_type=DataType.INT,
            index_filterable=True,
            index_range_filters=False,
        ),
    )
    vector_config = Configure.Vectors.self_provided(
        name=VECTOR_NAME,
        vector_index_config=Configure.VectorIndex.hnsw(
            distance_metric=VectorDistances.COSINE,
            # ACL filters are restrictive and unrelated to the query vector: ACORN
            # keeps filtered HNSW search fast where the default sweeping degrades.
            filter_strategy=VectorFilterStrategy.ACORN,
        ),
    )
    return CollectionSpec(
        name=name,
        properties=properties,
        vector_config=vector_config,
        description="Helpdesk bot chunks (text, flat metadata, ACL); vectors are ours.",
    )


def schema_problems(spec: CollectionSpec, existing: Sequence[Any]) -> list[str]:
    """How an existing collection's properties differ from `spec` (empty: usable).

    Tokenization matters for security, not only for search: a word-tokenized
    `acl_principals` would let `group:files:it` match `group:files:hr` by its words.
    """
    have = {p.name: p for p in existing}
    problems = []
    for want in spec.properties:
        got = have.get(want.name)
        if got is None:
            problems.append(f"{want.name}: missing")
        elif got.data_type != want.dataType:
            problems.append(f"{want.name}: {got.data_type.value}, not {want.dataType.value}")
        elif want.tokenization is not None and got.tokenization != want.tokenization:
            actual = getattr(got.tokenization, "value", None)
            problems.append(f"{want.name}: tokenization {actual}, not {want.tokenization.value}")
        elif want.indexFilterable and not got.index_filterable:
            problems.append(f"{want.name}: not filterable")
    return problems


_KINDS: dict[str, Literal["text", "list", "bool", "int"]] = {
    **dict.fromkeys(SCALAR_KEYS, "text"),
    **dict.fromkeys(LIST_KEYS, "list"),
    "acl_public": "bool",
    "chunk_index": "int",
}


def node_uuid(node_id: str) -> str:
    """The Weaviate object UUID of a chunk: stable, so re-adding a node overwrites it."""
    return generate_uuid5(node_id)


# --------------------------------------------------------------------------- filters
_NEGATED = {
    FilterOperator.EQ: FilterOperator.NE,
    FilterOperator.NE: FilterOperator.EQ,
    FilterOperator.GT: FilterOperator.LTE,
    FilterOperator.LTE: FilterOperator.GT,
    FilterOperator.GTE: FilterOperator.LT,
    FilterOperator.LT: FilterOperator.GTE,
    FilterOperator.IN: FilterOperator.NIN,
    FilterOperator.NIN: FilterOperator.IN,
}


def _coerce(kind: str, value: Any) -> str | int | bool:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"not a boolean filter value: {value!r}")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"not an integer filter value: {value!r}")
        return int(value)
    return str(value)


def _values(kind: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of values, got {value!r}")
    return [_coerce(kind, v) for v in value]


def _combine(parts: Sequence[Where], any_of: bool) -> Where:
    """AND / OR with constant folding (Weaviate has no literal true/false filter)."""
    if any_of:
        if any(p is True for p in parts):
            return True
        real = [p for p in parts if not isinstance(p, bool)]
        return Filter.any_of(real) if real else False
    if any(p is False for p in parts):
        return False
    real = [p for p in parts if not isinstance(p, bool)]
    return Filter.all_of(real) if real else True


def _leaf(f: MetadataFilter, negate: bool) -> Where:
    key, value = f.key, f.value
    kind = _KINDS.get(key)
    if kind is None:
        raise ValueError(f"unknown metadata key {key!r}")
    op = FilterOperator(f.operator)
    prop = Filter.by_property(key)
    if kind == "list":
        texts = [str(v) for v in value] if isinstance(value, list) else []
        if negate:
            raise ValueError(
                f"negating {op.value!r} on {key!r} needs Weaviate's Not/ContainsNone (1.33+)"
            )
        if op in (FilterOperator.ANY, FilterOperator.ALL) and not isinstance(value, list):
            raise ValueError(f"{op.value!r} on {key!r} needs a list, got {value!r}")
        if op == FilterOperator.ANY:
            return prop.contains_any(texts) if texts else False
        if op == FilterOperator.ALL:
            return prop.contains_all(texts) if texts else True
        if op == FilterOperator.CONTAINS:
            return prop.contains_any([str(value)])
        raise ValueError(f"filter operator {op.value!r} is not supported on list key {key!r}")
    if negate:
        if op not in _NEGATED:
            raise ValueError(f"filter operator {op.value!r} cannot be negated")
        op = _NEGATED[op]
    if op == FilterOperator.IN:
        values = _values(kind, value)
        if not values:
            return False
        if kind == "text":  # field tokenization: contains_any is an exact match per value
            return prop.contains_any(values)
        return Filter.any_of([prop.equal(v) for v in values])
    if op == FilterOperator.NIN:
        values = _values(kind, value)
        if not values:
            return True
        return Filter.all_of([prop.not_equal(v) for v in values])
    scalar = _coerce(kind, value)
    if op == FilterOperator.EQ:
        return prop.equal(scalar)
    if op == FilterOperator.NE:
        return prop.not_equal(scalar)
    if kind != "bool":
        if op == FilterOperator.GT:
            return prop.greater_than(scalar)
        if op == FilterOperator.GTE:
            return prop.greater_or_equal(scalar)
        if op == FilterOperator.LT:
            return prop.less_than(scalar)
        if op == FilterOperator.LTE:
            return prop.less_or_equal(scalar)
    raise ValueError(f"filter operator {op.value!r} is not supported on key {key!r}")


def _translate(f: MetadataFilter | MetadataFilters, negate: bool) -> Where:
    if isinstance(f, MetadataFilter):
        return _leaf(f, negate)
    condition = f.condition or FilterCondition.AND
    if condition == FilterCondition.NOT:
        # NOT (a AND b ...), as the embedded store reads it
        condition, negate = FilterCondition.AND, not negate
    any_of = condition == FilterCondition.OR
    if negate:  # De Morgan: push the negation down to the leaves
        any_of = not any_of
    return _combine([_translate(sub, negate) for sub in f.filters], any_of)


def weaviate_filter(filters: MetadataFilters | None) -> Where:
    """Our `MetadataFilters` as a Weaviate filter.

    `True` means no restriction (no or empty filters), `False` means nothing can match
    (e.g. `ANY []`); callers skip the query then. Raises ValueError on unknown keys and
    operators, as the embedded store does.
    """
    if filters is None or not filters.filters:
        return True
    return _translate(filters, negate=False)


# --------------------------------------------------------------------------- nodes
def node_properties(node: BaseNode, position: int = 0) -> dict[str, Any]:
    """The Weaviate properties stored for a chunk (same values as the embedded store)."""
    md = node.metadata
    return {
        TEXT_KEY: node.get_content(),
        NODE_ID_KEY: node.node_id,
        "source": str(md["source"]),
        "doc_id": str(md["doc_id"]),
        "title": str(md.get("title", "")),
        "url": str(md.get("url", "")),
        "updated_at": str(md.get("updated_at", "")),
        "content_hash": str(md.get("content_hash", "")),
        "acl_public": bool(md.get("acl_public")),
        "acl_principals": [str(p) for p in md.get("acl_principals") or []],
        "breadcrumbs": [str(b) for b in md.get("breadcrumbs") or []],
        "chunk_index": int(md.get("chunk_index", position)),
    }


def node_from_properties(
    props: dict[str, Any], uuid: str = "", vector: list[float] | None = None
) -> TextNode:
    """A chunk as the embedded store returns it: flat metadata, SOURCE = doc id."""
    metadata: dict[str, Any] = {k: str(props.get(k) or "") for k in SCALAR_KEYS}
    metadata["acl_public"] = bool(props.get("acl_public"))
    for key in LIST_KEYS:
        metadata[key] = list(props.get(key) or [])
    node = TextNode(
        id_=str(props.get(NODE_ID_KEY) or uuid),
        text=str(props.get(TEXT_KEY) or ""),
        metadata=metadata,
    )
    if vector is not None:
        node.embedding = [float(v) for v in vector]
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=metadata["doc_id"])
    return node


def _vector_of(obj: Any) -> list[float] | None:
    vectors = getattr(obj, "vector", None) or {}
    vector = vectors.get(VECTOR_NAME) if isinstance(vectors, dict) else None
    return [float(v) for v in vector] if vector is not None else None


# --------------------------------------------------------------------------- connection
@dataclass(frozen=True)
class Endpoint:
    http_host: str
    http_port: int
    http_secure: bool
    grpc_host: str
    grpc_port: int
    grpc_secure: bool
    cloud: bool = False

    def params(self) -> ConnectionParams:
        return ConnectionParams.from_params(
            http_host=self.http_host,
            http_port=self.http_port,
            http_secure=self.http_secure,
            grpc_host=self.grpc_host,
            grpc_port=self.grpc_port,
            grpc_secure=self.grpc_secure,
        )


def is_weaviate_cloud(host: str) -> bool:
    return host.endswith(CLOUD_DOMAINS)


def parse_endpoint(url: str) -> Endpoint:
    """`http(s)://host[:port][?grpc=host:port]` (or a bare Weaviate Cloud host)."""
    if "://" not in url and is_weaviate_cloud(url.strip().rstrip("/")):
        url = "https://" + url.strip()
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"WEAVIATE_URL must look like http://host:8080, got {url!r}")
    host, secure = parts.hostname, parts.scheme == "https"
    if is_weaviate_cloud(host):
        # as connect_to_weaviate_cloud: REST and gRPC on 443, gRPC on its own host
        if host.endswith(".weaviate.network"):
            ident, domain = host.split(".", 1)
            grpc_host = f"{ident}.grpc.{domain}"
        else:
            grpc_host = f"grpc-{host}"
        return Endpoint(host, 443, True, grpc_host, 443, True, cloud=True)
    port = parts.port or (443 if secure else 80)
    grpc_host, grpc_port = host, DEFAULT_GRPC_PORT
    grpc = parse_qs(parts.query).get("grpc")
    if grpc:
        target = urlsplit("//" + grpc[-1])
        if not target.hostname:
            raise ValueError(f"WEAVIATE_URL grpc= must be host:port, got {grpc[-1]!r}")
        grpc_host, grpc_port = target.hostname, target.port or DEFAULT_GRPC_PORT
    return Endpoint(host, port, secure, grpc_host, grpc_port, secure)


def _no_pypi_check(colour: Any) -> None:
    return None


def build_client(
    url: str, api_key: str | None, timeout: Timeout | None = None
) -> weaviate.WeaviateClient:
    """An unconnected client for `url`, init checks on, minus the PyPI lookup."""
    endpoint = parse_endpoint(url)
    if endpoint.cloud and not api_key:
        raise ValueError("Weaviate Cloud needs an API key: set WEAVIATE_API_KEY")
    client = weaviate.WeaviateClient(
        connection_params=endpoint.params(),
        auth_client_secret=Auth.api_key(api_key) if api_key else None,
        additional_config=AdditionalConfig(
            timeout=timeout or Timeout(init=10, query=30, insert=120)
        ),
        skip_init_checks=False,
    )
    connection = client._connection
    if hasattr(connection, "_check_package_version"):
        connection._check_package_version = _no_pypi_check  # type: ignore[method-assign]
    else:  # pragma: no cover - a client upgrade renamed it; the unit test flags this
        log.warning("weaviate client: PyPI version check hook not found")
    return client


# --------------------------------------------------------------------------- the store
class WeaviateChunkStore(BasePydanticVectorStore):
    """A LlamaIndex vector store over one Weaviate collection with flat metadata."""

    stores_text: bool = True
    flat_metadata: bool = False
    collection_name: str

    _client: weaviate.WeaviateClient = PrivateAttr()
    _spec: CollectionSpec = PrivateAttr()
    _exists: bool = PrivateAttr(default=False)

    def __init__(
        self, client: weaviate.WeaviateClient, collection: str = DEFAULT_COLLECTION
    ) -> None:
        spec = collection_spec(collection)
        super().__init__(stores_text=True, collection_name=collection)
        self._client = client
        self._spec = spec
        self._exists = False

    @classmethod
    def connect(
        cls, url: str, api_key: str | None = None, collection: str = DEFAULT_COLLECTION
    ) -> WeaviateChunkStore:
        """Connect to the Weaviate at `url` (see the module docstring for the URL forms)."""
        client = build_client(url, api_key)
        try:
            client.connect()
        except Exception as exc:
            client.close()
            raise ConnectionError(
                f"cannot connect to Weaviate at {url}: {exc}. Check WEAVIATE_URL "
                "(and WEAVIATE_API_KEY), or start one with `docker compose up -d weaviate`"
            ) from exc
        return cls(client, collection)

    @classmethod
    def class_name(cls) -> str:
        return "WeaviateChunkStore"

    @property
    def client(self) -> weaviate.WeaviateClient:
        return self._client

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ collection
    def _collection(self) -> Any:
        return self._client.collections.get(self.collection_name)

    def _ready(self) -> bool:
        """Whether the collection exists (readers never create it)."""
        if not self._exists and self._client.collections.exists(self.collection_name):
            self._check_schema()
            self._exists = True
        return self._exists

    def _ensure(self) -> Any:
        if not self._ready():
            try:
                self._spec.create(self._client)
            except Exception:
                # another process may have created it first; anything else re-raises
                if not self._client.collections.exists(self.collection_name):
                    raise
            self._check_schema()
            self._exists = True
        return self._collection()

    def _check_schema(self) -> None:
        problems = schema_problems(self._spec, self._collection().config.get().properties)
        if problems:
            raise RuntimeError(
                f"Weaviate collection {self.collection_name!r} was not created by this bot "
                f"({'; '.join(problems)}). Set WEAVIATE_COLLECTION to a new name, or delete "
                "the collection and reindex."
            )

    # ------------------------------------------------------------------ writes
    def add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[str]:
        if not nodes:
            return []
        objects = [
            DataObject(
                properties=node_properties(node, i),
                uuid=node_uuid(node.node_id),
                vector={VECTOR_NAME: list(node.get_embedding())},
            )
            for i, node in enumerate(nodes)
        ]
        self._insert(self._ensure(), objects)
        return [node.node_id for node in nodes]

    def _insert(self, collection: Any, objects: Sequence[DataObject[Any, Any]]) -> None:
        for start in range(0, len(objects), WRITE_BATCH):
            result = collection.data.insert_many(objects[start : start + WRITE_BATCH])
            if result.has_errors:
                first = next(iter(result.errors.values()))
                raise RuntimeError(
                    f"Weaviate rejected {len(result.errors)} chunk(s): {first.message}"
                )

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        self.delete_documents([ref_doc_id])

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids or not self._ready():
            return
        collection = self._collection()
        for start in range(0, len(doc_ids), ID_BATCH):
            part = [str(d) for d in doc_ids[start : start + ID_BATCH]]
            self._delete_where(collection, Filter.by_property("doc_id").contains_any(part))

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        if (not node_ids and not filters) or not self._ready():
            return
        collection = self._collection()
        where = weaviate_filter(filters)
        if where is False:
            return
        if not node_ids:
            if where is True:
                raise ValueError("refusing to delete every chunk by an empty filter; use clear()")
            self._delete_where(collection, where)
            return
        for start in range(0, len(node_ids), ID_BATCH):
            ids = Filter.by_id().contains_any(
                [node_uuid(n) for n in node_ids[start : start + ID_BATCH]]
            )
            self._delete_where(collection, ids if where is True else ids & where)

    @staticmethod
    def _delete_where(collection: Any, where: FilterReturn) -> None:
        # one call deletes at most QUERY_MAXIMUM_RESULTS objects: repeat until none match
        while True:
            result = collection.data.delete_many(where=where)
            if result.failed:
                raise RuntimeError(f"Weaviate failed to delete {result.failed} chunk(s)")
            if result.matches == 0 or result.successful == 0:
                return

    def update_acl(self, doc_id: str, public: bool, principals: Sequence[str]) -> None:
        """Rewrite the ACL of every chunk of `doc_id`, sending the stored vectors back.

        One filtered fetch and one batch write per document (Weaviate has no
        update-by-filter; a PATCH per chunk would be a round trip per chunk).
        """
        if not self._ready():
            return
        collection = self._collection()
        objects = []
        for obj in self._fetch(collection, Filter.by_property("doc_id").equal(doc_id), True):
            props = dict(obj.properties)
            props["acl_public"] = bool(public)
            props["acl_principals"] = sorted(str(p) for p in principals)
            vector = _vector_of(obj)
            if vector is None:  # pragma: no cover - every chunk is written with one
                raise RuntimeError(f"chunk {obj.uuid} of {doc_id!r} has no vector")
            objects.append(
                DataObject(properties=props, uuid=obj.uuid, vector={VECTOR_NAME: vector})
            )
        self._insert(collection, objects)

    def clear(self) -> None:
        if self._client.collections.exists(self.collection_name):
            self._client.collections.delete(self.collection_name)
        self._exists = False

    def prepare_for_readers(self) -> None:
        """Nothing to do: Weaviate indexes on write and readers see every write."""

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _fetch(collection: Any, where: FilterReturn | None, vectors: bool = False) -> list[Any]:
        """All objects matching `where` (offset paging, up to Weaviate's result cap)."""
        found: list[Any] = []
        while True:
            limit = min(PAGE, QUERY_MAXIMUM_RESULTS - len(found))
            if limit <= 0:
                log.warning("Weaviate fetch stopped at %d objects", len(found))
                return found
            page = collection.query.fetch_objects(
                filters=where,
                limit=limit,
                offset=len(found),
                include_vector=[VECTOR_NAME] if vectors else False,
            ).objects
            found.extend(page)
            if len(page) < limit:
                return found

    def count(self, where: str | MetadataFilters | None = None) -> int:
        """Number of chunks, optionally matching `MetadataFilters`.

        SQL strings are the embedded store's dialect and are refused here.
        """
        if isinstance(where, str):
            raise ValueError("SQL where clauses only work on the embedded store")
        if not self._ready():
            return 0
        flt = weaviate_filter(where)
        if flt is False:
            return 0
        result = self._collection().aggregate.over_all(
            total_count=True, filters=None if flt is True else flt
        )
        return int(result.total_count or 0)

    def count_by_source(self) -> dict[str, int]:
        if not self._ready():
            return {}
        from weaviate.classes.aggregate import GroupByAggregate

        result = self._collection().aggregate.over_all(
            group_by=GroupByAggregate(prop="source", limit=10_000), total_count=True
        )
        return {
            str(group.grouped_by.value): int(group.total_count or 0)
            for group in result.groups
            if group.total_count
        }

    def get_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        if not self._ready():
            return []
        where = weaviate_filter(filters)
        if where is False:
            return []
        collection = self._collection()
        objects: list[Any] = []
        if node_ids:
            for start in range(0, len(node_ids), ID_BATCH):
                ids = Filter.by_id().contains_any(
                    [node_uuid(n) for n in node_ids[start : start + ID_BATCH]]
                )
                objects.extend(self._fetch(collection, ids if where is True else ids & where))
        elif where is True:
            objects = list(collection.iterator())
        else:
            objects = self._fetch(collection, where)
        return [node_from_properties(dict(o.properties), str(o.uuid)) for o in objects]

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        empty = VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        where = weaviate_filter(query.filters)
        if where is False or not self._ready():
            return empty
        filters = None if where is True else where
        try:
            objects, scores = self._search(query, filters)
        except WeaviateQueryError:
            self._exists = False  # dropped by another process since we looked?
            if not self._ready():
                return empty
            raise
        nodes: list[BaseNode] = [
            node_from_properties(dict(o.properties), str(o.uuid), _vector_of(o)) for o in objects
        ]
        return VectorStoreQueryResult(
            nodes=nodes, similarities=scores, ids=[n.node_id for n in nodes]
        )

    def _search(
        self, query: VectorStoreQuery, filters: FilterReturn | None
    ) -> tuple[list[Any], list[float]]:
        collection = self._collection()
        k = query.similarity_top_k
        text = (query.query_str or "").strip()
        vector = list(query.query_embedding) if query.query_embedding is not None else None
        common: dict[str, Any] = {
            "limit": k,
            "filters": filters,
            "include_vector": [VECTOR_NAME],
        }
        mode = query.mode
        if mode == VectorStoreQueryMode.HYBRID and (not text or vector is None):
            # one side missing: what is left of the fusion is a single search
            fallback = VectorStoreQueryMode.DEFAULT, VectorStoreQueryMode.TEXT_SEARCH
            mode = fallback[0] if vector is not None else fallback[1]
        if mode == VectorStoreQueryMode.TEXT_SEARCH:
            if not text:
                return [], []
            res = collection.query.bm25(
                text,
                query_properties=[TEXT_KEY],
                return_metadata=MetadataQuery(score=True),
                **common,
            )
            return res.objects, [float(o.metadata.score or 0.0) for o in res.objects]
        if vector is None:
            raise ValueError("vector search needs query_embedding")
        if mode == VectorStoreQueryMode.HYBRID:
            res = collection.query.hybrid(
                text,
                vector=vector,
                alpha=query.alpha if query.alpha is not None else 0.5,
                query_properties=[TEXT_KEY],
                fusion_type=HybridFusion.RELATIVE_SCORE,
                target_vector=VECTOR_NAME,
                return_metadata=MetadataQuery(score=True),
                **common,
            )
            return res.objects, [float(o.metadata.score or 0.0) for o in res.objects]
        res = collection.query.near_vector(
            vector,
            target_vector=VECTOR_NAME,
            return_metadata=MetadataQuery(distance=True),
            **common,
        )
        # cosine distance -> similarity, as the embedded store reports it
        return res.objects, [1.0 - float(o.metadata.distance or 0.0) for o in res.objects]
