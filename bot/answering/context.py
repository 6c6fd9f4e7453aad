"""A retrieved chunk read together with the chunks right before and after it.

A chunk boundary can fall inside a table (the header row is in the previous chunk) or
between a heading and its numbered steps (the steps are in the next chunk). The
neighbours are fetched by their node ids (`<doc_id>#<hash>#<n>`: the same document
version) through the same permission filter as the search, so nothing the asker may not
read is added; a backend that cannot fetch by id gives the chunks alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from llama_index.core.schema import BaseNode, NodeWithScore

from connectors.chunk_metadata import ChunkMetadata
from connectors.chunking import strip_header
from connectors.index import ChunkIndex, scope_filters
from connectors.store_errors import index_errors

log = logging.getLogger(__name__)


def body(node: BaseNode) -> str:
    meta = ChunkMetadata.of(node)
    return strip_header(node.get_content(), meta.title, list(meta.breadcrumbs))


def merge(texts: Sequence[str]) -> str:
    """Consecutive chunks into one text, without the lines they overlap on."""
    lines: list[str] = []
    for text in texts:
        new = text.splitlines()
        overlap = next(
            (k for k in range(min(len(lines), len(new)), 0, -1) if lines[-k:] == new[:k]), 0
        )
        lines.extend(new[overlap:])
    return "\n".join(lines)


def _position(node_id: str) -> tuple[str, int] | None:
    prefix, _, number = node_id.rpartition("#")
    return (prefix, int(number)) if prefix and number.isdigit() else None


def with_neighbours(
    index: ChunkIndex | None, passages: Sequence[NodeWithScore], principals: frozenset[str]
) -> list[str]:
    """Each passage's text with its previous and next chunk around it."""
    wanted: set[str] = set()
    for hit in passages:
        pos = _position(hit.node.node_id)
        if pos:
            wanted |= {f"{pos[0]}#{pos[1] - 1}", f"{pos[0]}#{pos[1] + 1}"}
    found: dict[str, BaseNode] = {}
    get_nodes = getattr(getattr(index, "store", None), "get_nodes", None)
    if get_nodes is not None and wanted:
        try:
            nodes = get_nodes(node_ids=sorted(wanted), filters=scope_filters(principals))
            found = {n.node_id: n for n in nodes}
        except index_errors():  # passages without their neighbours: less context, same scope
            log.debug("neighbour chunks unavailable", exc_info=True)
    out = []
    for hit in passages:
        pos = _position(hit.node.node_id)
        if not pos:
            out.append(body(hit.node))
            continue
        doc_id = ChunkMetadata.of(hit.node).doc_id
        around = [found.get(f"{pos[0]}#{pos[1] + d}") for d in (-1, 1)]
        same = [
            n if n is not None and ChunkMetadata.of(n).doc_id == doc_id else None for n in around
        ]
        texts = [body(n) for n in (same[0], hit.node, same[1]) if n is not None]
        out.append(merge(texts))
    return out
