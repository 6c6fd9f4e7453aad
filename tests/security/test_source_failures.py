"""A source the sync cannot read at all fails closed (issue 11, the invariant): when a whole
run fails — Drive's changes feed or folder listing answering 5xx after the retries, the
Google identity losing access to every synced folder, Confluence answering 5xx or 401 to
everything, a source that cannot even be set up — every indexed document of that source
whose current permissions the run did not read becomes readable by nobody in that run
(public ones included: the bot cannot tell who may read them now), the run is `failed` in
`sync` and `/helpdesk status`, and the next good run (full where the connector does not
re-read every ACL anyway) gives each document back to exactly its readers, re-embedding
nothing. Through the fake Drive and Confluence servers, the real sync and index, the answer
engine and the Claude fake: the text reaches neither an answer nor the request to Claude."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.admin import AdminCommands
from bot.models import Asker
from bot.services import Services
from bot.settings import Settings
from connectors import messages
from connectors.base import SyncMode
from connectors.embedder import OnnxEmbedding
from connectors.registry import build_connector
from connectors.retry import RetryPolicy
from connectors.sync import SyncProgress
from tests.fakes.claude import FakeClaude
from tests.fakes.drive_server import FakeDrive, FakeFile
from tests.scenario.drive_harness import ANYONE, DOC, ask, drive_services, private, start_fake
from tests.scenario.drive_harness import connector as drive_connector
from tests.security.confluence_world import (
    ALICE,
    BONUS,
    CAROL,
    CHANNEL,
    DAVE,
    EXPECTED,
    WIFI,
    World,
    make_world,
)

NOTICE = "The canteen on floor two serves breakfast from seven thirty every weekday."
PLAN = "The Porto support desk moves to Lisbon in April under the codename Gull."
QUESTIONS = {
    NOTICE: "When does the canteen serve breakfast?",
    PLAN: "Where does the Porto support desk move in April?",
}
ANA, SOMEONE = "ana@example.com", "someone@example.com"
RETRY = RetryPolicy(budget_seconds=0.5, base_delay=0.05, max_delay=0.1)
EMPLOYEE = Asker(platform="slack", user_id="U0EMPLOYEE", email="emma@example.com")


def status_text(services: Services) -> str:
    """What `/helpdesk status` shows (it may be read in a channel)."""
    return asyncio.run(AdminCommands(services).handle(EMPLOYEE, "status")).text


# ---------------------------------------------------------------------------- Drive
@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()
    server.add(
        FakeFile(
            "notice",
            "Canteen notice",
            DOC,
            ["it"],
            permissions=ANYONE,
            exports={"text/markdown": NOTICE.encode()},
        )
    )
    server.add(
        FakeFile(
            "plan",
            "Reorganisation plan",
            DOC,
            ["it"],
            permissions=private(ANA),
            exports={"text/markdown": PLAN.encode()},
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
    settings.drive_shared_drive_ids = []  # one synced folder: "it"
    yield settings, services
    services.state.dispose()


def drive_sync(drive: tuple[Settings, Services], mode: SyncMode) -> SyncProgress:
    settings, services = drive
    progress = services.sync_job().run(
        "drive", lambda: drive_connector(settings, retry=RETRY, timeout=2), mode
    )
    assert isinstance(progress, SyncProgress)
    return progress


def readers(services: Services, claude: FakeClaude, secret: str) -> set[str]:
    """Who gets `secret` in the answer or the request to Claude: "channel", or an email
    asking in a DM."""
    out = set()
    for who in (None, ANA, SOMEONE):
        if secret in ask(services, claude, QUESTIONS[secret], who):
            out.add(who or "channel")
    return out


def changes_feed_5xx(fake: FakeDrive) -> SyncMode:
    fake.fail(500, "backendError", "/changes", count=10_000)
    return SyncMode.INCREMENTAL


def listing_5xx(fake: FakeDrive) -> SyncMode:
    fake.fail(503, "backendError", "/files$", count=10_000)  # files.list
    return SyncMode.FULL  # a full run, or the periodic ACL sweep: a complete listing


def folder_unshared(fake: FakeDrive) -> SyncMode:
    fake.delete("it")  # the Google identity no longer sees the only synced folder
    return SyncMode.FULL


DRIVE_BREAKERS: dict[str, Callable[[FakeDrive], SyncMode]] = {
    "changes feed 5xx": changes_feed_5xx,
    "folder listing 5xx": listing_5xx,
    "synced folder no longer visible": folder_unshared,
}


@pytest.mark.parametrize("breaker", list(DRIVE_BREAKERS))
def test_drive_unreadable_as_a_whole_hides_its_documents_in_that_cycle(
    fake: FakeDrive, drive: tuple[Settings, Services], claude: FakeClaude, breaker: str
) -> None:
    _, services = drive
    first = drive_sync(drive, SyncMode.FULL)
    assert (first.status, first.failed) == ("succeeded", 0), (first.error, first.failures)
    assert readers(services, claude, NOTICE) == {"channel", ANA, SOMEONE}  # controls
    assert readers(services, claude, PLAN) == {ANA}

    indexed = len(services.state.known_documents("drive"))
    mode = DRIVE_BREAKERS[breaker](fake)
    failed = drive_sync(drive, mode)

    assert failed.status == "failed" and failed.error, failed
    assert readers(services, claude, NOTICE) == set(), "not even the public notice"
    assert readers(services, claude, PLAN) == set(), "not even its reader"
    assert messages.SYNC_RESTRICTED_AFTER_FAILURE.format(n=indexed) in failed.notes
    status = status_text(services)
    assert "drive" in status and "failed" in status, status
    assert "Reorganisation" not in status and "Gull" not in status

    fake.faults.clear()
    if breaker == "synced folder no longer visible":
        fake.folder("it", "IT", "root")  # shared with the Google identity again
    again = drive_sync(drive, SyncMode.INCREMENTAL)

    assert again.status == "succeeded", (again.error, again.failures)
    assert again.mode == "full" and messages.SYNC_FULL_AFTER_FAILURE in again.notes
    assert again.chunks_embedded == 0, "an ACL update, nothing re-embedded"
    assert readers(services, claude, NOTICE) == {"channel", ANA, SOMEONE}
    assert readers(services, claude, PLAN) == {ANA}


# ------------------------------------------------------------------------ Confluence
@pytest.fixture(params=["cloud", "datacenter"])
def world(
    data_dir: Path, onnx_embedder: OnnxEmbedding, request: pytest.FixtureRequest
) -> Iterator[World]:
    w = make_world(data_dir, onnx_embedder, budget=0.4, deployment=request.param)
    first = w.sync(SyncMode.FULL)
    assert first.status == "succeeded" and first.failed == 0, first.failures
    yield w
    w.services.state.dispose()
    w.site.stop()


def site_5xx(w: World) -> Callable[[], None]:
    w.site.fail("/", 500, times=10_000)
    return w.site.faults.clear


def credentials_rejected(w: World) -> Callable[[], None]:
    good = w.site.token
    w.site.token = "revoked"
    return lambda: setattr(w.site, "token", good)


def no_credentials(w: World) -> Callable[[], None]:
    kept = (w.settings.confluence_email, w.settings.confluence_api_token, w.settings.confluence_pat)
    w.settings.confluence_email = w.settings.confluence_api_token = w.settings.confluence_pat = None

    def restore() -> None:
        s = w.settings
        s.confluence_email, s.confluence_api_token, s.confluence_pat = kept

    return restore


CONFLUENCE_BREAKERS: dict[str, Callable[[World], Callable[[], None]]] = {
    "every call 5xx": site_5xx,
    "credentials rejected (401)": credentials_rejected,
    "cannot be set up": no_credentials,
}


def confluence_job(w: World) -> SyncProgress:
    """One run as the worker and `helpdesk sync` run it (a failed set-up included)."""
    progress = w.services.sync_job().run(
        "confluence", lambda: build_connector("confluence", w.settings)
    )
    assert isinstance(progress, SyncProgress)
    return progress


@pytest.mark.parametrize("breaker", list(CONFLUENCE_BREAKERS))
def test_confluence_unreadable_as_a_whole_hides_every_page_in_that_cycle(
    world: World, breaker: str
) -> None:
    assert world.leaks_to(WIFI, CHANNEL) and world.leaks_to(BONUS, DAVE)  # controls
    restore = CONFLUENCE_BREAKERS[breaker](world)

    failed = confluence_job(world)

    assert failed.status == "failed" and failed.error, failed
    for secret in EXPECTED:
        assert world.readers(secret) == set(), secret
    for who in (CHANNEL, ALICE, DAVE, CAROL):
        assert not world.leaks_to(WIFI, who) and not world.leaks_to(BONUS, who), who
    status = status_text(world.services)
    assert "confluence" in status and "failed" in status, status
    assert "Bonus" not in status

    restore()
    again = confluence_job(world)

    assert again.status == "succeeded", (again.error, again.failures)
    assert again.mode == "incremental", "Confluence re-reads every ACL on every run"
    assert again.chunks_embedded == 0
    for secret, expected in EXPECTED.items():
        assert world.readers(secret) == expected, secret
    assert world.leaks_to(BONUS, DAVE)
