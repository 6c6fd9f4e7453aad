"""`helpdesk channels list|set|show|off` and `helpdesk gaps`: help-channel settings and
the knowledge-gap report from the command line. Registered on the main app by
`bot.cli` with `register(app)`. Everything comes from the composition root
(`bot.services.build_services`), as for every other command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot import messages

if TYPE_CHECKING:  # imported where used: `helpdesk ask` registers these commands at
    # start-up and must not pay for the SQL layer before it starts its background work
    from bot.helpchannels.channels import ChannelSettings, ChannelSettingsError
    from bot.services import Services

channels_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Help-channel settings, keyed by channel id: auto-answer, sources, escalation, ticket.",
)


@contextmanager
def _services() -> Iterator[Services]:
    """The composition root's services for one command (state opened, index and embedder
    only if the command needs them), closed afterwards."""
    from bot.cli import _settings
    from bot.services import build_services

    services = build_services(_settings(), answering=False)
    try:
        yield services
    finally:
        services.close()


def _save(channel: str, changes: dict[str, Any]) -> ChannelSettings:
    with _services() as services:
        saved = services.channels.update(channel, updated_by="cli", **changes)
        typer.echo(_render(saved))
        typer.echo(messages.CHANNEL_SAVED)
        _drive_note(services, saved)
        return saved


def _fail(exc: ChannelSettingsError) -> typer.Exit:
    typer.echo(exc.user_message, err=True)
    return typer.Exit(2)


def _render(s: ChannelSettings) -> str:
    from bot.helpchannels.channels import describe

    return describe(s)


def _drive_note(services: Services, s: ChannelSettings) -> None:
    """A Drive folder narrowing on an index that predates Drive folder ids matches
    nothing until a full Drive sync: say so (and what to run) when that is the case."""
    if not any(x.source == "drive" and x.narrowed_to for x in s.sources):
        return
    from connectors.index_location import embedded_index_missing
    from connectors.store_errors import index_errors

    settings = services.settings
    if embedded_index_missing(settings.helpdesk_data_dir, settings.weaviate_url):
        return  # nothing indexed yet: the first sync records the folder ids
    errors: tuple[type[Exception], ...] = (*index_errors(), ConnectionError)
    try:
        text = services.index.upgrade_notice()
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
    from bot.helpchannels.channels import (
        ChannelSettingsError,
        parse_channel_id,
        parse_escalation,
        parse_on_off,
        parse_sources,
        parse_ticket,
    )

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
    _save(channel, changes)


@channels_app.command("show")
def show_channel(
    channel_id: Annotated[str, typer.Argument(help="The channel's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the settings as JSON.")] = False,
) -> None:
    """A channel's settings."""
    from bot.helpchannels.channels import ChannelSettings, ChannelSettingsError, parse_channel_id

    try:
        channel = parse_channel_id(channel_id)
    except ChannelSettingsError as exc:
        raise _fail(exc) from exc
    with _services() as services:
        found = services.channels.get(channel)
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
    with _services() as services:
        rows = services.channels.all()
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
    from bot.helpchannels.channels import ChannelSettingsError, parse_channel_id

    try:
        channel = parse_channel_id(channel_id)
    except ChannelSettingsError as exc:
        raise _fail(exc) from exc
    with _services() as services:
        services.channels.turn_off(channel, updated_by="cli")
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

    from bot.helpchannels.gap_records import asked_questions
    from bot.helpchannels.gaps import gap_report, render_gaps

    now = datetime.now(UTC)
    with _services() as services:
        records = asked_questions(services.chat, services.state, now - timedelta(days=days))
        report = gap_report(records, services.embedder, days, now, include_dms=include_dms)
    typer.echo(json.dumps(report.as_json()) if as_json else render_gaps(report))


def register(app: typer.Typer) -> None:
    app.add_typer(channels_app, name="channels")
    app.command("gaps")(gaps)
