"""The embedded index: a LanceDB table behind a LlamaIndex vector store.

Our own small store rather than `llama-index-vector-stores-lancedb`, because of the
integration's gotchas (research note): its delete quotes ids as identifiers, it keeps
metadata in one struct (so an ACL change would have to rewrite the serialised node),
it has no ANY filter, raises on empty results and rebuilds the FTS index from readers.
Here every metadata key is a flat column, so:

- the permission filter is plain SQL (`acl_public OR array_has_any(acl_principals, [...])`)
  applied as a pre-filter, before the top-k cut;
- an ACL change is one `UPDATE ... WHERE doc_id = ...`, never a re-embedding;
- the worker (writer) builds the full-text index and compacts; readers never write,
  they open with `read_consistency_interval=0` and see every commit.
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
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)

from connectors.chunk_metadata import LIST_KEYS, SCALAR_KEYS, ChunkMetadata
from connectors.store_errors import index_errors

log = logging.getLogger(__name__)

TABLE = "chunks"
ANN_INDEX_MIN_ROWS = 20_000  # below this an exact scan is faster than maintaining an index


def sql_str(value: str) -> str:
    """A SQL string literal for Lance/DataFusion: single quotes, doubled inside."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


def principals_sql(principals: Sequence[str]) -> str:
    """The `acl_principals` value as SQL. An empty list is typed explicitly: LanceDB
    cannot infer the type of a bare `[]` ("concat requires input of at least one
    array"), and "readable by nobody" is exactly the update that must never fail."""
    if not principals:
        return "arrow_cast(make_array(), 'List(Utf8)')"
    return sql_list(sorted(str(p) for p in principals))


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
        ]
    )


def _filter_sql(f: MetadataFilter | MetadataFilters) -> str:
    if isinstance(f, MetadataFilters):
        parts = [_filter_sql(sub) for sub in f.filters]
        if not parts:
            return "true"
        joiner = " OR " if f.condition == FilterCondition.OR else " AND "
        sql = "(" + joiner.join(parts) + ")"
        return f"NOT {sql}" if f.condition == FilterCondition.NOT else sql
    key, op, value = f.key, f.operator, f.value
    if key not in (*LIST_KEYS, *SCALAR_KEYS, "acl_public", "chunk_index"):
        raise ValueError(f"unknown metadata key {key!r}")
    if op == FilterOperator.ANY:
        assert isinstance(value, list)
        if not value:
            return "false"
        return f"array_has_any({key}, {sql_list([str(v) for v in value])})"
    if op == FilterOperator.CONTAINS:
        return f"array_has({key}, {sql_str(str(value))})"
    if op in (FilterOperator.IN, FilterOperator.NIN):
        assert isinstance(value, list)
        if not value:
            return "false" if op == FilterOperator.IN else "true"
        neg = "NOT " if op == FilterOperator.NIN else ""
        return f"{key} {neg}IN ({', '.join(sql_str(str(v)) for v in value)})"
    symbol = {
        FilterOperator.EQ: "=",
        FilterOperator.NE: "!=",
        FilterOperator.GT: ">",
        FilterOperator.GTE: ">=",
        FilterOperator.LT: "<",
        FilterOperator.LTE: "<=",
    }.get(op)
    if symbol is None:
        raise ValueError(f"filter operator {op} is not supported by the embedded index")
    if isinstance(value, bool):
        literal = "true" if value else "false"
    elif isinstance(value, int | float):
        literal = repr(value)
    else:
        literal = sql_str(str(value))
    return f"{key} {symbol} {literal}"


def filters_to_sql(filters: MetadataFilters | None) -> str | None:
    return None if filters is None or not filters.filters else _filter_sql(filters)


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

    def __init__(self, uri: str | Path, dimensions: int = 384) -> None:
        super().__init__(stores_text=True, uri=str(uri), dimensions=dimensions)
        import lancedb

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
        where = filters_to_sql(filters)
        if where:
            clauses.append(where)
        q = table.search().select([c for c in schema(self.dimensions).names if c != "vector"])
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
        where = filters_to_sql(query.filters)
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
