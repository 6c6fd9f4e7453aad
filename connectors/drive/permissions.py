"""Drive permissions → `Acl`, strictly: anything not positively understood grants nothing.

A permission grants read access only when all of this holds (otherwise it is skipped,
which can only make the readers fewer):
- it is an object with a known `role` (owner, organizer, fileOrganizer, writer,
  commenter, reader) and no `view` (a `published`/`metadata` view is not a full read);
- it is not `deleted`, not expired (`expirationTime` in the past or unreadable), and
  not an ownership still pending (`pendingOwner` with role `owner`);
- `user` / `group`: a real email address → `user:<email>` / `group:drive:<email>`;
- `domain` / `anyone`: only with `allowFileDiscovery: true` (findable in search; a
  missing value counts as false). Link-only sharing ("anyone with the link") is not
  publication: such a permission adds no reader at all, so the file is readable only
  by its listed users and groups. A discoverable `domain` → `domain:<name>`, or public
  for DRIVE_PUBLIC_DOMAINS; a discoverable `anyone` → public;
- any other `type` → nothing.
- Folders with limited access (`inheritedPermissionsDisabled` on the file, on one of
  its permissions, or on a folder above it): only owners, organizers and permissions
  added directly on the file or inherited from the limited folder or below count; a
  permission whose origin is not reported (`permissionDetails`) does not.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import Acl, domain_principal, group_principal, user_principal

log = logging.getLogger(__name__)

SOURCE = "drive"
GROUP_PREFIX = f"group:{SOURCE}:"
READ_ROLES = frozenset({"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"})
ALWAYS_IN_LIMITED = frozenset({"owner", "organizer"})


def is_limited(flag: object) -> bool:
    """`inheritedPermissionsDisabled`: anything but absent or an explicit false is on."""
    return flag is not None and flag is not False


def acl_from_permissions(
    permissions: Iterable[Any],
    public_domains: Iterable[str] = (),
    limited: Collection[str] | None = None,
    now: datetime | None = None,
) -> Acl:
    """`limited`: the ids (the limited folder and those below it, down to the file) whose
    permissions still apply when the file sits in a folder with limited access."""
    public_set = {d.strip().lower() for d in public_domains if d.strip()}
    perms = [p for p in permissions if isinstance(p, Mapping)]
    if limited is None and any(is_limited(p.get("inheritedPermissionsDisabled")) for p in perms):
        limited = frozenset()
    when = now or datetime.now(UTC)
    public = False
    principals: set[str] = set()
    for perm in perms:
        if not _grants_read(perm, when):
            continue
        if limited is not None and not _survives_limit(perm, limited):
            continue
        kind = perm.get("type")
        if kind in ("user", "group"):
            email = valid_email(perm.get("emailAddress"))
            if email is None:
                continue
            principals.add(
                user_principal(email) if kind == "user" else group_principal(SOURCE, email)
            )
        elif kind in ("domain", "anyone"):
            if perm.get("allowFileDiscovery") is not True:
                continue  # link-only: readable by whoever has the link, not published
            if kind == "anyone":
                public = True
                continue
            domain = perm.get("domain")
            if not isinstance(domain, str) or not _is_domain(domain):
                continue
            if domain.strip().lower() in public_set:
                public = True
            else:
                principals.add(domain_principal(domain))
        else:
            log.info("drive permission of unknown type %r ignored", kind)
    return Acl(public=public, principals=frozenset(principals))


def _grants_read(perm: Mapping[str, Any], now: datetime) -> bool:
    role = perm.get("role")
    if role not in READ_ROLES:
        return False
    if perm.get("deleted") not in (None, False) or perm.get("view") not in (None, ""):
        return False
    if role == "owner" and perm.get("pendingOwner") not in (None, False):
        return False
    expires = perm.get("expirationTime")
    if expires is not None:
        try:
            when = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        except ValueError:
            return False
        if when.tzinfo is None or when <= now:
            return False
    return True


def _survives_limit(perm: Mapping[str, Any], allowed: Collection[str]) -> bool:
    if perm.get("role") in ALWAYS_IN_LIMITED:
        return True
    details = perm.get("permissionDetails")
    if not isinstance(details, list):
        return False
    for detail in details:
        if not isinstance(detail, Mapping):
            continue
        inherited = detail.get("inherited")
        if inherited is False:
            return True
        if inherited is True and detail.get("inheritedFrom") in allowed:
            return True
    return False


def valid_email(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    email = value.strip()
    local, at, domain = email.partition("@")
    if not at or not local or not _is_domain(domain) or any(c.isspace() for c in email):
        return None
    return email


def _is_domain(value: str) -> bool:
    name = value.strip()
    return "." in name and not any(c.isspace() or c in "@/:" for c in name)


def group_email(principal: str) -> str | None:
    return principal[len(GROUP_PREFIX) :] if principal.startswith(GROUP_PREFIX) else None
