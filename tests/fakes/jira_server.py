"""A fake Jira Cloud site: a real HTTP server on 127.0.0.1 (random port) serving
`POST /rest/api/3/issue` with Jira's shapes: basic auth (`email:api_token`, 401 with
Jira's plain-text body otherwise), 400 `{"errorMessages": [], "errors": {field: msg}}`
for an unknown project, issue type or a non-ADF description, 201 `{"id", "key",
"self"}`. Faults can be injected (status, body, `Retry-After`, a delay) for the next
requests; `hold` makes the site slow (every request waits until the test releases it);
every created issue and request is recorded."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int = 1


class FakeJira:
    def __init__(
        self,
        email: str = "bot@example.com",
        token: str = "jira-token",  # noqa: S107 (a fake's own test credential)
        projects: tuple[str, ...] = ("IT",),
        issue_types: tuple[str, ...] = ("Task", "[System] Service request"),
    ) -> None:
        self.email, self.token = email, token
        self.projects = set(projects)
        self.issue_types = set(issue_types)
        self.issues: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.hold: threading.Event | None = None  # set: requests are answered (a slow site)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeJira:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int, body: Any = None, *, times: int = 1, delay: float = 0.0,
             headers: dict[str, str] | None = None) -> None:  # fmt: skip
        text = body if isinstance(body, str) else json.dumps(
            body if body is not None else {"errorMessages": ["Internal server error"], "errors": {}}
        )  # fmt: skip
        self.faults.append(Fault(status, text, dict(headers or {}), delay, times))

    def take_fault(self) -> Fault | None:
        with self._lock:
            if not self.faults:
                return None
            fault = self.faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self.faults.pop(0)
            return fault

    def create(self, payload: Any) -> tuple[int, dict[str, Any]]:
        fields = payload.get("fields") if isinstance(payload, dict) else None
        if not isinstance(fields, dict):
            return 400, {"errorMessages": ["No fields were provided."], "errors": {}}
        errors: dict[str, str] = {}
        if (fields.get("project") or {}).get("key") not in self.projects:
            errors["project"] = "Specify a valid project ID or key"
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "Specify a valid issue type"
        if not str(fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        description = fields.get("description")
        if description is not None and (
            not isinstance(description, dict) or description.get("type") != "doc"
        ):
            errors["description"] = "Operation value must be an Atlassian Document"
        if errors:
            return 400, {"errorMessages": [], "errors": errors}
        with self._lock:
            number = len(self.issues) + 1
            issue_id = str(10000 + number)
            key = f"{fields['project']['key']}-{number}"
            self.issues.append({"id": issue_id, "key": key, "fields": fields})
        return 201, {"id": issue_id, "key": key, "self": f"{self.url}/rest/api/3/issue/{issue_id}"}


def _handler(site: FakeJira) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send(self, status: int, body: str, headers: dict[str, str] | None = None,
                 content_type: str = "application/json;charset=UTF-8") -> None:  # fmt: skip
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            site.requests.append((self.path, raw.decode("utf-8", "replace")))
            if site.hold is not None:
                site.hold.wait(timeout=30.0)
            expected = base64.b64encode(f"{site.email}:{site.token}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self.send(401, "Client must be authenticated to access this resource.",
                          content_type="text/html;charset=UTF-8")  # fmt: skip
                return
            fault = site.take_fault()
            if fault is not None:
                time.sleep(fault.delay)
                self.send(fault.status, fault.body, fault.headers)
                return
            if self.path != "/rest/api/3/issue":
                self.send(404, json.dumps({"errorMessages": ["Not found"], "errors": {}}))
                return
            try:
                payload = json.loads(raw)
            except ValueError:
                self.send(
                    400, json.dumps({"errorMessages": ["Unexpected character"], "errors": {}})
                )
                return
            status, body = site.create(payload)
            self.send(status, json.dumps(body))

    return Handler
