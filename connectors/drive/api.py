"""The Drive v3 calls the connector makes, and the fields it asks for.

Every permission field that can narrow who reads a file is requested: `allowFileDiscovery`
(link-only sharing), `deleted`, `pendingOwner`, `expirationTime`, `view`,
`inheritedPermissionsDisabled` and `permissionDetails` (inherited or direct); files and
folders also carry `inheritedPermissionsDisabled` (folders with limited access).
"""

from __future__ import annotations

from typing import Any

from connectors.drive.client import DriveCallFailedError, GoogleApi


def as_object(res: Any, what: str) -> dict[str, Any]:
    """A JSON object, or the call failed (googleapiclient hands back the raw text of a body
    that is not JSON)."""
    if not isinstance(res, dict):
        raise DriveCallFailedError(f"Google Drive {what}: the answer is not a JSON object")
    return res


def as_list(res: dict[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    """`res[key]` as a list of objects (missing = empty), or the call failed."""
    value = res.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DriveCallFailedError(f"Google Drive {what}: `{key}` is not a list of objects")
    return value


def checked(res: Any, key: str, what: str) -> dict[str, Any]:
    """An object whose `key` is a list of objects."""
    obj = as_object(res, what)
    as_list(obj, key, what)
    return obj


PERMISSION_SUBFIELDS = (
    "id,type,role,emailAddress,domain,deleted,allowFileDiscovery,pendingOwner,"
    "expirationTime,view,inheritedPermissionsDisabled,"
    "permissionDetails(permissionType,role,inherited,inheritedFrom)"
)
FILE_FIELDS = (
    "id,name,mimeType,parents,driveId,modifiedTime,version,size,webViewLink,trashed,"
    "inheritedPermissionsDisabled,"
    "owners(displayName,emailAddress),lastModifyingUser(displayName,emailAddress),"
    f"permissions({PERMISSION_SUBFIELDS})"
)
FOLDER_FIELDS = "id,name,mimeType,parents,driveId,trashed,inheritedPermissionsDisabled"
PERMISSION_FIELDS = f"nextPageToken,permissions({PERMISSION_SUBFIELDS})"


class DriveApi:
    """The Drive v3 calls the connector makes (all with shared-drive support)."""

    def __init__(self, api: GoogleApi, page_size: int = 1000) -> None:
        self.api = api
        self.page_size = page_size
        self._files = api.service.files()
        self._changes = api.service.changes()
        self._permissions = api.service.permissions()
        self._drives = api.service.drives()

    def start_page_token(self) -> str:
        res = as_object(
            self.api.call(self._changes.getStartPageToken(supportsAllDrives=True)),
            "changes.getStartPageToken",
        )
        if not res.get("startPageToken"):
            raise DriveCallFailedError("Google Drive changes.getStartPageToken: no token")
        return str(res["startPageToken"])

    def list_files(self, q: str, page_token: str | None, fields: str = FILE_FIELDS) -> Any:
        res = self.api.call(
            self._files.list(
                q=q,
                corpora="allDrives",
                includeItemsFromAllDrives=True,
                supportsAllDrives=True,
                pageSize=self.page_size,
                pageToken=page_token,
                fields=f"nextPageToken,incompleteSearch,files({fields})",
            )
        )
        return checked(res, "files", "files.list")

    def get_file(self, file_id: str, fields: str = FILE_FIELDS) -> Any:
        res = self.api.call(self._files.get(fileId=file_id, supportsAllDrives=True, fields=fields))
        return as_object(res, "files.get")

    def export(self, file_id: str, mime_type: str) -> bytes:
        return bytes(self.api.call(self._files.export(fileId=file_id, mimeType=mime_type)))

    def download(self, file_id: str) -> bytes:
        return bytes(self.api.call(self._files.get_media(fileId=file_id, supportsAllDrives=True)))

    def permissions(self, file_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            res = self.api.call(
                self._permissions.list(
                    fileId=file_id,
                    supportsAllDrives=True,
                    pageSize=100,
                    pageToken=token,
                    fields=PERMISSION_FIELDS,
                )
            )
            res = as_object(res, "permissions.list")
            out.extend(as_list(res, "permissions", "permissions.list"))
            token = res.get("nextPageToken")
            if not token:
                return out

    def changes(self, page_token: str) -> Any:
        res = self.api.call(
            self._changes.list(
                pageToken=page_token,
                includeRemoved=True,
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
                pageSize=self.page_size,
                fields=(
                    "nextPageToken,newStartPageToken,"
                    f"changes(changeType,removed,fileId,driveId,time,file({FILE_FIELDS}))"
                ),
            )
        )
        return checked(res, "changes", "changes.list")

    def drives(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            res = self.api.call(
                self._drives.list(
                    pageSize=100, pageToken=token, fields="nextPageToken,drives(id,name)"
                )
            )
            res = as_object(res, "drives.list")
            out.extend(as_list(res, "drives", "drives.list"))
            token = res.get("nextPageToken")
            if not token:
                return out
