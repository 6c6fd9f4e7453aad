"""Split documents into chunks (LlamaIndex `SentenceSplitter`) with their metadata.

Each chunk's text starts with a one-line header, the breadcrumbs and the title
("IT › Network › VPN setup"), so both the keyword and the vector search see the
document's context (Confluence ancestors, Drive folders, folder paths).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from connectors.base import SourceDocument
from connectors.chunk_metadata import ChunkMetadata
from connectors.index import acl_readers

# Bump when the chunks of an unchanged document would come out differently (splitting,
# header, metadata): the sync engine then re-embeds every document once.
CHUNKING_VERSION = 2
CHUNK_TOKENS = 200  # the embedder reads at most 256 word pieces
CHUNK_OVERLAP = 30
HEADER_SEPARATOR = " › "


def indexed_hash(doc: SourceDocument) -> str:
    """What the state store keeps to decide "unchanged": the document's content hash
    under this chunking version."""
    return hashlib.sha256(f"{doc.content_hash}:chunking-v{CHUNKING_VERSION}".encode()).hexdigest()


def header(title: str, breadcrumbs: tuple[str, ...] | list[str]) -> str:
    return HEADER_SEPARATOR.join([*breadcrumbs, title])


def strip_header(text: str, title: str, breadcrumbs: tuple[str, ...] | list[str]) -> str:
    head = header(title, breadcrumbs) + "\n"
    return text[len(head) :] if text.startswith(head) else text


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


class Chunker:
    """Chunks of whole lines where possible: a markdown table row, list item or heading is
    never cut (only a single line longer than a chunk is split, at clause boundaries)."""

    def __init__(self, chunk_tokens: int = CHUNK_TOKENS, overlap: int = CHUNK_OVERLAP) -> None:
        self._splitter = SentenceSplitter(
            chunk_size=chunk_tokens, chunk_overlap=overlap, chunking_tokenizer_fn=_lines
        )

    def chunk(self, doc: SourceDocument) -> list[TextNode]:
        body = doc.text.strip()
        pieces = self._splitter.split_text(body) if body else []
        if not pieces:
            pieces = [doc.title]
        head = header(doc.title, doc.breadcrumbs)
        meta = ChunkMetadata(
            source=doc.source,
            doc_id=doc.doc_id,
            title=doc.title,
            url=doc.url,
            updated_at=doc.updated_at.isoformat(),
            acl_public=doc.acl.public,
            acl_principals=tuple(acl_readers(doc.acl)),
            content_hash=doc.content_hash,
            breadcrumbs=tuple(doc.breadcrumbs),
            ancestor_ids=tuple(doc.ancestor_ids),
        )
        nodes = []
        for i, piece in enumerate(pieces):
            node = TextNode(
                id_=f"{doc.doc_id}#{doc.content_hash[:12]}#{i}",
                text=f"{head}\n{piece}",
                metadata=replace(meta, chunk_index=i).to_metadata(),
            )
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.doc_id)
            nodes.append(node)
        return nodes
