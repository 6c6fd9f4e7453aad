"""A fake Jira Cloud site: a real HTTP server on 127.0.0.1 (random port) serving
`POST /rest/api/3/issue` with Jira's shapes: basic auth (`email:api_token`, 401 with
Jira's plain-text body otherwise), 400 `{"errorMessages": [], "errors": {field: msg}}`
for an unknown project, issue type or a non-ADF description, 201 `{"id", "key",
"self"}`. Faults can be injected (status, body, `Retry-After`, a delay) for the next
requests; `hold` makes the site slow (every request waits until the test releases it);
every created issue and request is recorded.

It is also a Jira Service Management site: `GET /rest/servicedeskapi/servicedesk`
(paged `values` with `projectKey`), `GET …/servicedesk/{id}/requesttype` (`searchQuery`),
and `POST /rest/servicedeskapi/request` (201 with `issueKey` and `_links.agent`; 400
`{"errorMessage"}` for an unknown request type or a missing summary, 404 for an unknown
desk), created requests in `customer_requests`."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


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
        service_desks: dict[str, tuple[str, dict[str, str]]] | None = None,
        desk_page_size: int = 50,
    ) -> None:
        self.email, self.token = email, token
        # project key -> (service desk id, {request type name: id})
        self.service_desks = (
            service_desks
            if service_desks is not None
            else {"IT": ("4", {"Get IT help": "31", "Report a problem": "32"})}
        )
        self.desk_page_size = desk_page_size
        self.customer_requests: list[dict[str, Any]] = []
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

    def desks(self, start: int, limit: int) -> dict[str, Any]:
        limit = min(limit, self.desk_page_size)
        items = [
            {"id": desk, "projectId": str(10000 + i), "projectName": f"{key} desk",
             "projectKey": key}
            for i, (key, (desk, _types)) in enumerate(sorted(self.service_desks.items()))
        ]  # fmt: skip
        page = items[start : start + limit]
        return {"size": len(page), "start": start, "limit": limit,
                "isLastPage": start + limit >= len(items), "values": page}  # fmt: skip

    def request_types(self, desk: str, query: str) -> tuple[int, dict[str, Any]]:
        for key, (desk_id, types) in self.service_desks.items():
            if desk_id == desk:
                values = [
                    {"id": type_id, "name": name, "serviceDeskId": desk_id}
                    for name, type_id in types.items()
                    if query.casefold() in name.casefold()
                ]
                return 200, {"size": len(values), "start": 0, "limit": 50, "isLastPage": True,
                             "values": values, "_project": key}  # fmt: skip
        return 404, {"errorMessage": "The service desk does not exist."}

    def create_request(self, payload: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(payload, dict):
            return 400, {"errorMessage": "Unexpected request body."}
        desk = str(payload.get("serviceDeskId"))
        found = [(k, t) for k, (d, t) in self.service_desks.items() if d == desk]
        if not found:
            return 404, {"errorMessage": "The service desk does not exist."}
        key, types = found[0]
        if str(payload.get("requestTypeId")) not in types.values():
            return 400, {"errorMessage": "The request type you are trying to use does not exist."}
        values = payload.get("requestFieldValues") or {}
        if not str(values.get("summary") or "").strip():
            return 400, {"errorMessage": "Summary: You must specify a summary of the issue."}
        if not isinstance(values.get("description", ""), str):
            return 400, {"errorMessage": "Description: must be a string."}
        with self._lock:
            number = len(self.issues) + len(self.customer_requests) + 1
            issue_key = f"{key}-{number}"
            self.customer_requests.append({"issueKey": issue_key, **payload})
        return 201, {
            "issueId": str(10000 + number), "issueKey": issue_key,
            "requestTypeId": payload["requestTypeId"], "serviceDeskId": desk,
            "currentStatus": {"status": "Waiting for support"},
            "_links": {"web": f"{self.url}/servicedesk/customer/portal/{desk}/{issue_key}",
                       "agent": f"{self.url}/browse/{issue_key}"},
        }  # fmt: skip


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

        def refused(self) -> bool:
            """401 without the right basic auth, or an injected fault: answered."""
            expected = base64.b64encode(f"{site.email}:{site.token}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self.send(401, "Client must be authenticated to access this resource.",
                          content_type="text/html;charset=UTF-8")  # fmt: skip
                return True
            fault = site.take_fault()
            if fault is not None:
                time.sleep(fault.delay)
                self.send(fault.status, fault.body, fault.headers)
                return True
            return False

        def do_GET(self) -> None:
            site.requests.append((self.path, ""))
            if self.refused():
                return
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            parts = url.path.removeprefix("/rest/servicedeskapi/").split("/")
            if parts == ["servicedesk"]:
                start, limit = int(query.get("start", 0)), int(query.get("limit", 50))
                self.send(200, json.dumps(site.desks(start, limit)))
            elif len(parts) == 3 and parts[0] == "servicedesk" and parts[2] == "requesttype":
                status, body = site.request_types(parts[1], query.get("searchQuery", ""))
                self.send(status, json.dumps(body))
            else:
                self.send(404, json.dumps({"errorMessages": ["Not found"], "errors": {}}))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            site.requests.append((self.path, raw.decode("utf-8", "replace")))
            if site.hold is not None:
                site.hold.wait(timeout=30.0)
            if self.refused():
                return
            if self.path == "/rest/servicedeskapi/request":
                try:
                    status, body = site.create_request(json.loads(raw))
                except ValueError:
                    status, body = 400, {"errorMessage": "Unexpected character"}
                self.send(status, json.dumps(body))
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
