"""A fake Confluence site, Cloud or Data Center: a real HTTP server on 127.0.0.1 (random port).

`FakeConfluence(deployment="cloud")` serves, under the `/wiki` context path and with
Cloud's payload shapes (basic auth with email + API token):
- v2 `GET /wiki/api/v2/spaces`, `/spaces/{id}/pages`, `/spaces/{id}/blogposts`,
  `/pages/{id}`, `/blogposts/{id}` — cursor pagination (`_links.next` that includes
  `/wiki`, plus a `Link` header), `limit` capped at 250, `body-format=storage`;
- v1 `GET /wiki/rest/api/space/{key}?expand=permissions`,
  `/rest/api/content/search?cql=...` (cursor; `_links.next` *relative to the context
  path*, as Cloud sends it: a client joining it to the site root gets a 404),
  `/rest/api/content/{id}/restriction/byOperation/read`,
  `/rest/api/group/{id}/membersByGroupId`, `/rest/api/group/member?name=`,
  `/rest/api/user/current` (with a `timeZone`: CQL dates are read in it).

`FakeConfluence(deployment="datacenter")` is a Data Center / Server site under the
`/confluence` context path, served by `tests/fakes/confluence_dc.py`: personal access
token as `Authorization: Bearer` only (basic auth → 401), every `/api/v2` path 404,
v1 only with DC's `start`/`limit` paging and its payloads (see that module).

The site is mutable between syncs (edit, delete, trash, archive, move, restrict, change
group members), checks basic auth (401 otherwise), can inject any HTTP status (429/503
with `Retry-After`), a reply that never comes in time (`"timeout"`: the handler stalls
`stall_seconds`) or a malformed 200 body (`"malformed"`), block a request until
released, and records every request.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from tests.fakes import confluence_cloud
from tests.fakes.confluence_model import (
    V2_MAX,
    Content,
    Fault,
    Space,
    User,
    _cursor,
    _iso,
)

__all__ = ["Content", "FakeConfluence", "Space", "User", "_cursor"]


class FakeConfluence:
    def __init__(
        self,
        email: str = "bot@example.com",
        token: str = "secret",  # noqa: S107
        time_zone: str = "America/Los_Angeles",
        deployment: str = "cloud",
        context: str | None = None,
    ) -> None:
        self.email, self.token, self.time_zone = email, token, time_zone
        self.deployment = deployment
        self.dc = deployment == "datacenter"
        self.context = context if context is not None else ("/confluence" if self.dc else "/wiki")
        self.expose_emails = True  # DC: whether `User` objects carry `email`
        self.legacy_permissions = False  # DC: no `space/{key}/permissions` (older servers)
        self.spaces: dict[str, Space] = {}
        self.content: dict[str, Content] = {}
        self.users: dict[str, User] = {"u-author": User("u-author", "author@example.com", "Ann")}
        self.groups: dict[str, tuple[str, list[str]]] = {}  # name -> (id, account ids)
        self.faults: list[Fault] = []
        self.requests: list[str] = []
        self.v2_cap = V2_MAX  # tests lower these to exercise pagination
        self.v1_cap = 250
        self.stall_seconds = 2.0  # how long a "timeout" fault keeps the client waiting
        self.block_match: str | None = None
        self.blocked = threading.Event()  # set when a request hit `block_match`
        self.release = threading.Event()
        self.lock = threading.RLock()
        self._next_id = 1000
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.context}"

    def start(self) -> FakeConfluence:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ data
    def add_space(self, key: str, name: str | None = None, **kw: Any) -> Space:
        with self.lock:
            space = Space(id=str(len(self.spaces) + 100), key=key, name=name or key, **kw)
            self.spaces[key] = space
            return space

    def add_group(self, name: str, members: list[str]) -> None:
        with self.lock:
            gid = self.groups.get(name, (f"g-{name}", []))[0]
            self.groups[name] = (gid, list(members))

    def add_user(self, account_id: str, email: str, name: str = "") -> None:
        self.users[account_id] = User(account_id, email, name or account_id)

    def add_page(
        self,
        space: str,
        title: str,
        body: str | None,
        parent: str | None = None,
        kind: str = "page",
        **kw: Any,
    ) -> Content:
        with self.lock:
            self._next_id += 1
            item = Content(str(self._next_id), kind, space, title, body, parent_id=parent, **kw)
            self.content[item.id] = item
            return item

    def edit(self, cid: str, body: str | None = None, title: str | None = None) -> None:
        with self.lock:
            c = self.content[cid]
            c.body = body if body is not None else c.body
            c.title = title or c.title
            c.version += 1
            c.when = datetime.now(UTC)

    def set_status(self, cid: str, status: str) -> None:
        with self.lock:
            self.content[cid].status = status

    def move(self, cid: str, space: str, parent: str | None = None) -> None:
        with self.lock:
            self.content[cid].space_key, self.content[cid].parent_id = space, parent

    def restrict(self, cid: str, users: list[str] = (), groups: list[str] = ()) -> None:  # type: ignore[assignment]
        """Restrictions do not bump the version or lastmodified (as in Confluence)."""
        with self.lock:
            self.content[cid].restrict_users = list(users)
            self.content[cid].restrict_groups = list(groups)

    def fail(
        self,
        match: str,
        status: int | str,
        times: int = 1,
        retry_after: str | None = None,
        every: int = 1,
    ) -> None:
        self.faults.append(Fault(match, status, times, retry_after, every))

    def count(self, fragment: str) -> int:
        return sum(fragment in r for r in self.requests)

    # ------------------------------------------------------------------ shapes
    def ancestors(self, c: Content) -> list[Content]:
        chain: list[Content] = []
        parent = c.parent_id
        while parent and parent in self.content and len(chain) < 50:
            chain.insert(0, self.content[parent])
            parent = self.content[parent].parent_id
        return chain

    def user_json(self, user: User) -> dict[str, Any]:
        return user.json_dc(self.expose_emails) if self.dc else user.json()

    def webui(self, c: Content) -> str:
        slug = quote(c.title.replace(" ", "+"), safe="+")
        if self.dc and c.type == "blogpost":
            return f"/display/{c.space_key}/{c.when:%Y/%m/%d}/{slug}"
        if self.dc:
            return f"/display/{c.space_key}/{slug}"
        if c.type == "blogpost":
            return f"/spaces/{c.space_key}/blog/{c.when:%Y/%m/%d}/{c.id}/{slug}"
        return f"/spaces/{c.space_key}/pages/{c.id}/{slug}"

    def v1(self, c: Content, expand: set[str]) -> dict[str, Any]:
        space = self.spaces[c.space_key]
        out: dict[str, Any] = {
            "id": c.id,
            "type": c.type,
            "status": c.status,
            "title": c.title,
            "_links": {"webui": self.webui(c), "self": f"{self.url}/rest/api/content/{c.id}"},
            "_expandable": {"container": f"/rest/api/space/{c.space_key}"},
        }
        if "space" in expand:
            out["space"] = {
                "id": int(space.id),
                "key": space.key,
                "name": space.name,
                "type": "global",
                "status": "current",
            }
        if "version" in expand:
            author = self.users.get(c.author, User(c.author, "", c.author))
            out["version"] = {
                "by": self.user_json(author),
                "when": _iso(c.when),
                "number": c.version,
                "minorEdit": False,
                "message": "",
            }
        if "ancestors" in expand:
            out["ancestors"] = [
                {"id": a.id, "type": "page", "status": a.status, "title": a.title}
                for a in self.ancestors(c)
            ]
        if any(e.startswith("restrictions") for e in expand):
            out["restrictions"] = {"read": self.restriction(c)}
        if "body.storage" in expand:
            out["body"] = {"storage": {"value": c.body, "representation": "storage"}}
        return out

    def restriction(self, c: Content) -> dict[str, Any]:
        users = [self.user_json(self.users[u]) for u in c.restrict_users if u in self.users]
        groups: list[dict[str, Any]] = [
            {"type": "group", "name": g, "id": self.groups.get(g, (f"g-{g}", []))[0]}
            for g in c.restrict_groups
        ]
        if self.dc:  # Data Center names groups only
            groups = [{"type": "group", "name": g} for g in c.restrict_groups]
        return {
            "operation": "read",
            "restrictions": {
                "user": {"results": users, "start": 0, "limit": 200, "size": len(users)},
                "group": {"results": groups, "start": 0, "limit": 200, "size": len(groups)},
            },
        }

    def v2(self, c: Content, body: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": c.id,
            "status": c.status,
            "title": c.title,
            "spaceId": self.spaces[c.space_key].id,
            "authorId": c.author,
            "createdAt": _iso(c.when),
            "version": {
                "createdAt": _iso(c.when),
                "message": "",
                "number": c.version,
                "minorEdit": False,
                "authorId": c.author,
            },
            "_links": {"webui": self.webui(c), "tinyui": f"/x/{c.id}"},
        }
        if c.type == "page":
            out.update(parentId=c.parent_id, parentType="page" if c.parent_id else None)
        if body:
            out["body"] = {"storage": {"representation": "storage", "value": c.body}}
        return out

    def space_v1(self, s: Space) -> dict[str, Any]:
        perms: list[dict[str, Any]] = []
        read = {"operation": "read", "targetType": "space"}
        for g in s.read_groups:
            gid = self.groups.get(g, (f"g-{g}", []))[0]
            subject = {"group": {"results": [{"type": "group", "name": g, "id": gid}], "size": 1}}
            perms.append(
                {
                    "subjects": subject,
                    "operation": read,
                    "anonymousAccess": False,
                    "unlicensedAccess": False,
                }
            )
            perms.append(
                {
                    "subjects": subject,
                    "anonymousAccess": False,
                    "unlicensedAccess": False,
                    "operation": {"operation": "create", "targetType": "page"},
                }
            )
        for u in s.read_users:
            subject = {"user": {"results": [self.users[u].json()], "size": 1}}
            perms.append(
                {
                    "subjects": subject,
                    "operation": read,
                    "anonymousAccess": False,
                    "unlicensedAccess": False,
                }
            )
        if s.anonymous:
            perms.append({"operation": read, "anonymousAccess": True, "unlicensedAccess": False})
        return {
            "id": int(s.id),
            "key": s.key,
            "name": s.name,
            "type": "global",
            "status": s.status,
            "permissions": perms,
            "_links": {"webui": f"/spaces/{s.key}", "base": self.url, "context": "/wiki"},
        }

    # ------------------------------------------------------------------ CQL
    def cql(self, query: str) -> list[Content]:
        order = re.search(r"order by (\w+)(?: (asc|desc))?", query, re.I)
        where = query[: order.start()] if order else query
        items = [c for c in self.content.values() if c.status in ("current", "archived")]
        for clause in re.split(r"\s+and\s+", where.strip(), flags=re.I):
            m = re.fullmatch(r"(\w+)\s*(=|in|>=)\s*(.+)", clause.strip(), re.I)
            if not m:
                raise ValueError(f"unsupported CQL: {clause}")
            fld, op, raw = m.group(1).lower(), m.group(2).lower(), m.group(3).strip()
            values = [v.strip().strip('"') for v in raw.strip("()").split(",")]
            if fld == "space":
                for key in values:
                    if key in self.spaces and self.spaces[key].forbidden:
                        raise PermissionError(key)
                items = [c for c in items if c.space_key in values]
            elif fld == "type":
                items = [c for c in items if c.type in values]
            elif fld == "lastmodified" and op == ">=":
                local = datetime.strptime(values[0], "%Y/%m/%d %H:%M")
                since = local.replace(tzinfo=ZoneInfo(self.time_zone))
                items = [c for c in items if c.when >= since]
            else:
                raise ValueError(f"unsupported CQL field: {fld}")
        if order:
            desc = (order.group(2) or "").lower() == "desc"
            items.sort(key=lambda c: (c.when, c.id), reverse=desc)
        else:
            items.sort(key=lambda c: int(c.id))
        return items


def _handler(site: FakeConfluence) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def send_fault(self, fault: Fault) -> None:
            if fault.status == "timeout":
                time.sleep(site.stall_seconds)  # the client gives up first
                with contextlib.suppress(OSError):  # the client has hung up
                    self.send_json(504, {"message": "too late"})
            elif fault.status == "malformed":
                data = b'{"results": [{"id": "1", "title": '  # cut off mid-object
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self.send_json(int(fault.status), {"message": "injected"}, headers)

        def do_GET(self) -> None:
            with site.lock:
                site.requests.append(self.path)
            if site.dc:
                expected = f"Bearer {site.token}"
            else:
                basic = base64.b64encode(f"{site.email}:{site.token}".encode()).decode()
                expected = f"Basic {basic}"
            if self.headers.get("Authorization") != expected:
                self.send_json(401, {"statusCode": 401, "message": "Unauthorized"})
                return
            if site.block_match and site.block_match in unquote(self.path):
                site.blocked.set()
                site.release.wait(60)
            for fault in site.faults:
                if fault.times > 0 and fault.match in self.path:
                    fault.seen += 1
                    if fault.seen % fault.every == 0:
                        fault.times -= 1
                        self.send_fault(fault)
                        return
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            try:
                with site.lock:
                    status, body, headers = confluence_cloud.route(
                        site, parts.path, query, parse_qs(parts.query)
                    )
            except PermissionError:
                status, body, headers = 403, {"message": "not permitted"}, {}
            except KeyError:
                status, body, headers = 404, {"message": "not found"}, {}
            except ValueError as exc:
                status, body, headers = 400, {"message": str(exc)}, {}
            self.send_json(status, body, headers)

    return Handler
