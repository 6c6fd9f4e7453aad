"""Per-channel settings: what they are, how they are validated, where they are stored,
and a lookup with a short cache so a running `helpdesk serve` sees a change made from
the CLI (another process) within `CACHE_SECONDS`, without a restart.

Settings per channel id: auto-answer on/off, the sources answers may come from
(`files`, `confluence`, `drive`, optionally narrowed as `confluence:SPACEKEY` or
`drive:FOLDER_OR_DRIVE_ID`; none = every source), the escalation target, and an
optional ticket project (`jira:PROJECT_KEY` or `zendesk`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from bot import messages
from bot.errors import UserFacingError
from bot.helpchannels.tables import channel_settings, create_tables

SOURCE_NAMES = ("files", "confluence", "drive")
CACHE_SECONDS = 3.0  # the contract: a change is seen within 5 s

_SPACE_KEY = re.compile(r"^~?[A-Za-z0-9_]{1,255}$")
_DRIVE_ID = re.compile(r"^[A-Za-z0-9_-]{5,128}$")
_JIRA_PROJECT = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
# a Slack channel id (C…, or G… for an older private channel) or a Teams channel's
# conversation id; anything else (a name like `it-help`, a DM, a Teams group chat)
# would be saved under an id no message ever carries
_CHANNEL_ID = re.compile(r"^(?:[CG][A-Z0-9]{2,40}|19:[^\s;]{1,400}@thread\.(?:tacv2|skype))$")


class ChannelSettingsError(UserFacingError):
    """Bad input to a channel setting; the message says what to type instead."""


@dataclass(frozen=True)
class SourceSpec:
    source: str  # files | confluence | drive
    narrowed_to: str | None = None  # Confluence space key or Drive folder / shared drive id

    def __str__(self) -> str:
        return f"{self.source}:{self.narrowed_to}" if self.narrowed_to else self.source


@dataclass(frozen=True)
class TicketTarget:
    system: str  # jira | zendesk
    project: str | None = None  # the Jira project key

    def __str__(self) -> str:
        return f"{self.system}:{self.project}" if self.project else self.system


@dataclass(frozen=True)
class ChannelSettings:
    channel_id: str
    auto_answer: bool = False
    sources: tuple[SourceSpec, ...] = ()  # () = every configured source
    escalate_to: str | None = None
    ticket: TicketTarget | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "auto_answer": self.auto_answer,
            "sources": [str(s) for s in self.sources],
            "escalate_to": self.escalate_to,
            "ticket": str(self.ticket) if self.ticket else None,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def describe(s: ChannelSettings, escape: Callable[[str], str] = str) -> str:
    """A channel's settings as shown by `channels show` and `channel show` in chat;
    `escape`: the chat surface's escaping of the values people typed."""
    return messages.CHANNEL_SHOW.format(
        channel_id=escape(s.channel_id),
        auto_answer="on" if s.auto_answer else "off",
        sources=escape(", ".join(str(x) for x in s.sources)) or messages.CHANNEL_ALL_SOURCES,
        escalate_to=escape(s.escalate_to) if s.escalate_to else messages.CHANNEL_UNSET,
        ticket=escape(str(s.ticket)) if s.ticket else messages.CHANNEL_UNSET,
        updated=(
            f"{s.updated_at:%Y-%m-%d %H:%M} UTC"
            + (f" by {escape(s.updated_by)}" if s.updated_by else "")
            if s.updated_at
            else messages.CHANNEL_UNSET
        ),
    )


# ------------------------------------------------------------------ parsing / validation
def parse_channel_id(value: str) -> str:
    value = value.strip()
    if value.startswith("#") or not _CHANNEL_ID.match(value):
        raise ChannelSettingsError(messages.CHANNEL_BAD_ID.format(value=value))
    return value


def parse_source_spec(value: str) -> SourceSpec:
    name, _, narrow = value.strip().partition(":")
    name = name.strip().lower()
    narrow = narrow.strip()
    if name not in SOURCE_NAMES:
        raise ChannelSettingsError(messages.CHANNEL_UNKNOWN_SOURCE.format(spec=value.strip()))
    if not narrow:
        return SourceSpec(name)
    if name == "files":
        raise ChannelSettingsError(messages.CHANNEL_FILES_NOT_NARROWED.format(spec=value.strip()))
    pattern = _SPACE_KEY if name == "confluence" else _DRIVE_ID
    if not pattern.match(narrow):
        raise ChannelSettingsError(messages.CHANNEL_BAD_NARROWING.format(spec=value.strip()))
    return SourceSpec(name, narrow)


def parse_sources(value: str) -> tuple[SourceSpec, ...]:
    """`files,confluence:HR` → specs; `all` → () (every source)."""
    if value.strip().lower() == "all":
        return ()
    parts = [p for p in (x.strip() for x in value.split(",")) if p]
    if not parts:
        raise ChannelSettingsError(messages.CHANNEL_NO_SOURCES)
    specs = [parse_source_spec(p) for p in parts]
    return tuple(dict.fromkeys(specs))  # keep order, drop repeats


