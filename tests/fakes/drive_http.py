"""The fake Drive's HTTP handler: routes what `googleapiclient` requests to `FakeDrive`."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.drive_model import API, GOOGLE_PREFIX, FakeHttpError, parse_fields, select

if TYPE_CHECKING:
    from tests.fakes.drive_server import FakeDrive


class DriveHandler(BaseHTTPRequestHandler):
    drive: FakeDrive
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(
        self, status: int, body: bytes, ctype: str = "application/json; charset=UTF-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def _error(self, exc: FakeHttpError) -> None:
        err: dict[str, Any] = {"domain": "global", "reason": exc.reason, "message": exc.message}
        if exc.location:
            err.update(location=exc.location, locationType="parameter")
        data = {"error": {"errors": [err], "code": exc.status, "message": exc.message}}
        body = json.dumps(data).encode()
        self.send_response(exc.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        if exc.retry_after is not None:
            self.send_header("Retry-After", f"{exc.retry_after:g}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        d = self.drive
        with d.lock:
            d.requests.append(("POST", self.path, form))
        if urlsplit(self.path).path != "/token":
            return self._json(404, {"error": {"code": 404, "message": "Not Found"}})
        claims: dict[str, Any] = {}
        try:
            payload = form["assertion"].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (KeyError, IndexError, ValueError):
            d.reject_grants = True
        if d.reject_grants or "jwt-bearer" not in form.get("grant_type", ""):
            return self._json(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        with d.lock:
            d.tokens_issued += 1
        token = f"fake-token-{d.tokens_issued}-{claims.get('sub', claims.get('iss', ''))}"
        self._json(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def do_GET(self) -> None:
        d = self.drive
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with d.lock:
            d.requests.append(("GET", parts.path, query))
        auth = self.headers.get("Authorization") or ""
        if d.require_auth and not auth.startswith("Bearer fake-token-"):
            msg = "Request had invalid authentication credentials."
            return self._json(
                401, {"error": {"code": 401, "message": msg, "status": "UNAUTHENTICATED"}}
            )
        try:
            kind = self._faults(unquote(parts.path))
            if kind == "timeout":  # answer nothing until the client has given up
                d.unblock.wait(timeout=d.hang_seconds)
                self.close_connection = True
                return
            if kind == "malformed":  # a 200 whose body is not what was asked for
                return self._send(200, b'{"kind": "drive#truncated", "items": [')
            status, body, ctype = self._route(parts.path, query)
        except FakeHttpError as exc:
            return self._error(exc)
        if ctype == "json":
            return self._json(status, select(body, parse_fields(query.get("fields", ""))))
        self._send(status, body, ctype)

    def _faults(self, path: str) -> str | None:
        """Raise an injected API error, or return the kind of another injected fault."""
        d = self.drive
        with d.lock:
            for fault in d.faults:
                if fault.count > 0 and fault.matches(path):
                    fault.count -= 1
                    if fault.kind != "status":
                        return fault.kind
                    raise FakeHttpError(
                        fault.status,
                        fault.reason,
                        f"injected {fault.reason}",
                        retry_after=fault.retry_after,
                    )
            if d.storm and path.startswith(API) and d.storm[1].random() < d.storm[0]:
                status = d.storm[1].choice(d.storm_statuses)
                reason = {403: "userRateLimitExceeded", 429: "rateLimitExceeded"}.get(
                    status, "backendError"
                )
                raise FakeHttpError(status, reason, "storm", retry_after=d.storm_retry_after)
        return None

    def _media_gate(self) -> None:
        d = self.drive
        with d.lock:
            d.media_served += 1
            blocked = d.block_media_after is not None and d.media_served > d.block_media_after
        if blocked:
            d.unblock.wait(timeout=60)

    def _route(self, path: str, q: dict[str, str]) -> tuple[int, Any, str]:
        d = self.drive
        if path.startswith("/admin/directory/v1/groups/"):
            if not d.directory_allowed:
                raise FakeHttpError(403, "forbidden", "Not Authorized to access this resource/api")
            key = unquote(path.split("/")[5]).lower()
            groups = {k.lower(): v for k, v in d.groups.items()}  # emails: any case
            if key not in groups:
                raise FakeHttpError(404, "notFound", "Resource Not Found: groupKey")
            members = [
                m if isinstance(m, dict) else {"email": m, "type": "USER", "status": "ACTIVE"}
                for m in groups[key]
            ]
            size = int(q.get("maxResults") or 200)
            start = int(q.get("pageToken") or 0)
            page: dict[str, Any] = {
                "kind": "admin#directory#members",
                "members": members[start : start + size],
            }
            if start + size < len(members):
                page["nextPageToken"] = str(start + size)
            return 200, page, "json"
        if not path.startswith(API):
            raise FakeHttpError(404, "notFound", "Not Found")
        rest = path[len(API) :].split("/")
        size = min(int(q.get("pageSize") or 100), d.page_size_cap)
        with d.lock:
            if rest == ["changes", "startPageToken"]:
                return (
                    200,
                    {"kind": "drive#startPageToken", "startPageToken": d.start_token()},
                    "json",
                )
            if rest == ["changes"]:
                return 200, d.change_page(q.get("pageToken", ""), size), "json"
            if rest == ["drives"]:
                drives = [{"kind": "drive#drive", "id": k, "name": v} for k, v in d.drives.items()]
                return 200, {"kind": "drive#driveList", "drives": drives}, "json"
            if rest == ["files"]:
                if q.get("corpora") == "allDrives" and q.get("includeItemsFromAllDrives") != "true":
                    raise FakeHttpError(
                        400, "invalid", "includeItemsFromAllDrives required", "corpora"
                    )
                files, nxt = d.list_files(q.get("q", ""), int(q.get("pageToken") or 0), size)
                body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
                body["files"] = [f.resource() for f in files]
                if nxt is not None:
                    body["nextPageToken"] = str(nxt)
                return 200, body, "json"
            f = d.files.get(rest[1]) if len(rest) >= 2 and rest[0] == "files" else None
            if f is None:
                raise FakeHttpError(404, "notFound", f"File not found: {rest[-1]}.", "fileId")
            if len(rest) == 3 and rest[2] == "permissions":
                perms = f.permission_resources()
                return 200, {"kind": "drive#permissionList", "permissions": perms}, "json"
            if len(rest) == 3 and rest[2] == "export":
                if f.export_error:
                    raise FakeHttpError(
                        403, f.export_error, "This file is too large to be exported."
                    )
                if q.get("mimeType") not in f.exports:
                    raise FakeHttpError(
                        400, "badRequest", "The requested conversion is not supported."
                    )
                media: tuple[int, Any, str] = (200, f.exports[q["mimeType"]], q["mimeType"])
            elif q.get("alt") == "media":
                if f.mime_type.startswith(GOOGLE_PREFIX):
                    raise FakeHttpError(
                        403,
                        "fileNotDownloadable",
                        "Only files with binary content can be downloaded.",
                    )
                media = (200, f.content, f.mime_type)
            else:
                return 200, f.resource(), "json"
        self._media_gate()
        return media
