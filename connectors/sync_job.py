"""One sync of one source, as a job: the worker's scheduled and requested runs and
`helpdesk sync` all go through `SyncJob.run`, so they leave the same records.

A job
- takes the source's lease (connectors/leases.py): a source never syncs twice at once,
  whoever started the other run (a worker replica, a requested run, `helpdesk sync`);
  refused, it returns `Busy` naming the holder and changes nothing;
- marks a run left `running` by a dead process interrupted (its requests go back to the
  queue), then claims every queued reindex request of the source: requests made before
  it starts are served by this run (a `full` one makes the run full);
- builds the connector; a source that cannot even be built is a failed run (its
  documents become readable by nobody and its groups lose their members, fail closed,
  as after any failed run);
- runs the `SyncEngine`, writing progress to the run's row at most once a second (so
  `status` moves during a long batch) and calling the caller's `on_progress`;
- stops after the document in hand when `stop` is set or the lease is lost (the run
  ends `interrupted`, its requests go back to the queue, `stop.reason` is the run's
  error); a `KeyboardInterrupt` (a second Ctrl-C) stops at once, recorded the same way.

`SyncJob.forget` removes a source that is no longer configured (`helpdesk forget`): under
the same lease, so never while a run of it (a worker with the older configuration) is
writing; its chunks first, then its state rows, so a forget that dies half-way is simply
run again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from llama_index.core.embeddings import BaseEmbedding
from sqlalchemy.exc import SQLAlchemyError

from connectors import messages
from connectors import reindex_requests as queue
from connectors.base import Connector, SourceError, SyncMode
from connectors.index import ChunkIndex
from connectors.leases import Lease
from connectors.state import StateStore
from connectors.sync import SyncEngine, SyncProgress
from connectors.sync_progress import ProgressCallback

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
MAX_ERROR_CHARS = 500

ConnectorFactory = Callable[[], Connector]


def lease_name(source: str) -> str:
    return f"sync:{source}"


class StopSignal:
    """Asks a running job to stop after the document in hand. `reason`, when given,
    becomes the error of the run it interrupted (what `status` shows)."""

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class Busy:
    """The source's lease is held by another run: nothing was changed."""

    source: str
    message: str  # who holds it and until when, for the person who asked


def busy_message(source: str, lease: Lease) -> str:
    """Who holds the source's lease (a process that may really be alive: a dead one on
    this host was already taken over by `acquire`)."""
    holder = lease.blocked_by
    if holder is None:
        return messages.SYNC_BUSY.format(source=source)
    who = (
        messages.SYNC_HOLDER_PROCESS.format(pid=holder.pid, host=holder.host)
        if holder.pid is not None and holder.host
        else messages.SYNC_HOLDER_OWNER.format(owner=holder.owner)
    )
    until = holder.expires_at.strftime("%H:%M:%S")
    return messages.SYNC_BUSY_HOLDER.format(source=source, holder=who, until=until)


@dataclass(frozen=True)
class Forgotten:
    """What `SyncJob.forget` removed."""

    source: str
    documents: int  # documents the state knew
    chunks: int  # chunks the index held


