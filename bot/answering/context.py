"""A retrieved chunk read together with the chunks right before and after it.

A chunk boundary can fall inside a table (the header row is in the previous chunk) or
between a heading and its numbered steps (the steps are in the next chunk). The
neighbours are fetched by their node ids (`<doc_id>#<hash>#<n>`: the same document
version) through the same filter as the search (`ChunkIndex.reader_filters`: the
permission scope, configured sources only), so nothing the asker may not read is added;
a backend that cannot fetch by id gives the chunks alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from llama_index.core.schema import BaseNode, NodeWithScore

from bot.answering.selection import DocumentText
from connectors.chunk_metadata import ChunkMetadata
from connectors.chunking import strip_header
from connectors.index import ChunkIndex
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


def _fetch(
    index: ChunkIndex | None, wanted: set[str], principals: frozenset[str]
) -> dict[str, BaseNode]:
    """Chunks by node id, through the asker's permission filter."""
    get_nodes = getattr(getattr(index, "store", None), "get_nodes", None)
    if index is None or get_nodes is None or not wanted:
        return {}
    try:
        nodes = get_nodes(node_ids=sorted(wanted), filters=index.reader_filters(principals))
    except index_errors():  # passages without their neighbours: less context, same scope
        log.debug("neighbour chunks unavailable", exc_info=True)
        return {}
    return {n.node_id: n for n in nodes}


def documents(
    index: ChunkIndex | None, passages: Sequence[NodeWithScore], principals: frozenset[str]
) -> list[DocumentText]:
    """One text per retrieved document, best-ranked first: its retrieved chunks with the
    chunks right before and after them, consecutive chunks merged, runs in page order."""
    wanted: set[str] = set()
    for hit in passages:
        pos = _position(hit.node.node_id)
        if pos:
            wanted |= {f"{pos[0]}#{pos[1] - 1}", f"{pos[0]}#{pos[1] + 1}"}
    found = _fetch(index, wanted, principals)
    order: list[str] = []
    first: dict[str, int] = {}
    chunks: dict[str, dict[int, BaseNode]] = {}
    loose: dict[str, list[str]] = {}
    for i, hit in enumerate(passages):
        doc_id = ChunkMetadata.of(hit.node).doc_id
        if doc_id not in first:
            first[doc_id] = i
            order.append(doc_id)
        pos = _position(hit.node.node_id)
        if not pos:
            loose.setdefault(doc_id, []).append(body(hit.node))
            continue
        mine = chunks.setdefault(doc_id, {})
        mine[pos[1]] = hit.node
        for d in (-1, 1):
            n = found.get(f"{pos[0]}#{pos[1] + d}")
            if n is not None and ChunkMetadata.of(n).doc_id == doc_id:
                mine.setdefault(pos[1] + d, n)
    out = []
    for doc_id in order:
        runs: list[list[str]] = []
        last: int | None = None
        for number, node in sorted(chunks.get(doc_id, {}).items()):
            if last is None or number != last + 1:
                runs.append([])
            runs[-1].append(body(node))
            last = number
        texts = [merge(run) for run in runs] + loose.get(doc_id, [])
        hit = passages[first[doc_id]]
        out.append(
            DocumentText(
                passage=first[doc_id],
                title=ChunkMetadata.of(hit.node).title,
                text="\n\n".join(texts),
                score=float(hit.score or 0.0),
            )
        )
    return out
