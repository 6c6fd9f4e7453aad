"""`helpdesk status`: per source documents, chunks, last sync, how the last run ended and
which documents failed in it.

This is the terminal (operator) view: it lists failed documents by title, restricted or
not, as `helpdesk sync` does. The channel-visible `/helpdesk status` (bot/admin_status.py)
hides the titles of documents that are not public.

A source with documents or runs that is not configured now (taken out of `SOURCES`, or
its settings unset) is listed with `configured: false`: its documents are never answered
(connectors/index.py) and nothing syncs them; the line says how to remove them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import messages
from bot.formatting import ago
from bot.services import Services
from bot.settings import Settings
from connectors.index_location import embedded_index_dir, embedded_index_missing
from connectors.registry import configured_sources
from connectors.state import StateStore, SyncRun

FAILURES_SHOWN = 10
FINISHED = ("succeeded", "partial", "failed", "interrupted")


def last_finished_run(state: StateStore, source: str) -> SyncRun | None:
    """The most recent run of `source` that has ended, whatever its status."""
    last = state.last_run(source)
    if last is None or last.status != "running":
        return last
    runs = [state.last_run(source, status=s) for s in FINISHED]
    ended = [r for r in runs if r is not None]
    return max(ended, key=lambda r: r.id) if ended else None


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def never_synced(settings: Settings) -> bool:
    """A fresh install: the state would be the SQLite file in the data dir and the index
    the embedded one, and neither exists yet. Nothing has synced here, so there is
    nothing to report, and opening the stores would only create them. (With
    DATABASE_URL or WEAVIATE_URL the stores are asked: others may have synced.)"""
    state_file = settings.state_file
    return (
        state_file is not None
        and not state_file.exists()
        and embedded_index_missing(settings.helpdesk_data_dir, settings.weaviate_url)
    )


def empty_status(settings: Settings) -> dict[str, Any]:
    """`collect_status`'s report for a fresh install, built without opening anything."""
    return {
        "sources": [_source_entry(name, configured=True) for name in configured_sources(settings)],
        "index": {
            "backend": "lancedb",
            "location": str(embedded_index_dir(settings.helpdesk_data_dir)),
            "chunks": 0,
            "size_bytes": None,
            "upgrade": None,
        },
        "chat_answers_24h": {"answers": 0, "up": 0, "down": 0},
    }


def render_never_synced(settings: Settings) -> str:
    sources = configured_sources(settings)
    return messages.CLI_STATUS_NOTHING_SYNCED.format(
        data_dir=settings.helpdesk_data_dir,
        sources=", ".join(sources) if sources else messages.CLI_STATUS_NO_SOURCES,
    )


def _source_entry(
    name: str,
    *,
    configured: bool,
    documents: int = 0,
    chunks: int = 0,
    last: SyncRun | None = None,
    last_ok: SyncRun | None = None,
    ended: SyncRun | None = None,
) -> dict[str, Any]:
    """One source's part of the report (all empty for a source that never ran)."""
    return {
        "source": name,
        # not configured: never answered, never synced (`helpdesk forget` removes)
        "configured": configured,
        "documents": documents,
        "chunks": chunks,
        "last_sync": _iso(last_ok.finished_at) if last_ok else None,
        "last_status": last.status if last else None,
        "last_error": last.error if last and last.status == "failed" else None,
        "running": bool(last and last.status == "running"),
        "last_failed": last.failed if last else 0,
        "last_failures": [
            {k: f.get(k) for k in ("doc_id", "title", "reason")}
            for f in (last.failures if last else [])[:FAILURES_SHOWN]
        ],
        "last_run": None
        if ended is None
        else {
            "status": ended.status,
            "finished_at": _iso(ended.finished_at or ended.started_at),
            "error": ended.error,
            "failed": ended.failed,
            "failures": [
                {k: f.get(k) for k in ("doc_id", "title", "reason")} for f in ended.failures
            ],
        },
    }


