"""`helpdesk status`: per source documents, chunks, last sync and last error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import messages
from bot.formatting import ago
from bot.services import Services
from connectors.registry import configured_sources

MAX_FAILURES_SHOWN = 10


def collect_status(services: Services) -> dict[str, Any]:
    state = services.state
    docs = state.document_counts()
    chunks = state.chunk_counts()
    names = sorted(
        set(configured_sources(services.settings)) | set(docs) | set(state.sources_with_runs())
    )
    sources = []
    for name in names:
        last = state.last_run(name)
        completed = [state.last_run(name, status=s) for s in ("succeeded", "partial")]
        last_ok = max((r for r in completed if r), key=lambda r: r.id, default=None)
        sources.append(
            {
                "source": name,
                "documents": docs.get(name, 0),
                "chunks": chunks.get(name, 0),
                "last_sync": last_ok.finished_at.isoformat()
                if last_ok and last_ok.finished_at
                else None,
                "last_status": last.status if last else None,
                "last_error": last.error if last and last.status == "failed" else None,
                "last_failed": last.failed if last else 0,
                "last_failures": [
                    {k: f.get(k) for k in ("doc_id", "title", "reason")}
                    for f in (last.failures if last else [])[:MAX_FAILURES_SHOWN]
                ],
                "running": bool(last and last.status == "running"),
            }
        )
    size = services.index.size_bytes()
    return {
        "sources": sources,
        "index": {
            "backend": services.index.backend,
            "location": services.index.location,
            "chunks": services.index.count(),
            "size_bytes": size,
        },
        "answers_24h": services.chat.answer_stats(datetime.now(UTC) - timedelta(hours=24)),
    }


def render_status(report: dict[str, Any]) -> str:
    lines = []
    for s in report["sources"]:
        last_sync = (
            ago(datetime.fromisoformat(s["last_sync"]))
            if s["last_sync"]
            else messages.CLI_STATUS_NEVER
        )
        failed = s.get("last_failed") or 0
        if s["last_error"]:
            err = messages.CLI_STATUS_LAST_ERROR.format(error=s["last_error"])
        elif s["last_status"] == "partial":
            err = messages.CLI_STATUS_PARTIAL.format(failed=failed, s="" if failed == 1 else "s")
        else:
            err = messages.CLI_STATUS_NO_ERROR
        lines.append(
            messages.CLI_STATUS_LINE.format(
                source=s["source"],
                documents=s["documents"],
                chunks=s["chunks"],
                last_sync=last_sync,
                last_error=err,
            )
        )
        for failure in s.get("last_failures") or []:
            lines.append(
                messages.CLI_STATUS_FAILURE_LINE.format(
                    title=failure.get("title") or failure.get("doc_id"),
                    reason=failure.get("reason"),
                )
            )
    idx = report["index"]
    size = f", {idx['size_bytes'] / 1e6:.1f} MB" if idx.get("size_bytes") else ""
    lines.append(
        messages.CLI_STATUS_INDEX.format(
            backend=idx["backend"], location=idx["location"], chunks=idx["chunks"], size=size
        )
    )
    return "\n".join(lines)
