"""Reindex requests: the queue between the web process (admin commands) and the worker.

The web process only ever *writes* rows (`enqueue`); the worker claims them. Rows live
in `reindex_requests`; the SQL is the State store's (connectors/state_coordination.py).
Life of a row:

    queued ──claim──▶ running (run_id set) ──▶ done | failed
       ▲                   │
       └──── requeue ──────┘   (graceful shutdown, or a crashed worker's stale run)

Merging: a run claims *every* queued request of its source at once, so two requests
made before a run starts are served by one run (the run is `full` if any asked for
`full`). A request made while a run of that source is already in progress waits for
the next run: the run in progress may already have passed the document that changed.

Every state change is one conditional UPDATE (`... WHERE status = 'queued'`), so a row
is claimed exactly once even with several workers on PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from connectors.state import StateStore, utcnow
from connectors.state_coordination import (
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    RUNNING,
    ReindexRequest,
)

__all__ = [
    "DONE",
    "FAILED",
    "FINISHED",
    "QUEUED",
    "RUNNING",
    "ReindexRequest",
    "claim_queued",
    "enqueue",
    "finish_requests",
    "get_request",
    "link_run",
    "pending_requests",
    "queued_sources",
    "recover_stale",
    "requests_by_ids",
    "requeue",
]

log = logging.getLogger(__name__)


def enqueue(
    state: StateStore, sources: Sequence[str], mode: str, requested_by: str
) -> list[ReindexRequest]:
    """One queued row per source, in one transaction. The first row lists the batch."""
    made = state.enqueue_requests(sources, mode, requested_by)
    log.info(
        "reindex queued requests=%s sources=%s mode=%s by=%s",
        [r.id for r in made],
        ",".join(sources),
        mode,
        requested_by,
    )
    return made


def get_request(state: StateStore, request_id: int) -> ReindexRequest | None:
    found = state.requests_by_ids([request_id])
    return found[0] if found else None


def requests_by_ids(state: StateStore, ids: Sequence[int]) -> list[ReindexRequest]:
    return state.requests_by_ids(ids)


def pending_requests(state: StateStore, source: str | None = None) -> list[ReindexRequest]:
    """Queued and running requests, oldest first."""
    return state.pending_requests(source)


def queued_sources(state: StateStore) -> list[str]:
    """Sources with at least one queued request, in the order they were first asked for."""
    return state.queued_sources()


def claim_queued(state: StateStore, source: str) -> list[ReindexRequest]:
    """Claim every queued request of `source` (queued → running). Each row is claimed by
    exactly one caller: the UPDATE re-checks `status = 'queued'` per row."""
    return state.claim_queued(source)


def link_run(state: StateStore, ids: Sequence[int], run_id: int) -> None:
    state.update_requests(ids, run_id=run_id)


def finish_requests(
    state: StateStore, ids: Sequence[int], status: str, error: str | None = None
) -> None:
    state.update_requests(ids, status=status, error=error, finished_at=utcnow())


def requeue(state: StateStore, ids: Sequence[int]) -> None:
    """Back to the queue (the run stopped early); the next run resumes from the checkpoint."""
    state.requeue_requests(ids)


def recover_stale(state: StateStore, source: str) -> tuple[list[int], list[int]]:
    """Called by the lease holder of `source` before it runs: any run still marked running
    belongs to a worker that died (we hold the lease). Mark those runs failed and put
    their requests back in the queue. Returns (stale run ids, requeued request ids)."""
    stale_runs, stale_requests = state.recover_stale(source)
    if stale_runs or stale_requests:
        log.warning(
            "recovered after a stopped worker source=%s stale_runs=%s requeued=%s",
            source,
            stale_runs,
            stale_requests,
        )
    return stale_runs, stale_requests
