"""Group memberships of the State store (mixed into `StateStore`).

Fail closed: the `SyncEngine` replaces a source's *whole* membership table at the end
of every complete run with the groups that run yielded (a group not yielded has no
members afterwards) and clears it when a run fails; an interrupted run leaves it as it
was. Nothing else writes memberships.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Engine, delete, insert, select

from connectors.state_tables import memberships


class Memberships:
    engine: Engine

    def replace_source_memberships(self, source: str, groups: Mapping[str, Iterable[str]]) -> None:
        """One transaction: `source`'s memberships become exactly `groups`."""
        rows = [
            {"group_principal": group, "member": member, "source": source}
            for group, members in sorted(groups.items())
            for member in sorted(set(members))
        ]
        with self.engine.begin() as conn:
            conn.execute(delete(memberships).where(memberships.c.source == source))
            # a group principal belongs to one source; never two rows for one pair
            names = sorted(groups)
            for start in range(0, len(names), 500):
                part = names[start : start + 500]
                conn.execute(delete(memberships).where(memberships.c.group_principal.in_(part)))
            if rows:
                conn.execute(insert(memberships), rows)

    def clear_source_memberships(self, source: str) -> None:
        self.replace_source_memberships(source, {})

    def source_memberships(self, source: str) -> dict[str, frozenset[str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(memberships.c.group_principal, memberships.c.member).where(
                    memberships.c.source == source
                )
            ).all()
        groups: dict[str, set[str]] = {}
        for group, member in rows:
            groups.setdefault(str(group), set()).add(str(member))
        return {g: frozenset(m) for g, m in groups.items()}

    def groups_of(self, member_principals: Iterable[str]) -> frozenset[str]:
        members = list(member_principals)
        if not members:
            return frozenset()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(memberships.c.group_principal).where(memberships.c.member.in_(members))
            ).scalars()
            return frozenset(str(r) for r in rows)
