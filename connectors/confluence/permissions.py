"""Confluence permissions → `Acl`.

Who may read a page = the space's view permission ∩ the read restrictions of the page
and of every ancestor (a restricted parent restricts its children; blog posts have no
ancestors). Each of those is a `Readers` level; `meet` intersects two levels exactly,
expanding a group into its members only where a group on one side has to be matched
against users of the other (so the common case — the same group on both sides, or an
unrestricted level — needs no membership look-up at all).

A level is "everyone" when it grants anonymous access or a group listed in
`CONFLUENCE_PUBLIC_GROUPS` (default `confluence-users`, every licensed user): a page
whose every level is "everyone" becomes `Acl(public=True)`.

Principals: `user:<email>` (`connectors.base.user_principal`) whenever the API shows
the email — that is what a chat asker's email matches. Cloud hides emails of users who
chose so; those become `user:accountid:<id>` (Data Center: `user:username:<name>`), which
keeps the ACL exact (never widened) but only matches askers once an account-id mapping
exists. Groups are `group:confluence:<name>` by name, as restrictions name them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import Acl, group_principal, user_principal

SOURCE = "confluence"

Members = Callable[[str], frozenset[str]]  # group name (lower-case) -> user principals


def user_key(user: Mapping[str, Any]) -> str | None:
    """The principal of a v1 `User` object (email when visible, account id otherwise)."""
    email = user.get("email")
    if isinstance(email, str) and "@" in email:
        return user_principal(email)
    account = user.get("accountId")
    if isinstance(account, str) and account:
        return f"user:accountid:{account}"
    name = user.get("username") or user.get("userKey")
    if isinstance(name, str) and name:
        return f"user:username:{name.lower()}"
    return None


@dataclass(frozen=True)
class GroupRef:
    name: str  # lower-cased
    id: str | None = None


@dataclass(frozen=True)
class Readers:
    """One permission level: everyone, or the listed users and groups."""

    everyone: bool
    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()  # lower-cased group names

    @classmethod
    def anyone(cls) -> Readers:
        return cls(everyone=True)

    @classmethod
    def build(
        cls, users: Iterable[str], groups: Iterable[str], public_groups: frozenset[str]
    ) -> Readers:
        gs = frozenset(g.strip().lower() for g in groups)
        if gs & public_groups:
            return cls(everyone=True)
        return cls(everyone=False, users=frozenset(users), groups=gs)


def _covered(user: str, level: Readers, members: Members) -> bool:
    return user in level.users or any(user in members(g) for g in level.groups)


def meet(a: Readers, b: Readers, members: Members) -> Readers:
    """Readers of both levels."""
    if a.everyone:
        return b
    if b.everyone:
        return a
    groups = a.groups & b.groups
    users: set[str] = set()
    for u in a.users:
        if _covered(u, b, members):
            users.add(u)
    for u in b.users:
        if _covered(u, a, members):
            users.add(u)
    for g in a.groups - groups:
        users.update(u for u in members(g) if _covered(u, b, members))
    for g in b.groups - groups:
        users.update(u for u in members(g) if _covered(u, a, members))
    return Readers(everyone=False, users=frozenset(users), groups=groups)


def to_acl(level: Readers) -> Acl:
    if level.everyone:
        return Acl(public=True)
    principals = set(level.users) | {group_principal(SOURCE, g) for g in level.groups}
    return Acl(public=False, principals=frozenset(principals))


def space_readers(
    space: Mapping[str, Any], public_groups: frozenset[str]
) -> tuple[Readers, list[GroupRef]]:
    """The view-space level from v1 `space/{key}?expand=permissions`, and its groups."""
    users: set[str] = set()
    groups: list[GroupRef] = []
    anonymous = False
    for perm in space.get("permissions") or []:
        if not isinstance(perm, dict):
            continue
        op = perm.get("operation") or {}
        if op.get("operation") != "read" or op.get("targetType") != "space":
            continue
        if perm.get("anonymousAccess"):
            anonymous = True
        subjects = perm.get("subjects") or {}
        for user in (subjects.get("user") or {}).get("results") or []:
            if isinstance(user, dict) and (key := user_key(user)):
                users.add(key)
        for group in (subjects.get("group") or {}).get("results") or []:
            if isinstance(group, dict) and group.get("name"):
                groups.append(GroupRef(str(group["name"]).lower(), _opt_str(group.get("id"))))
    if anonymous:
        return Readers.anyone(), groups
    level = Readers.build(users, (g.name for g in groups), public_groups)
    return level, groups


def restriction_readers(
    restriction: Mapping[str, Any] | None, public_groups: frozenset[str]
) -> tuple[Readers, list[GroupRef]] | None:
    """The level of one content's own read restriction, or None when it has none.

    Accepts the `restrictions.read` expansion of a content object and the body of
    `restriction/byOperation/read` (both carry `restrictions.user/group.results`).
    """
    if not restriction:
        return None
    inner = restriction.get("restrictions") or {}
    users = [
        key
        for u in (inner.get("user") or {}).get("results") or []
        if isinstance(u, dict) and (key := user_key(u))
    ]
    groups = [
        GroupRef(str(g["name"]).lower(), _opt_str(g.get("id")))
        for g in (inner.get("group") or {}).get("results") or []
        if isinstance(g, dict) and g.get("name")
    ]
    if not users and not groups:
        return None  # no read restriction: inherits the space (and ancestors)
    return Readers.build(users, (g.name for g in groups), public_groups), groups


def _opt_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
