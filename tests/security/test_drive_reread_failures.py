"""A Drive file that fails to re-read keeps no wider readers than Drive reports now (issue
11, point 2): its export is too large, it grew over DRIVE_MAX_FILE_MB, its new body cannot
be parsed, or its download keeps failing with 5xx — in the same cycle in which it was
unshared. The old text stays indexed under the permissions read in that cycle: not in a
channel's answer nor in what is sent to Claude; the one reader left still gets it in a DM."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.services import Services
from bot.settings import Settings
from connectors.base import SyncMode
from connectors.embedder import OnnxEmbedding
from connectors.retry import RetryPolicy
from tests.fakes.claude import FakeClaude
from tests.fakes.drive_server import FakeDrive, FakeFile, make_pdf
from tests.scenario.drive_harness import (
    ANYONE,
    DOC,
    ask,
    drive_services,
    private,
    run_sync,
    start_fake,
)

PLAN = "The reorganisation plan moves the Porto support desk to Lisbon in April."
PAYROLL = "Payroll runs on the twenty-fifth; contractors are paid on the last working day."
RETRY = RetryPolicy(budget_seconds=1.0, base_delay=0.05, max_delay=0.1)


def export_too_large(fake: FakeDrive, settings: Settings) -> str:
    fake.files["plan"].export_error = "exportSizeLimitExceeded"
    fake.edit("plan", exports={"text/markdown": b"# Plan\n\n" + b"grown " * 100})
    return "plan"


def over_the_size_limit(fake: FakeDrive, settings: Settings) -> str:
    settings.drive_max_file_mb = 1
    fake.edit("pay", content=b"%PDF-1.4 " + b"0" * 1_200_000)
    return "pay"


def unparsable(fake: FakeDrive, settings: Settings) -> str:
    fake.edit("pay", content=b"this is not a PDF any more")
    return "pay"


def download_5xx(fake: FakeDrive, settings: Settings) -> str:
    fake.edit("pay", content=make_pdf("Payroll\nA new version that never arrives."))
    fake.fail(503, "backendError", "/files/pay$", count=10_000)
    return "pay"


BREAKERS: dict[str, Callable[[FakeDrive, Settings], str]] = {
    "export too large": export_too_large,
    "over DRIVE_MAX_FILE_MB": over_the_size_limit,
    "unparsable body": unparsable,
    "download 5xx after retries": download_5xx,
}
QUESTIONS = {
    "plan": ("Where does the Porto support desk move?", PLAN),
    "pay": ("When does payroll run for contractors?", PAYROLL),
}


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    server.add(
        FakeFile(
            "plan",
            "Reorganisation plan",
            DOC,
            ["it"],
            permissions=ANYONE,
            exports={"text/markdown": PLAN.encode()},
        )
    )
    server.add(
        FakeFile(
            "pay",
            "Payroll calendar.pdf",
            "application/pdf",
            ["it"],
            permissions=ANYONE,
            content=make_pdf(f"Payroll calendar\n{PAYROLL}"),
        )
    )
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


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_a_file_that_fails_to_reread_gets_the_readers_drive_reports_now(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude, breaker: str
) -> None:
    settings, services = drive
    first = run_sync(services, settings, SyncMode.FULL, retry=RETRY)
    assert first.status == "succeeded" and first.failed == 0, first.failures
    file_id = BREAKERS[breaker](fake, settings)
    question, secret = QUESTIONS[file_id]
    assert secret in ask(services, claude, question), "public before the change"

    fake.share(file_id, private("ana@example.com"))  # unshared in the same cycle
    progress = run_sync(services, settings, retry=RETRY, timeout=5)

    assert [f["doc_id"] for f in progress.failures] == [f"drive:{file_id}"], progress.failures
    assert progress.status in ("succeeded", "partial") and progress.failed == 1
    assert secret not in ask(services, claude, question)  # a channel: neither answer nor Claude
    assert secret not in ask(services, claude, question, "someone@example.com")
    assert secret in ask(services, claude, question, "ana@example.com"), "the reader left"
    row = services.state.document(f"drive:{file_id}")
    assert row is not None and not row.acl.public
    assert row.acl.principals == {"user:ana@example.com"}
