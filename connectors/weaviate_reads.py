"""The read requests of the Weaviate store (`connectors.weaviate_store`): paging through
the objects a filter matches, and one search per LlamaIndex query mode (BM25, vector,
or hybrid with relative score fusion), scores reported as the embedded store does."""

from __future__ import annotations

import logging
from typing import Any

from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode
from weaviate.classes.query import FilterReturn, HybridFusion, MetadataQuery

from connectors.weaviate_schema import TEXT_KEY, VECTOR_NAME

log = logging.getLogger(__name__)

PAGE = 1000  # objects per fetch page
QUERY_MAXIMUM_RESULTS = 10_000  # Weaviate's default cap on offset + limit


def fetch_all(collection: Any, where: FilterReturn | None, vectors: bool = False) -> list[Any]:
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


def search(
    collection: Any, query: VectorStoreQuery, filters: FilterReturn | None
) -> tuple[list[Any], list[float]]:
    """The objects and scores of one query (similarity for vector search, as the
    embedded store reports it; the fusion score for hybrid; BM25 for keyword)."""
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
