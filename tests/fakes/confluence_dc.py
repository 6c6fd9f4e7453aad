"""The Data Center / Server routes of the fake Confluence site (`FakeConfluence(
deployment="datacenter")`), in the shapes of Atlassian's Data Center REST API (v1 only):

- `GET /rest/api/space?spaceKey=&status=&start=&limit=` — offset paging;
- `GET /rest/api/space/{key}` and `GET /rest/api/space/{key}/permissions`: a flat list of
  `{operation: {operationKey, targetType}, subject: {type, ...}, spaceKey, spaceId}`
  (subject `group` by `name`, `user` with `username`/`userKey`, `anonymous`); with
  `site.legacy_permissions` the latter is 404 (older servers) and `space/{key}?expand=
  permissions` carries Cloud-style `permissions` instead;
- `GET /rest/api/content/search?cql=&expand=&start=&limit=` — offset paging, at most 50
  results a page with a body expansion, 200 with other expansions, 1000 without; `_links.
  next` *relative to the context path* (`/rest/api/content/search?...&start=N`) and
  `_links.context` the context path itself (`/confluence`);
- `GET /rest/api/content/{id}?expand=` (404 for content that is not current or whose
  space the account may not read), `.../restriction/byOperation/read`;
- `GET /rest/api/group/{name}/member?start=&limit=` (users as `username`/`userKey`);
- anything under `/api/v2` → 404 (Data Center has no v2 API).

Users are `{type: known, username, userKey, displayName}`, with `email` only while
`site.expose_emails`. Groups carry no ids.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

if TYPE_CHECKING:
    from tests.fakes.confluence_server import FakeConfluence

from tests.fakes.confluence_model import Space

Reply = tuple[int, Any, dict[str, str]]


def _paged(
    site: FakeConfluence, path: str, items: list[Any], q: dict[str, str], cap: int
) -> dict[str, Any]:
    start = int(q.get("start", 0))
    limit = max(1, min(int(q.get("limit", 25)), cap))
    page = items[start : start + limit]
    body: dict[str, Any] = {
        "results": page,
        "start": start,
        "limit": limit,
        "size": len(page),
        "_links": {"base": site.url, "context": site.context, "self": site.url + path},
    }
    if start + limit < len(items):
        nxt = dict(q, start=str(start + limit), limit=str(limit))
        body["_links"]["next"] = f"{path}?{urlencode(nxt)}"
    return body


def space_json(site: FakeConfluence, s: Space, expand: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": int(s.id),
        "key": s.key,
        "name": s.name,
        "type": "global",
        "status": s.status,
        "_links": {"webui": f"/display/{s.key}", "self": f"{site.url}/rest/api/space/{s.key}"},
        "_expandable": {"homepage": "", "description": "", "metadata": ""},
    }
    if "permissions" in expand and site.legacy_permissions:
        out["permissions"] = site.space_v1(s)["permissions"]
    return out


def space_permissions(site: FakeConfluence, s: Space) -> list[dict[str, Any]]:
    read = {"operationKey": "read", "targetType": "space"}
    create = {"operationKey": "create", "targetType": "page"}
    out: list[dict[str, Any]] = []

    def grant(op: dict[str, str], subject: dict[str, Any]) -> None:
        out.append({"operation": op, "subject": subject, "spaceKey": s.key, "spaceId": int(s.id)})

    for g in s.read_groups:
        subject = {"type": "group", "name": g, "displayName": g}
        grant(read, subject)
        grant(create, subject)
    for u in s.read_users:
        user = site.users[u].json_dc(site.expose_emails)
        grant(read, {**user, "type": "user"})
    if s.anonymous:
        grant(read, {"type": "anonymous", "displayName": "Anonymous"})
    return out


def route(site: FakeConfluence, p: str, q: dict[str, str], multi: dict[str, list[str]]) -> Reply:
    if p.startswith("/api/v2"):
        raise KeyError(p)  # no v2 API on Data Center
    if p == "/rest/api/space":
        keys = set(multi.get("spaceKey", []))
        wanted = q.get("status")
        spaces = [
            space_json(site, s, set())
            for s in site.spaces.values()
            if (not keys or s.key in keys)
            and s.status != "deleted"
            and (wanted is None or s.status == wanted)
        ]
        return 200, _paged(site, p, spaces, q, 500), {}
    if m := re.fullmatch(r"/rest/api/space/([^/]+)(/permissions)?", p):
        space = site.spaces[unquote(m.group(1))]
        if space.status == "deleted":
            raise KeyError(space.key)
        if space.forbidden:
            raise PermissionError(space.key)
        if m.group(2):
            if site.legacy_permissions:
                raise KeyError(p)
            return 200, space_permissions(site, space), {}
        return 200, space_json(site, space, set(q.get("expand", "").split(","))), {}
    if p == "/rest/api/content/search":
        expand = {e for e in q.get("expand", "").split(",") if e}
        cap = 50 if any(e.startswith("body") for e in expand) else 200 if expand else 1000
        hits = [site.v1(c, expand) for c in site.cql(q["cql"])]
        return 200, _paged(site, p, hits, q, min(cap, site.v1_cap)), {}
    if m := re.fullmatch(r"/rest/api/content/(\d+)/restriction/byOperation/read", p):
        c = site.content[m.group(1)]
        if site.spaces[c.space_key].forbidden:
            raise KeyError(c.id)
        return 200, site.restriction(c), {}
    if m := re.fullmatch(r"/rest/api/content/(\d+)", p):
        c = site.content[m.group(1)]
        if c.status != "current" or site.spaces[c.space_key].forbidden:
            raise KeyError(c.id)
        return 200, site.v1(c, set(q.get("expand", "").split(","))), {}
    if m := re.fullmatch(r"/rest/api/group/([^/]+)/member", p):
        by_name = {name.lower(): members for name, (_, members) in site.groups.items()}
        accounts = by_name[unquote(m.group(1)).lower()]  # names are case-insensitive
        users = [site.users[a].json_dc(site.expose_emails) for a in accounts if a in site.users]
        return 200, _paged(site, p, users, q, 200), {}
    if p == "/rest/api/user/current":
        return 200, {"type": "known", "username": "helpdesk-bot", "displayName": "Sync bot"}, {}
    raise KeyError(p)
