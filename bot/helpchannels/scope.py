"""A channel's source specs as an index filter, ANDed with the permission scope (which
still wins: this can only narrow what a channel's answers may use, never widen it).

What the chunk metadata (`connectors/chunk_metadata.py`) expresses:
- `files` / `confluence` / `drive`: `source IN [...]`.
- `confluence:SPACEKEY`: no metadata key holds the space key and neither backend
  offers a substring match on `url`; but the state store keeps every document's URL and
  Confluence URLs carry the space key (`/spaces/KEY/…`, `/display/KEY/…`,
  `?spaceKey=KEY`), so the narrowing becomes `doc_id IN [the space's documents]`,
  resolved from the state store (refreshed with the channel settings). A page synced
  after the last refresh joins at the next one; a URL without a recognisable key is
  left out (narrower, never wider).
- `drive:FOLDER_OR_DRIVE_ID`: `source = drive AND ancestor_ids ANY [ids]`. Drive
  chunks carry the ids of their shared drive and of every folder above them (set at
  sync), so a folder id matches everything below it, at any depth, and a shared
  drive's id everything in it. An index written before `ancestor_ids` existed has no
  such column (or property): the stores then match nothing for it (fail closed) and
  `helpdesk status` says to run `helpdesk sync drive --full`.
- A stored spec that cannot be read matches nothing and is reported in `unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from bot.helpchannels.channels import SourceSpec

# the URL shapes the Confluence connector stores (Cloud webui links, Server/DC links)
_SPACE_IN_URL = re.compile(r"/spaces/([^/?#]+)|/display/([^/?#]+)|[?&]spaceKey=([^&#]+)")

DocumentUrls = Callable[[str], Mapping[str, str]]  # source -> {doc_id: url}


def drive_scope(ids: Sequence[str]) -> MetadataFilters:
    """Drive documents below any of `ids` (folder or shared-drive ids)."""
    return MetadataFilters(
        filters=[
            MetadataFilter(key="source", value=["drive"], operator=FilterOperator.IN),
            MetadataFilter(key="ancestor_ids", value=sorted(ids), operator=FilterOperator.ANY),
        ],
        condition=FilterCondition.AND,
    )


def space_key_of_url(url: str) -> str | None:
    match = _SPACE_IN_URL.search(url)
    return next((g for g in match.groups() if g), None) if match else None


@dataclass(frozen=True)
class SourceRestriction:
    """`filters` is None when the channel may use every source."""

    filters: MetadataFilters | None
    unsupported: tuple[SourceSpec, ...] = ()


def source_restriction(
    specs: Sequence[SourceSpec], document_urls: DocumentUrls | None = None
) -> SourceRestriction:
    """The index filter for a channel's `specs` (() = every source: no filter).

    `document_urls` is the state store's `document_urls` (source -> {doc_id: url}); it
    is only called when a Confluence space narrowing needs resolving."""
    if not specs:
        return SourceRestriction(None)
    whole = sorted({s.source for s in specs if s.narrowed_to is None and s.source != "unreadable"})
    parts: list[MetadataFilter | MetadataFilters] = []
    if whole:
        parts.append(MetadataFilter(key="source", value=whole, operator=FilterOperator.IN))
    spaces = {
        s.narrowed_to.upper()
        for s in specs
        if s.source == "confluence" and s.narrowed_to and "confluence" not in whole
    }
    if spaces:
        urls = document_urls("confluence") if document_urls else {}
        doc_ids = sorted(
            doc_id
            for doc_id, url in urls.items()
            if (space_key_of_url(url) or "").upper() in spaces
        )
        if doc_ids:
            parts.append(MetadataFilter(key="doc_id", value=doc_ids, operator=FilterOperator.IN))
    folders = {
        s.narrowed_to
        for s in specs
        if s.source == "drive" and s.narrowed_to and "drive" not in whole
    }
    if folders:
        parts.append(drive_scope(sorted(folders)))
    unsupported = tuple(s for s in specs if s.source == "unreadable")
    if not parts:  # nothing expressible: match nothing rather than everything
        parts.append(MetadataFilter(key="source", value=[], operator=FilterOperator.IN))
    return SourceRestriction(
        MetadataFilters(filters=parts, condition=FilterCondition.OR), unsupported
    )
