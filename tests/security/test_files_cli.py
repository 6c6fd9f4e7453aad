"""Issue 11 points 1, 5 and 12 for the local folder, as an admin runs it: `helpdesk sync`,
`helpdesk status` and `helpdesk ask` as real subprocesses over a copy of samples/, with
Claude served by the fake Messages API on loopback.

The restricted salary page must be nowhere in a channel's answer nor in the request sent
to Claude once its front matter is not understood (not even for its members), and a
member removed from `groups.yaml` loses it after one `helpdesk sync`; a member in a DM
(`--as`) still gets it while it is fine (the positive control)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES
from tests.fakes.claude import FakeClaude
from tests.fakes.claude_server import serve

SECRET = "€109,000"  # the L5 midpoint in hr/salary-bands-2026.md (hr-team and the CFO)
QUESTION = "What is the salary band for an L5 Staff Engineer?"
PAGE = "hr/salary-bands-2026.md"
HANNAH = "hannah.hr@northwind.example"  # hr-team
OLIVER = "oliver.people@northwind.example"  # hr-team


@pytest.fixture(scope="module")
def claude() -> Iterator[tuple[FakeClaude, str]]:
    fake = FakeClaude()
    fake.reply([("Here is what I found.", None)])
    with serve(fake) as url:
        yield fake, url


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, claude: tuple[FakeClaude, str]) -> dict[str, str]:
    root = tmp_path_factory.mktemp("files-cli")
    shutil.copytree(SAMPLES, root / "kb")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "SLACK_", "CONFLUENCE_", "GOOGLE_", "WEAVIATE_"))
    }
    base.update(
        {
            "PYTHONPATH": str(REPO),
            "HELPDESK_DATA_DIR": str(root / "data"),
            "FILES_PATH": str(root / "kb"),
            "SOURCES": "files",
            "HF_HUB_OFFLINE": "1",
            "ANTHROPIC_API_KEY": "sk-test",
            "ANTHROPIC_BASE_URL": claude[1],
            "ANTHROPIC_MAX_RETRIES": "0",
            "CWD": str(root),
        }
    )
    first = helpdesk(["sync"], base)
    assert first.returncode == 0, first.stderr
    return base


def helpdesk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=env["CWD"],
        capture_output=True,
        text=True,
        timeout=300,
    )


def sees_secret(env: dict[str, str], claude: tuple[FakeClaude, str], who: str | None) -> bool:
    """Whether the answer, or anything sent to Claude for it, holds the secret."""
    fake = claude[0]
    fake.requests.clear()
    out = helpdesk(["ask", QUESTION, "--json", *(["--as", who] if who else [])], env)
    assert out.returncode == 0, out.stderr
    return SECRET in out.stdout or SECRET in json.dumps(fake.requests, ensure_ascii=False)


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    return text


@pytest.mark.timeout(600)  # six CLI processes on a shared, busy machine
def test_a_quoted_false_is_reported_shown_as_partial_and_read_by_nobody(
    env: dict[str, str], claude: tuple[FakeClaude, str]
) -> None:
    assert sees_secret(env, claude, HANNAH), "positive control: a member in a DM"
    page = Path(env["FILES_PATH"]) / PAGE
    good = edit(page, "  public: false\n", '  public: "false"\n')
    try:
        out = helpdesk(["sync"], env)
        assert out.returncode == 0, out.stderr
        line = (
            f"✗ {PAGE}: acl.public must be the YAML boolean true or false, not the text "
            '"false" — the file is readable by nobody until this is fixed'
        )
        assert line in out.stdout
        assert "1 failed" in out.stdout

        status = helpdesk(["status"], env).stdout
        assert "last run partial: 1 document failed" in status and line in status

        assert not sees_secret(env, claude, None)
        assert not sees_secret(env, claude, HANNAH), "not understood: readable by nobody"
    finally:
        page.write_text(good, encoding="utf-8")
        st = page.stat()
        os.utime(page, ns=(st.st_atime_ns, st.st_mtime_ns + 4_000_000_000))
    again = helpdesk(["sync", "--json"], env)  # fixed: the next test's control sees it again
    assert json.loads(again.stdout)["status"] == "succeeded"


@pytest.mark.timeout(600)
def test_a_member_removed_from_groups_yaml_loses_access_after_one_helpdesk_sync(
    env: dict[str, str], claude: tuple[FakeClaude, str]
) -> None:
    assert sees_secret(env, claude, HANNAH), "positive control: a member in a DM"
    edit(Path(env["FILES_PATH"]) / "groups.yaml", f"[{HANNAH}, ", "[")
    out = helpdesk(["sync", "--json"], env)  # incremental: no page changed
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["chunks_embedded"] == 0
    assert not sees_secret(env, claude, HANNAH)
    assert sees_secret(env, claude, OLIVER), "the remaining member keeps access"
