"""The sync worker: APScheduler 3 runs each configured source on its interval and a
poll job serves reindex requests from the state store.

- One interval job per source (`config.sync_interval_minutes(source)`), `coalesce=True`,
  `max_instances=1`, a misfire grace time; a poll job every `worker_poll_seconds`
  (≤ 5 s) that claims queued reindex requests and refreshes this worker's row in
  `worker_schedule` (its heartbeat and next run times, read by `/helpdesk status`).
- Every run goes through `run_once`, which first takes the source's lease
  (connectors/leases.py): a source never syncs twice at once, whether the other run is
  a scheduled one, a requested one, or another worker replica's.
- A run claims every queued request of its source (connectors/reindex_requests.py): requests
  made before it starts are served by that one run; later ones wait for the next run.
- `shutdown()` stops gracefully: the running sync commits its batch (`should_stop`),
  its requests go back to the queue, the lease is released.
- A worker that dies leaves a lease that expires after `worker_lease_seconds`; the next
  run marks the dead run interrupted, requeues its requests and resumes from the
  checkpoint (SyncEngine never loses or duplicates a committed batch).

`config` is the application's settings object, duck-typed: connectors never import bot/.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from llama_index.core.embeddings import BaseEmbedding
from sqlalchemy.exc import SQLAlchemyError

from connectors import messages, schedule
from connectors import reindex_requests as queue
from connectors.base import Connector, SyncMode
from connectors.index import ChunkIndex
from connectors.leases import Lease, make_owner
from connectors.registry import build_connector, configured_sources
from connectors.state import StateStore
from connectors.sync import SyncEngine, SyncProgress

log = logging.getLogger(__name__)

MAX_POLL_SECONDS = 5.0
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_POLL_SECONDS = 2.0
MISFIRE_GRACE_SECONDS = 300
PROGRESS_EVERY_SECONDS = 1.0
DEFAULT_RETENTION_DAYS = 90.0
SEEN_EVENTS_KEPT = timedelta(days=1)
RETENTION_EVERY_HOURS = 6.0

ConnectorFactory = Callable[[], Connector]
# the chat side's retention, handed in by whoever builds the worker (`connectors/` does
# not know the chat store): (keep, keep_events) → rows removed per table
Retention = Callable[[timedelta, timedelta], Mapping[str, int]]


def lease_name(source: str) -> str:
    return f"sync:{source}"


class Worker:
    def __init__(
        self,
        config: Any,
        state: StateStore,
        index: ChunkIndex,
        embedder: BaseEmbedding,
        *,
        connectors: Mapping[str, ConnectorFactory] | None = None,
        owner: str | None = None,
        sync_on_start: bool = True,
        poll_seconds: float | None = None,
        lease_seconds: float | None = None,
        retention: Retention | None = None,
    ) -> None:
        """`connectors` overrides how a source's connector is built (name → factory) and
        which sources run; by default `connectors.registry` builds them from `config`."""
        self.config = config
        self.state = state
        self.index = index
        self.embedder = embedder
        self.retention = retention
        self.owner = owner or make_owner()
        self.lease_seconds = float(
            lease_seconds or getattr(config, "worker_lease_seconds", None) or DEFAULT_LEASE_SECONDS
        )
        poll = float(
            poll_seconds or getattr(config, "worker_poll_seconds", None) or DEFAULT_POLL_SECONDS
        )
        self.poll_seconds = min(poll, MAX_POLL_SECONDS)
        self.sync_on_start = sync_on_start
        self._factories = dict(connectors) if connectors is not None else None
        self.sources = (
            list(self._factories) if self._factories is not None else configured_sources(config)
        )
        self._stopping = threading.Event()
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
            minutes = float(self.config.sync_interval_minutes(source))
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
        except Exception:
            log.exception("scheduled sync crashed source=%s", source)

    def poll(self) -> None:
        """Publish this worker's heartbeat and schedule; start a run for each source with
        queued requests (one at a time per source; runs of different sources overlap)."""
        if self.stopping:
            return
        try:
            schedule.publish(self.state, self.owner, self.next_run_times())
            sources = queue.queued_sources(self.state)
        except Exception:
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
        `config.retention_days` (RETENTION_DAYS, default 90), seen event ids older than
        a day. Idempotent, so several workers may run it."""
        if self.retention is None:
            return None
        days = float(getattr(self.config, "retention_days", None) or DEFAULT_RETENTION_DAYS)
        try:
            removed = dict(self.retention(timedelta(days=days), SEEN_EVENTS_KEPT))
        except Exception:
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
        except Exception:
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
        mode = SyncMode(mode)
        lease = Lease(self.state, lease_name(source), self.owner, self.lease_seconds)
        if not lease.acquire():
            return None
        try:
            with lease.kept_alive():
                return self._run_leased(source, mode, request_id, lease)
        finally:
            lease.release()

    def _run_leased(
        self, source: str, mode: SyncMode, request_id: int | None, lease: Lease
    ) -> SyncProgress:
        queue.recover_stale(self.state, source)
        claimed = queue.claim_queued(self.state, source)
        ids = [r.id for r in claimed]
        if any(r.mode == SyncMode.FULL.value for r in claimed):
            mode = SyncMode.FULL
        run_id = self.state.start_run(source, mode.value)
        queue.link_run(self.state, ids, run_id)
        log.info(
            "sync run source=%s mode=%s run=%s requests=%s asked=%s owner=%s",
            source,
            mode.value,
            run_id,
            ids,
            request_id,
            self.owner,
        )
        try:
            connector = self._connector(source)
        except Exception as exc:
            error = messages.WORKER_SOURCE_SETUP_FAILED.format(error=exc)[:500]
            log.warning("sync setup failed source=%s run=%s error=%s", source, run_id, error)
            self.state.finish_run(run_id, "failed", error=error)
            self.state.clear_source_memberships(source)  # fail closed, as a failed run
            queue.finish_requests(self.state, ids, queue.FAILED, error=error)
            return SyncProgress(
                run_id=run_id, source=source, mode=mode.value, status="failed", error=error
            )
        engine = SyncEngine(self.index, self.state, self.embedder)
        progress = engine.run(
            connector,
            mode,
            on_progress=self._progress_writer(run_id),
            should_stop=lambda: self.stopping or lease.lost.is_set(),
            run_id=run_id,
        )
        if progress.status == "interrupted":
            queue.requeue(self.state, ids)
        elif progress.status in ("succeeded", "partial"):
            queue.finish_requests(self.state, ids, queue.DONE)
        else:
            queue.finish_requests(self.state, ids, queue.FAILED, error=progress.error)
        return progress

    def _progress_writer(self, run_id: int) -> Callable[[SyncProgress], None]:
        """Between batch commits, write documents seen / total / failed to the run's row
        (at most once a second) so `/helpdesk status` and `follow()` in the web process
        move while a large batch is read; the counters of committed work are written by
        the SyncEngine with each batch."""
        last = 0.0

        def write(p: SyncProgress) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < PROGRESS_EVERY_SECONDS or p.status != "running":
                return
            last = now
            try:
                self.state.update_run(run_id, done=p.done, total=p.total, failed=p.failed)
            except SQLAlchemyError:  # a progress line is not worth failing the run
                log.warning("progress write failed run=%s", run_id, exc_info=True)

        return write

    def _connector(self, source: str) -> Connector:
        if self._factories is not None:
            return self._factories[source]()
        return build_connector(source, self.config, self.state)


def run_worker(settings: Any, retention: Callable[[StateStore], Retention] | None = None) -> None:
    """`helpdesk worker`: blocks until SIGTERM/SIGINT, then stops gracefully.
    `retention` builds the chat side's pruning on this state store's database."""
    from connectors.no_telemetry import disable_library_telemetry

    disable_library_telemetry()
    from connectors.embedder import make_embedder
    from connectors.index import open_configured_index

    settings.helpdesk_data_dir.mkdir(parents=True, exist_ok=True)
    state = StateStore(settings.state_url)
    index = open_configured_index(settings)
    embedder = make_embedder(settings.embedder, settings.embedding_model_dir)
    worker = Worker(
        settings, state, index, embedder, retention=retention(state) if retention else None
    )
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
        state.dispose()
