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
`weaviate_filter` (`connectors.weaviate_schema`).

The collection schema, the filter translation and the node <-> properties mapping live
in `connectors.weaviate_schema`; building the client from `WEAVIATE_URL` lives in
`connectors.weaviate_client`. What this module guarantees, like `LanceChunkStore`:

- the collection is created by the first write, with the explicit schema, and an
  existing collection with another schema is refused;
- re-adding a chunk overwrites it (object UUIDs are derived from node ids);
- the permission filter is a Weaviate filter applied inside the vector index (ACORN
  filter strategy), before the top-k cut;
- an ACL change rewrites two properties and sends the stored vector back unchanged;
- readers never write: querying a collection that does not exist yet returns nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import weaviate
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter, FilterReturn, HybridFusion, MetadataQuery
from weaviate.exceptions import WeaviateBaseError, WeaviateQueryError

from connectors.weaviate_client import build_client
from connectors.weaviate_schema import (
    DEFAULT_COLLECTION,
    TEXT_KEY,
    VECTOR_NAME,
    CollectionSpec,
    _vector_of,
    collection_spec,
    node_from_properties,
    node_properties,
    node_uuid,
    schema_problems,
    weaviate_filter,
)

log = logging.getLogger(__name__)

WRITE_BATCH = 500  # objects per insert_many (~3 KB each with a 384-d vector)
ID_BATCH = 500  # values per contains_any when deleting by doc id / fetching by node id
PAGE = 1000  # objects per fetch page
QUERY_MAXIMUM_RESULTS = 10_000  # Weaviate's default cap on offset + limit


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
        """Connect to the Weaviate at `url` (URL forms: `connectors.weaviate_client`)."""
        client = build_client(url, api_key)
        try:
            client.connect()
        except (WeaviateBaseError, OSError) as exc:
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
            except WeaviateBaseError:
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
