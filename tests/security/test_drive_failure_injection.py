"""Failure injection on Drive (issue 11): for each of 403, 404, 500, a timeout and a
malformed body, injected on a restricted file's content call, its permissions call and its
group's membership call in the fake Drive/Directory APIs, the set of people who can
retrieve the file never grows across the cycle, and the cycle says what failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.services import Services, build_services
from bot.settings import Settings
from connectors.base import SyncMode
from connectors.embedder import HashingEmbedding
from connectors.retry import RetryPolicy
from connectors.sync import SyncProgress
from tests.fakes.drive_server import FakeDrive, FakeFile, make_pdf
from tests.scenario.drive_harness import can_retrieve, make_settings, run_sync, start_fake

DOC_ID = "drive:ledger"
QUERY = "quarterly ledger reconciliation variance"
PEOPLE = [
    "fin@example.com",  # in the group finance@example.com
    "boss@example.com",  # shared with directly
    "pat@example.com",
    "someone@example.com",
    "outsider@other.org",
]
CALLS = {
    "content": "/files/ledger$",  # alt=media download of the PDF
    "permissions": "/files/ledger/permissions",
    "membership": "/groups/finance@example.com/members",
}
FAULTS = {
    "403": (403, "forbidden", "status"),
    "404": (404, "notFound", "status"),
    "500": (500, "backendError", "status"),
    "timeout": (0, "", "timeout"),
    "malformed": (200, "", "malformed"),
}
RETRY = RetryPolicy(budget_seconds=1.0, base_delay=0.05, max_delay=0.1)


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    server.hang_seconds = 1.5
    server.groups["finance@example.com"] = ["fin@example.com"]
    server.add(
        FakeFile(
            "ledger",
            "Quarterly ledger.pdf",
            "application/pdf",
            ["sdrunbooks"],
            drive_id="sd1",
            permissions=[
                {"type": "group", "role": "reader", "emailAddress": "finance@example.com"},
                {"type": "user", "role": "reader", "emailAddress": "boss@example.com"},
            ],
            content=make_pdf("Quarterly ledger reconciliation\nThe variance is 4 percent."),
        )
    )
    yield server
    server.stop()


@pytest.fixture
def drive(fake: FakeDrive, tmp_path: Path) -> Iterator[tuple[Settings, Services]]:
    settings = make_settings(fake, tmp_path, helpdesk_data_dir=tmp_path / "data")
    services = build_services(settings, embedder=HashingEmbedding())
    yield settings, services
    services.state.dispose()


def cycle(drive: tuple[Settings, Services], mode: SyncMode) -> SyncProgress:
    settings, services = drive
    progress = run_sync(services, settings, mode, retry=RETRY, timeout=0.5)
    expected = "partial" if progress.failed else "succeeded"  # failures: never "succeeded"
    assert progress.status == expected, (progress.error, progress.failures)
    return progress


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_call_never_widens_who_can_retrieve(
    fake: FakeDrive, drive: tuple[Settings, Services], call: str, fault: str
) -> None:
    _, services = drive
    cycle(drive, SyncMode.FULL)
    before = can_retrieve(services, DOC_ID, QUERY, PEOPLE)
    assert before == {"fin@example.com", "boss@example.com"}

    fake.edit("ledger", content=make_pdf("Quarterly ledger reconciliation\nThe variance is 5."))
    status, reason, kind = FAULTS[fault]
    fake.fail(status, reason, CALLS[call], count=10_000, kind=kind)
    progress = cycle(drive, SyncMode.INCREMENTAL)
    after = can_retrieve(services, DOC_ID, QUERY, PEOPLE)

    assert after <= before, f"{fault} on the {call} call widened readers to {after - before}"
    assert "public" not in after
    if call == "membership":
        assert after == {"boss@example.com"}, "the group's members are not kept"
        assert any("finance@example.com" in note for note in progress.notes), progress.notes
    elif fault == "404":  # gone at the source: removed from the index
        assert after == set() and progress.deleted == 1
    else:
        assert [f["doc_id"] for f in progress.failures] == [DOC_ID]
        if call == "permissions":
            assert after == set(), "unreadable permissions leave nobody"
        else:
            assert after == before, "the permissions read in this cycle still apply"
