"""What the workers tell the web process: who is alive and when each source runs next.

Table `worker_schedule` (created here, on the state store's engine): one row per
(worker, source) with the scheduler's next run time, refreshed by every worker on its
poll tick (every few seconds). A row not refreshed for `STALE_AFTER` belongs to a
worker that stopped. The admin `status` command reads it from another process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from connectors.state import StateStore, utcnow

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=60)
ANY_SOURCE = "*"  # the row that says "this worker is alive" even with no source scheduled

schedule_metadata = MetaData()

worker_schedule = Table(
    "worker_schedule",
    schedule_metadata,
    Column("owner", String(256), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("next_run_at", DateTime(timezone=True)),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

_ready: set[int] = set()
_ready_lock = threading.Lock()


def ensure_tables(engine: Engine) -> None:
    """Create the table once per engine (two processes racing to create it is fine)."""
    key = id(engine)
    with _ready_lock:
        if key in _ready:
            return
        try:
            schedule_metadata.create_all(engine)
        except (IntegrityError, OperationalError, ProgrammingError):
            # another process created it between our check and our CREATE
            schedule_metadata.create_all(engine)
        _ready.add(key)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def publish(state: StateStore, owner: str, next_runs: Mapping[str, datetime | None]) -> None:
    """This worker is alive; its scheduler runs each source next at `next_runs[source]`."""
    ensure_tables(state.engine)
    now = utcnow()
    rows = {ANY_SOURCE: None, **dict(next_runs)}
    with state.engine.begin() as conn:
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


def withdraw(state: StateStore, owner: str) -> None:
    """The worker stops: its rows go."""
    ensure_tables(state.engine)
    with state.engine.begin() as conn:
        conn.execute(delete(worker_schedule).where(worker_schedule.c.owner == owner))


def live_workers(state: StateStore, now: datetime | None = None) -> list[str]:
    ensure_tables(state.engine)
    cutoff = (now or utcnow()) - STALE_AFTER
    with state.engine.connect() as conn:
        rows = conn.execute(
            select(worker_schedule.c.owner).where(
                worker_schedule.c.source == ANY_SOURCE, worker_schedule.c.seen_at >= cutoff
            )
        ).scalars()
        return sorted(str(r) for r in rows)


def next_runs(state: StateStore, now: datetime | None = None) -> dict[str, datetime]:
    """The earliest next run per source over the live workers."""
    ensure_tables(state.engine)
    cutoff = (now or utcnow()) - STALE_AFTER
    with state.engine.connect() as conn:
        rows = conn.execute(
            select(worker_schedule.c.source, worker_schedule.c.next_run_at).where(
                worker_schedule.c.source != ANY_SOURCE,
                worker_schedule.c.seen_at >= cutoff,
                worker_schedule.c.next_run_at.is_not(None),
            )
        ).all()
    result: dict[str, datetime] = {}
    for source, when in rows:
        aware = _aware(when)
        if aware is None:
            continue
        if str(source) not in result or aware < result[str(source)]:
            result[str(source)] = aware
    return result
