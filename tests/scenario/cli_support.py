"""Running the real `helpdesk` CLI as a user does: a subprocess with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

VENDOR_PREFIXES = ("ANTHROPIC_", "SLACK_", "CONFLUENCE_", "GOOGLE_", "WEAVIATE_", "DRIVE_")


def helpdesk(
    args: list[str], env: dict[str, str], stdin: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=env["CWD"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def base_env(root: Path, files_path: Path) -> dict[str, str]:
    """The environment of a fresh install under `root` (nothing configured but FILES_PATH)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(VENDOR_PREFIXES)
        and k not in ("SOURCES", "EMBEDDER", "EMBEDDING_MODEL_DIR", "DATABASE_URL")
        and not k.startswith("Microsoft")
    }
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "HELPDESK_DATA_DIR": str(root / "data"),
            "FILES_PATH": str(files_path),
            "HF_HUB_OFFLINE": "1",
            "CWD": str(root),
        }
    )
    return env
