"""Ctrl-C during `helpdesk sync`: a real subprocess sent SIGINT mid-sync says what happened,
keeps what it indexed, leaves `status` saying "interrupted" (not "running"), and the next
sync finishes the job."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, select

from bot import messages
from connectors.state import sync_runs
from tests.scenario.cli_support import base_env, helpdesk

DOCS = 200
WORDS = ("leave expense laptop travel badge payroll printer network meeting budget").split()


def write_folder(kb: Path) -> None:
    kb.mkdir()
    for i in range(DOCS):
        body = " ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] + str(j % 13) for j in range(40))
        (kb / f"note-{i:03d}.md").write_text(f"# Note {i}\n\n{body}\n")


def wait_for_running_run(state_file: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    engine = create_engine(f"sqlite:///{state_file}")
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the sync ended before it could be interrupted"
            if state_file.exists():
                try:
                    with engine.connect() as conn:
                        status = conn.execute(select(sync_runs.c.status)).scalars().all()
                except Exception:  # the table is not created yet
                    status = []
                if "running" in status:
                    return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the sync never started")


def test_ctrl_c_mid_sync_stops_cleanly_and_status_says_interrupted(tmp_path: Path) -> None:
    write_folder(tmp_path / "kb")
    env = base_env(tmp_path, tmp_path / "kb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sync"],
        env=env,
        cwd=env["CWD"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_running_run(Path(env["HELPDESK_DATA_DIR"]) / "state.sqlite3", proc)
        time.sleep(1.0)  # well into the first batch
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == messages.CLI_SYNC_STOPPING.format(source="files")
    first = stdout.splitlines()[0]
    match = re.fullmatch(
        re.escape(messages.CLI_SYNC_INTERRUPTED)
        .replace(re.escape("{source}"), "files")
        .replace(re.escape("{done}"), r"(\d+)")
        .replace(re.escape("{of_total}"), f" of {DOCS}"),
        first,
    )
    assert match, first
    done = int(match.group(1))
    assert 0 < done < DOCS

    report = json.loads(helpdesk(["status", "--json"], env).stdout)
    [files] = report["sources"]
    assert files["running"] is False and files["last_status"] == "interrupted"
    assert files["last_run"]["error"] == messages.CLI_SYNC_RUN_CTRL_C
    assert files["documents"] == done, "what was indexed before Ctrl-C is kept"
    status = helpdesk(["status"], env).stdout
    assert status.splitlines()[0] == (
        f"files: {done} documents, {done} chunks; last sync never; "
        + messages.CLI_STATUS_INTERRUPTED.format(ago="just now", error=messages.CLI_SYNC_RUN_CTRL_C)
    )

    again = helpdesk(["sync"], env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"files: {DOCS - done} added, 0 updated, 0 deleted")
    [files] = json.loads(helpdesk(["status", "--json"], env).stdout)["sources"]
    assert files["documents"] == DOCS and files["last_status"] == "succeeded"
