"""The Google API edge: credentials, the real `googleapiclient` services built from the
bundled discovery documents, retries and error mapping.

- Auth: a service-account key (`GOOGLE_APPLICATION_CREDENTIALS`), optionally impersonating
  `GOOGLE_DELEGATED_USER` (domain-wide delegation), read-only scopes. Without a key, an
  endpoint on loopback (a local fake) is called without credentials.
- `DRIVE_API_URL` replaces the API base. The client joins method paths straight onto it
  (it does not add `drive/v3/`), so a bare origin gets `drive/v3/` appended here.
- Each thread gets its own `httplib2.Http` (it is not thread-safe); proxies from the
  environment are honoured except for loopback hosts.
- 403 `userRateLimitExceeded`/`rateLimitExceeded`, 429, 5xx and broken or timed-out
  connections are retried with the shared time-bounded policy (`connectors.retry`:
  `Retry-After` honoured, otherwise exponential backoff with full jitter, until one call
  has spent SYNC_RETRY_BUDGET_SECONDS); a 401 or a rejected token grant is a
  `SourceError` naming the settings to check.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httplib2
from google.auth import exceptions as auth_exceptions
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors import messages
from connectors.base import SourceError
from connectors.messages import (
    DRIVE_CREDENTIALS_MISSING as CREDENTIALS_MISSING,
)
from connectors.messages import (
    DRIVE_CREDENTIALS_REJECTED as CREDENTIALS_REJECTED,
)
from connectors.retry import RetryPolicy, retry_after_seconds

log = logging.getLogger(__name__)

DRIVE_SCOPES = ("https://www.googleapis.com/auth/drive.readonly",)
DIRECTORY_SCOPES = ("https://www.googleapis.com/auth/admin.directory.group.member.readonly",)
DEFAULT_DRIVE_URL = "https://www.googleapis.com/drive/v3/"
DEFAULT_DIRECTORY_URL = "https://admin.googleapis.com/"

RATE_LIMIT_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded"})
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class DriveApiError(Exception):
    """A Google API error response, parsed (status, reasons, message)."""

    def __init__(
        self, status: int, message: str, reasons: Sequence[str] = (), locations: Sequence[str] = ()
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.reasons = tuple(reasons)
        self.locations = tuple(locations)
        self.retry_after: float | None = None

    @classmethod
    def from_http_error(cls, exc: HttpError) -> DriveApiError:
        status = int(exc.resp.status)
        message = str(getattr(exc, "reason", "") or "")
        reasons: list[str] = []
        locations: list[str] = []
        try:
            data = json.loads(exc.content.decode("utf-8")) if exc.content else {}
        except (ValueError, UnicodeDecodeError):
            data = {}
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            message = str(error.get("message") or message)
            for item in error.get("errors") or []:
                if isinstance(item, dict):
                    reasons.append(str(item.get("reason") or ""))
                    locations.append(str(item.get("location") or ""))
            if not reasons and error.get("status"):
                reasons.append(str(error["status"]))
        err = cls(status, message, reasons, locations)
        header = exc.resp.get("retry-after") if hasattr(exc.resp, "get") else None
        err.retry_after = retry_after_seconds(str(header)) if header else None
        return err

    @property
    def retryable(self) -> bool:
        if self.status == 429 or self.status >= 500:
            return True
        return self.status == 403 and bool(RATE_LIMIT_REASONS & set(self.reasons))

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def export_too_large(self) -> bool:
        return "exportSizeLimitExceeded" in self.reasons

    @property
    def invalid_page_token(self) -> bool:
        if self.status not in (400, 404, 410):
            return False
        text = self.message.lower()
        return (
            "pageToken" in self.locations
            or "invalidStartPageToken" in self.reasons
            or "page token" in text
            or "pagetoken" in text
        )

    def describe(self) -> str:
        reason = next((r for r in self.reasons if r), "")
        return f"HTTP {self.status}{' ' + reason if reason else ''}: {self.message}"[:300]


class DriveCallFailedError(SourceError):
    """A call gave no usable answer: ends the run when a listing or the changes feed cannot
    be read; one document's failure when its own calls hit it."""


class DriveUnreachableError(DriveCallFailedError):
    """No answer after every retry (timeouts, refused or broken connections)."""


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def drive_endpoint(api_url: str | None) -> str:
    """DRIVE_API_URL as the client's base: with `drive/v3/` when only an origin is given."""
    if not api_url:
        return DEFAULT_DRIVE_URL
    parts = urlsplit(api_url)
    if parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}/drive/v3/"
    return api_url if api_url.endswith("/") else api_url + "/"


