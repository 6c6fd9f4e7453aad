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
chose so; those become `user:accountid:<id>`. Data Center names users by `username`
(`user:username:<name>`, lower-cased) and `userKey` (`user:userkey:<key>` when no username
is given) and shows emails only where the server exposes them. Either keeps the ACL exact
(never widened) but only matches askers once a mapping to their email exists. Groups are
`group:confluence:<name>` by name, as restrictions name them.
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
    name = user.get("username")
    if isinstance(name, str) and name.strip():
        return f"user:username:{name.strip().lower()}"
    key = user.get("userKey")
    if isinstance(key, str) and key.strip():
        return f"user:userkey:{key.strip()}"
    return None


class UnknownPermissionsError(ValueError):
    """A permission reply we cannot read as a whole (fail closed: skip, never guess)."""


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
    """The view-space level from v1 `space/{key}?expand=permissions`, and its groups.

    A grant we do not understand (another operation, an unknown subject kind, a user or
    group without a usable id) grants nothing. A reply without a `permissions` list is
    `UnknownPermissionsError`: the caller skips the space rather than guess.
    """
    if "dc_permissions" in space:
        return _dc_space_readers(space["dc_permissions"], public_groups)
    users: set[str] = set()
    groups: list[GroupRef] = []
    anonymous = False
    permissions = space.get("permissions")
    if not isinstance(permissions, list):
        raise UnknownPermissionsError("the space's permissions were not in the reply")
    for perm in permissions:
        if not isinstance(perm, dict):
            continue
        op = perm.get("operation")
        if not isinstance(op, dict) or (op.get("operation"), op.get("targetType")) != (
            "read",
            "space",
        ):
            continue
        if perm.get("anonymousAccess") is True:
            anonymous = True
        subjects = perm.get("subjects")
        if not isinstance(subjects, dict):
            continue
        for user in _results(subjects.get("user")):
            if isinstance(user, dict) and (key := user_key(user)):
                users.add(key)
        for group in _results(subjects.get("group")):
            if isinstance(group, dict) and isinstance(group.get("name"), str) and group["name"]:
                groups.append(GroupRef(str(group["name"]).lower(), _opt_str(group.get("id"))))
    if anonymous:
        return Readers.anyone(), groups
    level = Readers.build(users, (g.name for g in groups), public_groups)
    return level, groups


def _dc_space_readers(
    permissions: object, public_groups: frozenset[str]
) -> tuple[Readers, list[GroupRef]]:
    """Data Center's `GET /rest/api/space/{key}/permissions`: a list of
    `{operation: {operationKey, targetType}, subject: {type, ...}}`. Only `read`/`space`
    grants count; a subject is a group (by `name`), a user (`username`/`userKey`/email,
    never a display name) or `anonymous`; any other kind, or one we cannot name, grants
    nothing."""
    if not isinstance(permissions, list):
        raise UnknownPermissionsError("the space's permissions were not a list")
    users: set[str] = set()
    groups: list[GroupRef] = []
    for perm in permissions:
        if not isinstance(perm, dict):
            continue
        op = perm.get("operation")
        if not isinstance(op, dict) or (op.get("operationKey"), op.get("targetType")) != (
            "read",
            "space",
        ):
            continue
        subject = perm.get("subject")
        if not isinstance(subject, dict):
            continue
        kind = subject.get("type")
        if kind == "anonymous":
            return Readers.anyone(), groups
        if kind == "group":
            # Data Center groups have no display name of their own: the documented
            # subject may carry only `displayName`, which is then the group's name
            name = subject.get("name") or subject.get("groupName") or subject.get("displayName")
            if isinstance(name, str) and name.strip():
                groups.append(GroupRef(name.strip().lower()))
        elif kind in ("user", "known") and (key := user_key(subject)):
            users.add(key)
    return Readers.build(users, (g.name for g in groups), public_groups), groups


NOBODY = Readers(everyone=False)
SUBJECT_KINDS = frozenset({"user", "group"})


def restriction_readers(
    restriction: Mapping[str, Any] | None, public_groups: frozenset[str]
) -> tuple[Readers, list[GroupRef]] | None:
    """The level of one content's own read restriction, or None when it has none.

    Accepts the `restrictions.read` expansion of a content object and the body of
    `restriction/byOperation/read` (both carry `restrictions.user/group.results`).

    Fail closed: None ("no restriction, inherit") only when the read restriction is
    positively empty — operation `read`, both the user and the group lists present and
    empty, no other subject kind. A missing or unexpanded field, another operation, an
    unknown subject kind, or an entry that names no user or group we can map is not
    "unrestricted": it restricts (an entry we cannot map grants nobody).
    """
    if not isinstance(restriction, Mapping) or restriction.get("operation") != "read":
        return NOBODY, []
    inner = restriction.get("restrictions")
    if not isinstance(inner, Mapping):
        return NOBODY, []
    lists: dict[str, list[Any]] = {}
    for kind in SUBJECT_KINDS:
        part = inner.get(kind)
        results = part.get("results") if isinstance(part, Mapping) else None
        if not isinstance(results, list):
            return NOBODY, []  # not expanded or malformed: unknown, so nobody
        lists[kind] = results
    others = [k for k, v in inner.items() if k not in SUBJECT_KINDS and not k.startswith("_") and v]
    if not lists["user"] and not lists["group"] and not others:
        return None  # no read restriction: inherits the space (and ancestors)
    users = [key for u in lists["user"] if isinstance(u, Mapping) and (key := user_key(u))]
    groups = [
        GroupRef(str(g["name"]).lower(), _opt_str(g.get("id")))
        for g in lists["group"]
        if isinstance(g, Mapping) and isinstance(g.get("name"), str) and g["name"].strip()
    ]
    if not users and not groups:
        return NOBODY, []  # restricted, but to no one we can name
    return Readers.build(users, (g.name for g in groups), public_groups), groups


def _results(part: object) -> list[Any]:
    results = part.get("results") if isinstance(part, Mapping) else None
    return results if isinstance(results, list) else []


def _opt_str(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
