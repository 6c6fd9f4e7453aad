"""The data of the fake Confluence site (tests/fakes/confluence_server.py): users, spaces,
pages and injected faults, and the small helpers both deployments' shapes share."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

V2_MAX = 250


@dataclass
class User:
    account_id: str
    email: str  # "" when hidden by the user's privacy settings
    name: str

    @property
    def user_key(self) -> str:
        """Data Center's stable key (a 32-hex string there)."""
        return f"8a7f80{self.account_id.encode().hex():0>26}"[:32]

    def json_dc(self, expose_email: bool) -> dict[str, Any]:
        """A Data Center `User` (`username`, `userKey`; `email` only where exposed)."""
        out: dict[str, Any] = {
            "type": "known",
            "username": self.account_id,
            "userKey": self.user_key,
            "displayName": self.name,
            "profilePicture": {"path": "/images/icons/profilepics/default.svg"},
            "_links": {"self": f"/rest/api/user?key={self.user_key}"},
        }
        if expose_email and self.email:
            out["email"] = self.email
        return out

    def json(self) -> dict[str, Any]:
        return {
            "type": "known",
            "accountId": self.account_id,
            "accountType": "atlassian",
            "email": self.email,
            "publicName": self.name,
            "displayName": self.name,
        }


@dataclass
class Space:
    id: str
    key: str
    name: str
    read_groups: list[str] = field(default_factory=list)
    read_users: list[str] = field(default_factory=list)  # account ids
    anonymous: bool = False
    forbidden: bool = False  # 403 on its permissions and content
    status: str = "current"  # current | archived | deleted (a deleted space answers 404)


@dataclass
class Content:
    id: str
    type: str  # page | blogpost
    space_key: str
    title: str
    body: str | None
    version: int = 1
    when: datetime = field(default_factory=lambda: datetime.now(UTC))
    author: str = "u-author"
    parent_id: str | None = None
    status: str = "current"  # current | trashed | archived | deleted
    restrict_users: list[str] = field(default_factory=list)
    restrict_groups: list[str] = field(default_factory=list)


@dataclass
class Fault:
    match: str  # substring of the request path+query
    status: int | str  # an HTTP status, "timeout" or "malformed"
    times: int
    retry_after: str | None = None
    every: int = 1  # fail every n-th matching request
    seen: int = 0


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
