"""Retry calls to the Bot Framework connector service when it answers 429 (throttled),
honouring `Retry-After`, otherwise exponential backoff with jitter."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import ClientError
from msrest.exceptions import ClientException, HttpOperationError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 5
MAX_WAIT_SECONDS = 30.0

# what sending to the Bot Framework connector raises when it did not take an activity:
# the connector's error answer or a request that did not go out (msrest's
# ClientException: ErrorResponseException, ClientRequestError...), the HTTP layer
# (aiohttp), the network, a timeout or a refused token (OSError: PermissionError is what
# botframework raises when MSAL gets no token), a malformed answer (ValueError)
TEAMS_SEND_ERRORS: tuple[type[Exception], ...] = (ClientException, ClientError, OSError, ValueError)


def _status_and_retry_after(exc: BaseException) -> tuple[int | None, float | None]:
    response: Any = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        retry_after = float(raw) if raw is not None else None
    except ValueError:
        retry_after = None
    return (int(status) if isinstance(status, int) else None), retry_after


async def with_retry(
    call: Callable[[], Awaitable[T]], *, what: str, attempts: int = MAX_ATTEMPTS
) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except HttpOperationError as exc:  # the connector answered with an error status
            status, retry_after = _status_and_retry_after(exc)
            if status != 429 or attempt == attempts:
                raise
            wait = retry_after if retry_after is not None else 0.5 * 2 ** (attempt - 1)
            wait = min(wait, MAX_WAIT_SECONDS) + random.uniform(0, 0.25)
            log.warning(
                "teams connector throttled op=%s attempt=%d wait=%.1fs", what, attempt, wait
            )
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")
