"""The Cloud routes of the fake Confluence site (`FakeConfluence(deployment="cloud")`, see
`tests/fakes/confluence_server.py` for what it serves); Data Center's are in
`tests/fakes/confluence_dc.py`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tests.fakes import confluence_dc
from tests.fakes.confluence_model import V2_MAX, _cursor, _offset

if TYPE_CHECKING:
    from tests.fakes.confluence_server import FakeConfluence


def page_v2(
    site: FakeConfluence, path: str, items: list[dict[str, Any]], query: dict[str, str]
) -> tuple[int, Any, dict[str, str]]:
    limit = min(int(query.get("limit", 25)), V2_MAX, site.v2_cap)
    start = _offset(query.get("cursor"))
    body: dict[str, Any] = {
        "results": items[start : start + limit],
        "_links": {"base": site.url},
    }
    headers = {}
    if start + limit < len(items):
        nxt = dict(query, cursor=_cursor(start + limit))
        link = f"{path}?{urlencode(nxt)}"
        body["_links"]["next"] = link
        headers["Link"] = f'<{link}>; rel="next"'
    return 200, body, headers


def route(
    site: FakeConfluence, path: str, q: dict[str, str], multi: dict[str, list[str]]
) -> tuple[int, Any, dict[str, str]]:
    if not path.startswith(site.context + "/"):
        raise KeyError(path)
    p = path[len(site.context) :]
    if site.dc:
        return confluence_dc.route(site, p, q, multi)
    if p == "/api/v2/spaces":
        keys = {k for v in multi.get("keys", []) for k in v.split(",") if k}
        wanted = q.get("status")
        spaces = [
            s
            for s in site.spaces.values()
            if (not keys or s.key in keys)
            and s.status != "deleted"
            and (wanted is None or s.status == wanted)
        ]
        listed: list[dict[str, Any]] = [
            {
                "id": s.id,
                "key": s.key,
                "name": s.name,
                "type": "global",
                "status": s.status,
                "_links": {"webui": f"/spaces/{s.key}"},
            }
            for s in spaces
        ]
        return page_v2(site, path, listed, q)
    if m := re.fullmatch(r"/api/v2/spaces/(\d+)/(pages|blogposts)", p):
        space = next(s for s in site.spaces.values() if s.id == m.group(1))
        if space.forbidden:
            raise PermissionError(space.key)
        kind = "page" if m.group(2) == "pages" else "blogpost"
        status = q.get("status", "current")
        found = sorted(
            (
                c
                for c in site.content.values()
                if c.space_key == space.key and c.type == kind and c.status == status
            ),
            key=lambda c: int(c.id),
        )
        with_body = q.get("body-format") == "storage"
        return page_v2(site, path, [site.v2(c, with_body) for c in found], q)
    if m := re.fullmatch(r"/api/v2/(pages|blogposts)/(\d+)", p):
        c = site.content[m.group(2)]
        if c.status == "deleted" or site.spaces[c.space_key].forbidden:
            raise KeyError(c.id)
        return 200, site.v2(c, q.get("body-format") == "storage"), {}
    if m := re.fullmatch(r"/rest/api/space/([^/]+)", p):
        space = site.spaces[m.group(1)]
        if space.status == "deleted":
            raise KeyError(space.key)
        if space.forbidden:
            raise PermissionError(space.key)
        return 200, site.space_v1(space), {}
    if p == "/rest/api/content/search":
        limit = min(int(q.get("limit", 25)), site.v1_cap)
        expand = set(q.get("expand", "").split(","))
        if "body.storage" in expand:
            limit = min(limit, 50)
        hits = site.cql(q["cql"])
        start = _offset(q.get("cursor"))
        payload: dict[str, Any] = {
            "results": [site.v1(c, expand) for c in hits[start : start + limit]],
            "start": start,
            "limit": limit,
            "size": min(limit, len(hits) - start),
            "_links": {"base": site.url, "context": "/wiki"},
        }
        if start + limit < len(hits):
            nxt = dict(q, cursor=_cursor(start + limit), next="true")
            payload["_links"]["next"] = f"/rest/api/content/search?{urlencode(nxt)}"
        return 200, payload, {}
    if m := re.fullmatch(r"/rest/api/content/(\d+)/restriction/byOperation/read", p):
        return 200, site.restriction(site.content[m.group(1)]), {}
    if m := re.fullmatch(r"/rest/api/group/([^/]+)/membersByGroupId", p):
        name = next(n for n, (gid, _) in site.groups.items() if gid == m.group(1))
        return members(site, name, q)
    if p == "/rest/api/group/member":
        return members(site, q["name"], q)
    if p == "/rest/api/user/current":
        return (
            200,
            {
                "type": "known",
                "accountId": "u-bot",
                "email": site.email,
                "displayName": "Sync bot",
                "timeZone": site.time_zone,
            },
            {},
        )
    raise KeyError(p)


def members(site: FakeConfluence, name: str, q: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    _, accounts = site.groups[name]
    start, limit = int(q.get("start", 0)), min(int(q.get("limit", 200)), 200)
    users = [site.users[a].json() for a in accounts[start : start + limit] if a in site.users]
    body: dict[str, Any] = {
        "results": users,
        "start": start,
        "limit": limit,
        "size": len(users),
        "_links": {},
    }
    if start + limit < len(accounts):
        body["_links"]["next"] = "/rest/api/group/member?" + urlencode(
            dict(q, name=name, start=start + limit)
        )
    return 200, body, {}
