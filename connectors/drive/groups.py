"""Drive group members from the Admin SDK Directory API, re-read in every run.

`members.list(includeDerivedMembership=true)` per group, when the identity may read it
(a delegated admin with the group-member read-only scope). Fail closed: a group whose
listing fails for any reason (no delegated admin, 401/403, 404 — e.g. a group outside
the domain —, 5xx after retries, a timeout, a body that is not a member list) gets *no*
members in this run, and the run says so; it never keeps its old members. Only `USER`
members with status `ACTIVE` and a real email count.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from connectors.base import GroupMembers, SourceError, user_principal
from connectors.drive.client import (
    DIRECTORY_SCOPES,
    DriveApiError,
    GoogleApi,
    directory_endpoint,
    load_credentials,
)
from connectors.drive.permissions import group_email, valid_email
from connectors.messages import DRIVE_GROUPS_NOT_READ as GROUPS_NOT_READ
from connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

_LOGGED: set[str] = set()  # reasons already logged by this process


@dataclass(frozen=True)
class GroupRead:
    members: GroupMembers  # empty when the listing failed
    error: str | None = None


class GroupDirectory:
    """Reads each group's members; after a 401/403 (the identity may not read the
    directory) the rest of the run's groups are not asked (logged once per process)."""

    def __init__(self, api: GoogleApi | None, why_not: str | None = None, workers: int = 4) -> None:
        self._configured = api
        self._configured_why = why_not
        self.api = api
        self.disabled_reason = why_not
        self.workers = max(1, workers)
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        key_file: Any,
        subject: str | None,
        api_url: str | None,
        retry: RetryPolicy,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> GroupDirectory:
        if not subject:
            return cls(None, "no GOOGLE_DELEGATED_USER to act as an admin")
        endpoint = directory_endpoint(api_url)
        try:
            creds = load_credentials(key_file, subject, DIRECTORY_SCOPES, endpoint)
            api = GoogleApi(
                "admin", "directory_v1", creds, endpoint, retry=retry, timeout=timeout, sleep=sleep
            )
        except SourceError as exc:
            return cls(None, exc.message)
        return cls(api)

    def read_all(self, principals: Iterable[str]) -> list[GroupRead]:
        """Members of every `group:drive:` principal, in order; one run's worth."""
        groups = sorted({p for p in principals if group_email(p) is not None})
        self.api, self.disabled_reason = self._configured, self._configured_why
        if not groups:
            return []
        with ThreadPoolExecutor(min(self.workers, len(groups))) as pool:
            return list(pool.map(self.read, groups))

    def read(self, principal: str) -> GroupRead:
        email = group_email(principal)
        api = self.api
        none = GroupMembers(group=principal, members=frozenset())
        if email is None or api is None:
            self.log_once()
            return GroupRead(none, self.disabled_reason or "not a Drive group")
        try:
            return GroupRead(GroupMembers(principal, self._list(api, email)))
        except DriveApiError as exc:
            if exc.status in (401, 403):
                self._disable(f"the Directory API refused: {exc.describe()}")
                self.log_once()
            else:
                log.warning("drive group %s members not read: %s", email, exc.describe())
            return GroupRead(none, exc.describe())
        except SourceError as exc:  # token grant refused, or the API did not answer
            log.warning("drive group %s members not read: %s", email, exc.message)
            return GroupRead(none, exc.message)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # not a member list
            log.warning("drive group %s members not read", email, exc_info=True)
            return GroupRead(none, f"unreadable answer ({type(exc).__name__})")

    def _list(self, api: GoogleApi, email: str) -> frozenset[str]:
        members: set[str] = set()
        token: str | None = None
        while True:
            res = api.call(
                api.service.members().list(
                    groupKey=email,
                    includeDerivedMembership=True,
                    maxResults=200,
                    pageToken=token,
                    fields="nextPageToken,members(email,type,status)",
                )
            )
            if not isinstance(res, Mapping):
                raise ValueError("not an object")
            page = res.get("members") or []
            if not isinstance(page, list):
                raise ValueError("members is not a list")
            for m in page:
                if not isinstance(m, Mapping) or m.get("type") != "USER":
                    continue
                address = valid_email(m.get("email"))
                if address is not None and m.get("status") == "ACTIVE":
                    members.add(user_principal(address))
            token = res.get("nextPageToken")
            if not token:
                return frozenset(members)
            if not isinstance(token, str):
                raise ValueError("nextPageToken is not a string")

    def _disable(self, why: str) -> None:
        with self._lock:
            self.disabled_reason = why
            self.api = None

    def log_once(self) -> None:
        reason = self.disabled_reason
        if reason and reason not in _LOGGED:
            _LOGGED.add(reason)
            log.warning(GROUPS_NOT_READ.format(why=reason))