def parse_ticket(value: str) -> TicketTarget | None:
    """`jira:PROJECT_KEY` or `zendesk`; `none` clears it."""
    raw = value.strip()
    if raw.lower() == "none":
        return None
    if raw.lower() == "zendesk":
        return TicketTarget("zendesk")
    system, _, project = raw.partition(":")
    if system.lower() == "jira" and _JIRA_PROJECT.match(project.strip()):
        return TicketTarget("jira", project.strip())
    raise ChannelSettingsError(messages.CHANNEL_BAD_TICKET.format(value=raw))


def parse_on_off(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("on", "true", "yes"):
        return True
    if lowered in ("off", "false", "no"):
        return False
    raise ChannelSettingsError(messages.CHANNEL_BAD_ON_OFF.format(value=value))


def parse_escalation(value: str) -> str | None:
    raw = value.strip()
    if raw.lower() == "none":
        return None
    if not raw or len(raw) > 512:
        raise ChannelSettingsError(messages.CHANNEL_BAD_ESCALATION)
    return raw


def _from_row(row: Any) -> ChannelSettings:
    specs: list[SourceSpec] = []
    for raw in row["sources"] or []:
        try:
            specs.append(parse_source_spec(str(raw)))
        except ChannelSettingsError:
            # an unreadable stored spec narrows to nothing rather than widening to all
            specs.append(SourceSpec("unreadable", str(raw)))
    ticket = None
    if row["ticket"]:
        try:
            ticket = parse_ticket(str(row["ticket"]))
        except ChannelSettingsError:
            ticket = None
    updated = row["updated_at"]
    return ChannelSettings(
        channel_id=row["channel_id"],
        auto_answer=bool(row["auto_answer"]),
        sources=tuple(specs),
        escalate_to=row["escalate_to"],
        ticket=ticket,
        updated_by=row["updated_by"] or "",
        updated_at=updated.replace(tzinfo=UTC) if updated and not updated.tzinfo else updated,
    )


# ------------------------------------------------------------------ repository
_UNSET: Any = object()


class ChannelSettingsRepository:
    """Typed access to `channel_settings` on the state store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine)

    def get(self, channel_id: str) -> ChannelSettings | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(channel_settings).where(channel_settings.c.channel_id == channel_id)
                )
                .mappings()
                .first()
            )
        return _from_row(row) if row else None

    def all(self) -> list[ChannelSettings]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(channel_settings).order_by(channel_settings.c.channel_id)
            ).mappings()
            return [_from_row(r) for r in rows]

    def update(
        self,
        channel_id: str,
        *,
        auto_answer: bool | None = None,
        sources: Sequence[SourceSpec] | None = None,
        escalate_to: str | None = _UNSET,
        ticket: TicketTarget | None = _UNSET,
        updated_by: str = "",
    ) -> ChannelSettings:
        """Change only the given settings (a new channel starts with auto-answer off)."""
        current = self.get(channel_id) or ChannelSettings(channel_id)
        new = replace(
            current,
            auto_answer=current.auto_answer if auto_answer is None else auto_answer,
            sources=current.sources if sources is None else tuple(sources),
            escalate_to=current.escalate_to if escalate_to is _UNSET else escalate_to,
            ticket=current.ticket if ticket is _UNSET else ticket,
            updated_by=updated_by,
            updated_at=datetime.now(UTC),
        )
        values = {
            "auto_answer": new.auto_answer,
            "sources": [str(s) for s in new.sources],
            "escalate_to": new.escalate_to,
            "ticket": str(new.ticket) if new.ticket else None,
            "updated_by": new.updated_by,
            "updated_at": new.updated_at,
        }
        with self.engine.begin() as conn:
            res = conn.execute(
                update(channel_settings)
                .where(channel_settings.c.channel_id == channel_id)
                .values(**values)
            )
            if not res.rowcount:
                conn.execute(insert(channel_settings).values(channel_id=channel_id, **values))
        return new

    def turn_off(self, channel_id: str, updated_by: str = "") -> ChannelSettings:
        """Auto-answer off; the other settings stay, so turning it on again is one flag."""
        return self.update(channel_id, auto_answer=False, updated_by=updated_by)


class ChannelSettingsLookup:
    """Settings by channel id for the answering path: the whole table is re-read at
    most every `ttl` seconds (one small query), so a change made by another process is
    seen within `ttl` and a busy channel costs no query per message."""

    def __init__(
        self,
        repository: ChannelSettingsRepository,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._by_id: dict[str, ChannelSettings] = {}

    def get(self, channel_id: str) -> ChannelSettings | None:
        now = self.clock()
        with self._lock:
            if self._loaded_at is None or now - self._loaded_at >= self.ttl:
                self._by_id = {s.channel_id: s for s in self.repository.all()}
                self._loaded_at = now
            return self._by_id.get(channel_id)

    def auto_answer_channels(self) -> Iterable[str]:
        self.get("")
        return [c for c, s in self._by_id.items() if s.auto_answer]
