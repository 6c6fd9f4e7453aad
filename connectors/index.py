"""The index factory and the one interface the rest of the code uses.

Two backends, both LlamaIndex vector stores with the same flat chunk metadata:
the embedded LanceDB store (default, files under HELPDESK_DATA_DIR) and Weaviate
(WEAVIATE_URL). Nothing outside this module knows which one is in use.

Chunk metadata, identical for every source (the embedded store fixes its schema), is
the typed `ChunkMetadata` (connectors/chunk_metadata.py): `source, doc_id, title, url,
updated_at, acl_public, acl_principals, content_hash, breadcrumbs` (+ `chunk_index`).

`acl_principals` lists who may read the chunk and includes the pseudo-principal
`everyone` when the document is public, so the permission scope is one LlamaIndex
filter: `acl_principals ANY ["everyone", <asker's principals>]`; each backend
translates it (LanceDB: `array_has_any`, Weaviate: `contains_any`).

Only the configured sources are answered (`ChunkIndex.sources`, from `SOURCES` or the
sources whose settings are present): a source removed from the configuration is no
longer synced, so its chunks keep ACLs nobody re-reads any more. `reader_filters` —
the one place a read's filter is built — ANDs `source IN [<configured>]` with the
permission scope, until an operator removes the chunks (`delete_source`, `helpdesk
forget SOURCE`). Removal is never automatic: a typo in `SOURCES` hides, never deletes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from llama_index.core.schema import BaseNode, NodeWithScore
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)

from connectors.base import Acl
from connectors.chunk_metadata import KEYS
from connectors.index_location import embedded_index_dir
from connectors.store_errors import redact_url
from connectors.sync_settings import IndexSettings

METADATA_KEYS = KEYS  # connectors/chunk_metadata.py


# Hybrid = relative score fusion, alpha * vector + (1 - alpha) * keyword. 0.3 measured best
# on the e-manual QA set (README, "retrieval quality"): keyword matching carries product
# and policy names, the vector side adds paraphrases.
HYBRID_ALPHA = 0.3


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    KEYWORD = "keyword"
    VECTOR = "vector"


_MODES = {
    SearchMode.HYBRID: VectorStoreQueryMode.HYBRID,
    SearchMode.KEYWORD: VectorStoreQueryMode.TEXT_SEARCH,
    SearchMode.VECTOR: VectorStoreQueryMode.DEFAULT,
}


EVERYONE = "everyone"


def acl_readers(acl: Acl) -> list[str]:
    """The `acl_principals` value stored on chunks for `acl`."""
    readers = set(acl.principals)
    if acl.public:
        readers.add(EVERYONE)
    return sorted(readers)


def scope_filters(principals: frozenset[str]) -> MetadataFilters:
    """Public documents, plus those any of `principals` may read."""
    readers = sorted({EVERYONE, *principals})
    return MetadataFilters(
        filters=[MetadataFilter(key="acl_principals", value=readers, operator=FilterOperator.ANY)],
        condition=FilterCondition.AND,
    )


@runtime_checkable
class IndexBackend(Protocol):
    """What a backend store offers beyond `BasePydanticVectorStore`."""

    def add(self, nodes: Sequence[BaseNode]) -> list[str]: ...
    def delete_documents(self, doc_ids: Sequence[str]) -> None: ...
    def update_acl(self, doc_id: str, public: bool, principals: Sequence[str]) -> None: ...
    def query(self, query: VectorStoreQuery) -> object: ...
    def count(self, where: str | None = None) -> int: ...
    def count_by_source(self) -> dict[str, int]: ...
    def delete_source(self, source: str) -> None: ...
    def prepare_for_readers(self) -> None: ...
    def clear(self) -> None: ...
    def upgrade_notice(self) -> str | None: ...


class ChunkIndex:
    """The project's view of the index: write chunks per document, search with a scope.

    `sources`: the sources whose chunks may be answered (the configured ones); None only
    for an index that is not the bot's (a scratch evaluation index, a test), where every
    chunk's source is one the caller just wrote."""

    def __init__(
        self,
        store: IndexBackend,
        backend: str,
        location: str,
        sources: Sequence[str] | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.location = location
        self.sources = None if sources is None else frozenset(sources)

    # -- writes (sync side)
    def replace_documents(self, doc_ids: Sequence[str], nodes: Sequence[BaseNode]) -> None:
        """Delete every chunk of `doc_ids`, then add `nodes`: never duplicates on re-run."""
        self.store.delete_documents(list(doc_ids))
        if nodes:
            self.store.add(list(nodes))

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        self.store.delete_documents(list(doc_ids))

    def delete_source(self, source: str) -> None:
        """Every chunk of `source` (an unconfigured one: `helpdesk forget SOURCE`)."""
        self.store.delete_source(source)

    def update_acl(self, doc_id: str, acl: Acl) -> None:
        self.store.update_acl(doc_id, acl.public, acl_readers(acl))

    def update_acls(self, changes: Mapping[str, Acl]) -> None:
        """Metadata-only ACL updates, one backend call per distinct ACL where supported."""
        by_acl: dict[Acl, list[str]] = {}
        for doc_id, acl in changes.items():
            by_acl.setdefault(acl, []).append(doc_id)
        bulk = getattr(self.store, "update_acl_many", None)
        for acl, doc_ids in by_acl.items():
            if bulk is not None:
                bulk(doc_ids, acl.public, acl_readers(acl))
            else:
                for doc_id in doc_ids:
                    self.store.update_acl(doc_id, acl.public, acl_readers(acl))

    def prepare_for_readers(self) -> None:
        self.store.prepare_for_readers()

    def clear(self) -> None:
        self.store.clear()

    # -- reads (bot side)
    def reader_filters(self, principals: frozenset[str]) -> MetadataFilters:
        """What a reader with `principals` may see: the permission scope, and only chunks
        of a configured source. Every read for an answer (search, neighbouring chunks)
        uses this filter and no other."""
        scope = scope_filters(principals)
        if self.sources is None:
            return scope
        configured = MetadataFilter(
            key="source", value=sorted(self.sources), operator=FilterOperator.IN
        )
        return MetadataFilters(filters=[*scope.filters, configured], condition=FilterCondition.AND)

    def search(
        self,
        query_str: str,
        query_embedding: list[float] | None,
        principals: frozenset[str],
        top_k: int,
        mode: SearchMode = SearchMode.HYBRID,
        restrict: MetadataFilters | None = None,
    ) -> list[NodeWithScore]:
        """Top-k chunks `principals` may read, of configured sources; `restrict` (e.g. a
        help channel's sources) is ANDed with that, so it can only narrow the result."""
        filters = self.reader_filters(principals)
        if restrict is not None and restrict.filters:
            filters = MetadataFilters(filters=[filters, restrict], condition=FilterCondition.AND)
        query = VectorStoreQuery(
            query_embedding=query_embedding,
            query_str=query_str,
            similarity_top_k=top_k,
            mode=_MODES[mode],
            filters=filters,
            alpha=HYBRID_ALPHA,
        )
        result = self.store.query(query)
        nodes = getattr(result, "nodes", None) or []
        scores = getattr(result, "similarities", None) or [0.0] * len(nodes)
        return [NodeWithScore(node=n, score=s) for n, s in zip(nodes, scores, strict=False)]

    def count(self) -> int:
        return self.store.count()

    def count_by_source(self) -> dict[str, int]:
        return self.store.count_by_source()

    def upgrade_notice(self) -> str | None:
        """What to run because the index predates a metadata key (e.g. `helpdesk sync
        drive --full` for Drive folder ids); None when nothing is needed."""
        return self.store.upgrade_notice()

    def size_bytes(self) -> int | None:
        path = Path(self.location)
        if not path.is_dir():
            return None
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def open_configured_index(settings: IndexSettings) -> ChunkIndex:
    """The index the settings describe (`Settings.index_settings()`), answering from
    the configured sources only."""
    index = open_index(
        settings.data_dir,
        weaviate_url=settings.weaviate_url,
        weaviate_api_key=settings.weaviate_api_key,
        collection=settings.collection,
    )
    index.sources = frozenset(settings.sources)
    return index


def open_index(
    data_dir: Path,
    weaviate_url: str | None = None,
    weaviate_api_key: str | None = None,
    collection: str = "HelpdeskChunks",
    dimensions: int = 384,
) -> ChunkIndex:
    """The configured index: Weaviate when a URL is given, the embedded store otherwise."""
    if weaviate_url:
        from connectors.weaviate_store import WeaviateChunkStore

        store = WeaviateChunkStore.connect(weaviate_url, weaviate_api_key, collection)
        return ChunkIndex(store, "weaviate", redact_url(weaviate_url))  # shown by status
    from connectors.lance_store import LanceChunkStore

    uri = embedded_index_dir(data_dir)
    return ChunkIndex(LanceChunkStore(uri, dimensions=dimensions), "lancedb", str(uri))
