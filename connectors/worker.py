"""The sync worker: APScheduler 3 runs each configured source on its interval and a
poll job serves reindex requests from the state store.

- One interval job per source (`WorkerSettings.interval(source)`), `coalesce=True`,
  `max_instances=1`, a misfire grace time; a poll job every `worker_poll_seconds`
  (≤ 5 s) that claims queued reindex requests and refreshes this worker's row in
  `worker_schedule` (its heartbeat and next run times, read by `/helpdesk status`).
- Every run goes through `run_once`, i.e. `SyncJob.run` (connectors/sync_job.py, also
  what `helpdesk sync` runs): it takes the source's lease, so a source never syncs twice
  at once, and claims every queued request of its source: requests made before it
  starts are served by that one run; later ones wait for the next run.
- `shutdown()` stops gracefully: the running sync commits its batch (`should_stop`),
  its requests go back to the queue, the lease is released.
- A worker that dies leaves a lease that expires after `worker_lease_seconds`; the next
  run marks the dead run interrupted, requeues its requests and resumes from the
  checkpoint (SyncEngine never loses or duplicates a committed batch).

The worker gets its typed `WorkerSettings` (connectors/sync_settings.py) and one connector
factory per source it runs; the composition root (bot/services.py) builds both.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from llama_index.core.embeddings import BaseEmbedding
from sqlalchemy.exc import SQLAlchemyError

from connectors import messages, schedule
from connectors import reindex_requests as queue
from connectors.base import SyncMode
from connectors.index import ChunkIndex
from connectors.leases import make_owner
from connectors.state import StateStore
from connectors.sync import SyncProgress
from connectors.sync_job import ConnectorFactory, StopSignal, SyncJob
from connectors.sync_settings import WorkerSettings

log = logging.getLogger(__name__)

MAX_POLL_SECONDS = 5.0
MISFIRE_GRACE_SECONDS = 300
SEEN_EVENTS_KEPT = timedelta(days=1)
RETENTION_EVERY_HOURS = 6.0

# the chat side's retention, handed in by whoever builds the worker (`connectors/` does
# not know the chat store): (keep, keep_events) → rows removed per table
Retention = Callable[[timedelta, timedelta], Mapping[str, int]]


class Worker:
    def __init__(
        self,
        settings: WorkerSettings,
        state: StateStore,
        index: ChunkIndex,
        embedder: BaseEmbedding,
        *,
        connectors: Mapping[str, ConnectorFactory],
        owner: str | None = None,
        sync_on_start: bool = True,
        poll_seconds: float | None = None,
        lease_seconds: float | None = None,
        retention: Retention | None = None,
    ) -> None:
        """`connectors`: the sources this worker runs, each with how its connector is
        built (a source that fails to build fails its run, not the worker)."""
        self.settings = settings
        self.state = state
        self.retention = retention
        self.owner = owner or make_owner()
        self.lease_seconds = float(lease_seconds or settings.lease_seconds)
        self.poll_seconds = min(float(poll_seconds or settings.poll_seconds), MAX_POLL_SECONDS)
        self.sync_on_start = sync_on_start
        self._factories = dict(connectors)
        self.sources = list(self._factories)
        self.job = SyncJob(
            state, index, embedder, owner=self.owner, lease_seconds=self.lease_seconds
        )
        self._stopping = StopSignal()
        self._scheduler: BackgroundScheduler | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sync-request")
        self._inflight: dict[str, Future[SyncProgress | None]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        now = datetime.now(UTC)
        for source in self.sources:
            minutes = self.settings.interval(source)
            scheduler.add_job(
                self._scheduled,
                IntervalTrigger(minutes=minutes, timezone=UTC),
                args=[source],
                id=f"sync:{source}",
                name=f"scheduled sync of {source}",
                **({"next_run_time": now} if self.sync_on_start else {}),
            )
        scheduler.add_job(
            self.poll,
            IntervalTrigger(seconds=self.poll_seconds, timezone=UTC),
            id="poll",
            name="reindex requests",
            next_run_time=now,
        )
        scheduler.add_job(
            self.prune,
            IntervalTrigger(hours=RETENTION_EVERY_HOURS, timezone=UTC),
            id="retention",
            name="retention of chat records",
            next_run_time=now,
        )
        self._scheduler = scheduler
        # APScheduler logs every execution at INFO (the poll job every few seconds)
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        scheduler.start()
        log.info(
            "worker started owner=%s sources=%s poll=%.1fs lease=%.0fs",
            self.owner,
            ",".join(self.sources) or "-",
            self.poll_seconds,
            self.lease_seconds,
        )

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; a running sync commits its current batch and stops; its
        requests go back to the queue and its lease is released."""
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        self._pool.shutdown(wait=wait)
        try:
            schedule.withdraw(self.state, self.owner)
        except SQLAlchemyError:  # the database is away: its rows go stale
            log.warning("worker could not withdraw its schedule owner=%s", self.owner)
        log.info("worker stopped owner=%s", self.owner)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def next_run_times(self) -> dict[str, datetime]:
        """When each source's scheduled sync runs next on this worker."""
        if self._scheduler is None:
            return {}
        result: dict[str, datetime] = {}
        for source in self.sources:
            job = self._scheduler.get_job(f"sync:{source}")
            if job is not None and job.next_run_time is not None:
                result[source] = job.next_run_time
        return result

    # ------------------------------------------------------------------ jobs
    def _scheduled(self, source: str) -> None:
        if self.stopping:
            return
        try:
            if self.run_once(source, SyncMode.INCREMENTAL) is None:
                log.info("scheduled sync skipped: another run holds the lease source=%s", source)
        except Exception:  # the scheduled job's boundary: the next interval runs again
            log.exception("scheduled sync crashed source=%s", source)

    def poll(self) -> None:
        """Publish this worker's heartbeat and schedule; start a run for each source with
        queued requests (one at a time per source; runs of different sources overlap)."""
        if self.stopping:
            return
        try:
            schedule.publish(self.state, self.owner, self.next_run_times())
            sources = queue.queued_sources(self.state)
        except SQLAlchemyError:  # the database is away: the next poll tries again
            log.warning("worker poll failed owner=%s", self.owner, exc_info=True)
            return
        for source in sources:
            if source not in self.sources:
                self._reject(source)
                continue
            with self._lock:
                running = self._inflight.get(source)
                if running is not None and not running.done():
                    continue
                if self.stopping:
                    return
                self._inflight[source] = self._pool.submit(self._serve_requests, source)

    def prune(self) -> dict[str, int] | None:
        """Retention (every few hours, and at start): chat records older than
        `settings.retention_days` (RETENTION_DAYS, default 90), seen event ids older than
        a day. Idempotent, so several workers may run it."""
        if self.retention is None:
            return None
        days = self.settings.retention_days
        try:
            removed = dict(self.retention(timedelta(days=days), SEEN_EVENTS_KEPT))
        except Exception:  # the retention job's boundary: the next one tries again
            log.warning("retention pruning failed", exc_info=True)
            return None
        log.info(
            "retention: kept %g days; removed %s",
            days,
            " ".join(f"{table}={n}" for table, n in removed.items()),
        )
        return removed

    def _serve_requests(self, source: str) -> SyncProgress | None:
        try:
            return self.run_once(source, SyncMode.INCREMENTAL)
        except Exception:  # the requested job's boundary: logged, the worker goes on
            log.exception("requested sync crashed source=%s", source)
            return None

    def _reject(self, source: str) -> None:
        claimed = queue.claim_queued(self.state, source)
        ids = [r.id for r in claimed]
        queue.finish_requests(
            self.state,
            ids,
            queue.FAILED,
            error=messages.WORKER_SOURCE_NOT_CONFIGURED.format(source=source),
        )
        if ids:
            log.warning("reindex requests rejected source=%s requests=%s", source, ids)

    # ------------------------------------------------------------------ one run
    def run_once(
        self,
        source: str,
        mode: SyncMode | str = SyncMode.INCREMENTAL,
        request_id: int | None = None,
    ) -> SyncProgress | None:
        """Sync `source` now if nobody else is: None when another run holds its lease.
        Serves every queued request of the source (a `full` one makes the run full)."""
        outcome = self.job.run(
            source,
            self._factories[source],
            SyncMode(mode),
            stop=self._stopping,
            request_id=request_id,
        )
        return outcome if isinstance(outcome, SyncProgress) else None


def run_until_signalled(worker: Worker) -> None:
    """`helpdesk worker`: start, block until SIGTERM/SIGINT, then stop gracefully (the
    running sync commits its batch, its requests go back to the queue)."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info(
            "worker received %s: stopping after the current batch", signal.Signals(signum).name
        )
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        worker.shutdown(wait=True)
