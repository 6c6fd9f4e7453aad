"""`helpdesk status`: per source documents, chunks, last sync and last error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import messages
from bot.formatting import ago
from bot.services import Services
from connectors.registry import configured_sources


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
        last_ok = state.last_run(name, status="succeeded")
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
        "answers_24h": state.answer_stats(datetime.now(UTC) - timedelta(hours=24)),
    }


def render_status(report: dict[str, Any]) -> str:
    lines = []
    for s in report["sources"]:
        last_sync = (
            ago(datetime.fromisoformat(s["last_sync"]))
            if s["last_sync"]
            else messages.CLI_STATUS_NEVER
        )
        err = (
            messages.CLI_STATUS_LAST_ERROR.format(error=s["last_error"])
            if s["last_error"]
            else messages.CLI_STATUS_NO_ERROR
        )
        lines.append(
            messages.CLI_STATUS_LINE.format(
                source=s["source"],
                documents=s["documents"],
                chunks=s["chunks"],
                last_sync=last_sync,
                last_error=err,
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
