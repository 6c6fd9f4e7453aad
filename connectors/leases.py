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
  acquire takes over. Sooner when the holder is known dead: an owner made by
  `make_owner()` records its host (hostname and PID namespace) and process id; a
  holder on this same host whose process is gone (killed with SIGKILL, OOM) is taken
  over at once, with one more conditional UPDATE on exactly that owner. A holder on
  another host, or whose process may be alive, is waited out as before.

The SQL is the State store's (connectors/state_coordination.py); the rules are here.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from connectors.state import StateStore, utcnow

log = logging.getLogger(__name__)


def host_id() -> str:
    """This host as lease owners record it: the hostname, plus the PID namespace when
    known (two containers may share a hostname but never a PID namespace)."""
    try:
        namespace = str(Path("/proc/self/ns/pid").readlink())  # "pid:[4026531836]"
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}~{namespace.removeprefix('pid:[').removesuffix(']')}"


def make_owner() -> str:
    """host:pid:random — unique per process start; names its host and process."""
    return f"{host_id()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Holder:
    owner: str
    expires_at: datetime
    host: str | None = None  # hostname (without the namespace), when the owner says
    pid: int | None = None

    @classmethod
    def of(cls, owner: str, expires_at: datetime) -> Holder:
        parts = owner.rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit():
            return cls(owner, expires_at, parts[0].split("~", 1)[0], int(parts[1]))
        return cls(owner, expires_at)

    def known_dead(self) -> bool:
        """True only when the holder ran on this host and its process is gone."""
        parts = self.owner.rsplit(":", 2)
        if self.pid is None or len(parts) != 3 or parts[0] != host_id():
            return False
        if self.pid == os.getpid():
            return False  # another lease object of this very process: alive
        return not _process_alive(self.pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    try:  # a killed child its parent has not reaped yet is a zombie: gone
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    except OSError:
        return True


def holder(state: StateStore, name: str) -> tuple[str, datetime] | None:
    """The current owner and expiry of `name`, or None when nobody ever held it."""
    row = state.lease_row(name)
    return None if row is None else (row.owner, row.expires_at)


class Lease:
    def __init__(self, state: StateStore, name: str, owner: str, ttl_seconds: float) -> None:
        self.state = state
        self.name = name
        self.owner = owner
        self.ttl = timedelta(seconds=ttl_seconds)
        self.lost = threading.Event()
        self.held = False
        self.blocked_by: Holder | None = None  # after a refused acquire: who holds it

    def acquire(self) -> bool:
        now = utcnow()
        got, row = self.state.lease_claim(self.name, self.owner, now, now + self.ttl)
        if got:
            return self._got(now)
        if row is not None:
            current = Holder.of(row.owner, row.expires_at)
            if current.known_dead() and self._take_over(current, now):
                return True
            self.blocked_by = current
        return False

    def _take_over(self, dead: Holder, now: datetime) -> bool:
        """Replace exactly `dead`'s row (a concurrent taker or a renewal wins the race)."""
        if not self.state.lease_replace(self.name, dead.owner, self.owner, now + self.ttl):
            return False
        log.warning(
            "lease taken over from a dead holder name=%s holder=%s pid=%s",
            self.name,
            dead.owner,
            dead.pid,
        )
        return self._got(now)

    def _got(self, now: datetime) -> bool:
        self.held = True
        self.blocked_by = None
        self.lost.clear()
        log.info("lease acquired name=%s owner=%s until=%s", self.name, self.owner, now + self.ttl)
        return True

    def renew(self) -> bool:
        """Extend the expiry; False when another owner holds it now."""
        ok = self.state.lease_renew(self.name, self.owner, utcnow() + self.ttl)
        if not ok:
            self.lost.set()
            log.warning("lease lost name=%s owner=%s", self.name, self.owner)
        return ok

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            self.state.lease_release(self.name, self.owner)
            log.info("lease released name=%s owner=%s", self.name, self.owner)
        except SQLAlchemyError:
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
                    # top of the renewal thread: an exception escaping it would end the
                    # renewals silently while the job goes on writing; any failure is
                    # retried until the ttl, then the lease is reported lost
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
