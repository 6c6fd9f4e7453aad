"""The one typed chunk metadata, built and parsed here only.

Every chunk of every source carries the same flat metadata (the embedded store fixes
its schema): `source, doc_id, title, url, updated_at, acl_public, acl_principals,
content_hash, breadcrumbs, ancestor_ids` (+ `chunk_index`). The chunker builds it (`to_metadata`),
the stores write it (`stored`) and read it back (`from_row`), and the answering side
reads it from a node (`of`); nothing else reads metadata by string key.

`ancestor_ids` are the ids of the places a document sits in, for a source that has
them (Drive: its shared drive and every folder above it, top first); a help channel's
`drive:FOLDER_OR_DRIVE_ID` scope matches on them. The key came later than the others
(`LATER_KEYS`): an index built before it has no such column or property, and a filter
on it must then match nothing (each store reads the missing key as SQL's NULL).

Fail closed: a missing or malformed ACL parses as not public with no principals, so a
chunk whose metadata is not understood can only be seen by fewer people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

SCALAR_KEYS = ("source", "doc_id", "title", "url", "updated_at", "content_hash")
LIST_KEYS = ("acl_principals", "breadcrumbs", "ancestor_ids")
KEYS = (
    "source",
    "doc_id",
    "title",
    "url",
    "updated_at",
    "acl_public",
    "acl_principals",
    "content_hash",
    "breadcrumbs",
    "ancestor_ids",
)
# keys an index written by an older version may lack (see the module docstring)
LATER_KEYS = ("ancestor_ids",)
CHUNK_INDEX = "chunk_index"
_SIMILARITY = "similarity"  # set by retrieval on a hit, never stored


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class ChunkMetadata:
    source: str
    doc_id: str
    title: str
    url: str
    updated_at: str  # ISO 8601
    acl_public: bool
    acl_principals: tuple[str, ...]
    content_hash: str
    breadcrumbs: tuple[str, ...]
    chunk_index: int | None = None
    ancestor_ids: tuple[str, ...] = ()  # Drive: shared drive + every folder above, top first

    def to_metadata(self) -> dict[str, Any]:
        """The flat dict a LlamaIndex node and both stores carry."""
        md: dict[str, Any] = {
            "source": self.source,
            "doc_id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "updated_at": self.updated_at,
            "acl_public": self.acl_public,
            "acl_principals": list(self.acl_principals),
            "content_hash": self.content_hash,
            "breadcrumbs": list(self.breadcrumbs),
            "ancestor_ids": list(self.ancestor_ids),
        }
        if self.chunk_index is not None:
            md[CHUNK_INDEX] = self.chunk_index
        return md

    @staticmethod
    def from_row(row: Mapping[str, Any], with_index: bool = False) -> ChunkMetadata:
        """Parse a stored row or a node's metadata (missing keys read as empty)."""
        index = row.get(CHUNK_INDEX) if with_index else None
        public = row.get("acl_public")
        return ChunkMetadata(
            source=str(row.get("source") or ""),
            doc_id=str(row.get("doc_id") or ""),
            title=str(row.get("title") or ""),
            url=str(row.get("url") or ""),
            updated_at=str(row.get("updated_at") or ""),
            acl_public=False if isinstance(public, str) else bool(public),
            acl_principals=_strings(row.get("acl_principals")),
            content_hash=str(row.get("content_hash") or ""),
            breadcrumbs=_strings(row.get("breadcrumbs")),
            ancestor_ids=_strings(row.get("ancestor_ids")),
            chunk_index=None if index is None or isinstance(index, str) else int(index),
        )

    @staticmethod
    def of(node: BaseNode) -> ChunkMetadata:
        return ChunkMetadata.from_row(node.metadata, with_index=True)

    @staticmethod
    def stored(node: BaseNode, position: int) -> ChunkMetadata:
        """A node about to be written: it must name its source and document; its chunk
        index defaults to its position in the batch."""
        meta = ChunkMetadata.of(node)
        if not meta.source or not meta.doc_id:
            raise ValueError(f"chunk {node.node_id!r} has no source or document id")
        if meta.chunk_index is None:
            return replace(meta, chunk_index=position)
        return meta


def similarity(node: BaseNode) -> float | None:
    """How close the hit's vector was to the question's, when retrieval measured it."""
    value = node.metadata.get(_SIMILARITY)
    return float(value) if isinstance(value, int | float) else None


def set_similarity(node: BaseNode, value: float) -> None:
    node.metadata[_SIMILARITY] = round(value, 4)


def filter_keys(f: MetadataFilter | MetadataFilters | None) -> frozenset[str]:
    """Every metadata key a filter reads."""
    if f is None:
        return frozenset()
    if isinstance(f, MetadataFilter):
        return frozenset({f.key})
    return frozenset().union(*(filter_keys(sub) for sub in f.filters))
