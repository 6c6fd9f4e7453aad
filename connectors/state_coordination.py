"""The State store's coordination rows (mixed into `StateStore`): leases, reindex
requests and the workers' schedule. The rules live in connectors/leases.py,
connectors/reindex_requests.py and connectors/schedule.py; the SQL lives here.

Every state change is one conditional statement, so it is race-safe on SQLite (writes
are serialised) and on PostgreSQL (a concurrent UPDATE re-checks its WHERE on the
committed row; a second INSERT fails on the primary key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from connectors.messages import RUN_INTERRUPTED
from connectors.state_tables import (
    _aware,
    leases,
    reindex_requests,
    sync_runs,
    utcnow,
    worker_schedule,
)

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
FINISHED = (DONE, FAILED)


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


@dataclass(frozen=True)
class LeaseRow:
    owner: str
    expires_at: datetime


class CoordinationRows:
    engine: Engine

    # ------------------------------------------------------------------ leases
    def lease_row(self, name: str) -> LeaseRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(leases.c.owner, leases.c.expires_at).where(leases.c.name == name)
            ).first()
        if row is None:
            return None
        return LeaseRow(str(row[0]), _aware(row[1]) or utcnow())

    def lease_claim(
        self, name: str, owner: str, now: datetime, expires_at: datetime
    ) -> tuple[bool, LeaseRow | None]:
        """Take `name` when free, expired or already ours: (True, None). Otherwise
        (False, its holder), or (False, None) when another claimer created it first."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(leases)
                .where(
                    leases.c.name == name, or_(leases.c.expires_at < now, leases.c.owner == owner)
                )
                .values(owner=owner, expires_at=expires_at)
            )
            if res.rowcount == 1:
                return True, None
            row = conn.execute(
                select(leases.c.owner, leases.c.expires_at).where(leases.c.name == name)
            ).first()
        if row is not None:
            return False, LeaseRow(str(row[0]), _aware(row[1]) or utcnow())
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(leases).values(name=name, owner=owner, expires_at=expires_at))
        except IntegrityError:
            return False, None
        return True, None

    def lease_replace(self, name: str, old_owner: str, owner: str, expires_at: datetime) -> bool:
        """Replace exactly `old_owner`'s row (a concurrent taker or a renewal wins)."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.owner == old_owner)
                .values(owner=owner, expires_at=expires_at)
            )
        return res.rowcount == 1

    def lease_renew(self, name: str, owner: str, expires_at: datetime) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.owner == owner)
                .values(expires_at=expires_at)
            )
        return res.rowcount == 1

    def lease_release(self, name: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(leases.c.name == name, leases.c.owner == owner))

    # ------------------------------------------------------------------ reindex requests
    def enqueue_requests(
        self, sources: Sequence[str], mode: str, requested_by: str
    ) -> list[ReindexRequest]:
        """One queued row per source, in one transaction. The first row lists the batch."""
        now = utcnow()
        ids: list[int] = []
        with self.engine.begin() as conn:
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
        return self.requests_by_ids(ids)

    def requests_by_ids(self, ids: Sequence[int]) -> list[ReindexRequest]:
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reindex_requests)
                .where(reindex_requests.c.id.in_(list(ids)))
                .order_by(reindex_requests.c.id)
            ).mappings()
            return [ReindexRequest.from_row(r) for r in rows]

    def pending_requests(self, source: str | None = None) -> list[ReindexRequest]:
        """Queued and running requests, oldest first."""
        q = select(reindex_requests).where(reindex_requests.c.status.in_([QUEUED, RUNNING]))
        if source is not None:
            q = q.where(reindex_requests.c.source == source)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(reindex_requests.c.id)).mappings()
            return [ReindexRequest.from_row(r) for r in rows]

    def queued_sources(self) -> list[str]:
        """Sources with at least one queued request, in the order first asked for."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(reindex_requests.c.source, reindex_requests.c.id)
                .where(reindex_requests.c.status == QUEUED)
                .order_by(reindex_requests.c.id)
            ).all()
        seen: dict[str, None] = {}
        for source, _ in rows:
            seen.setdefault(str(source), None)
        return list(seen)

    def claim_queued(self, source: str) -> list[ReindexRequest]:
        """queued → running for every queued request of `source`; each row is claimed by
        exactly one caller (the UPDATE re-checks `status = 'queued'` per row)."""
        with self.engine.connect() as conn:
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
            with self.engine.begin() as conn:
                res = conn.execute(
                    update(reindex_requests)
                    .where(reindex_requests.c.id == request_id, reindex_requests.c.status == QUEUED)
                    .values(status=RUNNING, started_at=now)
                )
                if res.rowcount == 1:
                    claimed.append(int(request_id))
        return self.requests_by_ids(claimed)

    def update_requests(self, ids: Sequence[int], **values: Any) -> None:
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(reindex_requests)
                .where(reindex_requests.c.id.in_(list(ids)))
                .values(**values)
            )

    def requeue_requests(self, ids: Sequence[int]) -> None:
        """running → queued (the run stopped early)."""
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(reindex_requests)
                .where(reindex_requests.c.id.in_(list(ids)), reindex_requests.c.status == RUNNING)
                .values(status=QUEUED, started_at=None)
            )

    def recover_stale(self, source: str) -> tuple[list[int], list[int]]:
        """Runs of `source` still marked running become interrupted and their requests go
        back to the queue, in one transaction. Returns (run ids, request ids)."""
        with self.engine.begin() as conn:
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
                    .values(status="interrupted", error=RUN_INTERRUPTED, finished_at=utcnow())
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
        return stale_runs, stale_requests

    # ------------------------------------------------------------------ worker schedule
    def publish_schedule(
        self, owner: str, rows: Mapping[str, datetime | None], now: datetime
    ) -> None:
        """`owner`'s rows become exactly `rows` (source -> next run), seen at `now`."""
        with self.engine.begin() as conn:
            for source, when in rows.items():
                res = conn.execute(
                    update(worker_schedule)
                    .where(worker_schedule.c.owner == owner, worker_schedule.c.source == source)
                    .values(next_run_at=when, seen_at=now)
                )
                if res.rowcount == 0:
                    conn.execute(
                        worker_schedule.insert().values(
                            owner=owner, source=source, next_run_at=when, seen_at=now
                        )
                    )
            conn.execute(
                delete(worker_schedule).where(
                    worker_schedule.c.owner == owner,
                    worker_schedule.c.source.not_in(list(rows)),
                )
            )

    def withdraw_schedule(self, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(worker_schedule).where(worker_schedule.c.owner == owner))

    def schedule_owners(self, source: str, seen_since: datetime) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(worker_schedule.c.owner).where(
                    worker_schedule.c.source == source, worker_schedule.c.seen_at >= seen_since
                )
            ).scalars()
            return sorted(str(r) for r in rows)

    def scheduled_runs(
        self, except_source: str, seen_since: datetime
    ) -> list[tuple[str, datetime]]:
        """(source, next run) of every row seen since `seen_since` that has a next run."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(worker_schedule.c.source, worker_schedule.c.next_run_at).where(
                    worker_schedule.c.source != except_source,
                    worker_schedule.c.seen_at >= seen_since,
                    worker_schedule.c.next_run_at.is_not(None),
                )
            ).all()
        return [(str(s), w) for s, w in ((s, _aware(w)) for s, w in rows) if w is not None]
