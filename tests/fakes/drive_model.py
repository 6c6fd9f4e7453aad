"""The fake Drive's data: files, injected faults, errors, and the `q` / `fields` parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FOLDER = "application/vnd.google-apps.folder"
GOOGLE_PREFIX = "application/vnd.google-apps."
API = "/drive/v3/"


@dataclass
class FakeFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    content: bytes = b""  # download body (non-Google types)
    exports: dict[str, bytes] = field(default_factory=dict)  # Google types: mime -> body
    permissions: list[dict[str, Any]] = field(default_factory=list)
    drive_id: str | None = None
    trashed: bool = False
    owner: str = "owner@example.com"
    modified: datetime = field(default_factory=lambda: datetime(2024, 5, 1, tzinfo=UTC))
    version: int = 1
    export_error: str | None = None  # e.g. "exportSizeLimitExceeded"
    limited: bool | None = None  # inheritedPermissionsDisabled (folders with limited access)

    def permission_resources(self) -> list[dict[str, Any]]:
        """As Drive returns them: `allowFileDiscovery` is always present on `anyone` and
        `domain` permissions (false, link-only, unless set)."""
        out = []
        for perm in self.permissions:
            res = dict(perm, kind="drive#permission")
            if res.get("type") in ("anyone", "domain"):
                res.setdefault("allowFileDiscovery", False)
            out.append(res)
        return out

    def resource(self) -> dict[str, Any]:
        link = f"https://drive.google.com/file/d/{self.id}/view"
        if self.mime_type == FOLDER:
            link = f"https://drive.google.com/drive/folders/{self.id}"
        elif self.mime_type.startswith(GOOGLE_PREFIX):
            link = f"https://docs.google.com/document/d/{self.id}/edit"
        res: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "createdTime": "2024-01-01T00:00:00.000Z",
            "modifiedTime": self.modified.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "version": str(self.version),
            "webViewLink": link,
            "trashed": self.trashed,
            "lastModifyingUser": {"displayName": "Editor", "emailAddress": "editor@example.com"},
        }
        if not self.mime_type.startswith(GOOGLE_PREFIX):
            res["size"] = str(len(self.content))
        if self.limited is not None:
            res["inheritedPermissionsDisabled"] = self.limited
        if self.drive_id:  # shared drive: no owners, no inline permissions
            res["driveId"] = self.drive_id
        else:
            res["owners"] = [{"displayName": self.owner.split("@")[0], "emailAddress": self.owner}]
            res["permissions"] = self.permission_resources()
        return res


@dataclass
class Fault:
    """`kind`: "status" (an API error), "timeout" (no answer until the client gave up) or
    "malformed" (200 with a body that is not what was asked for)."""

    status: int
    reason: str
    match: str = ""  # substring of the (decoded) path; "…$": the path ends with it
    count: int = 1
    kind: str = "status"
    retry_after: float | None = None

    def matches(self, path: str) -> bool:
        if self.match.endswith("$"):
            return path.endswith(self.match[:-1])
        return self.match in path


class FakeHttpError(Exception):
    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        location: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.location = status, reason, message, location
        self.retry_after = retry_after


# ---------------------------------------------------------------- q and fields
_TOKEN = re.compile(r"\s*(\(|\)|'(?:[^'\\]|\\.)*'|[A-Za-z]+|=|!=)")


def parse_query(q: str) -> Any:
    """`trashed = false|true`, `'<id>' in parents`, `mimeType = '<m>'`, and/or/not, (...)."""
    tokens = [m.group(1) for m in _TOKEN.finditer(q)]
    if "".join(tokens).replace(" ", "") != q.replace(" ", ""):
        raise FakeHttpError(400, "invalid", f"Invalid Value: q={q}", "q")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr() -> Any:
        left = term()
        while peek() in ("or", "and"):
            op, right = take(), term()
            left = (
                (lambda a, b: lambda f: a(f) or b(f))(left, right)
                if op == "or"
                else (lambda a, b: lambda f: a(f) and b(f))(left, right)
            )
        return left

    def term() -> Any:
        tok = take()
        if tok == "(":
            inner = expr()
            take()
            return inner
        if tok == "not":
            inner = term()
            return lambda f: not inner(f)
        if tok.startswith("'") and take() == "in" and take() == "parents":
            value = tok[1:-1]
            return lambda f: value in f.parents
        if tok in ("trashed", "mimeType"):
            op, value = take(), take().strip("'")
            if tok == "trashed":
                return lambda f: (str(f.trashed).lower() == value) == (op == "=")
            return lambda f: (f.mime_type == value) == (op == "=")
        raise FakeHttpError(400, "invalid", f"Invalid Value: q={q}", "q")

    return expr()


def parse_fields(spec: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    stack = [tree]
    name = ""
    for ch in spec + ",":
        if ch in ",()":
            if name.strip():
                stack[-1][name.strip()] = {} if ch == "(" else None
                if ch == "(":
                    stack.append(stack[-1][name.strip()])
            name = ""
            if ch == ")":
                stack.pop()
        else:
            name += ch
    return tree


def select(value: Any, tree: dict[str, Any] | None) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [select(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: select(value[k], sub) for k, sub in tree.items() if k in value}
    return value
