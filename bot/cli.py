"""The `helpdesk` command: sync, forget, ask, chat, status, eval, serve, worker."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from bot import messages
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.answering.claude_process import ClaudeWorker
    from bot.services import Services


class HelpdeskCommands(TyperGroup):
    """Every command runs through `invoke`: the one place where a store that cannot be
    reached (state database, Weaviate), raised wherever a command first opens it, becomes
    one line on stderr and exit 1, as a failed sync is (a configuration error is exit 2)."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click.Context
        from connectors.store_errors import StoreUnreachableError

        try:
            return super().invoke(ctx)
        except StoreUnreachableError as exc:
            typer.echo(messages.CLI_STORE_UNREACHABLE.format(message=exc), err=True)
            raise typer.Exit(1) from exc


app = typer.Typer(
    cls=HelpdeskCommands,
    add_completion=False,
    no_args_is_help=True,
    help="Helpdesk bot: answers employees' questions from Confluence and Google Drive.",
)


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _settings(*checks: Callable[[Settings], None], data_dir: bool = True) -> Settings:
    """The settings, checked: a configuration error is one line on stderr and exit 2."""
    from bot.checks import check_data_dir, check_embedder, check_source_names
    from bot.errors import ConfigError

    try:
        settings = load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first.get("loc", ())).upper()
        typer.echo(messages.CLI_CONFIG_ERROR.format(message=f"{key}: {first.get('msg')}"), err=True)
        raise typer.Exit(2) from exc
    always = [check_source_names, check_embedder] + ([check_data_dir] if data_dir else [])
    try:
        for check in [*always, *checks]:
            check(settings)
    except ConfigError as exc:
        typer.echo(messages.CLI_CONFIG_ERROR.format(message=exc.user_message), err=True)
        raise typer.Exit(2) from exc
    return settings


def _check_as(as_user: str | None) -> None:
    if as_user is not None and not EMAIL.match(as_user):
        typer.echo(messages.CLI_AS_NOT_EMAIL.format(value=as_user), err=True)
        raise typer.Exit(2)


def _refuse_empty_index(settings: Settings, services: Services | None = None) -> None:
    """Asking before any sync: say so (exit 1) instead of answering from nothing. A fresh
    embedded install is recognised before anything is opened, so nothing is written."""
    if services is None:
        from connectors.index_location import embedded_index_missing

        if not embedded_index_missing(settings.helpdesk_data_dir, settings.weaviate_url):
            return
    elif services.index.count() > 0:
        return
    typer.echo(messages.CLI_EMPTY_INDEX, err=True)
    raise typer.Exit(1)


