"""Leases: one holder at a time per name (`sync:<source>`), across threads, processes
and hosts, stored in the `leases` table of the state store.

- acquire: one conditional UPDATE (`WHERE name = ? AND (expires_at < now OR owner = me)`)
  or, when no row exists yet, an INSERT that the primary key makes exclusive. Both are
  single statements, race-safe on SQLite (writes are serialised) and on PostgreSQL (a
  concurrent UPDATE re-checks its WHERE on the committed row; a second INSERT fails on
  the key).
- renew: `UPDATE ... WHERE owner = me`, from a heartbeat thread every ttl/3; a renewal
  that finds the row taken marks the lease `lost`, and the sync stops at its next item.
- release: `DELETE ... WHERE owner = me`.
- a crashed holder renews nothing, so its lease expires after `ttl` and the next
  acquire takes over.

Times are the workers' UTC clocks: keep hosts NTP-synced; skew must stay well under ttl.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from connectors.state import StateStore, leases, utcnow

log = logging.getLogger(__name__)


def make_owner() -> str:
    """hostname:pid:random — unique per process start."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder(state: StateStore, name: str) -> tuple[str, datetime] | None:
    """The current owner and expiry of `name`, or None when nobody ever held it."""
    with state.engine.connect() as conn:
        row = conn.execute(
            select(leases.c.owner, leases.c.expires_at).where(leases.c.name == name)
        ).first()
    if row is None:
        return None
    expires = row[1] if row[1].tzinfo else row[1].replace(tzinfo=UTC)
    return str(row[0]), expires


class Lease:
    def __init__(self, state: StateStore, name: str, owner: str, ttl_seconds: float) -> None:
        self.state = state
        self.name = name
        self.owner = owner
        self.ttl = timedelta(seconds=ttl_seconds)
        self.lost = threading.Event()
        self.held = False

    def acquire(self) -> bool:
        now = utcnow()
        values = {"owner": self.owner, "expires_at": now + self.ttl}
        with self.state.engine.begin() as conn:
            res = conn.execute(
                update(leases)
                .where(
                    leases.c.name == self.name,
                    or_(leases.c.expires_at < now, leases.c.owner == self.owner),
                )
                .values(**values)
            )
            if res.rowcount == 1:
                return self._got(now)
            exists = conn.execute(select(leases.c.name).where(leases.c.name == self.name)).first()
        if exists is not None:
            return False
        try:
            with self.state.engine.begin() as conn:
                conn.execute(insert(leases).values(name=self.name, **values))
        except IntegrityError:
            return False
        return self._got(now)

    def _got(self, now: datetime) -> bool:
        self.held = True
        self.lost.clear()
        log.info("lease acquired name=%s owner=%s until=%s", self.name, self.owner, now + self.ttl)
        return True

    def renew(self) -> bool:
        """Extend the expiry; False when another owner holds it now."""
        with self.state.engine.begin() as conn:
            res = conn.execute(
                update(leases)
                .where(leases.c.name == self.name, leases.c.owner == self.owner)
                .values(expires_at=utcnow() + self.ttl)
            )
        ok = res.rowcount == 1
        if not ok:
            self.lost.set()
            log.warning("lease lost name=%s owner=%s", self.name, self.owner)
        return ok

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            with self.state.engine.begin() as conn:
                conn.execute(
                    delete(leases).where(leases.c.name == self.name, leases.c.owner == self.owner)
                )
            log.info("lease released name=%s owner=%s", self.name, self.owner)
        except Exception:
            # it expires on its own after ttl
            log.warning("lease release failed name=%s", self.name, exc_info=True)

    @contextmanager
    def kept_alive(self) -> Iterator[Lease]:
        """Renew from a daemon thread every ttl/3 while the block runs."""
        stop = threading.Event()
        period = max(0.05, self.ttl.total_seconds() / 3)

        def beat() -> None:
            last_ok = time.monotonic()
            while not stop.wait(period):
                try:
                    if not self.renew():
                        return
                    last_ok = time.monotonic()
                except Exception:
                    log.warning("lease renewal failed name=%s", self.name, exc_info=True)
                    if time.monotonic() - last_ok > self.ttl.total_seconds():
                        self.lost.set()
                        return

        thread = threading.Thread(target=beat, name=f"lease-{self.name}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)
