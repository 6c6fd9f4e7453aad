"""Drive permissions → `Acl`, and group membership from the Admin SDK Directory.

- `user` → `user:<email>`; `group` → `group:drive:<email>`; `domain` → `domain:<name>`,
  or public when the domain is in DRIVE_PUBLIC_DOMAINS; `anyone` → public.
- Every role reads (reader, commenter, writer, fileOrganizer, organizer, owner).
- Group members come from `members.list(includeDerivedMembership=true)` when the
  identity may read them (a delegated admin with the group-member read-only scope);
  otherwise groups stay principals, logged once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.base import (
    Acl,
    GroupMembers,
    SourceError,
    domain_principal,
    group_principal,
    user_principal,
)
from connectors.drive.client import (
    DIRECTORY_SCOPES,
    DriveApiError,
    GoogleApi,
    RetryPolicy,
    directory_endpoint,
    load_credentials,
)
from connectors.messages import (
    DRIVE_GROUPS_NOT_READ as GROUPS_NOT_READ,
)

log = logging.getLogger(__name__)

SOURCE = "drive"
GROUP_PREFIX = f"group:{SOURCE}:"

_LOGGED: set[str] = set()  # reasons already logged by this process


def acl_from_permissions(
    permissions: Iterable[Mapping[str, Any]], public_domains: Iterable[str] = ()
) -> Acl:
    public_set = {d.strip().lower() for d in public_domains if d.strip()}
    public = False
    principals: set[str] = set()
    for perm in permissions:
        if perm.get("deleted"):
            continue
        kind = str(perm.get("type") or "")
        email = str(perm.get("emailAddress") or "").strip()
        if kind == "anyone":
            public = True
        elif kind == "domain":
            domain = str(perm.get("domain") or "").strip().lower()
            if not domain:
                continue
            if domain in public_set:
                public = True
            else:
                principals.add(domain_principal(domain))
        elif kind == "user" and email:
            principals.add(user_principal(email))
        elif kind == "group" and email:
            principals.add(group_principal(SOURCE, email))
    return Acl(public=public, principals=frozenset(principals))


def owners_acl(file: Mapping[str, Any]) -> Acl:
    """When permissions cannot be read: only the owners (fail closed)."""
    owners = file.get("owners") or []
    emails = {str(o.get("emailAddress")) for o in owners if o.get("emailAddress")}
    return Acl(public=False, principals=frozenset(user_principal(e) for e in emails))


def group_email(principal: str) -> str | None:
    return principal[len(GROUP_PREFIX) :] if principal.startswith(GROUP_PREFIX) else None


class GroupDirectory:
    """Reads group members once per group and run; disables itself (logged once) when the
    identity may not."""

    def __init__(self, api: GoogleApi | None, why_not: str | None = None) -> None:
        self.api = api
        self.disabled_reason = why_not
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls, key_file: Any, subject: str | None, api_url: str | None, retry: RetryPolicy
    ) -> GroupDirectory:
        if not subject:
            return cls(None, "no GOOGLE_DELEGATED_USER to act as an admin")
        endpoint = directory_endpoint(api_url)
        try:
            creds = load_credentials(key_file, subject, DIRECTORY_SCOPES, endpoint)
            api = GoogleApi("admin", "directory_v1", creds, endpoint, retry=retry)
        except SourceError as exc:
            return cls(None, exc.message)
        return cls(api)

    def _disable(self, why: str) -> None:
        with self._lock:
            self.disabled_reason = why
            self.api = None

    def log_once(self) -> None:
        reason = self.disabled_reason
        if reason and reason not in _LOGGED:
            _LOGGED.add(reason)
            log.warning(GROUPS_NOT_READ.format(why=reason))

    def members(self, principal: str) -> GroupMembers | None:
        email = group_email(principal)
        api = self.api
        if email is None or api is None:
            self.log_once()
            return None
        members: set[str] = set()
        token: str | None = None
        try:
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
                for m in res.get("members") or []:
                    if m.get("type", "USER") == "USER" and m.get("email"):
                        members.add(user_principal(str(m["email"])))
                token = res.get("nextPageToken")
                if not token:
                    break
        except DriveApiError as exc:
            if exc.status == 404:  # a group outside the domain: keep it as a principal
                log.info("drive group %s not in the directory", email)
                return None
            if exc.status in (401, 403):
                self._disable(f"the Directory API refused: {exc.describe()}")
                self.log_once()
                return None
            raise
        except SourceError as exc:  # token grant refused for the directory scope
            self._disable(f"no token for the Directory scope: {exc.message}")
            self.log_once()
            return None
        return GroupMembers(group=principal, members=frozenset(members))