def _logging(settings: Settings, quiet: bool = True) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("httpx", "httpx2", "anthropic", "lancedb", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # googleapiclient logs every retried 403 rate-limit answer; our client logs retries
    logging.getLogger("googleapiclient.http").setLevel(logging.ERROR)


def _services(
    settings: Settings, answering: bool = True, claude_worker: ClaudeWorker | None = None
) -> Services:
    from bot.services import build_services

    return build_services(
        settings, answering=answering, claude_worker=claude_worker, connect_index=True
    )


def _claude_worker(settings: Settings) -> ClaudeWorker | None:
    """With Claude configured, its helper process, started before the heavy imports so
    `import anthropic` runs on another core meanwhile (see bot/answering/claude_process)."""
    from bot.answering.claude_process import start_worker

    return start_worker(settings)


def _preload_embedder(settings: Settings) -> None:
    """The embedding model loads on the other core while this one imports the rest
    (see connectors/onnx_model)."""
    if settings.embedder == "onnx":
        from connectors.onnx_model import preload

        preload(settings.embedding_model_dir)


@app.command()
def sync(
    source: Annotated[
        str | None, typer.Argument(help="files, confluence or drive (default: all)")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-list everything (re-embeds only changes).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per source.")] = False,
) -> None:
    """Sync one source (or every configured one) into the index."""
    from bot.checks import check_sources
    from bot.sync_command import run_sync

    settings = _settings(check_sources)
    _logging(settings, quiet=True)
    code = run_sync(settings, source, full=full, as_json=as_json)
    raise typer.Exit(code)


@app.command()
def forget(
    source: Annotated[
        str, typer.Argument(help="A source that is no longer configured, e.g. files")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Remove a source that is no longer configured: its documents, chunks and sync
    history (`helpdesk status` lists such sources). A configured source is refused."""
    from bot.sync_command import run_forget

    settings = _settings()
    _logging(settings, quiet=True)
    raise typer.Exit(run_forget(settings, source, as_json=as_json))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Answer as this user would be answered in a DM (email)."),
    ] = None,
) -> None:
    """Answer one question (public documents only, as in a channel, unless --as)."""
    if not question.strip():
        typer.echo(messages.CLI_ASK_EMPTY, err=True)
        raise typer.Exit(2)
    _check_as(as_user)
    settings = _settings()
    _logging(settings)
    worker = _claude_worker(settings)
    _refuse_empty_index(settings)
    _preload_embedder(settings)
    from bot.adapters.terminal import TerminalSession, answer_json

    services = _services(settings, claude_worker=worker)
    _refuse_empty_index(settings, services)
    session = TerminalSession(services.conversation, as_user, echo=not as_json)
    answer = asyncio.run(session.ask(question))
    if as_json:
        typer.echo(answer_json(answer))


@app.command()
def chat(
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Chat as this user would in a DM (email)."),
    ] = None,
) -> None:
    """A terminal chat with the bot; the conversation is context for follow-ups."""
    from bot.adapters.terminal import chat_loop

    _check_as(as_user)
    settings = _settings()
    _logging(settings)
    worker = _claude_worker(settings)
    _refuse_empty_index(settings)
    _preload_embedder(settings)
    services = _services(settings, claude_worker=worker)
    _refuse_empty_index(settings, services)
    who = (
        messages.CLI_CHAT_AS_USER.format(email=as_user) if as_user else messages.CLI_CHAT_AS_PUBLIC
    )
    mode = (
        messages.CLI_MODE_CLAUDE.format(model=settings.anthropic_model)
        if services.engine.generator
        else messages.CLI_MODE_EXTRACTIVE
    )
    banner = messages.CLI_CHAT_BANNER.format(
        sources=", ".join(services.sources) or "-", who=who, mode=mode
    )
    try:
        asyncio.run(chat_loop(services.conversation, as_user, banner))
    except KeyboardInterrupt:
        typer.echo("")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Per source: documents, chunks, last sync, last error."""
    from bot.status import (
        collect_status,
        empty_status,
        never_synced,
        render_never_synced,
        render_status,
    )

    settings = _settings()
    _logging(settings)
    if never_synced(settings):  # a fresh install: report that, and create nothing
        typer.echo(json.dumps(empty_status(settings)) if as_json else render_never_synced(settings))
        return
    services = _services(settings, answering=False)
    report = collect_status(services)
    typer.echo(json.dumps(report, default=str) if as_json else render_status(report))


@app.command(name="eval")
def evaluate(
    dataset_dir: Annotated[
        Path | None,
        typer.Argument(help="Folder with corpus/queries/qrels.jsonl; with --answers a dev set"),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Cut-off for recall@k.")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    answers: Annotated[
        bool,
        typer.Option("--answers", help="Answer quality on a dev set (default: the bundled one)."),
    ] = False,
    claude: Annotated[
        bool, typer.Option("--claude", help="With --answers: use Claude when a key is set.")
    ] = False,
    fallback: Annotated[
        Path | None,
        typer.Option("--fallback", help="Data set to score when DATASET_DIR does not exist."),
    ] = None,
) -> None:
    """Retrieval quality (recall@k, MRR@10, nDCG@10) for hybrid, keyword and vector;
    with --answers, answer quality on a labelled dev set over samples/."""
    settings = _settings(data_dir=False)  # both evals index into a scratch folder
    _logging(settings)
    if answers:
        from bot.answering.dev_eval import (
            DEV_SET,
            load_cases,
            render_summary,
            run_answer_eval,
            summarize,
        )

        path = dataset_dir or DEV_SET
        if not path.is_file():
            typer.echo(messages.CLI_EVAL_MISSING_ANSWERS.format(path=path), err=True)
            raise typer.Exit(2)
        outcomes = run_answer_eval(settings, load_cases(path), claude=claude)
        summary = summarize(outcomes)
        mode = outcomes[0].answer.mode if outcomes else "extractive"
        typer.echo(json.dumps(summary) if as_json else render_summary(summary, mode))
        return
    from bot.evaluation import render_eval, run_eval

    if dataset_dir is None:
        typer.echo(messages.CLI_EVAL_NO_DATASET, err=True)
        raise typer.Exit(2)
    if not dataset_dir.is_dir():
        typer.echo(messages.CLI_EVAL_DATASET_ABSENT.format(path=dataset_dir), err=True)
        if fallback is None or not fallback.is_dir():
            raise typer.Exit(2)
        typer.echo(messages.CLI_EVAL_FALLBACK.format(path=fallback), err=True)
        dataset_dir = fallback
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.jsonl"):
        if not (dataset_dir / name).is_file():
            typer.echo(messages.CLI_EVAL_MISSING.format(path=dataset_dir / name), err=True)
            raise typer.Exit(2)
    report = run_eval(settings, dataset_dir, k=k, progress=not as_json and sys.stderr.isatty())
    typer.echo(json.dumps(report) if as_json else render_eval(report))


@app.command()
def serve() -> None:
    """Run the chat adapters (Slack, Teams) and, with RUN_WORKER=true, the sync scheduler."""
    from bot.checks import check_sources, check_teams
    from bot.errors import ConfigError
    from bot.server import check_slack_settings, run_server

    def worker_sources(settings: Settings) -> None:
        if settings.run_worker:  # the embedded scheduler syncs the sources
            check_sources(settings)

    settings = _settings(check_slack_settings, check_teams, worker_sources)
    _logging(settings, quiet=False)
    if not settings.slack_bot_token and not settings.microsoft_app_id:
        typer.echo(messages.CLI_SERVE_NO_PLATFORM, err=True)
    try:
        run_server(settings)
    except ConfigError as exc:
        typer.echo(messages.CLI_CONFIG_ERROR.format(message=exc.user_message), err=True)
        raise typer.Exit(2) from exc


@app.command()
def worker() -> None:
    """Run the sync scheduler and serve reindex requests (production worker process)."""
    from bot.checks import check_sources
    from bot.services import build_services
    from connectors.registry import configured_sources
    from connectors.worker import run_until_signalled

    settings = _settings(check_sources)
    _logging(settings, quiet=False)
    if not configured_sources(settings):
        typer.echo(messages.CLI_NO_SOURCES, err=True)
        raise typer.Exit(2)
    services = build_services(settings, answering=False, connect_index=True)
    try:
        run_until_signalled(services.worker())
    finally:
        services.close()


def _register_help_channels() -> None:
    from bot.channels_command import register

    register(app)


_register_help_channels()


def main() -> None:
    from connectors.no_telemetry import disable_library_telemetry

    disable_library_telemetry()  # before any library is imported: no unasked calls
    app()


if __name__ == "__main__":
    main()