def collect_status(services: Services) -> dict[str, Any]:
    state = services.state
    docs = state.document_counts()
    chunks = state.chunk_counts()
    configured = set(services.sources)
    names = sorted(configured | set(docs) | set(state.sources_with_runs()))
    sources = []
    for name in names:
        last = state.last_run(name)
        # a partial run (some documents failed, the rest synced) is a completed sync
        completed = [state.last_run(name, status=s) for s in ("succeeded", "partial")]
        last_ok = max((r for r in completed if r), key=lambda r: r.id, default=None)
        ended = last_finished_run(state, name)
        sources.append(
            _source_entry(
                name,
                configured=name in configured,
                documents=docs.get(name, 0),
                chunks=chunks.get(name, 0),
                last=last,
                last_ok=last_ok,
                ended=ended,
            )
        )
    size = services.index.size_bytes()
    return {
        "sources": sources,
        "index": {
            "backend": services.index.backend,
            "location": services.index.location,
            "chunks": services.index.count(),
            "size_bytes": size,
            # what to run because the index predates a metadata key (None: nothing)
            "upgrade": services.index.upgrade_notice(),
        },
        # answers recorded by the Slack and Teams adapters; `helpdesk ask`/`chat` are not
        "chat_answers_24h": services.chat.answer_stats(datetime.now(UTC) - timedelta(hours=24)),
    }


def _outcome(s: dict[str, Any]) -> str:
    """'no errors', 'running now', or how the last run ended and what failed in it."""
    run = s["last_run"]
    if s["running"]:
        prefix = messages.CLI_STATUS_RUNNING
        if run is None or (run["status"] == "succeeded" and not run["failed"]):
            return prefix
        prefix += "; "
    else:
        prefix = ""
    if run is None:
        return prefix + messages.CLI_STATUS_NO_ERROR
    when = ago(datetime.fromisoformat(run["finished_at"]))
    if run["status"] == "interrupted":
        return prefix + messages.CLI_STATUS_INTERRUPTED.format(
            ago=when, error=run["error"] or messages.CLI_STATUS_STOPPED_EARLY
        )
    if run["status"] == "failed":
        return prefix + messages.CLI_STATUS_LAST_ERROR.format(ago=when, error=run["error"])
    if run["status"] == "partial":
        n = run["failed"]
        return prefix + messages.CLI_STATUS_PARTIAL.format(failed=n, s="" if n == 1 else "s")
    if run["failed"]:
        n = run["failed"]
        return prefix + messages.CLI_STATUS_DOCS_FAILED.format(
            n=n, s="" if n == 1 else "s", ago=when
        )
    if run["status"] != "succeeded":
        return prefix + messages.CLI_STATUS_ENDED.format(status=run["status"], ago=when)
    return prefix + messages.CLI_STATUS_NO_ERROR


def render_status(report: dict[str, Any]) -> str:
    lines = []
    for s in report["sources"]:
        last_sync = (
            ago(datetime.fromisoformat(s["last_sync"]))
            if s["last_sync"]
            else messages.CLI_STATUS_NEVER
        )
        lines.append(
            messages.CLI_STATUS_LINE.format(
                source=s["source"],
                documents=s["documents"],
                chunks=s["chunks"],
                last_sync=last_sync,
                last_error=_outcome(s),
            )
        )
        if not s["configured"]:
            n = s["documents"]
            template = messages.CLI_STATUS_NOT_CONFIGURED
            if not n:
                template = messages.CLI_STATUS_NOT_CONFIGURED_EMPTY
            plural = "" if n == 1 else "s"
            lines.append(template.format(source=s["source"], documents=n, s=plural))
        failures = (s["last_run"] or {}).get("failures") or []
        for failure in failures[:FAILURES_SHOWN]:
            lines.append(
                messages.CLI_SYNC_FAILURE_LINE.format(
                    title=failure["title"] or failure["doc_id"], reason=failure["reason"]
                )
            )
        more = (s["last_run"] or {}).get("failed", 0) - min(len(failures), FAILURES_SHOWN)
        if more > 0:
            lines.append(messages.CLI_STATUS_FAILURES_MORE.format(n=more))
    idx = report["index"]
    size = f", {idx['size_bytes'] / 1e6:.1f} MB" if idx.get("size_bytes") else ""
    lines.append(
        messages.CLI_STATUS_INDEX.format(
            backend=idx["backend"], location=idx["location"], chunks=idx["chunks"], size=size
        )
    )
    if idx.get("upgrade"):
        lines.append(messages.CLI_STATUS_INDEX_UPGRADE.format(notice=idx["upgrade"]))
    lines.append(messages.CLI_STATUS_ANSWERS.format(**report["chat_answers_24h"]))
    return "\n".join(lines)
