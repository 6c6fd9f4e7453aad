"""What the index's backends raise when a read or upkeep fails, for the few callers that
degrade instead of failing (the status line, neighbour chunks, upkeep after a sync).

lancedb and lance map their Rust errors to `OSError`, `ValueError` and `RuntimeError`
(`NotImplementedError` is one); pyarrow raises `ArrowException` subclasses; the Weaviate
client raises `WeaviateBaseError` subclasses (unreachable, refused, bad query). A backend
library is only named when it is already imported: the one in use always is."""

from __future__ import annotations

import sys

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
