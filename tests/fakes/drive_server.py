"""A fake Google Drive v3 (+ OAuth token endpoint, + Admin SDK group members) on loopback.

Real HTTP on 127.0.0.1 (random port), answering what `googleapiclient` really requests
with the bundled discovery document and `api_endpoint=<url>/drive/v3/`: files.list
(with a small `q` parser and paging), files.get (+ `alt=media`), files.export,
permissions.list, changes.getStartPageToken / changes.list (collapsed per file, with
`removed` entries), drives.list, `POST /token` (a service-account JWT grant; the
audience is not checked: google-auth always signs for oauth2.googleapis.com) and
`admin/directory/v1/groups/{key}/members`. Responses honour `fields`. The state can be
mutated between syncs (every mutation is a change); faults can be injected (403 rate
limits, 500s, expired change tokens, blocked downloads); every request is recorded.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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
        if self.drive_id:  # shared drive: no owners, no inline permissions
            res["driveId"] = self.drive_id
        else:
            res["owners"] = [{"displayName": self.owner.split("@")[0], "emailAddress": self.owner}]
            res["permissions"] = [dict(p, kind="drive#permission") for p in self.permissions]
        return res


@dataclass
class Fault:
    status: int
    reason: str
    match: str = ""  # substring of the path
    count: int = 1


class FakeHttpError(Exception):
    def __init__(self, status: int, reason: str, message: str, location: str = "") -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.location = status, reason, message, location


class FakeDrive:
    def __init__(self, page_size_cap: int = 1000) -> None:
        self.files: dict[str, FakeFile] = {}
        self.drives: dict[str, str] = {}
        self.groups: dict[str, list[str]] = {}
        self.directory_allowed = True
        self.changes: list[tuple[str, bool]] = []  # (file id, removed)
        self.token_offset = 0  # change tokens are offset + position; expiry moves it
        self.page_size_cap = page_size_cap
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.storm: tuple[float, random.Random] | None = None
        self.reject_grants = False
        self.require_auth = False  # True: API calls need a token this fake issued
        self.tokens_issued = 0
        self.block_media_after: int | None = None
        self.media_served = 0
        self.unblock = threading.Event()
        self.lock = threading.RLock()
        self._clock = datetime(2024, 6, 1, tzinfo=UTC)
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + API

    def start(self) -> FakeDrive:
        fake = self

        class Handler(_Handler):
            drive = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.unblock.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------ mutations (each a change)
    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def _changed(self, file_id: str, removed: bool = False) -> None:
        self.changes.append((file_id, removed))

    def add_drive(self, drive_id: str, name: str) -> None:
        with self.lock:
            self.drives[drive_id] = name
            self.files[drive_id] = FakeFile(drive_id, name, FOLDER, [], drive_id=drive_id)

    def add(self, file: FakeFile, record: bool = True) -> FakeFile:
        with self.lock:
            self.files[file.id] = file
            if record:
                self._changed(file.id)
        return file

    def folder(self, folder_id: str, name: str, parent: str, **kw: Any) -> FakeFile:
        return self.add(FakeFile(folder_id, name, FOLDER, [parent], **kw))

    def edit(self, file_id: str, **changes: Any) -> FakeFile:
        """Change content/exports/name/...: a new modifiedTime and version."""
        with self.lock:
            f = self.files[file_id]
            for key, value in changes.items():
                setattr(f, key, value)
            f.modified = self._tick()
            f.version += 1
            self._changed(file_id)
            return f

    def share(self, file_id: str, permissions: list[dict[str, Any]]) -> None:
        """A sharing change: the version bumps, modifiedTime does not (as in Drive)."""
        with self.lock:
            f = self.files[file_id]
            f.permissions = permissions
            f.version += 1
            self._changed(file_id)

    def move(self, file_id: str, new_parent: str) -> None:
        with self.lock:
            self.files[file_id].parents = [new_parent]
            self.files[file_id].version += 1
            self._changed(file_id)

    def trash(self, file_id: str) -> None:
        with self.lock:
            self.files[file_id].trashed = True
            self.files[file_id].version += 1
            self._changed(file_id)

    def delete(self, file_id: str) -> None:
        with self.lock:
            del self.files[file_id]
            self._changed(file_id, removed=True)

    def expire_change_tokens(self) -> None:
        """Every change token handed out so far becomes invalid (as after a long outage)."""
        with self.lock:
            self.token_offset += 1_000_000

    def start_token(self) -> str:
        return str(self.token_offset + len(self.changes) + 1)

    def fail(self, status: int, reason: str, match: str = "", count: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(status, reason, match, count))

    def rate_limit_storm(self, probability: float, seed: int = 7) -> None:
        self.storm = (probability, random.Random(seed))

    # ------------------------------------------------------------ queries
    def requested(self, fragment: str) -> list[tuple[str, str, dict[str, str]]]:
        with self.lock:
            return [r for r in self.requests if fragment in r[1]]

    def media_requests(self) -> list[str]:
        with self.lock:
            return [
                p.split("/")[-1] if q.get("alt") == "media" else p.split("/")[-2]
                for _, p, q in self.requests
                if q.get("alt") == "media" or p.endswith("/export")
            ]

    def _window(self, token: int) -> list[tuple[int, str, bool]]:
        last: dict[str, tuple[int, bool]] = {}
        for i, (fid, removed) in enumerate(self.changes[token - 1 :], start=token):
            last[fid] = (i, removed)
        return sorted((i, fid, removed) for fid, (i, removed) in last.items())

    def change_page(self, token: str, size: int) -> dict[str, Any]:
        position = int(token) - self.token_offset if token.isdigit() else 0
        if not 1 <= position <= len(self.changes) + 1:
            raise FakeHttpError(400, "invalid", "Invalid Value", "pageToken")
        token = str(position)
        window = self._window(int(token))
        page, rest = window[:size], window[size:]
        out: list[dict[str, Any]] = []
        for _i, fid, removed in page:
            entry: dict[str, Any] = {"kind": "drive#change", "changeType": "file", "fileId": fid}
            entry["time"] = "2024-06-01T00:00:00.000Z"
            f = self.files.get(fid)
            entry["removed"] = removed or f is None
            if f is not None and not entry["removed"]:
                entry["file"] = f.resource()
            out.append(entry)
        body: dict[str, Any] = {"kind": "drive#changeList", "changes": out}
        if rest:
            body["nextPageToken"] = str(self.token_offset + page[-1][0] + 1)
        else:
            body["newStartPageToken"] = self.start_token()
        return body

    def list_files(self, q: str, offset: int, size: int) -> tuple[list[FakeFile], int | None]:
        pred = parse_query(q)
        matches = [f for f in self.files.values() if f.id not in self.drives and pred(f)]
        end = offset + size
        return matches[offset:end], (end if end < len(matches) else None)


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


# ---------------------------------------------------------------- HTTP
class _Handler(BaseHTTPRequestHandler):
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
        self._json(
            exc.status, {"error": {"errors": [err], "code": exc.status, "message": exc.message}}
        )

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
            self._faults(parts.path)
            status, body, ctype = self._route(parts.path, query)
        except FakeHttpError as exc:
            return self._error(exc)
        if ctype == "json":
            return self._json(status, select(body, parse_fields(query.get("fields", ""))))
        self._send(status, body, ctype)

    def _faults(self, path: str) -> None:
        d = self.drive
        with d.lock:
            for fault in d.faults:
                if fault.count > 0 and fault.match in path:
                    fault.count -= 1
                    raise FakeHttpError(fault.status, fault.reason, f"injected {fault.reason}")
            if d.storm and path.startswith(API) and d.storm[1].random() < d.storm[0]:
                status = d.storm[1].choice([403, 403, 429, 500, 503])
                reason = {403: "userRateLimitExceeded", 429: "rateLimitExceeded"}.get(
                    status, "backendError"
                )
                raise FakeHttpError(status, reason, "storm")

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
            members = [{"email": e, "type": "USER", "status": "ACTIVE"} for e in groups[key]]
            return 200, {"kind": "admin#directory#members", "members": members}, "json"
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
                perms = [dict(p, kind="drive#permission") for p in f.permissions]
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


def service_account_info(
    token_uri: str, email: str = "helpdesk@fake-project.iam.gserviceaccount.com"
) -> dict[str, str]:
    """A service-account key whose token endpoint is the fake (a fresh RSA key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "fake-project",
        "private_key_id": "fake-key-1",
        "private_key": pem,
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def iter_ids(prefix: str, n: int) -> Iterator[str]:
    for i in range(n):
        yield f"{prefix}{i:05d}"


# ---------------------------------------------------------------- file bodies
def make_pdf(text: str) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    y = 800
    for line in text.splitlines():
        c.drawString(50, y, line)
        y -= 16
    c.save()
    return buf.getvalue()


def make_docx(heading: str, paragraphs: list[str]) -> bytes:
    import io

    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for para in paragraphs:
        document.add_paragraph(para)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_pptx(slides: list[tuple[str, str]]) -> bytes:
    import io

    from pptx import Presentation

    deck = Presentation()
    for title, body in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
