"""No unasked outbound calls: library telemetry is switched off at start-up.

The `serve`, `worker` and CLI processes connect only to the services the settings name.
Libraries we load that could otherwise call home:

- onnxruntime (the embedder) ships Microsoft's OneDS telemetry, on by default, also on
  Linux: a process that lives a few seconds after creating a session resolves and posts
  to `mobile.events.data.microsoft.com` (measured with strace, onnxruntime 1.32).
  `onnxruntime.disable_telemetry_events()` does NOT stop that upload; the environment
  variable `ORT_DISABLE_TELEMETRY=1`, set before onnxruntime is imported, does. We set
  it first thing in every process and call `disable_telemetry_events()` as well;
- huggingface_hub (a dependency of tokenizers/llama-index) sends usage pings unless
  `HF_HUB_DISABLE_TELEMETRY` is set (we never call the Hub, but nothing should try);
- `DO_NOT_TRACK` is the cross-tool opt-out several libraries honour;
  `ANONYMIZED_TELEMETRY=False` and `SCARF_NO_ANALYTICS` are the posthog/Scarf opt-outs;
- the Weaviate client's PyPI version check is skipped in `weaviate_client.build_client`.

LanceDB (no telemetry in the OSS library: its metrics go only to an OpenTelemetry
provider the application installs), llama-index (tokenizer data is bundled), anthropic,
slack-sdk and botbuilder make no calls of their own.
`tests/security/test_outbound.py` runs `helpdesk serve` with every non-loopback
connection refused and recorded, and asserts nothing else was tried.

An operator's explicit environment value wins (`setdefault`)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

log = logging.getLogger(__name__)

OPT_OUT_ENV = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "SCARF_NO_ANALYTICS": "true",
}


def disable_library_telemetry() -> None:
    """Set the opt-out variables and switch off the telemetry of libraries already
    imported. Idempotent; call it as early as possible in every process."""
    for key, value in OPT_OUT_ENV.items():
        os.environ.setdefault(key, value)
    ort = sys.modules.get("onnxruntime")
    if ort is not None:
        disable_onnxruntime_telemetry(ort)


def disable_onnxruntime_telemetry(ort: Any) -> None:
    off = getattr(ort, "disable_telemetry_events", None)
    if off is None:  # pragma: no cover - a build without telemetry
        return
    try:
        off()
    except (RuntimeError, OSError):  # pragma: no cover - never fail start-up over it
        log.warning("could not disable onnxruntime telemetry", exc_info=True)
