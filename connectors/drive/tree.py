"""Folders: which files are in scope, and each file's folder path (its breadcrumbs).

The scope is DRIVE_FOLDER_IDS (recursively) and DRIVE_SHARED_DRIVE_IDS (a shared drive's
root folder has the drive's id), or everything the identity can read when neither is
set. A file is in scope when walking up its parents reaches a root; the names met on
the way (root first) are its path, and the ids met on the way (plus its shared drive's
id) are its place (`ancestor_ids`, what a help channel's `drive:ID` scope matches).
Folder metadata is cached per connector; unknown folders are read with `files.get`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.drive.api import FOLDER_FIELDS, DriveApi
from connectors.drive.client import DriveApiError
from connectors.drive.permissions import is_limited

log = logging.getLogger(__name__)

MAX_DEPTH = 64


@dataclass(frozen=True)
class Place:
    """Where a file sits: folder names (its breadcrumbs) and the ids of its shared drive
    and of every folder above it, top first."""

    names: tuple[str, ...]
    ids: tuple[str, ...]


@dataclass(frozen=True)
class FolderInfo:
    id: str
    name: str
    parents: tuple[str, ...]
    trashed: bool
    limited: bool = False  # inheritedPermissionsDisabled: a folder with limited access

    @classmethod
    def of(cls, file: Mapping[str, Any]) -> FolderInfo:
        return cls(
            id=str(file["id"]),
            name=str(file.get("name") or ""),
            parents=tuple(str(p) for p in file.get("parents") or ()),
            trashed=bool(file.get("trashed")),
            limited=is_limited(file.get("inheritedPermissionsDisabled")),
        )


class FolderTree:
    def __init__(
        self,
        api: DriveApi,
        roots: Iterable[str],
        drive_names: Mapping[str, str] | None = None,
    ) -> None:
        self.api = api
        self.roots = frozenset(roots)
        self.drive_names = dict(drive_names or {})
        self._folders: dict[str, FolderInfo | None] = {}

    @property
    def scoped(self) -> bool:
        return bool(self.roots)

    def remember(self, folder: Mapping[str, Any]) -> FolderInfo | None:
        """Cache a folder seen in a listing or the changes feed; returns what was cached."""
        info = FolderInfo.of(folder)
        old = self._folders.get(info.id)
        self._folders[info.id] = info
        return old

    def forget(self, folder_id: str) -> FolderInfo | None:
        return self._folders.pop(folder_id, None)

    def known(self, folder_id: str) -> FolderInfo | None:
        return self._folders.get(folder_id)

    def get(self, folder_id: str) -> FolderInfo | None:
        """The folder, or None when it cannot be read (deleted, not shared with us)."""
        if folder_id in self._folders:
            return self._folders[folder_id]
        try:
            info: FolderInfo | None = FolderInfo.of(self.api.get_file(folder_id, FOLDER_FIELDS))
        except DriveApiError as exc:
            if exc.status not in (403, 404):
                raise
            info = None
        self._folders[folder_id] = info
        return info

    def name_of(self, folder_id: str) -> str:
        if folder_id in self.drive_names:
            return self.drive_names[folder_id]
        info = self.get(folder_id)
        return info.name if info else folder_id

    def locate(self, file: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The folder path of `file` (root first), or None when it is out of scope."""
        place = self.place(file)
        return place.names if place is not None else None

    def place(self, file: Mapping[str, Any]) -> Place | None:
        """The folder path and ancestor ids of `file`, or None when it is out of scope.
        With several parents (legacy files), the first one in scope is its place."""
        drive_id = str(file.get("driveId") or "")
        if self.scoped and not file.get("parents"):
            if drive_id in self.roots and file.get("id") == drive_id:
                return Place((), (drive_id,))
            return None
        parents: list[str | None] = [str(p) for p in file.get("parents") or ()] or [None]
        for parent in parents:
            found = self._path_from(parent)
            if found is not None:
                names, ids = found
                if drive_id and drive_id not in ids:
                    ids = (drive_id, *ids)
                return Place(names, ids)
        return None

    def limited_scope(self, file: Mapping[str, Any]) -> frozenset[str] | None:
        """When `file` sits in a folder with limited access (or says it has limited access
        itself): the ids whose permissions still reach it — the nearest limited folder
        and the folders below it down to the file. None when no limit applies. Walks
        every parent up to the top the identity can see, above the configured folders
        too: a limit anywhere on the way counts (fail closed)."""
        allowed: set[str] = set()
        limited = is_limited(file.get("inheritedPermissionsDisabled"))
        for parent in [str(p) for p in file.get("parents") or ()]:
            below: list[str] = []
            current: str | None = parent
            for _ in range(MAX_DEPTH):
                if current is None or current in self.drive_names:
                    break  # the top, or a shared drive's root (never limited)
                info = self.get(current)
                if info is None:
                    break
                below.append(current)
                if info.limited:
                    limited = True
                    allowed.update(below)
                    break
                current = info.parents[0] if info.parents else None
        if not limited:
            return None
        return frozenset(allowed | {str(file.get("id") or "")})

    def _path_from(self, folder_id: str | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """(names, ids) from the top down to `folder_id`, or None when out of scope."""
        names: list[str] = []
        ids: list[str] = []

        def top_first() -> tuple[tuple[str, ...], tuple[str, ...]]:
            return tuple(reversed(names)), tuple(reversed(ids))

        current = folder_id
        for _ in range(MAX_DEPTH):
            if current is None:
                return None if self.scoped else top_first()
            if current in self.roots:
                names.append(self.name_of(current))
                ids.append(current)
                return top_first()
            info = self.get(current)
            if info is None or info.trashed:
                return None if self.scoped else top_first()
            names.append(self.drive_names.get(current, info.name))
            ids.append(current)
            current = info.parents[0] if info.parents else None
        log.warning("drive folder chain deeper than %d at %s", MAX_DEPTH, folder_id)
        return None
