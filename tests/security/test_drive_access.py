"""Drive fails closed on who may read (issue 11, points 5 and 6), end to end: the fake Drive
and Directory APIs, the real client, SyncEngine, LanceDB index and answer engine, and the
Claude fake. The restricted text must be nowhere in a channel's answer nor in what was sent
to Claude; a real reader in a DM still gets it (the positive control)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services import Services
from bot.settings import Settings
from connectors.base import SyncMode
from connectors.embedder import OnnxEmbedding
from tests.fakes.claude import FakeClaude
from tests.fakes.drive_server import FakeDrive, FakeFile
from tests.scenario.drive_harness import (
    COMPANY,
    DOC,
    ask,
    drive_services,
    private,
    run_sync,
    start_fake,
)

SALARY = "Salary bands are confidential."  # secret1: shared with the group hr@example.com
DEPLOY = "Deploy with the pipeline."  # sd_doc1: shared with the group eng@example.com
LAYOFFS = "The layoff list for the Lisbon office names fourteen engineers."
MERGER = "The merger with Contoso closes on the ninth of March under the codename Heron."
AUDIT = "The audit found that the Frankfurt data centre keeps backups unencrypted."
BONUS = "The bonus pool for directors is two point four million euros this year."


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    yield server
    server.stop()


@pytest.fixture
def claude() -> FakeClaude:
    fake = FakeClaude()
    fake.reply([("Here is what I found.", None)])
    return fake


@pytest.fixture
def drive(
    fake: FakeDrive, tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude
) -> Iterator[tuple[Settings, Services]]:
    settings, services = drive_services(fake, tmp_path, onnx_embedder, claude)
    yield settings, services
    services.state.dispose()


def synced(drive: tuple[Settings, Services], mode: SyncMode = SyncMode.INCREMENTAL) -> list[str]:
    settings, services = drive
    progress = run_sync(services, settings, mode)
    expected = "partial" if progress.failed else "succeeded"  # failures: never "succeeded"
    assert progress.status == expected, (progress.error, progress.failures)
    return progress.notes


# ------------------------------------------------------------------ point 5: memberships
def test_a_member_removed_from_a_group_loses_access_in_one_incremental_cycle(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude
) -> None:
    _, services = drive
    synced(drive, SyncMode.FULL)
    question = "What about the salary bands?"
    assert SALARY in ask(services, claude, question, "pat@example.com")
    assert SALARY not in ask(services, claude, question)
    fake.groups["HR@example.com"] = ["lee@example.com"]  # no file changes at all
    synced(drive)  # an incremental (changes-feed) cycle
    assert SALARY not in ask(services, claude, question, "pat@example.com")
    assert SALARY not in ask(services, claude, question)
    assert SALARY in ask(services, claude, question, "lee@example.com")


def test_a_directory_403_drops_every_membership_until_it_reads_again(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude
) -> None:
    _, services = drive
    synced(drive, SyncMode.FULL)
    question = "What about the salary bands?"
    assert SALARY in ask(services, claude, question, "pat@example.com")
    fake.directory_allowed = False
    notes = synced(drive)
    assert SALARY not in ask(services, claude, question, "pat@example.com")
    assert DEPLOY not in ask(services, claude, "How do we deploy?", "lee@example.com")
    assert any("hr@example.com" in n and "HTTP 403" in n for n in notes), notes
    fake.directory_allowed = True
    synced(drive)
    assert SALARY in ask(services, claude, question, "pat@example.com")


def test_a_directory_404_drops_that_group_only(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude
) -> None:
    _, services = drive
    synced(drive, SyncMode.FULL)
    del fake.groups["HR@example.com"]  # the group is gone from the directory
    notes = synced(drive)
    assert SALARY not in ask(services, claude, "What about the salary bands?", "pat@example.com")
    assert any("hr@example.com" in n and "HTTP 404" in n for n in notes), notes
    assert DEPLOY in ask(services, claude, "How do we deploy?", "lee@example.com")


# ------------------------------------------------------------------ point 6: link sharing
def test_link_only_sharing_is_neither_public_nor_domain_wide(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude
) -> None:
    _, services = drive
    anyone_link = {"type": "anyone", "role": "reader", "allowFileDiscovery": False}
    domain_link = {"type": "domain", "role": "reader", "domain": "example.com"}  # link-only
    fake.add(
        FakeFile(
            "layoffs",
            "Lisbon plan",
            DOC,
            ["it"],
            permissions=[anyone_link, *private("ana@example.com")],
            exports={"text/markdown": LAYOFFS.encode()},
        )
    )
    fake.add(
        FakeFile(
            "merger",
            "Project Heron",
            DOC,
            ["it"],
            permissions=[domain_link, *private("ana@example.com")],
            exports={"text/markdown": MERGER.encode()},
        )
    )
    synced(drive, SyncMode.FULL)
    for question, secret in [
        ("Which engineers are on the Lisbon layoff list?", LAYOFFS),
        ("When does the merger with Contoso close?", MERGER),
    ]:
        assert secret not in ask(services, claude, question)
        assert secret not in ask(services, claude, question, "someone@example.com")
        assert secret in ask(services, claude, question, "ana@example.com")


def test_a_folder_switched_to_limited_access_cuts_inherited_sharing_in_one_cycle(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude
) -> None:
    _, services = drive
    fake.folder("board", "Board", "it")
    inherited = {"inherited": True, "inheritedFrom": "it"}
    fake.add(
        FakeFile(
            "bonus",
            "Director bonus pool",
            DOC,
            ["board"],
            permissions=[
                {
                    "type": "domain",
                    "role": "reader",
                    "domain": "example.com",
                    "allowFileDiscovery": True,
                    "permissionDetails": [inherited],
                },
                {
                    "type": "user",
                    "role": "reader",
                    "emailAddress": "ana@example.com",
                    "permissionDetails": [{"inherited": False}],
                },
            ],
            exports={"text/markdown": BONUS.encode()},
        )
    )
    synced(drive, SyncMode.FULL)
    question = "How large is the bonus pool for directors?"
    assert BONUS in ask(services, claude, question), "company-wide through the folder above"
    fake.edit("board", limited=True)  # inheritedPermissionsDisabled on the folder
    synced(drive)  # one incremental cycle: only the folder changed
    assert BONUS not in ask(services, claude, question)
    assert BONUS not in ask(services, claude, question, "someone@example.com")
    assert BONUS in ask(services, claude, question, "ana@example.com")


def test_a_limited_folder_above_the_synced_folder_counts_too(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude
) -> None:
    _, services = drive
    fake.edit("root", limited=True)  # "My Drive" above the synced folder "it"
    inherited = [dict(p, permissionDetails=[{"inherited": True}]) for p in COMPANY]
    direct = [dict(p, permissionDetails=[{"inherited": False}]) for p in private("ana@x.org")]
    fake.add(
        FakeFile(
            "audit",
            "Audit findings",
            DOC,
            ["it"],
            permissions=inherited + direct,
            exports={"text/markdown": AUDIT.encode()},
        )
    )
    synced(drive, SyncMode.FULL)
    question = "What did the audit find about the Frankfurt data centre?"
    assert AUDIT not in ask(services, claude, question)
    assert AUDIT not in ask(services, claude, question, "x@example.com")
    assert AUDIT in ask(services, claude, question, "ana@x.org")
