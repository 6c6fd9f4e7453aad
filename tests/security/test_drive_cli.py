"""Drive memberships fail closed as an admin and an employee see it: `helpdesk sync drive`
and `helpdesk ask` as real subprocesses against the fake Drive and Directory APIs. A
member removed from a Google group loses the group's files after one (incremental)
`helpdesk sync drive`; a Directory 403 is said in the sync's output and drops the
memberships; the restricted text never reaches a channel-scope answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.drive_server import FakeDrive, service_account_info
from tests.scenario.drive_harness import REPO, start_fake

SALARY = "Salary bands are confidential."
QUESTION = "What about the salary bands?"


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    yield server
    server.stop()


@pytest.fixture
def env(fake: FakeDrive, tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(service_account_info(fake.url + "/token")))
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "SLACK_", "CONFLUENCE_", "GOOGLE_", "DRIVE_"))
        and "proxy" not in k.lower()
    }
    base.update(
        {
            "PYTHONPATH": str(REPO),
            "HF_HUB_OFFLINE": "1",
            "HELPDESK_DATA_DIR": str(tmp_path / "data"),
            "SOURCES": "drive",
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_DELEGATED_USER": "admin@example.com",
            "DRIVE_FOLDER_IDS": "it",
            "DRIVE_SHARED_DRIVE_IDS": "sd1",
            "DRIVE_PUBLIC_DOMAINS": "example.com",
            "DRIVE_API_URL": fake.url,
            "SYNC_RETRY_BUDGET_SECONDS": "2",
        }
    )
    return base


def helpdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=env["HELPDESK_DATA_DIR"].rsplit("/", 1)[0],
        capture_output=True,
        text=True,
        timeout=300,
    )


def answer(env: dict[str, str], email: str | None = None) -> str:
    out = helpdesk(env, "ask", QUESTION, "--json", *(["--as", email] if email else []))
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.slow
def test_group_changes_and_a_directory_403_shrink_access_through_the_cli(
    fake: FakeDrive, env: dict[str, str]
) -> None:
    first = helpdesk(env, "sync", "drive")
    assert first.returncode == 0, first.stdout + first.stderr
    assert SALARY in answer(env, "pat@example.com")
    assert SALARY not in answer(env)

    fake.groups["HR@example.com"] = ["lee@example.com"]
    again = helpdesk(env, "sync", "drive")  # incremental: the changes feed is empty
    assert again.returncode == 0, again.stdout + again.stderr
    assert SALARY not in answer(env, "pat@example.com")
    assert SALARY in answer(env, "lee@example.com")

    fake.directory_allowed = False
    refused = helpdesk(env, "sync", "drive")
    assert "hr@example.com" in refused.stdout and "HTTP 403" in refused.stdout, refused.stdout
    assert SALARY not in answer(env, "lee@example.com")
    assert SALARY not in answer(env)
