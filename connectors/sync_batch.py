"""One batch of a sync → the index and the state, in the order that survives a kill at
any point (see `connectors/sync.py`): chunk and embed first (a document that cannot be
chunked fails alone, fail closed), flag the documents `dirty` in the state, replace their
chunks, apply ACL-only changes and deletions, then commit the batch and its checkpoint in
one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import TextNode

from connectors import messages
from connectors.base import Acl, KnownDoc
from connectors.chunking import Chunker, indexed_hash
from connectors.index import ChunkIndex
from connectors.state import StateStore
from connectors.sync_progress import Batch, SyncProgress, narrowed


def narrow(doc_id: str, prior: KnownDoc, reported: Acl | None, batch: Batch) -> None:
    """An indexed document that failed to re-read: readers narrowed (see `narrowed`),
    old text kept, version forgotten so that the next run reads it again."""
    batch.refreshed.add(doc_id)
    current = batch.acl_changes.get(doc_id, prior.acl)
    acl = narrowed(current, reported)
    if acl != prior.acl:
        batch.acl_changes[doc_id] = acl
    else:
        batch.acl_changes.pop(doc_id, None)
    batch.version_changes[doc_id] = None


@dataclass
class BatchWriter:
    index: ChunkIndex
    state: StateStore
    embedder: BaseEmbedding
    chunker: Chunker
    embed_batch: int

    def _embed(self, nodes: list[TextNode]) -> None:
        for start in range(0, len(nodes), self.embed_batch):
            part = nodes[start : start + self.embed_batch]
            vectors = self.embedder.get_text_embedding_batch([n.get_content() for n in part])
            for node, vector in zip(part, vectors, strict=True):
                node.embedding = vector

    def flush(
        self,
        batch: Batch,
        known: dict[str, KnownDoc],
        progress: SyncProgress,
        checkpoint: str | None,
    ) -> None:
        if not len(batch) and checkpoint is None:
            return
        nodes_by_doc: dict[str, list[TextNode]] = {}
        for doc in list(batch.docs.values()):
            try:
                nodes_by_doc[doc.doc_id] = self.chunker.chunk(doc)
            except Exception as exc:
                # boundary of one document: whatever the splitters and the tokenizer
                # raise on odd text, it fails this document only (kept out of the
                # index, counted, named in status), never the run; an indexed one keeps
                # its old text readable by no more than the source reports now
                batch.docs.pop(doc.doc_id)
                prior = known.get(doc.doc_id)
                if prior is not None:
                    narrow(doc.doc_id, prior, doc.acl, batch)
                reason = messages.SYNC_CHUNKING_FAILED.format(error=exc)
                progress.record_failure(doc.doc_id, doc.title, reason, doc.acl)
        all_nodes = [n for nodes in nodes_by_doc.values() for n in nodes]
        self._embed(all_nodes)
        docs = list(batch.docs.values())
        if docs:
            self.state.mark_dirty(
                progress.source,
                [
                    {
                        "doc_id": d.doc_id,
                        "title": d.title,
                        "url": d.url,
                        "acl": d.acl.to_json(),
                        "updated_at": d.updated_at,
                    }
                    for d in docs
                ],
            )
            self.index.replace_documents([d.doc_id for d in docs], all_nodes)
        if batch.acl_changes:
            self.index.update_acls(batch.acl_changes)
        deletions = sorted(batch.deletions)
        if deletions:
            self.index.delete_documents(deletions)
        for d in docs:
            if d.doc_id in known:
                progress.updated += 1
            else:
                progress.added += 1
        progress.deleted += len(deletions)
        progress.acl_updated += len(batch.acl_changes)
        progress.chunks_embedded += len(all_nodes)
        upserts = [
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "url": d.url,
                "content_hash": indexed_hash(d),
                "version": d.version,
                "acl": d.acl.to_json(),
                "chunk_count": len(nodes_by_doc[d.doc_id]),
                "updated_at": d.updated_at,
            }
            for d in docs
        ]
        self.state.commit_batch(
            progress.source,
            upserts,
            list(batch.acl_changes.items()),
            list(batch.version_changes.items()),
            deletions,
            checkpoint,
            progress.run_id,
            {**progress.counts(), "total": progress.total or 0},
        )
        for d in docs:
            known[d.doc_id] = KnownDoc(d.doc_id, indexed_hash(d), d.version, d.acl)
        for doc_id, acl in batch.acl_changes.items():
            prior = known[doc_id]
            known[doc_id] = KnownDoc(doc_id, prior.content_hash, prior.version, acl)
        for doc_id, version in batch.version_changes.items():
            if doc_id in known:
                prior = known[doc_id]
                known[doc_id] = KnownDoc(doc_id, prior.content_hash, version, prior.acl)
        for doc_id in deletions:
            known.pop(doc_id, None)
