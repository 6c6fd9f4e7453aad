"""One Drive file → one `SyncItem` (runs on the connector's thread pool).

Reads the file's permissions (inline in listings for My Drive items; `permissions.list`
for shared-drive items), compares its version with the indexed one (`Unchanged` with the
current ACL when equal: no download), otherwise fetches and extracts its text. Errors
are per-document: 404 → `Deleted`; a failed permissions read → `DocumentFailure` without
an ACL (restricted to nobody); a failed body read (export too large, over
DRIVE_MAX_FILE_MB, unparsable, 5xx or no answer after retries) → `DocumentFailure` with
the ACL just read. Only credentials (a `SourceError`) end the run from here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    Acl,
    Deleted,
    DocumentFailure,
    KnownDoc,
    SourceDocument,
    SourceError,
    SyncItem,
    Unchanged,
)
from connectors.drive.api import DriveApi
from connectors.drive.client import DriveApiError, DriveCallFailedError
from connectors.drive.content import ContentError, fetch_text
from connectors.drive.permissions import SOURCE, acl_from_permissions
from connectors.messages import (
    DRIVE_EXPORT_TOO_LARGE as EXPORT_TOO_LARGE,
)
from connectors.messages import (
    DRIVE_PERMISSIONS_NOT_READ as PERMISSIONS_NOT_READ,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileTask:
    file: Mapping[str, Any]
    path: tuple[str, ...]
    limited: frozenset[str] | None = None  # see FolderTree.limited_scope
    ancestor_ids: tuple[str, ...] = ()  # see FolderTree.place


def doc_id_of(file_id: str) -> str:
    return f"{SOURCE}:{file_id}"


def version_of(
    file: Mapping[str, Any], path: tuple[str, ...], ancestor_ids: tuple[str, ...] = ()
) -> str:
    """modifiedTime plus a hash of name, path and ancestor ids: a rename or move (even
    between folders of the same name) re-reads the file, a sharing change (which bumps
    Drive's `version`, not `modifiedTime`) does not."""
    key = "\x1f".join((str(file.get("name") or ""), *path))
    if ancestor_ids:
        key += "\x1d" + "\x1f".join(ancestor_ids)
    digest = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
    return f"{file.get('modifiedTime') or file.get('version') or ''}#{digest}"


def parse_time(value: object) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(UTC)


class FileReader:
    def __init__(
        self,
        api: DriveApi,
        known: Mapping[str, KnownDoc],
        public_domains: list[str],
        max_bytes: int,
    ) -> None:
        self.api = api
        self.known = known
        self.public_domains = public_domains
        self.max_bytes = max_bytes

    def read(self, task: FileTask) -> list[SyncItem]:
        """Fail closed: permissions that cannot be read → a failure without an ACL (the
        index restricts the document to nobody); a body that cannot be read → a failure
        carrying the permissions read just now (old text kept, current readers)."""
        file = task.file
        doc_id = doc_id_of(str(file["id"]))
        title = str(file.get("name") or file["id"])
        try:
            acl = self.acl(file, task.limited)
        except DriveApiError as exc:
            if exc.not_found:
                return [Deleted(doc_id)]
            return [self._failure(doc_id, title, PERMISSIONS_NOT_READ.format(why=exc.describe()))]
        except DriveCallFailedError as exc:
            return [self._failure(doc_id, title, PERMISSIONS_NOT_READ.format(why=exc.message))]
        except SourceError:
            raise
        except Exception as exc:
            # boundary of one file's permissions: whatever reading them raises (a list
            # that is not one, a parser surprise) must restrict this file to nobody, never
            # crash the run and leave the file readable by its old, perhaps wider, ACL
            log.warning("drive permissions of %s unreadable", doc_id, exc_info=True)
            why = f"unreadable answer ({type(exc).__name__})"
            return [self._failure(doc_id, title, PERMISSIONS_NOT_READ.format(why=why))]
        try:
            version = version_of(file, task.path, task.ancestor_ids)
            prior = self.known.get(doc_id)
            if prior is not None and prior.version == version:
                return [Unchanged(doc_id, acl=acl, version=version)]
            text = fetch_text(self.api, dict(file), self.max_bytes)
            return [self.document(file, task.path, text, acl, version, task.ancestor_ids)]
        except DriveApiError as exc:
            if exc.not_found:
                return [Deleted(doc_id)]
            reason = EXPORT_TOO_LARGE if exc.export_too_large else exc.describe()
            return [self._failure(doc_id, title, reason, acl)]
        except (ContentError, DriveCallFailedError) as exc:
            return [self._failure(doc_id, title, str(exc), acl)]
        except SourceError:
            raise
        except Exception as exc:
            # boundary of one file's body: a failure keeps the old text under the
            # permissions just read (the current, perhaps narrower, readers); crashing
            # the run instead would leave the old ACL in place
            log.warning("drive file %s failed", doc_id, exc_info=True)
            return [self._failure(doc_id, title, f"{type(exc).__name__}: {exc}"[:300], acl)]

    @staticmethod
    def _failure(doc_id: str, title: str, reason: str, acl: Acl | None = None) -> DocumentFailure:
        return DocumentFailure(SOURCE, reason, doc_id, title, acl)

    def acl(self, file: Mapping[str, Any], limited: frozenset[str] | None = None) -> Acl:
        permissions = file.get("permissions")
        if permissions is None:  # shared-drive items: not inline in listings
            permissions = self.api.permissions(str(file["id"]))
        if not isinstance(permissions, list):
            raise DriveCallFailedError("the file's `permissions` is not a list")
        return acl_from_permissions(permissions, self.public_domains, limited)

    def document(
        self,
        file: Mapping[str, Any],
        path: tuple[str, ...],
        text: str,
        acl: Acl,
        version: str,
        ancestor_ids: tuple[str, ...] = (),
    ) -> SourceDocument:
        file_id = str(file["id"])
        owners = file.get("owners") or []
        person = owners[0] if owners else file.get("lastModifyingUser") or {}
        author = person.get("displayName") or person.get("emailAddress")
        return SourceDocument(
            source=SOURCE,
            doc_id=doc_id_of(file_id),
            title=str(file.get("name") or file_id),
            url=str(file.get("webViewLink") or f"https://drive.google.com/open?id={file_id}"),
            text=text,
            updated_at=parse_time(file.get("modifiedTime")),
            acl=acl,
            author=str(author) if author else None,
            breadcrumbs=path,
            version=version,
            ancestor_ids=ancestor_ids,
        )
