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

import random
import threading
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.drive_bodies import (
    iter_ids,
    make_docx,
    make_pdf,
    make_pptx,
    make_xlsx,
    service_account_info,
)
from tests.fakes.drive_http import DriveHandler
from tests.fakes.drive_model import (
    API,
    FOLDER,
    GOOGLE_PREFIX,
    FakeFile,
    FakeHttpError,
    Fault,
    parse_fields,
    parse_query,
    select,
)

__all__ = [
    "API",
    "FOLDER",
    "GOOGLE_PREFIX",
    "FakeDrive",
    "FakeFile",
    "FakeHttpError",
    "Fault",
    "iter_ids",
    "make_docx",
    "make_pdf",
    "make_pptx",
    "make_xlsx",
    "parse_fields",
    "parse_query",
    "select",
    "service_account_info",
]


class FakeDrive:
    def __init__(self, page_size_cap: int = 1000) -> None:
        self.files: dict[str, FakeFile] = {}
        self.drives: dict[str, str] = {}
        # group email -> member emails (active users), or member resources as the
        # Directory API returns them ({"email", "type", "status"})
        self.groups: dict[str, list[Any]] = {}
        self.directory_allowed = True
        self.changes: list[tuple[str, bool]] = []  # (file id, removed)
        self.token_offset = 0  # change tokens are offset + position; expiry moves it
        self.page_size_cap = page_size_cap
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.faults: list[Fault] = []
        self.storm: tuple[float, random.Random] | None = None
        self.storm_statuses: list[int] = [403, 403, 429, 500, 503]
        self.storm_retry_after: float | None = None
        self.hang_seconds = 5.0  # how long a "timeout" fault holds the request
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

        class Handler(DriveHandler):
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

    def fail(
        self,
        status: int,
        reason: str,
        match: str = "",
        count: int = 1,
        *,
        kind: str = "status",
        retry_after: float | None = None,
    ) -> None:
        """The next `count` requests whose decoded path contains `match` fail: an API
        error (`kind="status"`), no answer ("timeout") or a broken 200 ("malformed")."""
        with self.lock:
            self.faults.append(Fault(status, reason, match, count, kind, retry_after))

    def rate_limit_storm(
        self,
        probability: float,
        seed: int = 7,
        statuses: list[int] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.storm = (probability, random.Random(seed))
        if statuses is not None:
            self.storm_statuses = list(statuses)
        self.storm_retry_after = retry_after

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
