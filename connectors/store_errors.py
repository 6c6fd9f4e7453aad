"""What the stores raise. `StoreUnreachableError`: the state database (DATABASE_URL) or
Weaviate (WEAVIATE_URL) could not be connected to when the process opened it; its text
is one line naming the store, its URL without credentials (`redact_url`), the reason and
the fix, so the CLI prints it as it is (`bot/cli.py`, exit 1).

`index_errors()`: what the index's backends raise when a read or upkeep fails, for the
few callers that degrade instead of failing (the status line, neighbour chunks, upkeep
after a sync).

lancedb and lance map their Rust errors to `OSError`, `ValueError` and `RuntimeError`
(`NotImplementedError` is one); pyarrow raises `ArrowException` subclasses; the Weaviate
client raises `WeaviateBaseError` subclasses (unreachable, refused, bad query). A backend
library is only named when it is already imported: the one in use always is."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

# a query parameter whose name says it carries a secret (password=, sslpassword=, api_key=…)
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|key|auth|cred", re.IGNORECASE)
_REASON_CHARS = 300


class StoreUnreachableError(ConnectionError):
    """The state database or the index server could not be connected to. `str()` is the
    whole message (connectors/messages.py), with no credentials in it."""


def redact_url(url: str) -> str:
    """`url` without its credentials: no user or password, and the value of any query
    parameter named like a secret replaced by `***` (what may be printed or logged)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "***"  # not parsable: show nothing of it rather than a secret
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    query = urlencode(
        [
            (k, "***" if _SECRET_PARAM.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe=":/*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def url_secrets(url: str) -> list[str]:
    """The password (raw and decoded) and secret query values of `url`, to scrub from a
    library's error text before it is shown."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return [url]
    found = [parts.password or ""]
    found += [v for k, v in parse_qsl(parts.query) if _SECRET_PARAM.search(k)]
    found += [unquote(s) for s in found]
    return [s for s in found if len(s) >= 3]


def failure_reason(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """Why a connection failed, in a few words: the operating system's reason when the
    error chain has one ("Connection refused"), else the first line of the library's
    message, with `secrets` blanked and cut to a sane length."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    origin = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    lines = [line.strip() for line in str(origin).splitlines() if line.strip()]
    text = lines[0] if lines else type(origin).__name__
    for secret in secrets:
        text = text.replace(secret, "***")
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


# lancedb/lance (Rust errors mapped by PyO3), also what a missing or damaged file raises
LANCE_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, RuntimeError)


def index_errors() -> tuple[type[Exception], ...]:
    """The exception types a read or upkeep of the index in use may raise."""
    errors = LANCE_ERRORS
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        errors += (pyarrow.ArrowException,)
    weaviate_exceptions = sys.modules.get("weaviate.exceptions")
    if weaviate_exceptions is not None:
        errors += (weaviate_exceptions.WeaviateBaseError,)
    return errors
