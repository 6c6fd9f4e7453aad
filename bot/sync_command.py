"""`helpdesk sync`: one sync of one source or of every configured source."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from bot import messages
from bot.settings import Settings
from connectors.base import Connector, SyncMode
from connectors.leases import Lease, make_owner
from connectors.registry import build_connector, configured_sources, known_sources
from connectors.reindex_requests import recover_stale
from connectors.sync import SyncEngine, SyncProgress
from connectors.worker import lease_name

NOT_CONFIGURED_HINTS = {
    "files": "Set FILES_PATH to a folder of markdown/HTML/PDF files.",
    "confluence": (
        "Set CONFLUENCE_URL and CONFLUENCE_EMAIL/CONFLUENCE_API_TOKEN (or CONFLUENCE_PAT)."
    ),
    "drive": "Set GOOGLE_APPLICATION_CREDENTIALS (and DRIVE_FOLDER_IDS to limit the scope).",
}


def _progress_bar(source: str) -> tuple[Any, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    task = bar.add_task(f"sync {source}", total=None)
    return bar, task


def _run_one(
    engine: SyncEngine, connector: Connector, mode: SyncMode, name: str, tty: bool, lease: Lease
) -> SyncProgress:
    def stop() -> bool:
        return lease.lost.is_set()

    if not tty:
        return engine.run(connector, mode, should_stop=stop)
    bar, task = _progress_bar(name)

    def on_progress(p: SyncProgress) -> None:
        bar.update(task, completed=p.done, total=p.total)

    with bar:
        return engine.run(connector, mode, on_progress=on_progress, should_stop=stop)


def run_sync(settings: Settings, source: str | None, *, full: bool, as_json: bool) -> int:
    from bot.services import build_services

    configured = configured_sources(settings)
    if source is not None:
        if source not in known_sources():
            typer.echo(
                messages.CLI_UNKNOWN_SOURCE.format(
                    source=source, configured=", ".join(configured) or "none"
                ),
                err=True,
            )
            return 2
        if source not in configured:
            typer.echo(
                messages.CLI_NOT_CONFIGURED.format(
                    source=source, hint=NOT_CONFIGURED_HINTS.get(source, "")
                ),
                err=True,
            )
            return 2
        names = [source]
    else:
        names = configured
    if not names:
        typer.echo(messages.CLI_NO_SOURCES, err=True)
        return 2
    services = build_services(settings)
    engine = services.sync_engine()
    mode = SyncMode.FULL if full else SyncMode.INCREMENTAL
    results: list[dict[str, Any]] = []
    failed = False
    tty = sys.stderr.isatty() and not as_json
    for name in names:
        try:
            connector = build_connector(name, settings, services.state)
        except Exception as exc:  # a source that cannot even be built is a failed sync
            failed = True
            services.state.clear_source_memberships(name)  # fail closed, as a failed run
            typer.echo(messages.CLI_SYNC_FAILED.format(source=name, error=exc), err=True)
            results.append({"source": name, "error": str(exc)})
            continue
        # the same lease as the worker's: a source never syncs twice at once
        lease = Lease(services.state, lease_name(name), make_owner(), settings.worker_lease_seconds)
        if not lease.acquire():
            failed = True
            busy = _busy_message(name, lease)
            typer.echo(busy, err=True)
            results.append({"source": name, "error": busy})
            continue
        try:
            with lease.kept_alive():
                # holding the lease: a run still marked running belongs to a dead process
                recover_stale(services.state, name)
                progress = _run_one(engine, connector, mode, name, tty, lease)
        finally:
            lease.release()
        summary = progress.summary()
        if progress.status == "failed":
            failed = True
            summary["error"] = progress.error
        results.append(summary)
        if not as_json:
            if progress.status == "failed":
                typer.echo(messages.CLI_SYNC_FAILED.format(source=name, error=progress.error))
            typer.echo(messages.CLI_SYNC_SUMMARY.format(**progress.summary()))
            for failure in progress.failures[:10]:
                typer.echo(
                    messages.CLI_SYNC_FAILURE_LINE.format(
                        title=failure.get("title") or failure.get("doc_id"),
                        reason=failure.get("reason"),
                    )
                )
            for note in progress.notes[:5]:
                typer.echo(f"  · {note}")
    if as_json:
        for row in results:
            typer.echo(json.dumps(row))
    return 1 if failed else 0


def _busy_message(source: str, lease: Lease) -> str:
    """Who holds the source's lease (a process that may really be alive: a dead one on
    this host was already taken over by `acquire`)."""
    holder = lease.blocked_by
    if holder is None:
        return messages.CLI_SYNC_BUSY.format(source=source)
    who = (
        messages.CLI_SYNC_HOLDER_PROCESS.format(pid=holder.pid, host=holder.host)
        if holder.pid is not None and holder.host
        else messages.CLI_SYNC_HOLDER_OWNER.format(owner=holder.owner)
    )
    until = holder.expires_at.strftime("%H:%M:%S")
    return messages.CLI_SYNC_BUSY_HOLDER.format(source=source, holder=who, until=until)