def directory_endpoint(api_url: str | None) -> str:
    """The Admin SDK base: Google's, or the origin of an overridden DRIVE_API_URL."""
    if not api_url:
        return DEFAULT_DIRECTORY_URL
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/"


def _proxy_info(endpoint: str) -> Any:
    """Proxy settings from the environment for `endpoint`; never for loopback (httplib2
    would send loopback traffic through them), and only when PySocks (which httplib2
    needs for any proxy) is installed."""
    if is_loopback(endpoint):
        return None
    info = httplib2.proxy_info_from_environment(urlsplit(endpoint).scheme or "https")
    if info is None or not info.applies_to(urlsplit(endpoint).hostname or ""):
        return None
    if getattr(httplib2, "socks", None) is None:
        if "proxy" not in _WARNED:
            _WARNED.add("proxy")
            log.warning(
                "a proxy is set in the environment but httplib2 needs PySocks to use it: "
                "connecting to %s directly",
                endpoint,
            )
        return None
    return info


_WARNED: set[str] = set()


def new_http(endpoint: str, timeout: float = 60.0) -> httplib2.Http:
    return httplib2.Http(timeout=timeout, proxy_info=_proxy_info(endpoint))


def load_credentials(
    key_file: Path | str | None, subject: str | None, scopes: Sequence[str], api_url: str
) -> Any:
    """Service-account credentials, or None for an unauthenticated local endpoint."""
    if not key_file:
        if is_loopback(api_url):
            return None
        raise SourceError(CREDENTIALS_MISSING)
    from google.oauth2 import service_account

    try:
        creds = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            str(key_file), scopes=list(scopes)
        )
    except FileNotFoundError as exc:
        raise SourceError(messages.DRIVE_KEY_FILE_MISSING.format(path=key_file)) from exc
    except (ValueError, KeyError) as exc:
        raise SourceError(
            messages.DRIVE_KEY_FILE_INVALID.format(path=key_file, detail=exc)
        ) from exc
    if subject:
        creds = creds.with_subject(subject)
    return creds


class GoogleApi:
    """One Google API service; `call()` executes a request with retries on this thread's
    own HTTP connection."""

    def __init__(
        self,
        service_name: str,
        version: str,
        credentials: Any,
        endpoint: str,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = credentials
        self.endpoint = endpoint
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.sleep = sleep
        self._local = threading.local()
        self.service: Any = build(
            service_name,
            version,
            http=self._http(),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint},
        )
        self.requests = 0
        self.retries = 0
        self._count_lock = threading.Lock()

    def _http(self) -> Any:
        http = getattr(self._local, "http", None)
        if http is None:
            http = new_http(self.endpoint, self.timeout)
            if self.credentials is not None:
                http = AuthorizedHttp(self.credentials, http=http)
            self._local.http = http
        return http

    def call(self, request: Any) -> Any:
        """Execute `request` (an `HttpRequest`); raises `DriveApiError` or `SourceError`.

        Retries until the policy's time budget for this call is spent."""
        budget = self.retry.start()
        while True:
            with self._count_lock:
                self.requests += 1
            retry_after: float | None = None
            try:
                return request.execute(http=self._http())
            except HttpError as exc:
                err = DriveApiError.from_http_error(exc)
                if err.status == 401:
                    raise SourceError(CREDENTIALS_REJECTED) from exc
                if not err.retryable:
                    raise err from exc
                failure: Exception = err
                retry_after = err.retry_after
                what = f"status={err.status} reasons={err.reasons}"
            except auth_exceptions.RefreshError as exc:
                if not getattr(exc, "retryable", False):
                    log.warning("google token refresh failed: %s", exc)
                    raise SourceError(CREDENTIALS_REJECTED) from exc
                failure = SourceError(CREDENTIALS_REJECTED)
                what = "token refresh"
            except (OSError, httplib2.HttpLib2Error, auth_exceptions.TransportError) as exc:
                self._local.http = None  # a broken connection: start a fresh one
                failure = DriveUnreachableError(
                    messages.DRIVE_UNREACHABLE.format(
                        endpoint=self.endpoint, error=type(exc).__name__, detail=exc
                    )
                )
                what = f"transport error {type(exc).__name__}"
            wait = budget.next_wait(retry_after)
            if wait is None:
                log.info("google api gave up after %d attempts: %s", budget.attempts, what)
                raise failure
            log.info("google api retry %s in %.2fs", what, wait)
            with self._count_lock:
                self.retries += 1
            self.sleep(wait)
