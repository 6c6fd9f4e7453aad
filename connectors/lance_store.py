"""The embedded index: a LanceDB table behind a LlamaIndex vector store.

Our own small store rather than `llama-index-vector-stores-lancedb`, because of the
integration's gotchas (research note): its delete quotes ids as identifiers, it keeps
metadata in one struct (so an ACL change would have to rewrite the serialised node),
it has no ANY filter, raises on empty results and rebuilds the FTS index from readers.
Here every metadata key is a flat column, so:

- the permission filter is plain SQL (`array_has_any(acl_principals, [...])`, see
  `connectors.lance_filters`) applied as a pre-filter, before the top-k cut;
- an ACL change is one `UPDATE ... WHERE doc_id = ...`, never a re-embedding;
- the worker (writer) builds the full-text index and compacts; readers never write,
  they open with `read_consistency_interval=0` and see every commit.

The table's schema is fixed when it is created. A table from before a metadata key
existed (`LATER_KEYS`: `ancestor_ids`) is detected on every read: filters on the key
match nothing (fail closed), `upgrade_notice` tells the admin what to run, and the
first write appends the column (NULL in the rows already there, which no filter on it
keeps) so that `helpdesk sync drive --full` can fill it in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)

from connectors import messages
from connectors.chunk_metadata import LATER_KEYS, ChunkMetadata, filter_keys
from connectors.lance_filters import filters_to_sql, principals_sql, sql_str
from connectors.store_errors import index_errors

log = logging.getLogger(__name__)

TABLE = "chunks"
ANN_INDEX_MIN_ROWS = 20_000  # below this an exact scan is faster than maintaining an index


LATER_FIELDS = (pa.field("ancestor_ids", pa.list_(pa.string()), nullable=True),)


def schema(dimensions: int) -> pa.Schema:
    return pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("doc_id", pa.string()),
            pa.field("text", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), dimensions)),
            pa.field("source", pa.string()),
            pa.field("title", pa.string()),
            pa.field("url", pa.string()),
            pa.field("updated_at", pa.string()),
            pa.field("acl_public", pa.bool_()),
            pa.field("acl_principals", pa.list_(pa.string())),
            pa.field("content_hash", pa.string()),
            pa.field("breadcrumbs", pa.list_(pa.string())),
            pa.field("chunk_index", pa.int32()),
            # LATER_KEYS last: a table from before them gets them appended, same order
            *LATER_FIELDS,
        ]
    )


def _node_from_row(row: dict[str, Any]) -> TextNode:
    metadata = ChunkMetadata.from_row(row).to_metadata()
    node = TextNode(id_=row["id"], text=row["text"], metadata=metadata)
    vector = row.get("vector")
    if vector is not None:
        node.embedding = [float(v) for v in vector]
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=row["doc_id"])
    return node


def relative_score_fusion(
    vector_hits: Sequence[tuple[str, float]], text_hits: Sequence[tuple[str, float]], alpha: float
) -> dict[str, float]:
    """Weaviate's relativeScoreFusion: each list's scores min-max normalised to [0, 1],
    then `alpha * vector + (1 - alpha) * keyword`. Same fusion on both backends."""
    fused: dict[str, float] = {}
    for weight, hits in ((alpha, vector_hits), (1.0 - alpha, text_hits)):
        if not hits:
            continue
        values = [score for _, score in hits]
        low, high = min(values), max(values)
        for node_id, score in hits:
            norm = (score - low) / (high - low) if high > low else 1.0
            fused[node_id] = fused.get(node_id, 0.0) + weight * norm
    return fused


class LanceChunkStore(BasePydanticVectorStore):
    """A LlamaIndex vector store over one LanceDB table with flat metadata columns."""

    stores_text: bool = True
    flat_metadata: bool = False
    uri: str
    dimensions: int = 384

    _db: Any = PrivateAttr()
    _table: Any = PrivateAttr(default=None)
    _executor: ThreadPoolExecutor | None = PrivateAttr(default=None)
    _complete: bool = PrivateAttr(default=False)  # the table has every LATER_KEYS column
    _warned: bool = PrivateAttr(default=False)

    def __init__(self, uri: str | Path, dimensions: int = 384) -> None:
        super().__init__(stores_text=True, uri=str(uri), dimensions=dimensions)
        from connectors.lance_import import import_lancedb

        lancedb = import_lancedb()
        Path(uri).mkdir(parents=True, exist_ok=True)
        self._db = lancedb.connect(str(uri), read_consistency_interval=timedelta(0))
        self._table = None

    @classmethod
    def class_name(cls) -> str:
        return "LanceChunkStore"

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lance-search")
        return self._executor

    @property
    def client(self) -> Any:
        return self._db

    # ------------------------------------------------------------------ table access
    def _open(self, create: bool = False) -> Any:
        if self._table is None:
            try:
                self._table = self._db.open_table(TABLE)
            except (FileNotFoundError, ValueError):
                if not create:
                    return None
                self._table = self._db.create_table(
                    TABLE, schema=schema(self.dimensions), exist_ok=True
                )
        return self._table

    @property
    def table(self) -> Any:
        return self._open(create=False)

    def missing_keys(self) -> frozenset[str]:
        """Metadata keys the table has no column for (it predates them). Re-read on each
        call until complete: the writer may append them while a reader has it open."""
        table = self.table
        if table is None or self._complete:
            return frozenset()
        missing = frozenset(k for k in LATER_KEYS if k not in table.schema.names)
        self._complete = not missing
        return missing

    def _upgrade(self, table: Any) -> None:
        """Writer only: append the LATER_KEYS columns a table from before them lacks."""
        missing = self.missing_keys()
        if not missing:
            return
        fields = [f for f in LATER_FIELDS if f.name in missing]
        try:
            table.add_columns(fields if len(fields) > 1 else fields[0])
        except index_errors():
            if self.missing_keys():  # not another writer having just done it
                raise
        self._complete = False
        log.warning(
            "index upgraded: added column(s) %s; %s",
            ", ".join(sorted(missing)),
            messages.INDEX_LACKS_ANCESTOR_IDS,
        )

    def upgrade_notice(self) -> str | None:
        """What the admin must run because the index predates a metadata key (None: all
        good). Shown by `helpdesk status`."""
        table = self.table
        if table is None:
            return None
        if self.missing_keys():
            return messages.INDEX_LACKS_ANCESTOR_IDS
        old = self.count("source = 'drive' AND ancestor_ids IS NULL")
        if old:
            return messages.INDEX_DRIVE_CHUNKS_WITHOUT_ANCESTOR_IDS.format(count=old)
        return None

    def _where(self, filters: MetadataFilters | None) -> str | None:
        """The SQL of `filters` on this table: keys it lacks read as NULL (match nothing)."""
        missing = self.missing_keys() if filters is not None else frozenset()
        if missing & filter_keys(filters) and not self._warned:
            self._warned = True
            log.warning("index query on a missing column: %s", messages.INDEX_LACKS_ANCESTOR_IDS)
        return filters_to_sql(filters, missing)

    # ------------------------------------------------------------------ writes
    def add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[str]:
        if not nodes:
            return []
        rows = []
        for i, node in enumerate(nodes):
            meta = ChunkMetadata.stored(node, i)
            rows.append(
                {
                    "id": node.node_id,
                    "text": node.get_content(),
                    "vector": node.get_embedding(),
                    **meta.to_metadata(),
                }
            )
        table = self._open(create=True)
        self._upgrade(table)
        table.add(pa.Table.from_pylist(rows, schema=schema(self.dimensions)))
        return [node.node_id for node in nodes]

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        self.delete_documents([ref_doc_id])

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        table = self.table
        if table is None or not doc_ids:
            return
        for start in range(0, len(doc_ids), 500):
            part = doc_ids[start : start + 500]
            table.delete(f"doc_id IN ({', '.join(sql_str(d) for d in part)})")

    def delete_source(self, source: str) -> None:
        """Every chunk of `source`, whatever the state store knows of them."""
        table = self.table
        if table is not None:
            table.delete(f"source = {sql_str(source)}")

    def update_acl(self, doc_id: str, public: bool, principals: Sequence[str]) -> None:
        self.update_acl_many([doc_id], public, principals)

    def update_acl_many(
        self, doc_ids: Sequence[str], public: bool, principals: Sequence[str]
    ) -> None:
        """One UPDATE for every chunk of `doc_ids`: vectors and text are untouched."""
        table = self.table
        if table is None or not doc_ids:
            return
        for start in range(0, len(doc_ids), 500):
            part = doc_ids[start : start + 500]
            table.update(
                where=f"doc_id IN ({', '.join(sql_str(d) for d in part)})",
                values_sql={
                    "acl_public": "true" if public else "false",
                    "acl_principals": principals_sql(principals),
                },
            )

    def clear(self) -> None:
        if self._open() is not None:
            self._db.drop_table(TABLE)
        self._table = None
        self._complete = False

    def prepare_for_readers(self) -> None:
        """Writer-side upkeep after a sync: compaction, FTS and (when large) ANN index."""
        table = self.table
        if table is None:
            return
        rows = table.count_rows()
        try:
            table.optimize(cleanup_older_than=timedelta(hours=1))
        except index_errors():  # compaction is an optimisation; never fail a sync for it
            log.warning("index compaction failed", exc_info=True)
        indices = {i.name: i for i in table.list_indices()}
        if not any("text" in i.columns for i in indices.values()) and rows:
            table.create_fts_index("text", use_tantivy=False, replace=True)
        if rows >= ANN_INDEX_MIN_ROWS and not any("vector" in i.columns for i in indices.values()):
            table.create_index(
                metric="cosine", vector_column_name="vector", index_type="IVF_HNSW_SQ"
            )
        for name in ("acl_public", "doc_id", "source"):
            if not any(name in i.columns for i in indices.values()) and rows:
                try:
                    table.create_scalar_index(name, replace=True)
                except index_errors():
                    log.debug("scalar index on %s not created", name, exc_info=True)

    # ------------------------------------------------------------------ reads
    def count(self, where: str | None = None) -> int:
        table = self.table
        if table is None:
            return 0
        return int(table.count_rows(where) if where else table.count_rows())

    def count_by_source(self) -> dict[str, int]:
        table = self.table
        if table is None:
            return {}
        data = table.to_lance().to_table(columns=["source"]).column("source").to_pylist()
        counts: dict[str, int] = {}
        for s in data:
            counts[s] = counts.get(s, 0) + 1
        return counts

    def get_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        table = self.table
        if table is None:
            return []
        clauses = []
        if node_ids:
            clauses.append(f"id IN ({', '.join(sql_str(i) for i in node_ids)})")
        where = self._where(filters)
        if where:
            clauses.append(where)
        missing = self.missing_keys()
        names = [c for c in schema(self.dimensions).names if c != "vector" and c not in missing]
        q = table.search().select(names)
        if clauses:
            q = q.where(" AND ".join(clauses))
        rows = q.limit(None).to_list()
        return [_node_from_row(r) for r in rows]

    def _vector_hits(
        self, vector: list[float], where: str | None, limit: int
    ) -> list[dict[str, Any]]:
        q = self.table.search(vector, vector_column_name="vector").distance_type("cosine")
        if where:
            q = q.where(where, prefilter=True)
        rows: list[dict[str, Any]] = q.limit(limit).to_list()
        for r in rows:
            r["_score"] = 1.0 - float(r.get("_distance", 1.0))
        return rows

    def _text_hits(self, text: str, where: str | None, limit: int) -> list[dict[str, Any]]:
        if not text.strip():
            return []
        try:
            q = self.table.search(text, query_type="fts", fts_columns="text")
            if where:
                q = q.where(where, prefilter=True)
            rows: list[dict[str, Any]] = q.limit(limit).to_list()
        except (ValueError, RuntimeError) as exc:  # no FTS index yet
            log.debug("full-text search unavailable: %s", exc)
            return []
        for r in rows:
            r["_score"] = float(r.get("_score", 0.0))
        return rows

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        if self.table is None:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        where = self._where(query.filters)
        k = query.similarity_top_k
        mode = query.mode
        if mode == VectorStoreQueryMode.TEXT_SEARCH:
            rows = self._text_hits(query.query_str or "", where, k)
        elif mode == VectorStoreQueryMode.HYBRID:
            fetch = max(k * 4, 20)
            # both searches run in Lance's native code, which releases the GIL: overlap them
            text_future = self._pool().submit(self._text_hits, query.query_str or "", where, fetch)
            vec = self._vector_hits(list(query.query_embedding or []), where, fetch)
            txt = text_future.result()
            alpha = 0.5 if query.alpha is None else float(query.alpha)
            fused = relative_score_fusion(
                [(r["id"], r["_score"]) for r in vec], [(r["id"], r["_score"]) for r in txt], alpha
            )
            by_id = {r["id"]: r for r in vec + txt}
            ranked = sorted(fused, key=lambda i: fused[i], reverse=True)[:k]
            rows = []
            for node_id in ranked:
                row = dict(by_id[node_id])
                row["_score"] = fused[node_id]
                rows.append(row)
        else:
            rows = self._vector_hits(list(query.query_embedding or []), where, k)
        nodes: list[BaseNode] = [_node_from_row(r) for r in rows]
        return VectorStoreQueryResult(
            nodes=nodes,
            similarities=[float(r["_score"]) for r in rows],
            ids=[str(r["id"]) for r in rows],
        )
