"""Retrieval with the permission scope, as a LlamaIndex retriever.

The scope is applied inside the index query (a pre-filter), never after the top-k cut,
so a restricted passage can neither be returned nor crowd out a public one. A help
channel's sources (`restrict`) are ANDed with it there: they can only narrow.
Relevance: a passage counts when the cosine similarity of its vector to the query's
is at least `min_similarity`; hybrid ranking decides the order.
"""

from __future__ import annotations

import math

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores.types import MetadataFilters

from bot.models import PermissionScope
from connectors.chunk_metadata import set_similarity
from connectors.index import ChunkIndex, SearchMode


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


class ScopedRetriever(BaseRetriever):
    def __init__(
        self,
        index: ChunkIndex,
        embedder: BaseEmbedding,
        scope: PermissionScope,
        top_k: int = 6,
        mode: SearchMode = SearchMode.HYBRID,
        min_similarity: float = 0.0,
        restrict: MetadataFilters | None = None,
    ) -> None:
        super().__init__()
        self._index = index
        self._embedder = embedder
        self._scope = scope
        self._top_k = top_k
        self._mode = mode
        self._min_similarity = min_similarity
        self._restrict = restrict  # a help channel's sources: ANDed with the scope

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = query_bundle.query_str
        vector = query_bundle.embedding
        if vector is None and self._mode != SearchMode.KEYWORD:
            vector = self._embedder.get_query_embedding(query)
        hits = self._index.search(
            query, vector, self._scope.principals, self._top_k, self._mode, self._restrict
        )
        if self._min_similarity <= 0 or vector is None:
            return hits
        kept = []
        for hit in hits:
            emb = hit.node.embedding
            similarity = cosine(vector, emb) if emb else 1.0
            set_similarity(hit.node, similarity)
            if similarity >= self._min_similarity:
                kept.append(hit)
        return kept
