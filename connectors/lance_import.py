"""Importing LanceDB without building the REST client it brings along.

`import lancedb` imports `lance_namespace`, whose generated REST client
(`lance_namespace_urllib3_client`: ~370 `@validate_call` API methods and ~150 pydantic
models) builds every validator at import: about a third of the CPU `helpdesk ask`
spends before its first answer, for a client an embedded index never calls. Pydantic's
own `defer_build` postpones each build to its first use; it is made the default for the
duration of this one import only (a model or function used later is built then, exactly
as it would have been), and left alone if this pydantic does not have the setting. The
setting is process-wide: a model another thread defines in that second (`helpdesk
serve` imports the Claude SDK in the background meanwhile) is likewise built on its
first use instead of at import — the same validator, a little later.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType

_lock = threading.Lock()


def import_lancedb() -> ModuleType:
    """`lancedb`, imported with pydantic's validator builds deferred (see above)."""
    loaded = sys.modules.get("lancedb")
    if loaded is not None:
        return loaded
    with _lock:
        try:
            from pydantic._internal._config import config_defaults
        except ImportError:  # a pydantic without it: the plain, slower import
            return importlib.import_module("lancedb")
        if "defer_build" not in config_defaults:
            return importlib.import_module("lancedb")
        before = config_defaults["defer_build"]
        config_defaults["defer_build"] = True
        try:
            return importlib.import_module("lancedb")
        finally:
            config_defaults["defer_build"] = before
