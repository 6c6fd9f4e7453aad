"""`helpdesk sync`: one sync of one source or of every configured source."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
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


INTERRUPTED_EXIT = 130  # the shell's convention for a command ended by SIGINT


@contextmanager
def _ctrl_c(source: list[str]) -> Iterator[threading.Event]:
    """First Ctrl-C: stop after the document in hand (its batch is committed, the run ends
    "interrupted"). A second Ctrl-C stops at once (KeyboardInterrupt)."""
    pressed = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()
        typer.echo("\n" + messages.CLI_SYNC_STOPPING.format(source=source[0]), err=True)

    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_one(
    engine: SyncEngine,
    connector: Connector,
    mode: SyncMode,
    name: str,
    tty: bool,
    lease: Lease,
    pressed: threading.Event,
) -> SyncProgress:
    def stop() -> bool:
        return lease.lost.is_set() or pressed.is_set()

    run_id = engine.state.start_run(name, mode.value)
    try:
        if not tty:
            progress = engine.run(connector, mode, should_stop=stop, run_id=run_id)
        else:
            bar, task = _progress_bar(name)

            def on_progress(p: SyncProgress) -> None:
                bar.update(task, completed=p.done, total=p.total)

            with bar:
                progress = engine.run(
                    connector, mode, on_progress=on_progress, should_stop=stop, run_id=run_id
                )
        if progress.status == "interrupted" and pressed.is_set():
            engine.state.update_run(run_id, error=messages.CLI_SYNC_RUN_CTRL_C)
        return progress
    except KeyboardInterrupt:
        # stopped at once mid-batch: the dirty flags make the next run redo that batch
        engine.state.finish_run(run_id, "interrupted", error=messages.CLI_SYNC_RUN_CTRL_C)
        raise


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
                    source=source, hint=messages.CLI_NOT_CONFIGURED_HINTS.get(source, "")
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
    current = [names[0]]
    with _ctrl_c(current) as pressed:
        try:
            failed = _sync_each(
                settings, services, engine, names, mode, tty, pressed, current, results, as_json
            )
        except KeyboardInterrupt:
            pressed.set()
            typer.echo(messages.CLI_SYNC_INTERRUPTED_AT_ONCE.format(source=current[0]))
    if as_json:
        for row in results:
            typer.echo(json.dumps(row))
    if pressed.is_set():
        skipped = names[names.index(current[0]) + 1 :]
        if skipped and not as_json:
            typer.echo(messages.CLI_SYNC_SKIPPED.format(sources=", ".join(skipped)))
        return INTERRUPTED_EXIT
    return 1 if failed else 0


def _sync_each(
    settings: Settings,
    services: Any,
    engine: SyncEngine,
    names: list[str],
    mode: SyncMode,
    tty: bool,
    pressed: threading.Event,
    current: list[str],
    results: list[dict[str, Any]],
    as_json: bool,
) -> bool:
    failed = False
    for name in names:
        if pressed.is_set():
            break
        current[0] = name
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
                progress = _run_one(engine, connector, mode, name, tty, lease, pressed)
        finally:
            lease.release()
        summary = progress.summary()
        if progress.status == "failed":
            failed = True
            summary["error"] = progress.error
        if progress.status == "interrupted" and pressed.is_set():
            summary["interrupted"] = True
        results.append(summary)
        if not as_json:
            if progress.status == "interrupted" and pressed.is_set():
                typer.echo(
                    messages.CLI_SYNC_INTERRUPTED.format(
                        source=name,
                        done=progress.done,
                        of_total=f" of {progress.total}" if progress.total else "",
                    )
                )
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
            for note in [] if pressed.is_set() else progress.notes[:5]:
                typer.echo(f"  · {note}")
    return failed


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
