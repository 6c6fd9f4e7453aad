"""Per-channel settings: validation messages, partial updates, `off`, and the lookup
cache seeing a change made by another process's connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import messages
from bot.helpchannels.channels import (
    ChannelSettingsError,
    ChannelSettingsLookup,
    ChannelSettingsRepository,
    SourceSpec,
    TicketTarget,
    parse_channel_id,
    parse_sources,
    parse_ticket,
)
from connectors.state import StateStore


def test_source_specs_parse_and_narrow() -> None:
    assert parse_sources("files, confluence:HR,drive:1AbCdEfGh") == (
        SourceSpec("files"),
        SourceSpec("confluence", "HR"),
        SourceSpec("drive", "1AbCdEfGh"),
    )
    assert parse_sources("all") == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jira", messages.CHANNEL_UNKNOWN_SOURCE.format(spec="jira")),
        ("files:docs", messages.CHANNEL_FILES_NOT_NARROWED.format(spec="files:docs")),
        ("confluence:HR space", messages.CHANNEL_BAD_NARROWING.format(spec="confluence:HR space")),
        (" , ", messages.CHANNEL_NO_SOURCES),
    ],
)
def test_bad_source_specs_say_what_to_type(value: str, expected: str) -> None:
    with pytest.raises(ChannelSettingsError) as err:
        parse_sources(value)
    assert err.value.user_message == expected


def test_ticket_specs() -> None:
    assert parse_ticket("jira:IT") == TicketTarget("jira", "IT")
    assert parse_ticket("zendesk") == TicketTarget("zendesk")
    assert parse_ticket("none") is None
    for bad in ("jira", "jira:it", "servicenow", "jira:"):
        with pytest.raises(ChannelSettingsError) as err:
            parse_ticket(bad)
        assert "jira:PROJECT_KEY" in err.value.user_message


@pytest.mark.parametrize(
    "value",
    ["#it-help", "it-help", "general", "D0DMWITHBOT", "19:chat123@thread.v2", "C0 HELP", ""],
)
def test_a_channel_name_or_a_chat_is_refused(value: str) -> None:
    """Saved under a name (or a DM's, a group chat's id) a setting would never apply."""
    with pytest.raises(ChannelSettingsError) as err:
        parse_channel_id(value)
    assert "not its name" in err.value.user_message


def test_slack_and_teams_channel_ids_are_accepted() -> None:
    for value in ("C0123ABCD", "G0PRIVATE1", "19:abc123@thread.tacv2", "19:General1@thread.skype"):
        assert parse_channel_id(f" {value} ") == value


def test_updates_change_only_what_is_given_and_off_keeps_the_rest(state: StateStore) -> None:
    repo = ChannelSettingsRepository(state.engine)
    assert repo.get("C0HELP") is None
    repo.update(
        "C0HELP",
        auto_answer=True,
        sources=parse_sources("confluence:IT"),
        escalate_to="S0SUPPORT",
        ticket=TicketTarget("jira", "IT"),
    )
    repo.update("C0HELP", escalate_to="C0ONCALL")
    got = repo.get("C0HELP")
    assert got is not None
    assert got.auto_answer and got.sources == (SourceSpec("confluence", "IT"),)
    assert got.escalate_to == "C0ONCALL" and got.ticket == TicketTarget("jira", "IT")
    repo.turn_off("C0HELP")
    off = repo.get("C0HELP")
    assert off is not None and not off.auto_answer
    assert off.escalate_to == "C0ONCALL" and off.sources == (SourceSpec("confluence", "IT"),)
    assert [s.channel_id for s in repo.all()] == ["C0HELP"]


def test_the_lookup_sees_another_process_change_within_its_ttl(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'state.sqlite3'}"
    serving, cli = StateStore(url), StateStore(url)  # two engines, as two processes have
    now = [100.0]
    lookup = ChannelSettingsLookup(
        ChannelSettingsRepository(serving.engine), ttl=3.0, clock=lambda: now[0]
    )
    assert lookup.get("C0HELP") is None
    ChannelSettingsRepository(cli.engine).update("C0HELP", auto_answer=True)
    now[0] += 1.0
    assert lookup.get("C0HELP") is None  # cached: no query per message
    now[0] += 2.5
    seen = lookup.get("C0HELP")
    assert seen is not None and seen.auto_answer
    assert list(lookup.auto_answer_channels()) == ["C0HELP"]
    ChannelSettingsRepository(cli.engine).turn_off("C0HELP")
    now[0] += 3.0
    again = lookup.get("C0HELP")
    assert again is not None and not again.auto_answer
    serving.dispose()
    cli.dispose()


def test_an_unreadable_stored_spec_narrows_to_nothing(state: StateStore) -> None:
    from sqlalchemy import update

    from bot.helpchannels.tables import channel_settings

    repo = ChannelSettingsRepository(state.engine)
    repo.update("C0HELP", sources=parse_sources("files"))
    with state.engine.begin() as conn:
        conn.execute(update(channel_settings).values(sources=["sharepoint"]))
    got = repo.get("C0HELP")
    assert got is not None and [s.source for s in got.sources] == ["unreadable"]
