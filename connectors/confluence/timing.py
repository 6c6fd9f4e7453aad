"""Times of the Confluence connector: ISO timestamps, the server's `Date`, the
checkpoint (`{"since": <ISO instant>}`) an incremental run starts its CQL window from,
and that instant as CQL wants it (wall-clock time in the sync account's time zone)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def server_time(date_header: str | None) -> datetime | None:
    if not date_header:
        return None
    try:
        return parsedate_to_datetime(date_header).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def checkpoint_value(since: datetime) -> str:
    return json.dumps({"since": since.astimezone(UTC).isoformat()})


def checkpoint_since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return parse_time(data.get("since")) if isinstance(data, dict) else None


def cql_time(instant: datetime, zone_name: str | None, unknown_tz_pad: timedelta) -> str:
    """`instant` as a CQL date: CQL reads it in the sync account's time zone
    (`zone_name`); when that is unknown, UTC moved back by `unknown_tz_pad`, so the
    window can only start earlier, never miss a change."""
    zone: ZoneInfo | None = None
    if zone_name:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
    wall = instant.astimezone(UTC) - unknown_tz_pad if zone is None else instant.astimezone(zone)
    return wall.strftime("%Y/%m/%d %H:%M")
