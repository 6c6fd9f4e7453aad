"""A fake Zendesk Support account: a real HTTP server on 127.0.0.1 (random port)
serving `POST /api/v2/tickets.json` with Zendesk's shapes: basic auth
(`email/token:api_token`; 401 `{"error": "Couldn't authenticate you"}` otherwise), 400
`{"error": "ParameterMissing", …}` without a `ticket`, 422 `{"error": "RecordInvalid",
"description": "Record validation errors", "details": {…}}` without a comment body,
201 `{"ticket": {"id", "url", "subject", …}}` with a `Location` header. Faults can be
injected (status, body, `Retry-After`, a delay); every ticket and request is recorded."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.jira_server import Fault


class FakeZendesk:
    def __init__(
        self,
        email: str = "bot@example.com",
        token: str = "zd-token",  # noqa: S107
    ) -> None:
        self.email, self.token = email, token
        self.tickets: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeZendesk:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int, body: Any = None, *, times: int = 1, delay: float = 0.0,
             headers: dict[str, str] | None = None) -> None:  # fmt: skip
        text = body if isinstance(body, str) else json.dumps(
            body if body is not None else {"error": "InternalError"}
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
        ticket = payload.get("ticket") if isinstance(payload, dict) else None
        if not isinstance(ticket, dict):
            return 400, {"error": "ParameterMissing", "description": "Parameter ticket is required"}
        comment = ticket.get("comment") or {}
        if not str(comment.get("body") or comment.get("html_body") or "").strip():
            return 422, {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {
                    "base": [{"description": "Description: cannot be blank", "error": "BlankValue"}]
                },
            }
        with self._lock:
            ticket_id = 35436 + len(self.tickets)
            stored = {
                "id": ticket_id,
                "url": f"{self.url}/api/v2/tickets/{ticket_id}.json",
                "subject": ticket.get("subject"),
                "description": comment.get("body"),
                "status": "new",
                "tags": ticket.get("tags") or [],
                "requester": ticket.get("requester"),
                "comment_public": comment.get("public", True),
            }
            self.tickets.append(stored)
        return 201, {"ticket": stored, "audit": {"id": 1, "ticket_id": ticket_id}}


def _handler(site: FakeZendesk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            site.requests.append((self.path, raw.decode("utf-8", "replace")))
            expected = base64.b64encode(f"{site.email}/token:{site.token}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self.send(401, json.dumps({"error": "Couldn't authenticate you"}))
                return
            fault = site.take_fault()
            if fault is not None:
                time.sleep(fault.delay)
                self.send(fault.status, fault.body, fault.headers)
                return
            if self.path != "/api/v2/tickets.json":
                self.send(404, json.dumps({"error": "InvalidEndpoint", "description": "Not found"}))
                return
            try:
                payload = json.loads(raw)
            except ValueError:
                self.send(400, json.dumps({"error": "Unprocessable JSON"}))
                return
            status, body = site.create(payload)
            headers = {"Location": body["ticket"]["url"]} if status == 201 else None
            self.send(status, json.dumps(body), headers)

    return Handler
