"""HTTP access to Confluence: auth, pagination, retries and error mapping.

Why plain `httpx` rather than `atlassian-python-api`: the connector needs exactly three
things from the transport and the library gives none of them reliably — (1) cursor
pagination that follows `_links.next` of both API generations (v2 links carry the
`/wiki` context path, v1 links are relative to it; the library's `_get_paged` has been
bitten by exactly that), (2) `Retry-After`-aware, jittered retries on 429/5xx
bounded by time, not attempts (`connectors.retry`, shared with Drive; the library only
retries with a fixed back-off, and raises `requests` exceptions whose status we would
have to re-parse), and (3) a precise
status → error mapping (401 / 403 / 404 distinguished, so a 403 on one space skips that
space instead of failing the run). Around 250 lines of httpx do all three, with one
dependency the project already has and a transport a test can point at a local server.

Cloud (basic auth with email + API token, v2 listings) and Data Center / Server
(bearer PAT, v1 only) differ in a few endpoints; those are isolated in `Endpoints`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from connectors.base import SourceError
from connectors.messages import (
    CONFLUENCE_CREDENTIALS_MISSING as CREDENTIALS_MISSING,
)
from connectors.messages import (
    CONFLUENCE_CREDENTIALS_REJECTED as CREDENTIALS_REJECTED,
)
from connectors.messages import (
    CONFLUENCE_DEPLOYMENT_INVALID as DEPLOYMENT_INVALID,
)
from connectors.messages import (
    CONFLUENCE_DEPLOYMENT_UNKNOWN as DEPLOYMENT_UNKNOWN,
)
from connectors.messages import (
    CONFLUENCE_FORBIDDEN as FORBIDDEN,
)
from connectors.messages import CONFLUENCE_NOT_ALLOWED, CONFLUENCE_NOT_FOUND
from connectors.messages import (
    CONFLUENCE_PAT_REJECTED as PAT_REJECTED,
)
from connectors.messages import (
    CONFLUENCE_UNAVAILABLE as UNAVAILABLE,
)
from connectors.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds

log = logging.getLogger(__name__)


class ConfluenceError(Exception):
    def __init__(self, message: str, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url


class ForbiddenError(ConfluenceError):
    """403: the credentials may not read this resource."""


class NotFoundError(ConfluenceError):
    """404 (Cloud also answers 404 for content the credentials may not see)."""


def refusal_reason(exc: ConfluenceError) -> str:
    """Why a space or page could not be read, as the sync's failure list says it."""
    if isinstance(exc, ForbiddenError):
        return CONFLUENCE_NOT_ALLOWED
    if isinstance(exc, NotFoundError):
        return CONFLUENCE_NOT_FOUND
    return exc.message


class UnavailableError(ConfluenceError):
    """Retries exhausted on 429/5xx or network errors."""


