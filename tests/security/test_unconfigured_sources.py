"""A source taken out of the configuration is never answered from, shown by `helpdesk
status`, and removed only by `helpdesk forget SOURCE` — as an operator and an employee see
it: the real `helpdesk` subprocess over a local folder and the fake Drive API.

Nothing syncs the documents of a source that is not configured any more, so a page later
deleted or restricted at the source would stay readable through the bot forever under
its last-known permissions: they must not be answered (public or in a DM), and the
operator must see them and how to remove them. Removing is never automatic: a source
left out of `SOURCES` by mistake comes back at once when it is restored."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import messages
from tests.fakes.drive_server import FakeDrive, service_account_info
from tests.scenario.cli_support import base_env, helpdesk
from tests.scenario.drive_harness import start_fake

PARKING = "Parking permits for the Harbourside garage cost 35 euros a month."
BONUS = "The 2026 bonus pool is 7 percent of base salary."
PAT = "pat@example.com"


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    yield server
    server.stop()


@pytest.fixture
def env(fake: FakeDrive, tmp_path: Path) -> dict[str, str]:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "parking.md").write_text(
        f"# Staff parking\n\n{PARKING} Ask Facilities at reception desk B for one.\n"
    )
    (kb / "bonus.md").write_text(
        f"---\ntitle: Bonus pool 2026\nacl:\n  public: false\n  users: [{PAT}]\n---\n"
        f"# Bonus pool 2026\n\n{BONUS} It is paid out in March.\n"
    )
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(service_account_info(fake.url + "/token")))
    env = base_env(tmp_path, kb)
    env.update(
        {
            "SOURCES": "files,drive",
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_DELEGATED_USER": "admin@example.com",
            "DRIVE_FOLDER_IDS": "it",
            "DRIVE_SHARED_DRIVE_IDS": "sd1",
            "DRIVE_PUBLIC_DOMAINS": "example.com",
            "DRIVE_API_URL": fake.url,
            "SYNC_RETRY_BUDGET_SECONDS": "2",
        }
    )
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    out = helpdesk(list(args), env)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def ask(env: dict[str, str], question: str, who: str | None = None) -> dict[str, Any]:
    out = run(env, "ask", question, "--json", *(["--as", who] if who else []))
    answer: dict[str, Any] = json.loads(out.stdout)
    return answer


def cited(answer: dict[str, Any]) -> set[str]:
    return {c["doc_id"].split(":", 1)[0] for c in answer["citations"]}


def status(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    report = json.loads(run(env, "status", "--json").stdout)
    return {s["source"]: s for s in report["sources"]}


PARKING_Q = "How much does a parking permit for the garage cost?"
BONUS_Q = "How big is the 2026 bonus pool?"
VPN_Q = "Which client do I install for the VPN?"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_an_unconfigured_source_is_never_answered_is_shown_and_is_removed_only_on_request(
    env: dict[str, str],
) -> None:
    run(env, "sync")
    # the positive controls: both sources answer, the restricted file only to Pat
    assert "files" in cited(ask(env, PARKING_Q)) and PARKING in ask(env, PARKING_Q)["answer"]
    bonus = ask(env, BONUS_Q, PAT)
    assert "files" in cited(bonus) and BONUS in bonus["answer"]
    assert BONUS not in ask(env, BONUS_Q)["answer"]
    assert "drive" in cited(ask(env, VPN_Q))
    before = status(env)
    assert before["files"]["configured"] and before["files"]["documents"] == 2

    # files taken out of SOURCES: a sync of the rest removes nothing of it...
    env["SOURCES"] = "drive"
    run(env, "sync")
    # ...and its documents are answered to nobody, in a channel or in a DM
    for question, who, text in ((PARKING_Q, None, PARKING), (BONUS_Q, PAT, BONUS)):
        answer = ask(env, question, who)
        assert "files" not in cited(answer) and text not in answer["answer"], answer
    assert "drive" in cited(ask(env, VPN_Q))

    # the operator sees them, with the count and how to remove them
    now = status(env)
    assert now["files"]["configured"] is False and now["files"]["documents"] == 2
    assert now["drive"]["configured"] is True
    lines = run(env, "status").stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("files: 2 documents"))
    hint = messages.CLI_STATUS_NOT_CONFIGURED.format(source="files", documents=2, s="s")
    assert lines[at + 1] == hint
    assert "helpdesk forget files" in hint

    # a configured source cannot be forgotten (its next sync would bring it back)
    refused = helpdesk(["forget", "drive"], env)
    assert refused.returncode == 2 and "drive" in refused.stderr and "SOURCES" in refused.stderr
    assert status(env)["drive"]["documents"] == before["drive"]["documents"]

    # restoring the setting gives the documents back at once: nothing was deleted
    env["SOURCES"] = "files,drive"
    assert "files" in cited(ask(env, PARKING_Q))

    # forgetting removes that source's documents, chunks and history, and nothing else
    env["SOURCES"] = "drive"
    out = run(env, "forget", "files", "--json")
    removed = json.loads(out.stdout)
    assert (removed["source"], removed["documents"]) == ("files", 2)
    assert removed["chunks"] == before["files"]["chunks"]
    after = status(env)
    assert "files" not in after
    assert after["drive"]["documents"] == before["drive"]["documents"]
    assert after["drive"]["chunks"] == before["drive"]["chunks"]
    index = json.loads(run(env, "status", "--json").stdout)["index"]
    assert index["chunks"] == before["drive"]["chunks"]
    assert "drive" in cited(ask(env, VPN_Q))
    again = helpdesk(["forget", "files"], env)
    assert again.returncode == 2 and "Nothing is stored for 'files'" in again.stderr
    # configured again, it is gone until its next sync indexes it anew
    env["SOURCES"] = "files,drive"
    assert "files" not in cited(ask(env, PARKING_Q))
