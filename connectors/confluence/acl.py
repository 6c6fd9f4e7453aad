"""Per-run ACL resolution: caches of group members and of restrictions fetched for
ancestors the listing did not contain, on top of the pure rules in `permissions`.

Fail closed: an ancestor whose restriction cannot be read (403, 404, 5xx, timeout,
malformed), a page whose ancestor chain is missing, and a group whose members cannot be
listed all make fewer readers — nobody, or a group with no members — and each unreadable
group is reported as a failure of the run (`unreadable_groups`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from connectors.base import Acl, GroupMembers, group_principal
from connectors.confluence.client import ConfluenceError, ForbiddenError, NotFoundError
from connectors.confluence.endpoints import ConfluenceApi, Entry
from connectors.confluence.permissions import (
    NOBODY,
    SOURCE,
    GroupRef,
    Readers,
    meet,
    restriction_readers,
    space_readers,
    to_acl,
    user_key,
)

log = logging.getLogger(__name__)


class AclResolver:
    def __init__(self, api: ConfluenceApi, public_groups: frozenset[str]) -> None:
        self.api = api
        self.public_groups = public_groups
        self._members: dict[str, frozenset[str]] = {}
        self._groups: dict[str, GroupRef] = {}
        self._fetched: dict[str, Readers | None] = {}
        self._own: dict[str, Readers | None] = {}
        self.unreadable_groups: dict[str, str] = {}  # name -> why, this run
        self.unreadable_restrictions: dict[str, str] = {}  # content id -> why, this run

    def reset(self) -> None:
        """Membership and restrictions are re-read every run."""
        self._members.clear()
        self._fetched.clear()
        self._own.clear()
        self.unreadable_groups.clear()
        self.unreadable_restrictions.clear()

    def space_level(self, permissions: Mapping[str, Any]) -> Readers:
        level, groups = space_readers(permissions, self.public_groups)
        self._remember(groups)
        return level

    def index(self, entries: Iterable[Entry]) -> None:
        """Own read restrictions of every listed page (the ancestors' come from here)."""
        for entry in entries:
            self._own[entry.id] = self._parse(entry.restriction)

    def acl(self, space_level: Readers, entry: Entry) -> Acl:
        """Space level ∩ every ancestor's restriction ∩ the page's own restriction."""
        if not entry.ancestors_known:
            return to_acl(NOBODY)  # the chain (and so its restrictions) is unknown
        level = space_level
        for content_id in [*(a for a, _ in entry.ancestors), entry.id]:
            own = self._own[content_id] if content_id in self._own else self._fetch(content_id)
            if own is not None:
                level = meet(level, own, self.members_of)
        return to_acl(level)

    def group_members(self, acls: Iterable[Acl]) -> Iterator[GroupMembers]:
        """Members of every Confluence group named in `acls`, for the membership table
        (the engine replaces the source's whole table with what a run yields). A group
        whose listing fails is yielded with no members: its old members lose access."""
        prefix = group_principal(SOURCE, "")
        named = {p[len(prefix) :] for acl in acls for p in acl.principals if p.startswith(prefix)}
        for name in sorted(n for n in named if n):
            yield GroupMembers(group=group_principal(SOURCE, name), members=self.members_of(name))

    def members_of(self, name: str) -> frozenset[str]:
        if name not in self._members:
            group = self._groups.get(name, GroupRef(name))
            try:
                users = {k for u in self.api.group_members(group) if (k := user_key(u))}
            except ConfluenceError as exc:
                log.warning("confluence group members unreadable group=%s: %s", name, exc)
                self.unreadable_groups[name] = _why(exc)
                users = set()
            self._members[name] = frozenset(users)
        return self._members[name]

    # ------------------------------------------------------------------ helpers
    def _remember(self, groups: list[GroupRef]) -> None:
        for g in groups:
            if g.name not in self._groups or (g.id and not self._groups[g.name].id):
                self._groups[g.name] = g

    def _parse(self, restriction: Mapping[str, Any] | None) -> Readers | None:
        parsed = restriction_readers(restriction, self.public_groups)
        if parsed is None:
            return None
        level, groups = parsed
        self._remember(groups)
        return level

    def _fetch(self, content_id: str) -> Readers | None:
        """Read restriction of an ancestor that the listing did not contain."""
        if content_id not in self._fetched:
            try:
                level = self._parse(self.api.read_restriction(content_id))
            except ConfluenceError as exc:
                log.warning("confluence restriction unreadable content=%s: %s", content_id, exc)
                self.unreadable_restrictions[content_id] = _why(exc)
                level = NOBODY  # unknown (403, 404, 5xx, malformed): nobody, never wider
            self._fetched[content_id] = level
        return self._fetched[content_id]


def _why(exc: ConfluenceError) -> str:
    if isinstance(exc, ForbiddenError):
        return "HTTP 403"
    if isinstance(exc, NotFoundError):
        return "HTTP 404"
    return exc.message
