"""The sync run's progress counters and the pending batch of index/state changes, and
the fail-closed ACL rule for documents that could not be re-read (used by `SyncEngine`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Acl, SourceDocument

MAX_FAILURES_KEPT = 50


@dataclass
class SyncProgress:
    run_id: int
    source: str
    mode: str
    done: int = 0
    total: int | None = None
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    acl_updated: int = 0
    chunks_embedded: int = 0
    started: float = field(default_factory=time.monotonic)
    failures: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = "running"
    error: str | None = None

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def record_failure(
        self, doc_id: str | None, title: str | None, reason: str, acl: Acl | None
    ) -> None:
        """Count one failed document; the first MAX_FAILURES_KEPT are kept with their
        title and reason (for `helpdesk status`), the rest only counted — every path
        that fails a document records it here."""
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(
                {
                    "doc_id": doc_id,
                    "title": title,
                    "reason": reason,
                    # who may read it now, per the source (None: unknown)
                    "acl": acl.to_json() if acl is not None else None,
                }
            )

    def counts(self) -> dict[str, int]:
        return {
            "done": self.done,
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "acl_updated": self.acl_updated,
            "chunks_embedded": self.chunks_embedded,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "chunks_embedded": self.chunks_embedded,
            "seconds": round(self.seconds, 3),
        }


ProgressCallback = Callable[[SyncProgress], None]

NOBODY = Acl(public=False, principals=frozenset())


def narrowed(current: Acl, reported: Acl | None) -> Acl:
    """The ACL of a document that could not be re-read: what the source reports now,
    but never wider than `current` (the old text was indexed for `current`'s readers);
    nobody when the source's ACL is unknown."""
    if reported is None:
        return NOBODY
    if reported.public:
        return current
    if current.public:
        return reported
    return Acl(public=False, principals=current.principals & reported.principals)


class Batch:
    def __init__(self) -> None:
        self.docs: dict[str, SourceDocument] = {}
        self.acl_changes: dict[str, Acl] = {}
        self.version_changes: dict[str, str | None] = {}
        self.deletions: set[str] = set()
        # documents whose current ACL (or deletion) this batch applies: not restricted
        # to nobody if the run fails after the batch is committed
        self.refreshed: set[str] = set()

    def __len__(self) -> int:
        return (
            len(self.docs) + len(self.acl_changes) + len(self.version_changes) + len(self.deletions)
        )
