"""A help channel limited to a Drive folder or shared drive (`drive:ID`), end to end:
files on the fake Drive API (folders and a shared drive, in Drive v3's shapes), synced
through the real client, SyncEngine and LanceDB index, then asked in the channel
through the conversation service. The folder ids reach the index at sync time; an
index from before them gives such a channel nothing from Drive, and status says so."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation.inbound import Final, InboundMessage
from bot.helpchannels.channels import parse_sources
from bot.models import Asker
from bot.services import Services, build_services
from bot.settings import Settings
from bot.status import collect_status, render_status
from connectors import messages
from connectors.base import SyncMode
from connectors.embedder import OnnxEmbedding
from connectors.lance_store import LanceChunkStore
from tests.fakes.drive_server import FakeDrive, FakeFile
from tests.scenario.drive_harness import ANYONE, COMPANY, DOC, make_settings, run_sync, start_fake

CHANNEL = "C0DRIVE01"
QUESTION = "How do I connect to the VPN?"
# ids shaped like Drive's (folders `1…`, shared drives `0A…`)
SUPPORT, NETWORK, HR, BUILD = "1ItSupportFldr", "1NetworkFoldr", "1HrFolderAbcd", "0ABuildDrive01"
VPN_TITLES = {"VPN setup", "VPN on office laptops", "VPN for HR laptops", "VPN for build agents"}


def vpn_doc(file_id: str, title: str, parent: str, **kw: object) -> FakeFile:
    body = f"# {title}\n\nConnect to the VPN: {title.lower()}.".encode()
    return FakeFile(file_id, title, DOC, [parent], exports={"text/markdown": body}, **kw)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[FakeDrive]:
    server = start_fake()  # IT/Network holds "VPN setup" already
    # IT/Support/Network and IT/Support/HR, and a shared drive, each with a VPN page
    server.folder(SUPPORT, "Support", "it")
    server.folder(NETWORK, "Network", SUPPORT)
    server.folder(HR, "HR", SUPPORT)
    server.add(vpn_doc("1OfficeVpnDoc", "VPN on office laptops", NETWORK, permissions=COMPANY))
    server.add(vpn_doc("1HrVpnDocAbc", "VPN for HR laptops", HR, permissions=COMPANY))
    server.add_drive(BUILD, "Build")
    server.add(
        vpn_doc("1BuildVpnDoc", "VPN for build agents", BUILD, drive_id=BUILD, permissions=ANYONE)
    )
    yield server
    server.stop()


@pytest.fixture
def setup(
    fake: FakeDrive, tmp_path: Path, onnx_embedder: OnnxEmbedding
) -> Iterator[tuple[Settings, Services]]:
    settings = make_settings(fake, tmp_path, helpdesk_data_dir=tmp_path / "data")
    settings = settings.model_copy(update={"drive_shared_drive_ids": ["sd1", BUILD]})
    services = build_services(settings, embedder=onnx_embedder)
    progress = run_sync(services, settings, SyncMode.FULL)
    assert progress.status == "succeeded", progress.failures
    yield settings, services
    services.state.dispose()


def ask_in_channel(services: Services, sources: str | None, n: int = 0) -> set[str]:
    """The titles an @mention in the channel is answered from (its citations)."""
    if sources is not None:
        services.channels.update(CHANNEL, sources=parse_sources(sources))
    msg = InboundMessage(
        asker=Asker(platform="slack", user_id="U0ASKER", email="ana@example.com"),
        thread=f"{CHANNEL}:{n}",
        message_id=f"m{n}",
        text=QUESTION,
        addressed=True,
        insider=True,
        channel_id=CHANNEL,
    )

    async def run() -> set[str]:
        titles: set[str] | None = None
        async for event in services.conversation.handle(msg):
            if isinstance(event, Final):
                titles = {c.title for c in event.answer.citations}
        assert titles is not None, "no answer (an apology instead?)"
        return titles

    return asyncio.run(run())


def fresh(services: Services, settings: Settings, onnx_embedder: OnnxEmbedding) -> Services:
    """Another process's view (a `serve` replica): no cached channel settings."""
    return build_services(settings, embedder=onnx_embedder)


def test_a_channel_limited_to_a_folder_or_shared_drive_answers_only_from_it(
    setup: tuple[Settings, Services], onnx_embedder: OnnxEmbedding
) -> None:
    settings, services = setup
    everything = ask_in_channel(services, None, 0)
    assert len(everything & VPN_TITLES) >= 2  # unrestricted: from several places
    cases = [
        (f"drive:{NETWORK}", {"VPN on office laptops"}),  # IT/Support/Network
        (f"drive:{HR}", {"VPN for HR laptops"}),  # IT/Support/HR, the sibling folder
        (f"drive:{BUILD}", {"VPN for build agents"}),  # the shared drive's id
        (f"drive:{SUPPORT}", {"VPN on office laptops", "VPN for HR laptops"}),  # any depth
        (f"drive:{HR},drive:{BUILD}", {"VPN for HR laptops", "VPN for build agents"}),
    ]
    for n, (spec, allowed) in enumerate(cases, 1):
        answer_from = ask_in_channel(fresh(services, settings, onnx_embedder), spec, n)
        assert answer_from, spec  # answered...
        assert answer_from <= allowed, spec  # ...only from there, from no other source
    nowhere = fresh(services, settings, onnx_embedder)
    assert ask_in_channel(nowhere, "drive:1NoSuchFolder", 9) == set()
    assert services.index.upgrade_notice() is None


def test_an_index_from_before_folder_ids_gives_a_drive_channel_nothing_and_says_why(
    setup: tuple[Settings, Services], onnx_embedder: OnnxEmbedding
) -> None:
    settings, services = setup
    store = services.index.store
    assert isinstance(store, LanceChunkStore)
    # the index as the previous version wrote it: no ancestor_ids column at all
    store.table.drop_columns(["ancestor_ids"])
    old = [fresh(services, settings, onnx_embedder) for _ in range(3)]
    assert ask_in_channel(old[0], f"drive:{NETWORK}", 1) == set()  # nothing, never all
    assert ask_in_channel(old[1], f"drive:{BUILD},drive:{SUPPORT}", 2) == set()
    assert len(ask_in_channel(old[2], "drive", 3) & VPN_TITLES) >= 2  # the whole source: fine
    report = collect_status(old[0])
    assert report["index"]["upgrade"] == messages.INDEX_LACKS_ANCESTOR_IDS
    assert "helpdesk sync drive --full" in render_status(report)
