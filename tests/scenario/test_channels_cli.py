"""`helpdesk channels …` as an admin runs it: a real subprocess on a fresh data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from bot import messages
from connectors.lance_store import TABLE, LanceChunkStore, schema
from tests.conftest import REPO


def helpdesk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    out.update({"PYTHONPATH": str(REPO), "HELPDESK_DATA_DIR": str(tmp_path / "data")})
    return out


def test_set_show_list_off(env: dict[str, str]) -> None:
    done = helpdesk(
        [
            "channels", "set", "C0HELP", "--auto-answer", "on",
            "--sources", "files,confluence:HR", "--escalate-to", "S0SUPPORT",
            "--ticket", "jira:IT",
        ],
        env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "within 5 seconds" in done.stdout
    shown = json.loads(helpdesk(["channels", "show", "C0HELP", "--json"], env).stdout)
    assert shown["auto_answer"] is True
    assert shown["sources"] == ["files", "confluence:HR"]
    assert shown["escalate_to"] == "S0SUPPORT" and shown["ticket"] == "jira:IT"
    assert helpdesk(["channels", "off", "C0HELP"], env).returncode == 0
    listed = json.loads(helpdesk(["channels", "list", "--json"], env).stdout)
    assert [(c["channel_id"], c["auto_answer"], c["ticket"]) for c in listed] == [
        ("C0HELP", False, "jira:IT")
    ]
    text = helpdesk(["channels", "show", "C0HELP"], env).stdout
    assert "auto-answer: off" in text and "files, confluence:HR" in text


def test_bad_input_exits_2_with_the_reason_and_changes_nothing(env: dict[str, str]) -> None:
    assert helpdesk(["channels", "set", "C0HELP", "--auto-answer", "on"], env).returncode == 0
    cases = [
        (["--sources", "files,jira"], messages.CHANNEL_UNKNOWN_SOURCE.format(spec="jira")),
        (["--ticket", "servicenow"], messages.CHANNEL_BAD_TICKET.format(value="servicenow")),
        (["--auto-answer", "maybe"], messages.CHANNEL_BAD_ON_OFF.format(value="maybe")),
        ([], messages.CHANNEL_NOTHING_TO_SET),
    ]
    for extra, expected in cases:
        args = ["--sources", "drive", *extra] if extra else []
        done = helpdesk(["channels", "set", "C0HELP", *args], env)
        assert done.returncode == 2
        assert expected in " ".join(done.stderr.split()), done.stderr
    by_name = helpdesk(["channels", "set", "#it-help", "--auto-answer", "on"], env)
    assert by_name.returncode == 2 and "not its name" in by_name.stderr
    shown = json.loads(helpdesk(["channels", "show", "C0HELP", "--json"], env).stdout)
    assert shown["auto_answer"] is True and shown["sources"] == []  # nothing half-applied


def test_a_drive_folder_narrowing_warns_only_on_an_index_without_folder_ids(
    env: dict[str, str],
) -> None:
    done = helpdesk(["channels", "set", "C0HELP", "--sources", "drive:1FolderIdAbc"], env)
    assert done.returncode == 0 and done.stderr == ""  # nothing indexed yet: no note
    # an embedded index written before Drive folder ids were recorded
    index = Path(env["HELPDESK_DATA_DIR"]) / "index"
    store = LanceChunkStore(index)
    old = pa.schema([f for f in schema(store.dimensions) if f.name != "ancestor_ids"])
    store.client.create_table(TABLE, schema=old)
    done = helpdesk(["channels", "set", "C0HELP", "--sources", "drive:1FolderIdAbc"], env)
    assert done.returncode == 0
    assert "helpdesk sync drive --full" in " ".join(done.stderr.split()), done.stderr
    shown = json.loads(helpdesk(["channels", "show", "C0HELP", "--json"], env).stdout)
    assert shown["sources"] == ["drive:1FolderIdAbc"]  # saved all the same


def test_gaps_json_contract(env: dict[str, str]) -> None:
    from bot.conversation.store import ChatStore
    from connectors.state import StateStore

    state = StateStore(f"sqlite:///{Path(env['HELPDESK_DATA_DIR']) / 'state.sqlite3'}")
    chat = ChatStore(state.engine)
    for user, conv, text in [
        ("U0ANA", "C0HELP:1.1", "How do I get VPN access for a contractor?"),
        ("U0BEN", "C0IT:2.1", "can contractors use the VPN"),
        ("U0CAS", "C0HELP:3.1", "Where do I order a new badge?"),
    ]:
        chat.record_answer("slack", conv, user, text, "none", [], False, "extractive")
    state.dispose()
    done = helpdesk(["gaps", "--days", "3", "--json"], env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["days"] == 3
    assert [g["count"] for g in out["groups"]] == [2, 1]
    first = out["groups"][0]
    assert set(first) == {"count", "examples", "channels", "best_source"}
    assert first["channels"] == ["C0HELP", "C0IT"] and first["best_source"] is None
    assert "U0ANA" not in done.stdout
    plain = helpdesk(["gaps"], env)
    assert plain.returncode == 0 and "asked by 2 people" in plain.stdout
    assert helpdesk(["gaps", "--days", "0"], env).returncode == 2
