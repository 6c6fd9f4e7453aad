"""`helpdesk sync`: one sync of one source or of every configured source; and
`helpdesk forget SOURCE`: remove a source that is no longer configured.

Each source runs as the worker's job does (`SyncJob.run`, connectors/sync_job.py: the
same lease, request claiming, run record and fail-closed rules); this module only adds
what a terminal needs: the Ctrl-C handling, the progress bar and the printed or JSON
summary. Forgetting runs `SyncJob.forget` under the same lease, only for a source that is
not configured: removal is always this explicit command, never a side effect of a sync
(a source left out of `SOURCES` by mistake is hidden, and back at once when restored)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from bot import messages
from bot.settings import Settings
from connectors.base import SyncMode
from connectors.registry import configured_sources, known_sources
from connectors.sync import SyncProgress
from connectors.sync_job import Busy, ConnectorFactory, StopSignal, SyncJob

if TYPE_CHECKING:
    from bot.services import Services


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
def _ctrl_c(source: list[str]) -> Iterator[StopSignal]:
    """First Ctrl-C: stop after the document in hand (its batch is committed, the run ends
    "interrupted"). A second Ctrl-C stops at once (KeyboardInterrupt)."""
    pressed = StopSignal(reason=messages.CLI_SYNC_RUN_CTRL_C)

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


def _chosen_sources(settings: Settings, source: str | None) -> list[str] | None:
    """The sources to sync, or None after saying why the request is a usage error."""
    configured = configured_sources(settings)
    if source is None:
        if not configured:
            typer.echo(messages.CLI_NO_SOURCES, err=True)
            return None
        return configured
    if source not in known_sources():
        typer.echo(
            messages.CLI_UNKNOWN_SOURCE.format(
                source=source, configured=", ".join(configured) or "none"
            ),
            err=True,
        )
        return None
    if source not in configured:
        typer.echo(
            messages.CLI_NOT_CONFIGURED.format(
                source=source, hint=messages.CLI_NOT_CONFIGURED_HINTS.get(source, "")
            ),
            err=True,
        )
        return None
    return [source]


def run_sync(settings: Settings, source: str | None, *, full: bool, as_json: bool) -> int:
    from bot.services import build_services

    names = _chosen_sources(settings, source)
    if names is None:
        return 2
    services = build_services(settings, answering=False, connect_index=True)
    try:
        return _sync(services, names, full=full, as_json=as_json)
    finally:
        services.close()


def run_forget(settings: Settings, source: str, *, as_json: bool) -> int:
    from bot.services import build_services

    if source in configured_sources(settings):
        how = (
            messages.CLI_FORGET_HOW_EXPLICIT
            if settings.sources
            else messages.CLI_FORGET_HOW_SETTINGS
        )
        typer.echo(messages.CLI_FORGET_CONFIGURED.format(source=source, how=how), err=True)
        return 2
    services = build_services(settings, answering=False)
    try:
        stored = _stored_sources(services)
        if source not in stored:
            others = ", ".join(sorted(set(stored) - set(services.sources))) or "none"
            typer.echo(messages.CLI_FORGET_NOTHING.format(source=source, stored=others), err=True)
            return 2
        outcome = services.sync_job().forget(source)
        if isinstance(outcome, Busy):
            typer.echo(outcome.message, err=True)
            return 1
        if as_json:
            typer.echo(json.dumps(asdict(outcome)))
        else:
            typer.echo(messages.CLI_FORGET_DONE.format(**asdict(outcome)))
        return 0
    finally:
        services.close()


def _stored_sources(services: Services) -> set[str]:
    """Every source something is stored for: documents, runs, or chunks in the index."""
    state = services.state
    return (
        set(state.document_counts())
        | set(state.sources_with_runs())
        | set(services.index.count_by_source())
    )


def _sync(services: Services, names: list[str], *, full: bool, as_json: bool) -> int:
    job = services.sync_job()
    connectors = services.connectors(names)
    mode = SyncMode.FULL if full else SyncMode.INCREMENTAL
    tty = sys.stderr.isatty() and not as_json
    results: list[dict[str, Any]] = []
    failed = False
    current = [names[0]]
    with _ctrl_c(current) as pressed:
        try:
            for name in names:
                if pressed.is_set():
                    break
                current[0] = name
                outcome = _run_one(job, name, connectors[name], mode, tty, pressed)
                failed = _report(outcome, name, pressed, results, as_json) or failed
        except KeyboardInterrupt:  # the second Ctrl-C: the job recorded the run
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


def _run_one(
    job: SyncJob, name: str, build: ConnectorFactory, mode: SyncMode, tty: bool, pressed: StopSignal
) -> SyncProgress | Busy:
    if not tty:
        return job.run(name, build, mode, stop=pressed)
    bar, task = _progress_bar(name)

    def on_progress(p: SyncProgress) -> None:
        bar.update(task, completed=p.done, total=p.total)

    with bar:
        return job.run(name, build, mode, stop=pressed, on_progress=on_progress)


def _report(
    outcome: SyncProgress | Busy,
    name: str,
    pressed: StopSignal,
    results: list[dict[str, Any]],
    as_json: bool,
) -> bool:
    """Print (or keep for --json) one source's outcome; True when it failed."""
    if isinstance(outcome, Busy):
        typer.echo(outcome.message, err=True)
        results.append({"source": name, "error": outcome.message})
        return True
    progress = outcome
    stopped = progress.status == "interrupted" and pressed.is_set()
    summary = progress.summary()
    if progress.status == "failed":
        summary["error"] = progress.error
    if stopped:
        summary["interrupted"] = True
    results.append(summary)
    if as_json:
        return progress.status == "failed"
    if stopped:
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
    return progress.status == "failed"
