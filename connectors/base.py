"""The platform-neutral data model of the sync side and the `Connector` protocol.

A connector *yields* `SyncItem`s; it never writes the index. The `SyncEngine`
(`connectors/sync.py`) turns them into index and state changes:

- `SourceDocument`      a document as it is now at the source (upserted when its content
                        hash changed, metadata-only update when only its ACL changed)
- `Unchanged`           the connector saw the document but skipped fetching its body
                        because the version it knows of is already indexed
- `Deleted`             the document is gone (deleted, trashed, out of scope, unreadable)
- `DocumentFailure`     one document could not be read; reported, never fatal
- `GroupMembers`        the members of an ACL group, for the state's membership table
- `Checkpoint`          everything yielded before it may be committed; resume from here
- `Discovered`          a progress hint: how many documents the run will look at
- `SeenAll`             the run yielded every document that exists: anything indexed
                        for this source and not seen in this run is deleted
- `Note`                a line for the run's summary (e.g. "the change token expired:
                        ran a full resync")
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Acl:
    """Who may read a document at its source.

    `public` means every member of the organisation may read it. Principals are
    normalised strings: `user:<email>`, `group:<source>:<name>`, `domain:<example.com>`.
    """

    public: bool
    principals: frozenset[str] = frozenset()

    @classmethod
    def everyone(cls) -> Acl:
        return cls(public=True)

    def sorted_principals(self) -> list[str]:
        return sorted(self.principals)

    def to_json(self) -> dict[str, object]:
        return {"public": self.public, "principals": self.sorted_principals()}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Acl:
        principals = data.get("principals") or []
        assert isinstance(principals, list)
        return cls(public=bool(data.get("public")), principals=frozenset(map(str, principals)))


def user_principal(email: str) -> str:
    return f"user:{email.strip().lower()}"


def group_principal(source: str, name: str) -> str:
    return f"group:{source}:{name.strip().lower()}"


def domain_principal(domain: str) -> str:
    return f"domain:{domain.strip().lower()}"


def content_hash(
    title: str, text: str, breadcrumbs: tuple[str, ...] = (), ancestor_ids: tuple[str, ...] = ()
) -> str:
    """Hash of what gets embedded and where it sits: an ACL change never changes it; a
    move to another folder does (its chunks are rewritten with the new `ancestor_ids`).
    Without ancestor ids the hash is what it was before they existed."""
    h = hashlib.sha256()
    parts = [title, "\x1f".join(breadcrumbs), text]
    if ancestor_ids:
        parts.append("\x1f".join(ancestor_ids))
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


@dataclass(frozen=True)
class SourceDocument:
    source: str
    doc_id: str  # "<source>:<native id>", stable across syncs
    title: str
    url: str
    text: str
    updated_at: datetime
    acl: Acl
    author: str | None = None
    breadcrumbs: tuple[str, ...] = ()
    version: str | None = None  # source's own version marker (skip re-fetching bodies)
    content_hash: str = field(default="")
    # ids of the places it sits in (Drive: shared drive and every folder above, top first)
    ancestor_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.content_hash:
            digest = content_hash(self.title, self.text, self.breadcrumbs, self.ancestor_ids)
            object.__setattr__(self, "content_hash", digest)


@dataclass(frozen=True)
class Unchanged:
    doc_id: str
    acl: Acl | None = None  # the current ACL when the connector read it; None = not re-read
    version: str | None = None


@dataclass(frozen=True)
class Deleted:
    doc_id: str


@dataclass(frozen=True)
class DocumentFailure:
    """One document could not be (re-)read. Fail closed: if the document is indexed, the
    engine applies `acl` (the permissions the source reports *now*, when the connector
    could read them) as a metadata-only update, or restricts it to nobody when `acl` is
    None, until a later read succeeds. The old text is kept; readers never widen."""

    source: str
    reason: str
    doc_id: str | None = None
    title: str | None = None
    acl: Acl | None = None


@dataclass(frozen=True)
class GroupMembers:
    """Members of one ACL group (`group_principal(...)`), as normalised `user:` principals."""

    group: str
    members: frozenset[str]


@dataclass(frozen=True)
class Checkpoint:
    value: str  # opaque to the engine; JSON is a good choice


@dataclass(frozen=True)
class Discovered:
    total: int


@dataclass(frozen=True)
class SeenAll:
    pass


@dataclass(frozen=True)
class Note:
    text: str


SyncItem = (
    SourceDocument
    | Unchanged
    | Deleted
    | DocumentFailure
    | GroupMembers
    | Checkpoint
    | Discovered
    | SeenAll
    | Note
)


class SyncMode(StrEnum):
    INCREMENTAL = "incremental"
    FULL = "full"


@dataclass(frozen=True)
class KnownDoc:
    """What the state store knows of an indexed document."""

    doc_id: str
    content_hash: str
    version: str | None
    acl: Acl
    url: str = ""  # as stored: a connector may tell a document's place from it


@dataclass(frozen=True)
class SyncRequest:
    mode: SyncMode
    checkpoint: str | None  # the last committed checkpoint, None on a first sync
    known: Mapping[str, KnownDoc]  # everything indexed for this source


@runtime_checkable
class Connector(Protocol):
    """One source of documents. Yields items; never writes the index.

    Optional: `reads_every_acl = True` on a connector whose every run yields the current
    ACL of every indexed document (or deletes it); after a failed run (which restricts
    the source's documents to nobody) the engine then need not make the next run full."""

    name: str

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]: ...


class SourceError(Exception):
    """A whole-source failure (bad credentials, unreachable server). Shown to admins."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
