"""Text for `/helpdesk status` and for reindex progress, read from the state store.

Everything here is computed from the state tables, so the web process shows what a
separate worker process is doing. Nothing here shows the title of a document that is not
indexed as public: status is open to everyone, and titles of restricted documents must
never reach a channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import messages
from bot.formatting import PLAIN, TextStyle, ago, source_name
from bot.services import Services
from connectors import schedule
from connectors.base import Acl
from connectors.reindex_requests import QUEUED, pending_requests
from connectors.state import SyncRun
from connectors.store_errors import index_errors

log = logging.getLogger(__name__)

FAILURES_SHOWN = 5
STALLED_AFTER = timedelta(minutes=3)  # a running sync commits a batch far more often


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return messages.ADMIN_DURATION_SECONDS.format(n=seconds)
    if seconds < 3600:
        return messages.ADMIN_DURATION_MINUTES.format(m=seconds // 60, s=seconds % 60)
    return messages.ADMIN_DURATION_HOURS.format(h=seconds // 3600, m=(seconds % 3600) // 60)


def elapsed(run: SyncRun, now: datetime | None = None) -> float:
    end = run.finished_at or now or datetime.now(UTC)
    return max(0.0, (end - run.started_at).total_seconds())


def running_line(run: SyncRun, now: datetime | None = None) -> str:
    """'120 / 450 documents · 12.3 docs/s · about 27 s left · 2 failed so far'."""
    seconds = elapsed(run, now)
    rate = run.done / seconds if seconds > 0 and run.done else 0.0
    of_total = messages.ADMIN_PROGRESS_OF_TOTAL.format(total=run.total) if run.total else ""
    rate_text = messages.ADMIN_PROGRESS_RATE.format(rate=rate) if rate else ""
    eta_text = ""
    if rate and run.total and run.total > run.done:
        eta_text = messages.ADMIN_PROGRESS_ETA.format(eta=duration((run.total - run.done) / rate))
    failed = messages.ADMIN_PROGRESS_FAILED_SO_FAR.format(failed=run.failed) if run.failed else ""
    return messages.ADMIN_PROGRESS_COUNTS.format(
        done=run.done, of_total=of_total, rate=rate_text, eta=eta_text, failed=failed
    )


def plain_error(run: SyncRun) -> str:
    if run.status == "interrupted":
        return run.error or messages.ADMIN_ERROR_INTERRUPTED
    return run.error or run.status


def until(when: datetime, now: datetime | None = None) -> str:
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds <= 1:
        return messages.ADMIN_STATUS_DUE
    return messages.ADMIN_STATUS_IN.format(duration=duration(seconds))


def render_status(services: Services, now: datetime | None = None, style: TextStyle = PLAIN) -> str:
    """The `status` reply (blocking: call it in a thread from async code); `style`: how
    the chat surface shows the sources' errors and the failed documents' titles."""
    now = now or datetime.now(UTC)
    state = services.state
    configured = services.sources
    docs = state.document_counts()
    chunks = state.chunk_counts()
    names = list(configured) + sorted(
        (set(docs) | set(state.sources_with_runs())) - set(configured)
    )
    nexts = schedule.next_runs(state, now)
    workers = schedule.live_workers(state, now)
    queued: dict[str, int] = {}
    for req in pending_requests(state):
        if req.status == QUEUED:
            queued[req.source] = queued.get(req.source, 0) + 1
    lines = [messages.ADMIN_STATUS_HEADER]
    if not names:
        lines.append(messages.ADMIN_STATUS_NO_SOURCES)
    for name in names:
        lines.extend(
            _source_lines(services, name, name in configured, docs, chunks, now, style.escape)
        )
        if name in nexts:
            lines.append(messages.ADMIN_STATUS_NEXT.format(when=until(nexts[name], now)))
        elif name in configured and not workers:
            lines.append(messages.ADMIN_STATUS_NEXT_NONE)
        if queued.get(name):
            n = queued[name]
            lines.append(messages.ADMIN_STATUS_QUEUED.format(n=n, s="" if n == 1 else "s"))
    lines.append(_index_line(services))
    stats = services.chat.answer_stats(now - timedelta(hours=24))
    lines.append(messages.ADMIN_STATUS_ANSWERS.format(**stats))
    if workers:
        lines.append(messages.ADMIN_STATUS_WORKERS.format(n=len(workers)))
    else:
        lines.append(messages.ADMIN_STATUS_NO_WORKER)
    return "\n".join(lines)


def _source_lines(
    services: Services,
    name: str,
    is_configured: bool,
    docs: dict[str, int],
    chunks: dict[str, int],
    now: datetime,
    escape: Callable[[str], str] = str,
) -> list[str]:
    state = services.state
    lines = [
        messages.ADMIN_STATUS_SOURCE.format(
            name=source_name(name),
            source=name,
            documents=docs.get(name, 0),
            chunks=chunks.get(name, 0),
        )
    ]
    if not is_configured:  # never answered, never synced: say so, and how to remove them
        n = docs.get(name, 0)
        template = messages.ADMIN_STATUS_NOT_CONFIGURED
        if not n:
            template = messages.ADMIN_STATUS_NOT_CONFIGURED_EMPTY
        lines.append(template.format(source=name, documents=n, s="" if n == 1 else "s"))
    last_ok = state.last_run(name, status="succeeded")
    if last_ok is not None:
        lines.append(messages.ADMIN_STATUS_LAST_OK.format(ago=ago(last_ok.finished_at, now)))
    else:
        lines.append(messages.ADMIN_STATUS_NEVER_SYNCED)
    last = state.last_run(name)
    if last is not None and last.status == "running":
        lines.append(
            messages.ADMIN_STATUS_RUNNING.format(mode=last.mode, progress=running_line(last, now))
        )
        silent = (now - (last.heartbeat_at or last.started_at)).total_seconds()
        if silent > STALLED_AFTER.total_seconds():
            lines.append(messages.ADMIN_STATUS_STALLED.format(ago_plain=duration(silent)))
        last = _last_finished(services, name)
    if last is not None and last.status in ("failed", "interrupted"):
        lines.append(
            messages.ADMIN_STATUS_LAST_ERROR.format(
                ago=ago(last.finished_at or last.started_at, now),
                error=escape(plain_error(last)),
            )
        )
    elif last is not None and last.status == "partial":
        # a count only: status may be read in a channel, failure titles may not be public
        lines.append(
            messages.ADMIN_STATUS_LAST_PARTIAL.format(
                ago=ago(last.finished_at or last.started_at, now),
                failed=last.failed,
                s="" if last.failed == 1 else "s",
            )
        )
    if last is not None and last.failures:
        lines.extend(_failed_documents(services, last, escape))
    return lines


def _failed_documents(
    services: Services, run: SyncRun, escape: Callable[[str], str] = str
) -> list[str]:
    """Which documents failed in `run`. This reply may be read in a channel, so the rule
    of reindex summaries for a channel applies (bot/admin.py): a title only when every
    permission we know of the document (the state's, and the source's own reported with
    the failure) is public; otherwise 'a document that is not public'."""
    n = max(run.failed, len(run.failures))
    lines = [messages.ADMIN_STATUS_DOCS_FAILED.format(n=n, s="" if n == 1 else "s")]
    for failure in run.failures[:FAILURES_SHOWN]:
        title = _public_title(services, failure)
        if title:
            lines.append(
                messages.ADMIN_FAILURE_LINE.format(
                    title=escape(title), reason=escape(str(failure.get("reason")))
                )
            )
        else:
            lines.append(messages.ADMIN_FAILURE_HIDDEN)
    if n > FAILURES_SHOWN:
        lines.append(messages.ADMIN_FAILURES_MORE.format(n=n - FAILURES_SHOWN))
    return lines


def _public_title(services: Services, failure: dict[str, Any]) -> str | None:
    doc_id = str(failure.get("doc_id") or "")
    if not doc_id:
        return None  # a source-level file (groups.yaml...), not a document
    doc = services.state.document(doc_id)
    reported = failure.get("acl")
    current = Acl.from_json(reported) if isinstance(reported, dict) else None
    if (doc is None and current is None) or (doc is not None and not doc.acl.public):
        return None
    if current is not None:
        if not current.public:
            return None
        return str(failure.get("title") or (doc.title if doc else "") or doc_id)
    assert doc is not None
    return doc.title or doc_id


def _last_finished(services: Services, name: str) -> SyncRun | None:
    """The most recent run of `name` that is not running (for 'last error')."""
    runs = [
        services.state.last_run(name, status=s)
        for s in ("failed", "interrupted", "partial", "succeeded")
    ]
    finished = [r for r in runs if r is not None]
    return max(finished, key=lambda r: r.id) if finished else None


def _index_line(services: Services) -> str:
    index = services.index
    try:
        count = index.count()
        size = index.size_bytes()
    except index_errors():
        log.warning("status: index unavailable backend=%s", index.backend, exc_info=True)
        return messages.ADMIN_STATUS_INDEX_UNAVAILABLE.format(backend=index.backend)
    size_text = messages.ADMIN_STATUS_INDEX_SIZE.format(mb=size / 1e6) if size else ""
    return messages.ADMIN_STATUS_INDEX.format(backend=index.backend, chunks=count, size=size_text)
