"""`helpdesk channels list|set|show|off` and `helpdesk gaps`: help-channel settings and
the knowledge-gap report from the command line. Registered on the main app by
`bot.cli` with `register(app)`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from bot import messages
from bot.helpchannels.channels import (
    ChannelSettings,
    ChannelSettingsError,
    ChannelSettingsRepository,
    describe,
    parse_channel_id,
    parse_escalation,
    parse_on_off,
    parse_sources,
    parse_ticket,
)

channels_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Help-channel settings, keyed by channel id: auto-answer, sources, escalation, ticket.",
)


def _repository() -> ChannelSettingsRepository:
    from bot.cli import _settings
    from connectors.state import StateStore

    return ChannelSettingsRepository(StateStore(_settings().state_url).engine)


def _fail(exc: ChannelSettingsError) -> typer.Exit:
    typer.echo(exc.user_message, err=True)
    return typer.Exit(2)


def _render(s: ChannelSettings) -> str:
    return describe(s)


def _drive_note(s: ChannelSettings) -> None:
    """A Drive folder narrowing on an index that predates Drive folder ids matches
    nothing until a full Drive sync: say so (and what to run) when that is the case."""
    if not any(x.source == "drive" and x.narrowed_to for x in s.sources):
        return
    from bot.cli import _settings
    from connectors.index import embedded_index_missing, open_configured_index
    from connectors.store_errors import index_errors

    settings = _settings()
    if embedded_index_missing(settings.helpdesk_data_dir, settings.weaviate_url):
        return  # nothing indexed yet: the first sync records the folder ids
    errors: tuple[type[Exception], ...] = (*index_errors(), ConnectionError)
    try:
        index = open_configured_index(settings.index_settings())
        notice = getattr(index.store, "upgrade_notice", None)
        text = notice() if callable(notice) else None
    except errors:  # cannot be opened now: saved all the same
        return
    if text:
        typer.echo(messages.CHANNEL_DRIVE_NARROWING_NOTE.format(notice=text), err=True)


@channels_app.command("set")
def set_channel(
    channel_id: Annotated[str, typer.Argument(help="The channel's id (never its name).")],
    auto_answer: Annotated[
        str | None, typer.Option("--auto-answer", help="on or off", show_default=False)
    ] = None,
    sources: Annotated[
        str | None,
        typer.Option(
            "--sources",
            help="SPEC,…: files, confluence, drive, confluence:SPACEKEY, drive:FOLDER_OR_DRIVE_ID"
            " (or all)",
        ),
    ] = None,
    escalate_to: Annotated[
        str | None,
        typer.Option("--escalate-to", help="Slack user group/user/channel id, Teams channel id"),
    ] = None,
    ticket: Annotated[
        str | None, typer.Option("--ticket", help="jira:PROJECT_KEY, zendesk or none")
    ] = None,
) -> None:
    """Change a channel's settings (only the options given)."""
    if auto_answer is None and sources is None and escalate_to is None and ticket is None:
        typer.echo(messages.CHANNEL_NOTHING_TO_SET, err=True)
        raise typer.Exit(2)
    changes: dict[str, Any] = {}
    try:
        channel = parse_channel_id(channel_id)
        if auto_answer is not None:
            changes["auto_answer"] = parse_on_off(auto_answer)
        if sources is not None:
            changes["sources"] = parse_sources(sources)
        if escalate_to is not None:
            changes["escalate_to"] = parse_escalation(escalate_to)
        if ticket is not None:
            changes["ticket"] = parse_ticket(ticket)
    except ChannelSettingsError as exc:
        raise _fail(exc) from exc
    saved = _repository().update(channel, updated_by="cli", **changes)
    typer.echo(_render(saved))
    typer.echo(messages.CHANNEL_SAVED)
    _drive_note(saved)


@channels_app.command("show")
def show_channel(
    channel_id: Annotated[str, typer.Argument(help="The channel's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the settings as JSON.")] = False,
) -> None:
    """A channel's settings."""
    try:
        channel = parse_channel_id(channel_id)
    except ChannelSettingsError as exc:
        raise _fail(exc) from exc
    found = _repository().get(channel)
    if as_json:
        typer.echo(json.dumps((found or ChannelSettings(channel)).as_json()))
    elif found is None:
        typer.echo(messages.CHANNEL_NOT_CONFIGURED.format(channel_id=channel))
    else:
        typer.echo(_render(found))


@channels_app.command("list")
def list_channels(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list of settings.")] = False,
) -> None:
    """Every channel with settings."""
    rows = _repository().all()
    if as_json:
        typer.echo(json.dumps([s.as_json() for s in rows]))
        return
    if not rows:
        typer.echo(messages.CHANNEL_NONE_CONFIGURED)
        return
    typer.echo(messages.CHANNEL_LIST_HEADER)
    for s in rows:
        typer.echo(
            messages.CHANNEL_LIST_ROW.format(
                channel_id=s.channel_id,
                auto_answer="on" if s.auto_answer else "off",
                sources=", ".join(str(x) for x in s.sources) or messages.CHANNEL_ALL_SOURCES,
                escalate_to=s.escalate_to or messages.CHANNEL_UNSET,
                ticket=str(s.ticket) if s.ticket else messages.CHANNEL_UNSET,
            )
        )


@channels_app.command("off")
def channel_off(
    channel_id: Annotated[str, typer.Argument(help="The channel's id.")],
) -> None:
    """Turn auto-answer off in a channel (its other settings are kept)."""
    try:
        channel = parse_channel_id(channel_id)
    except ChannelSettingsError as exc:
        raise _fail(exc) from exc
    _repository().turn_off(channel, updated_by="cli")
    typer.echo(messages.CHANNEL_TURNED_OFF.format(channel_id=channel))


def gaps(
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="The period, in days.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    include_dms: Annotated[
        bool,
        typer.Option(
            "--include-dms",
            help="Also questions asked in DMs (shown as 'DM'): for your own eyes only.",
        ),
    ] = False,
) -> None:
    """Questions without a grounded answer, escalated or 👎, grouped by meaning."""
    from datetime import UTC, datetime, timedelta

    from bot.cli import _settings
    from bot.helpchannels.gap_records import records_from_state
    from bot.helpchannels.gaps import gap_report, render_gaps
    from connectors.embedder import make_embedder
    from connectors.state import StateStore

    settings = _settings()
    state = StateStore(settings.state_url)
    now = datetime.now(UTC)
    records = records_from_state(state, now - timedelta(days=days))
    embedder = make_embedder(settings.embedder, settings.embedding_model_dir)
    report = gap_report(records, embedder, days, now, include_dms=include_dms)
    typer.echo(json.dumps(report.as_json()) if as_json else render_gaps(report))


def register(app: typer.Typer) -> None:
    app.add_typer(channels_app, name="channels")
    app.command("gaps")(gaps)