class SyncJob:
    def __init__(
        self,
        state: StateStore,
        index: ChunkIndex,
        embedder: BaseEmbedding,
        *,
        owner: str,
        lease_seconds: float,
    ) -> None:
        self.state = state
        self.index = index
        self.embedder = embedder
        self.owner = owner
        self.lease_seconds = lease_seconds

    def run(
        self,
        source: str,
        build: ConnectorFactory,
        mode: SyncMode = SyncMode.INCREMENTAL,
        *,
        stop: StopSignal | None = None,
        on_progress: ProgressCallback | None = None,
        request_id: int | None = None,
    ) -> SyncProgress | Busy:
        lease = Lease(self.state, lease_name(source), self.owner, self.lease_seconds)
        if not lease.acquire():
            return Busy(source, busy_message(source, lease))
        try:
            with lease.kept_alive():
                return self._leased(source, build, mode, lease, stop, on_progress, request_id)
        finally:
            lease.release()

    def forget(self, source: str) -> Forgotten | Busy:
        """Remove every chunk and every state row of `source`. The caller checks that
        the source is not configured (a configured one would come back at its next run)."""
        lease = Lease(self.state, lease_name(source), self.owner, self.lease_seconds)
        if not lease.acquire():
            return Busy(source, busy_message(source, lease))
        try:
            documents, _ = self.state.source_documents(source)
            chunks = self.index.count_by_source().get(source, 0)
            self.index.delete_source(source)
            self.state.forget_source(source)
            log.warning(
                "source forgotten source=%s documents=%s chunks=%s owner=%s",
                source,
                documents,
                chunks,
                self.owner,
            )
            return Forgotten(source, documents, chunks)
        finally:
            lease.release()

    def _leased(
        self,
        source: str,
        build: ConnectorFactory,
        mode: SyncMode,
        lease: Lease,
        stop: StopSignal | None,
        on_progress: ProgressCallback | None,
        request_id: int | None,
    ) -> SyncProgress:
        # holding the lease: a run still marked running belongs to a dead process
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
        engine = SyncEngine(self.index, self.state, self.embedder)
        connector = self._connector(source, build, run_id)
        if isinstance(connector, str):
            failed = SyncProgress(
                run_id=run_id, source=source, mode=mode.value, status="failed", error=connector
            )
            # fail closed, as after any failed run: its documents readable by nobody,
            # its groups without members, until a run of the source succeeds
            engine.fail_closed(failed, self.state.known_documents(source), set())
            self.state.finish_run(
                run_id, "failed", error=connector, notes=failed.notes, **failed.counts()
            )
            queue.finish_requests(self.state, ids, queue.FAILED, error=connector)
            return failed
        write = self._progress_writer(run_id)

        def progressed(p: SyncProgress) -> None:
            write(p)
            if on_progress is not None:
                on_progress(p)

        def should_stop() -> bool:
            return lease.lost.is_set() or (stop is not None and stop.is_set())

        try:
            progress = engine.run(
                connector, mode, on_progress=progressed, should_stop=should_stop, run_id=run_id
            )
        except KeyboardInterrupt:
            # stopped at once mid-batch: the dirty flags make the next run redo that batch
            reason = stop.reason if stop is not None and stop.reason else None
            self.state.finish_run(
                run_id, "interrupted", error=reason or messages.SYNC_STOPPED_AT_ONCE
            )
            queue.requeue(self.state, ids)
            raise
        if progress.status == "interrupted":
            queue.requeue(self.state, ids)
            if stop is not None and stop.is_set() and stop.reason:
                self.state.update_run(run_id, error=stop.reason)
        elif progress.status in ("succeeded", "partial"):
            queue.finish_requests(self.state, ids, queue.DONE)
        else:
            queue.finish_requests(self.state, ids, queue.FAILED, error=progress.error)
        return progress

    def _connector(self, source: str, build: ConnectorFactory, run_id: int) -> Connector | str:
        """The source's connector, or why it could not be built (the run's error)."""
        try:
            return build()
        except SourceError as exc:
            error = exc.message
        except Exception as exc:  # the job's boundary: a broken source fails its run only
            log.exception("sync setup crashed source=%s run=%s", source, run_id)
            error = str(exc) or type(exc).__name__
        error = messages.SYNC_SOURCE_SETUP_FAILED.format(error=error)[:MAX_ERROR_CHARS]
        log.warning("sync setup failed source=%s run=%s error=%s", source, run_id, error)
        return error

    def _progress_writer(self, run_id: int) -> ProgressCallback:
        """Between batch commits, write documents seen / total / failed to the run's row
        (at most once a second) so `status` and `follow()` in the web process move while
        a large batch is read; the counters of committed work are written by the
        SyncEngine with each batch."""
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
