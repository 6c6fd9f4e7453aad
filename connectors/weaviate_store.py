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
in `connectors.weaviate_schema`; the read requests (paging, the searches) in
`connectors.weaviate_reads`; building the client from `WEAVIATE_URL` lives in
`connectors.weaviate_client`. What this module guarantees, like `LanceChunkStore`:

- the collection is created by the first write, with the explicit schema, and an
  existing collection with another schema is refused;
- re-adding a chunk overwrites it (object UUIDs are derived from node ids);
- the permission filter is a Weaviate filter applied inside the vector index (ACORN
  filter strategy), before the top-k cut;
- an ACL change rewrites two properties and sends the stored vector back unchanged;
- readers never write: querying a collection that does not exist yet returns nothing;
- a collection from before a metadata key (`LATER_KEYS`) is used as it is: filters on
  the key match nothing, `upgrade_notice` tells the admin to run `helpdesk sync drive
  --full`, and the first write adds the property (exact-match, like the others).
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
    VectorStoreQueryResult,
)
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter, FilterReturn
from weaviate.exceptions import WeaviateBaseError, WeaviateQueryError

from connectors import messages
from connectors.chunk_metadata import filter_keys
from connectors.store_errors import StoreUnreachableError, failure_reason, redact_url, url_secrets
from connectors.weaviate_client import build_client
from connectors.weaviate_reads import fetch_all, search
from connectors.weaviate_schema import (
    DEFAULT_COLLECTION,
    VECTOR_NAME,
    CollectionSpec,
    Where,
    _vector_of,
    collection_spec,
    missing_later_keys,
    node_from_properties,
    node_properties,
    node_uuid,
    schema_problems,
    weaviate_filter,
)

log = logging.getLogger(__name__)

WRITE_BATCH = 500  # objects per insert_many (~3 KB each with a 384-d vector)
ID_BATCH = 500  # values per contains_any when deleting by doc id / fetching by node id


# --------------------------------------------------------------------------- the store
class WeaviateChunkStore(BasePydanticVectorStore):
    """A LlamaIndex vector store over one Weaviate collection with flat metadata."""

    stores_text: bool = True
    flat_metadata: bool = False
    collection_name: str

    _client: weaviate.WeaviateClient = PrivateAttr()
    _spec: CollectionSpec = PrivateAttr()
    _exists: bool = PrivateAttr(default=False)
    _missing: frozenset[str] = PrivateAttr(default=frozenset())  # LATER_KEYS it lacks

    def __init__(
        self, client: weaviate.WeaviateClient, collection: str = DEFAULT_COLLECTION
    ) -> None:
        spec = collection_spec(collection)
        super().__init__(stores_text=True, collection_name=collection)
        self._client = client
        self._spec = spec
        self._exists = False
        self._missing = frozenset()

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
            secrets = [*url_secrets(url), *([api_key] if api_key else [])]
            raise StoreUnreachableError(
                messages.WEAVIATE_UNREACHABLE.format(
                    url=redact_url(url), reason=failure_reason(exc, secrets)
                )
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
        collection = self._collection()
        if self._missing:
            self._upgrade(collection)
        return collection

    def _check_schema(self) -> None:
        properties = self._collection().config.get().properties
        problems = schema_problems(self._spec, properties)
        if problems:
            raise RuntimeError(
                f"Weaviate collection {self.collection_name!r} was not created by this bot "
                f"({'; '.join(problems)}). Set WEAVIATE_COLLECTION to a new name, or delete "
                "the collection and reindex."
            )
        self._missing = missing_later_keys(self._spec, properties)

    def _upgrade(self, collection: Any) -> None:
        """Writer only: add the `LATER_KEYS` properties a collection from before them
        lacks (another writer may have just done it: then the re-check is clean)."""
        added = sorted(self._missing)
        for name in added:
            try:
                collection.config.add_property(self._spec.property(name))
            except WeaviateBaseError:
                self._check_schema()
                if name in self._missing:
                    raise
        self._check_schema()
        log.warning(
            "index upgraded: added property %s; %s",
            ", ".join(added),
            messages.INDEX_LACKS_ANCESTOR_IDS,
        )

    def missing_keys(self) -> frozenset[str]:
        """Metadata keys the collection has no property for; re-read while any are, as
        the writer (another process) may add them at any time."""
        if self._ready() and self._missing:
            self._check_schema()
        return self._missing

    def _where(self, filters: MetadataFilters | None) -> Where:
        """`filters` on this collection: a property it lacks matches nothing."""
        missing: frozenset[str] = frozenset()
        if self._missing and filters is not None:
            missing = self.missing_keys() & filter_keys(filters)
        if missing:
            log.warning("index query on a missing property: %s", messages.INDEX_LACKS_ANCESTOR_IDS)
        return weaviate_filter(filters, missing)

    def upgrade_notice(self) -> str | None:
        """What the admin must run because the collection predates a metadata key."""
        return messages.INDEX_LACKS_ANCESTOR_IDS if self.missing_keys() else None

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

    def delete_source(self, source: str) -> None:
        """Every chunk of `source` (exact match: `source` is field-tokenized)."""
        if self._ready():
            self._delete_where(self._collection(), Filter.by_property("source").equal(source))

    def delete_nodes(
        self,
        node_ids: list[str] | None = None,
        filters: MetadataFilters | None = None,
        **delete_kwargs: Any,
    ) -> None:
        if (not node_ids and not filters) or not self._ready():
            return
        collection = self._collection()
        where = self._where(filters)
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
        # one call deletes at most Weaviate's result cap: repeat until none match
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
        for obj in fetch_all(collection, Filter.by_property("doc_id").equal(doc_id), True):
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
    def count(self, where: str | MetadataFilters | None = None) -> int:
        """Number of chunks, optionally matching `MetadataFilters`.

        SQL strings are the embedded store's dialect and are refused here.
        """
        if isinstance(where, str):
            raise ValueError("SQL where clauses only work on the embedded store")
        if not self._ready():
            return 0
        flt = self._where(where)
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
        where = self._where(filters)
        if where is False:
            return []
        collection = self._collection()
        objects: list[Any] = []
        if node_ids:
            for start in range(0, len(node_ids), ID_BATCH):
                ids = Filter.by_id().contains_any(
                    [node_uuid(n) for n in node_ids[start : start + ID_BATCH]]
                )
                objects.extend(fetch_all(collection, ids if where is True else ids & where))
        elif where is True:
            objects = list(collection.iterator())
        else:
            objects = fetch_all(collection, where)
        return [node_from_properties(dict(o.properties), str(o.uuid)) for o in objects]

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        empty = VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        if not self._ready():
            return empty
        where = self._where(query.filters)
        if where is False:
            return empty
        filters = None if where is True else where
        try:
            objects, scores = search(self._collection(), query, filters)
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
