"""The Confluence endpoints the connector reads, with the Cloud / Data Center split.

- spaces: Cloud v2 `GET /api/v2/spaces` (cursor); DC v1 `GET /rest/api/space`.
- space view permission: Cloud v1 `GET /rest/api/space/{key}?expand=permissions` (group
  *names* and the anonymous flag, so no group-id → name mapping); DC
  `GET /rest/api/space/{key}/permissions` (a flat list of operation + subject), or, on a
  server without it (404), the same `expand=permissions` as Cloud.
- ids-only listing with versions, ancestors and read restrictions: v1 CQL
  `GET /rest/api/content/search` (Cloud: cursor; DC: `start`/`limit`, at most 200 a
  page with expansions, 50 with bodies — both followed through `_links.next`).
- changed since (incremental): v1 CQL `lastmodified >= "..."` with `body.storage`; both.
- bulk bodies (full sync): Cloud v2 `GET /api/v2/spaces/{id}/pages|blogposts`
  `?body-format=storage&limit=250`; DC v1 CQL with `body.storage`.
- one body: Cloud v2 `GET /api/v2/pages|blogposts/{id}`; DC v1 `GET /rest/api/content/{id}`.
- group members: Cloud v1 `group/{id}/membersByGroupId` (or `group/member?name=`);
  DC v1 `group/{name}/member` (`start`/`limit`).
Data Center is never sent a v2 (`/api/v2`) request.
- CQL time zone: Cloud v1 `user/current` → `timeZone`; DC none (padded window).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from connectors.confluence.client import ConfluenceClient, NotFoundError
from connectors.confluence.permissions import GroupRef, UnknownPermissionsError

CONTENT_TYPES = "type in (page, blogpost)"
SLIM_EXPAND = ",".join(
    [
        "version",
        "ancestors",
        "space",
        "restrictions.read.restrictions.user",
        "restrictions.read.restrictions.group",
    ]
)
BODY_EXPAND = "body.storage,version,space"
SLIM_LIMIT = 250
DC_SLIM_LIMIT = 200  # DC caps CQL searches with (non-body) expansions at 200 a page
BODY_LIMIT = 50  # Cloud caps body expansions of v1 searches well below 250
V2_LIMIT = 250


@dataclass(frozen=True)
class Space:
    id: str
    key: str
    name: str


@dataclass(frozen=True)
class Entry:
    """One page or blog post from the ids-only listing (no body)."""

    id: str
    type: str  # "page" | "blogpost"
    title: str
    space_key: str
    version: int
    when: str  # ISO time of the current version
    author: str | None
    ancestors: tuple[tuple[str, str], ...]  # (id, title), root first
    restriction: dict[str, Any] | None  # the `restrictions.read` expansion
    webui: str
    ancestors_known: bool = True  # False: the chain was missing or malformed (→ nobody)


@dataclass(frozen=True)
class Body:
    id: str
    title: str
    version: int | None
    storage: object  # the storage XHTML (str) — anything else is a malformed body
    when: str | None = None
    webui: str | None = None


def cql_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _version_number(obj: dict[str, Any]) -> int | None:
    version = obj.get("version")
    if isinstance(version, dict) and isinstance(version.get("number"), int):
        return int(version["number"])
    return None


def _opt(value: object) -> str | None:
    return str(value) if value else None


def parse_entry(item: dict[str, Any]) -> Entry | None:
    """A v1 content object → `Entry`; None for anything not a current page/blog post, or
    too malformed to name (an indexed page the listing no longer names is removed)."""
    try:
        return _parse_entry(item)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _parse_entry(item: dict[str, Any]) -> Entry | None:
    if item.get("status", "current") != "current" or item.get("type") not in ("page", "blogpost"):
        return None
    version = item.get("version") or {}
    by = version.get("by") or {}
    space = item.get("space") or {}
    links = item.get("_links") or {}
    raw_ancestors = item.get("ancestors")
    known = isinstance(raw_ancestors, list) and all(
        isinstance(a, dict) and a.get("id") not in (None, "") for a in raw_ancestors
    )
    ancestors = tuple(
        (str(a.get("id")), str(a.get("title") or ""))
        for a in (raw_ancestors if isinstance(raw_ancestors, list) else [])
        if isinstance(a, dict) and a.get("id") not in (None, "")
    )
    restrictions = item.get("restrictions") or {}
    return Entry(
        id=str(item["id"]),
        type=str(item["type"]),
        title=str(item.get("title") or ""),
        space_key=str(space.get("key") or ""),
        version=int(version.get("number") or 0),
        when=str(version.get("when") or ""),
        author=(by.get("displayName") or by.get("publicName") or None) if by else None,
        ancestors=ancestors,
        restriction=restrictions.get("read") if isinstance(restrictions, dict) else None,
        webui=str(links.get("webui") or ""),
        ancestors_known=known,
    )


def _parse_body(item: dict[str, Any], when_key: str) -> Body:
    body = item.get("body") or {}
    storage = body.get("storage") if isinstance(body, dict) else None
    value = storage.get("value") if isinstance(storage, dict) else None
    version = item.get("version") or {}
    return Body(
        id=str(item["id"]),
        title=str(item.get("title") or ""),
        version=_version_number(item),
        storage=value,
        when=_opt(version.get(when_key)) if isinstance(version, dict) else None,
        webui=(item.get("_links") or {}).get("webui"),
    )


def parse_body_v1(item: dict[str, Any]) -> Body:
    """v1 content (`version.when`)."""
    return _parse_body(item, "when")


def parse_body_v2(item: dict[str, Any]) -> Body:
    """v2 pages and blog posts (`version.createdAt`)."""
    return _parse_body(item, "createdAt")


class ConfluenceApi:
    def __init__(self, client: ConfluenceClient) -> None:
        self.client = client

    @property
    def cloud(self) -> bool:
        return self.client.cloud

    # ------------------------------------------------------------------ spaces
    def spaces(self, keys: list[str]) -> list[Space]:
        c = self.client
        found: list[Space] = []
        if self.cloud:
            params: dict[str, Any] = {"status": "current", "limit": V2_LIMIT}
            if keys:
                params["keys"] = ",".join(keys)
            for page in c.paginate(c.api("/api/v2/spaces"), params):
                found += [
                    Space(str(s["id"]), str(s["key"]), str(s.get("name") or s["key"]))
                    for s in page
                    if s.get("status", "current") == "current" and "key" in s
                ]
        else:
            params = {"limit": 100, "status": "current"}
            if keys:
                params["spaceKey"] = keys
            for page in c.paginate(c.api("/rest/api/space"), params):
                found += [
                    Space(str(s.get("id", s["key"])), str(s["key"]), str(s.get("name") or ""))
                    for s in page
                    if "key" in s
                ]
        return found

    def space_permissions(self, key: str) -> dict[str, Any]:
        """The space with its `permissions`: Cloud's `expand=permissions` shape as is;
        DC's `/permissions` list under `dc_permissions` (see `permissions.space_readers`)."""
        c = self.client
        path = f"/rest/api/space/{quote(key, safe='')}"
        if not self.cloud:
            try:
                listed = c.get(c.api(path + "/permissions"))
            except NotFoundError:
                pass  # a server without the resource: ask the older expansion below
            else:
                try:
                    data = listed.json()
                except ValueError as exc:
                    raise UnknownPermissionsError("the space's permissions were not JSON") from exc
                return {"key": key, "dc_permissions": data}
        return c.get_json(c.api(path), {"expand": "permissions"})

    # ------------------------------------------------------------------ listings
    def listing(self, key: str) -> Iterator[list[dict[str, Any]]]:
        """Every current page and blog post of a space: ids, versions, restrictions."""
        c = self.client
        cql = f"space = {cql_quote(key)} and {CONTENT_TYPES}"
        limit = SLIM_LIMIT if self.cloud else DC_SLIM_LIMIT
        params = {"cql": cql, "expand": SLIM_EXPAND, "limit": limit}
        return c.paginate(c.api("/rest/api/content/search"), params)

    def changed_since(self, keys: list[str], since: str) -> Iterator[list[dict[str, Any]]]:
        """Pages and blog posts modified at or after `since` (CQL wall-clock), oldest first."""
        c = self.client
        spaces = ", ".join(cql_quote(k) for k in keys)
        cql = (
            f"space in ({spaces}) and {CONTENT_TYPES} and lastmodified >= {cql_quote(since)} "
            "order by lastmodified asc"
        )
        params = {"cql": cql, "expand": BODY_EXPAND, "limit": BODY_LIMIT}
        return c.paginate(c.api("/rest/api/content/search"), params)

    def bodies(self, space: Space) -> Iterator[list[Body]]:
        """Bodies of every current page and blog post of a space, in bulk."""
        c = self.client
        if self.cloud:
            for kind in ("pages", "blogposts"):
                url = c.api(f"/api/v2/spaces/{space.id}/{kind}")
                params = {"body-format": "storage", "limit": V2_LIMIT, "status": "current"}
                for page in c.paginate(url, params):
                    yield [
                        parse_body_v2(p) for p in page if p.get("status", "current") == "current"
                    ]
        else:
            cql = f"space = {cql_quote(space.key)} and {CONTENT_TYPES}"
            params = {"cql": cql, "expand": BODY_EXPAND, "limit": BODY_LIMIT}
            for page in c.paginate(c.api("/rest/api/content/search"), params):
                yield [parse_body_v1(p) for p in page]

    def body(self, content_id: str, kind: str) -> Body:
        c = self.client
        if self.cloud:
            path = "pages" if kind == "page" else "blogposts"
            data = c.get_json(c.api(f"/api/v2/{path}/{content_id}"), {"body-format": "storage"})
            return parse_body_v2(data)
        data = c.get_json(c.api(f"/rest/api/content/{content_id}"), {"expand": BODY_EXPAND})
        return parse_body_v1(data)

    def read_restriction(self, content_id: str) -> dict[str, Any]:
        """The read restriction of one content. Any error (a 404 included) is raised:
        an ancestor whose restriction cannot be read restricts to nobody, never to no one
        in particular."""
        c = self.client
        url = c.api(f"/rest/api/content/{content_id}/restriction/byOperation/read")
        return c.get_json(url, {"expand": "restrictions.user,restrictions.group"})

    # ------------------------------------------------------------------ users
    def group_members(self, group: GroupRef) -> Iterator[dict[str, Any]]:
        c = self.client
        if self.cloud and group.id:
            url = c.api(f"/rest/api/group/{group.id}/membersByGroupId")
            params: dict[str, Any] = {"limit": 200}
        elif self.cloud:
            url, params = c.api("/rest/api/group/member"), {"name": group.name, "limit": 200}
        else:
            url = c.api(f"/rest/api/group/{quote(group.name, safe='')}/member")
            params = {"limit": 200}
        for page in c.paginate(url, params):
            yield from page

    def time_zone(self) -> str | None:
        if not self.cloud:
            return None
        c = self.client
        try:
            tz = c.get_json(c.api("/rest/api/user/current")).get("timeZone")
        except NotFoundError:
            return None
        return str(tz) if tz else None


def page_url(base: str, entry: Entry) -> str:
    """The page's web address (the listing's `webui` link when it has one)."""
    if entry.webui:
        return base + entry.webui if entry.webui.startswith("/") else entry.webui
    if entry.type == "page" and entry.space_key:
        return f"{base}/spaces/{entry.space_key}/pages/{entry.id}"
    return f"{base}/pages/viewpage.action?pageId={entry.id}&spaceKey={entry.space_key}"