class ConfluenceClient:
    """A small synchronous client for one Confluence site."""

    def __init__(
        self,
        url: str,
        *,
        email: str | None = None,
        api_token: str | None = None,
        pat: str | None = None,
        cloud: bool | None = None,
        deployment: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(url.rstrip("/"))
        self.origin = f"{parts.scheme}://{parts.netloc}"
        # the context path: "/wiki" on Cloud, "" or e.g. "/confluence" on Data Center
        self.context = parts.path.rstrip("/")
        if cloud is None:
            cloud = _deployment(deployment, parts.netloc, email, api_token, pat)
        self._cloud = cloud  # None: not known from the settings, probed on first use
        self.base = self.origin + self.context
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.requests_made = 0
        auth: httpx.Auth | None = None
        headers = {"Accept": "application/json", "User-Agent": "helpdesk-bot-confluence/1"}
        if pat:
            headers["Authorization"] = f"Bearer {pat}"
            self.rejected_message = PAT_REJECTED
        elif email and api_token:
            auth = httpx.BasicAuth(email, api_token)
            self.rejected_message = CREDENTIALS_REJECTED
        else:
            raise SourceError(CREDENTIALS_MISSING)
        if cloud and not self.context:
            self.context, self.base = "/wiki", self.base + "/wiki"
        self.http = httpx.Client(
            auth=auth,
            headers=headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
        )
        self.server_date: str | None = None  # `Date` of the last response (server clock)

    @property
    def cloud(self) -> bool:
        """Cloud or Data Center / Server; probed once when the settings do not say.

        The probe asks for the v2 API (`GET <context>/api/v2/spaces?limit=1`), which only
        Cloud serves: a JSON listing → Cloud, a 404 → Data Center; anything else (401,
        retries exhausted) is raised like any failed call.
        """
        if self._cloud is None:
            try:
                data = self.get_json(self.api("/api/v2/spaces"), {"limit": 1})
            except NotFoundError:
                self._cloud = False
            else:
                if not isinstance(data.get("results"), list):
                    raise SourceError(DEPLOYMENT_UNKNOWN)
                self._cloud = True
            log.info("confluence deployment probed: %s", "cloud" if self._cloud else "datacenter")
        return self._cloud

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ URLs
    def api(self, path: str) -> str:
        """`path` below the context path, e.g. `/rest/api/space` → https://x/wiki/rest/api/space."""
        return self.base + path

    def resolve(self, link: str) -> str:
        """A `_links.next` (or `Link` header) target as an absolute URL.

        v2 links start with the context path (`/wiki/api/v2/...`), v1 links are relative
        to it (`/rest/api/...`): joining either to the site root alone loses `/wiki`.
        """
        if link.startswith(("http://", "https://")):
            return link
        if not link.startswith("/"):
            link = "/" + link
        if self.context and (link == self.context or link.startswith(self.context + "/")):
            return self.origin + link
        return self.base + link

    # ------------------------------------------------------------------ requests
    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET with retries; raises a `ConfluenceError` subclass or `SourceError` (401)."""
        budget = self.retry.start()
        detail = ""
        while True:
            retry_after: float | None = None
            try:
                self.requests_made += 1
                resp = self.http.get(url, params=params)
            except httpx.TransportError as exc:
                detail = f"{type(exc).__name__}"
                resp = None
            if resp is not None:
                self.server_date = resp.headers.get("Date") or self.server_date
                status = resp.status_code
                if status < 400:
                    return resp
                if status == 401:
                    raise SourceError(self.rejected_message)
                if status == 403:
                    raise ForbiddenError(FORBIDDEN.format(what=_short(url)), status, url)
                if status == 404:
                    raise NotFoundError(f"not found: {_short(url)}", status, url)
                if status not in RETRY_STATUSES:
                    raise ConfluenceError(
                        f"HTTP {status} from {_short(url)}: {_error_text(resp)}", status, url
                    )
                detail = f"HTTP {status}"
                if status in (429, 503):
                    retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
            wait = budget.next_wait(retry_after)
            if wait is None:
                break
            log.info("confluence retry url=%s after=%s wait=%.2fs", _short(url), detail, wait)
            self.sleep(wait)
        message = UNAVAILABLE.format(
            attempts=budget.attempts, seconds=round(budget.elapsed), detail=detail
        )
        raise UnavailableError(message, None, url)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return _json_object(self.get(url, params), url)

    def paginate(
        self, url: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of `results`, following `_links.next` (or the `Link: rel=next` header).

        Cursor pagination only: the next URL carries every parameter, so `params` are
        sent with the first request alone.
        """
        next_url: str | None = url
        next_params = params
        seen: set[str] = set()
        while next_url:
            resp = self.get(next_url, next_params)
            data = _json_object(resp, next_url)
            results = data.get("results")
            if not isinstance(results, list):
                raise ConfluenceError(f"no results list from {_short(next_url)}", 200, next_url)
            yield [r for r in results if isinstance(r, dict)]
            link = (data.get("_links") or {}).get("next") or _link_header_next(resp)
            next_url = self.resolve(link) if link else None
            next_params = None
            if next_url in seen:  # a server repeating a cursor must not loop us forever
                raise ConfluenceError(f"pagination loop at {_short(next_url or '')}")
            if next_url:
                seen.add(next_url)


T = TypeVar("T")
_DONE = object()


def prefetch(source: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate `source` in a background thread, up to `depth` items ahead.

    The next listing page downloads while the sync embeds the current one. Errors are
    re-raised in the consumer; closing the consumer early stops the producer.
    """
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            buffer.put(exc)

    thread = threading.Thread(target=produce, name="confluence-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()


CLOUD_NAMES = frozenset({"cloud"})
DATACENTER_NAMES = frozenset({"datacenter", "data-center", "dc", "server"})


def _deployment(
    setting: str | None,
    host: str,
    email: str | None,
    api_token: str | None,
    pat: str | None,
) -> bool | None:
    """Cloud (True), Data Center (False), or None (probe) from the settings alone.

    `CONFLUENCE_DEPLOYMENT` decides when set; otherwise a `*.atlassian.net` host is
    Cloud, and a `CONFLUENCE_PAT` without `CONFLUENCE_EMAIL` is Data Center (Cloud takes
    no personal access tokens). Email + token on another host may be either (Cloud on a
    custom domain, or Data Center basic auth): probed.
    """
    if setting and setting.strip():
        name = setting.strip().lower()
        if name in CLOUD_NAMES:
            return True
        if name in DATACENTER_NAMES:
            return False
        raise SourceError(DEPLOYMENT_INVALID.format(value=setting))
    if host.lower().split(":")[0].endswith(".atlassian.net"):
        return True
    if pat and not email:
        return False
    return None


def _json_object(resp: httpx.Response, url: str) -> dict[str, Any]:
    """The body as a JSON object; anything else is a `ConfluenceError` (a malformed reply
    is a failed read, never an empty one)."""
    try:
        data = resp.json()
    except ValueError as exc:
        raise ConfluenceError(f"not JSON from {_short(url)}", resp.status_code, url) from exc
    if not isinstance(data, dict):
        raise ConfluenceError(f"unexpected JSON from {_short(url)}", resp.status_code, url)
    return data


def _link_header_next(resp: httpx.Response) -> str | None:
    link: str | None = resp.headers.get("Link")
    if not link:
        return None
    for part in link.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            start, end = part.find("<"), part.find(">")
            if 0 <= start < end:
                return part[start + 1 : end]
    return None


def _short(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or url


def _error_text(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(data, dict):
        msg = data.get("message") or data.get("errors") or data
        return str(msg)[:200]
    return str(data)[:200]
