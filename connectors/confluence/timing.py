"""Times of the Confluence connector: ISO timestamps, the server's `Date`, and the
checkpoint (`{"since": <ISO instant>}`) an incremental run starts its CQL window from."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


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
