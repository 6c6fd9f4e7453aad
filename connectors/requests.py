"""Reindex requests: the queue between the web process (admin commands) and the worker.

The web process only ever *writes* rows (`enqueue`); the worker claims them. Rows live
in `reindex_requests` (connectors/state.py). Life of a row:

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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from connectors.messages import RUN_INTERRUPTED
from connectors.state import StateStore, reindex_requests, sync_runs, utcnow

log = logging.getLogger(__name__)

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
FINISHED = (DONE, FAILED)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ReindexRequest:
    id: int
    source: str
    mode: str
    status: str
    requested_by: str
    reply_to: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_id: int | None
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def batch(self) -> list[int]:
        """The ids of the requests made by one command (`reindex all`), this one first."""
        ids = (self.reply_to or {}).get("batch")
        return [int(i) for i in ids] if isinstance(ids, list) and ids else [self.id]

    @staticmethod
    def from_row(row: Any) -> ReindexRequest:
        return ReindexRequest(
            id=int(row["id"]),
            source=str(row["source"]),
            mode=str(row["mode"]),
            status=str(row["status"]),
            requested_by=str(row["requested_by"] or ""),
            reply_to=dict(row["reply_to"]) if row["reply_to"] else None,
            created_at=_aware(row["created_at"]) or utcnow(),
            started_at=_aware(row["started_at"]),
            finished_at=_aware(row["finished_at"]),
            run_id=row["run_id"],
            error=row["error"],
        )


def enqueue(
    state: StateStore, sources: Sequence[str], mode: str, requested_by: str
) -> list[ReindexRequest]:
    """One queued row per source, in one transaction. The first row lists the batch."""
    now = utcnow()
    ids: list[int] = []
    with state.engine.begin() as conn:
        for source in sources:
            res = conn.execute(
                reindex_requests.insert().values(
                    source=source,
                    mode=mode,
                    status=QUEUED,
                    requested_by=requested_by,
                    created_at=now,
                )
            )
            ids.append(int(res.inserted_primary_key[0]))  # type: ignore[index]
        if len(ids) > 1:
            conn.execute(
                update(reindex_requests)
                .where(reindex_requests.c.id == ids[0])
                .values(reply_to={"batch": ids})
            )
    log.info(
        "reindex queued requests=%s sources=%s mode=%s by=%s",
        ids,
        ",".join(sources),
        mode,
        requested_by,
    )
    return requests_by_ids(state, ids)


def get_request(state: StateStore, request_id: int) -> ReindexRequest | None:
    found = requests_by_ids(state, [request_id])
    return found[0] if found else None


def requests_by_ids(state: StateStore, ids: Sequence[int]) -> list[ReindexRequest]:
    if not ids:
        return []
    with state.engine.connect() as conn:
        rows = conn.execute(
            select(reindex_requests)
            .where(reindex_requests.c.id.in_(list(ids)))
            .order_by(reindex_requests.c.id)
        ).mappings()
        return [ReindexRequest.from_row(r) for r in rows]


def pending_requests(state: StateStore, source: str | None = None) -> list[ReindexRequest]:
    """Queued and running requests, oldest first."""
    q = select(reindex_requests).where(reindex_requests.c.status.in_([QUEUED, RUNNING]))
    if source is not None:
        q = q.where(reindex_requests.c.source == source)
    with state.engine.connect() as conn:
        rows = conn.execute(q.order_by(reindex_requests.c.id)).mappings()
        return [ReindexRequest.from_row(r) for r in rows]


def queued_sources(state: StateStore) -> list[str]:
    """Sources with at least one queued request, in the order they were first asked for."""
    with state.engine.connect() as conn:
        rows = conn.execute(
            select(reindex_requests.c.source, reindex_requests.c.id)
            .where(reindex_requests.c.status == QUEUED)
            .order_by(reindex_requests.c.id)
        ).all()
    seen: dict[str, None] = {}
    for source, _ in rows:
        seen.setdefault(str(source), None)
    return list(seen)


def claim_queued(state: StateStore, source: str) -> list[ReindexRequest]:
    """Claim every queued request of `source` (queued → running). Each row is claimed by
    exactly one caller: the UPDATE re-checks `status = 'queued'` per row."""
    with state.engine.connect() as conn:
        ids = (
            conn.execute(
                select(reindex_requests.c.id).where(
                    reindex_requests.c.source == source, reindex_requests.c.status == QUEUED
                )
            )
            .scalars()
            .all()
        )
    claimed: list[int] = []
    now = utcnow()
    for request_id in ids:
        with state.engine.begin() as conn:
            res = conn.execute(
                update(reindex_requests)
                .where(reindex_requests.c.id == request_id, reindex_requests.c.status == QUEUED)
                .values(status=RUNNING, started_at=now)
            )
            if res.rowcount == 1:
                claimed.append(int(request_id))
    return requests_by_ids(state, claimed)


def link_run(state: StateStore, ids: Sequence[int], run_id: int) -> None:
    if not ids:
        return
    with state.engine.begin() as conn:
        conn.execute(
            update(reindex_requests)
            .where(reindex_requests.c.id.in_(list(ids)))
            .values(run_id=run_id)
        )


def finish_requests(
    state: StateStore, ids: Sequence[int], status: str, error: str | None = None
) -> None:
    if not ids:
        return
    with state.engine.begin() as conn:
        conn.execute(
            update(reindex_requests)
            .where(reindex_requests.c.id.in_(list(ids)))
            .values(status=status, error=error, finished_at=utcnow())
        )


def requeue(state: StateStore, ids: Sequence[int]) -> None:
    """Back to the queue (the run stopped early); the next run resumes from the checkpoint."""
    if not ids:
        return
    with state.engine.begin() as conn:
        conn.execute(
            update(reindex_requests)
            .where(reindex_requests.c.id.in_(list(ids)), reindex_requests.c.status == RUNNING)
            .values(status=QUEUED, started_at=None)
        )


def recover_stale(state: StateStore, source: str) -> tuple[list[int], list[int]]:
    """Called by the lease holder of `source` before it runs: any run still marked running
    belongs to a worker that died (we hold the lease). Mark those runs failed and put
    their requests back in the queue. Returns (stale run ids, requeued request ids)."""
    with state.engine.begin() as conn:
        stale_runs = [
            int(i)
            for i in conn.execute(
                select(sync_runs.c.id).where(
                    sync_runs.c.source == source, sync_runs.c.status == RUNNING
                )
            ).scalars()
        ]
        if stale_runs:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id.in_(stale_runs))
                .values(
                    status="interrupted",
                    error=RUN_INTERRUPTED,
                    finished_at=utcnow(),
                )
            )
        stale_requests = [
            int(i)
            for i in conn.execute(
                select(reindex_requests.c.id).where(
                    reindex_requests.c.source == source, reindex_requests.c.status == RUNNING
                )
            ).scalars()
        ]
        if stale_requests:
            conn.execute(
                update(reindex_requests)
                .where(reindex_requests.c.id.in_(stale_requests))
                .values(status=QUEUED, started_at=None, run_id=None)
            )
    if stale_runs or stale_requests:
        log.warning(
            "recovered after a stopped worker source=%s stale_runs=%s requeued=%s",
            source,
            stale_runs,
            stale_requests,
        )
    return stale_runs, stale_requests
