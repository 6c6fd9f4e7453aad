"""`helpdesk ask` starts in under 3 s only if it imports nothing it does not use: the
sync scheduler (APScheduler) and the hand-off's HTTP client (httpx, which pulls in rich
and click for its own CLI) are imported on first use, by `serve` and `worker`, not by
the modules `ask` loads (see the start-to-answer line of `make bench`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONLY_FOR_SERVE_AND_WORKER = ("apscheduler", "httpx", "rich", "bot.conversation.handoff")


def test_the_modules_ask_loads_leave_out_the_scheduler_and_the_handoff_client() -> None:
    code = (
        "import sys, bot.cli, bot.services, bot.adapters.terminal;"
        f"print(sorted(m for m in {ONLY_FOR_SERVE_AND_WORKER!r} if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
