"""What the workers tell the web process: who is alive and when each source runs next.

Table `worker_schedule` (connectors/state_tables.py; its SQL is the State store's): one
row per (worker, source) with the scheduler's next run time, refreshed by every worker
on its poll tick (every few seconds). A row not refreshed for `STALE_AFTER` belongs to a
worker that stopped. The admin `status` command reads it from another process.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from connectors.state import StateStore, utcnow

STALE_AFTER = timedelta(seconds=60)
ANY_SOURCE = "*"  # the row that says "this worker is alive" even with no source scheduled


def publish(state: StateStore, owner: str, next_runs: Mapping[str, datetime | None]) -> None:
    """This worker is alive; its scheduler runs each source next at `next_runs[source]`."""
    state.publish_schedule(owner, {ANY_SOURCE: None, **dict(next_runs)}, utcnow())


def withdraw(state: StateStore, owner: str) -> None:
    """The worker stops: its rows go."""
    state.withdraw_schedule(owner)


def live_workers(state: StateStore, now: datetime | None = None) -> list[str]:
    return state.schedule_owners(ANY_SOURCE, (now or utcnow()) - STALE_AFTER)


def next_runs(state: StateStore, now: datetime | None = None) -> dict[str, datetime]:
    """The earliest next run per source over the live workers."""
    result: dict[str, datetime] = {}
    for source, when in state.scheduled_runs(ANY_SOURCE, (now or utcnow()) - STALE_AFTER):
        if source not in result or when < result[source]:
            result[source] = when
    return result
