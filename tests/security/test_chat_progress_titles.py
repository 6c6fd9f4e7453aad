"""Issue 11 point 3: reindex progress and summaries never leak titles.

`/helpdesk reindex` posts its progress where the command was typed — often a channel.
A failed document's title appears there only when the index/state says the document is
public (and the source, when it said so with the failure, agrees); never the title the
failure carries for a page that was just restricted and renamed and failed to re-read.
In a DM with the admin, titles that admin may read are shown. Through `AdminCommands`
(what Slack's `/helpdesk` and the Teams 1:1 command both call) and a real worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import messages
from bot.admin import AdminCommands
from bot.models import Asker
from connectors.base import (
    Acl,
    Checkpoint,
    DocumentFailure,
    SourceDocument,
    SyncItem,
    SyncRequest,
)
from connectors.worker import Worker
from tests.scenario.test_worker_support import Chat, make_services, start_worker

ADMIN = Asker(platform="teams", user_id="aad-admin", email="second.admin@northwind.example")
HANNAH = "user:hannah.hr@northwind.example"
WHEN = datetime(2026, 3, 1, tzinfo=UTC)

OLD_TITLES = {
    "pay": "Pay review calendar",
    "handbook": "Employee handbook",
    "admin-notes": "Admin runbook notes",
    "hr-only": "Grievance case log",
}
NEW_RESTRICTED_TITLE = "Layoffs 2027 - confidential list"
BRAND_NEW_TITLE = "Merger plan Project Falcon"


def doc(native: str, acl: Acl) -> SourceDocument:
    return SourceDocument(
        source="files",
        doc_id=f"files:{native}",
        title=OLD_TITLES[native],
        url=f"https://kb.example/{native}",
        text=f"{OLD_TITLES[native]}: " + " ".join(f"word{i}" for i in range(40)),
        updated_at=WHEN,
        acl=acl,
        version="1",
    )


def failure(native: str, title: str, acl: Acl | None) -> DocumentFailure:
    return DocumentFailure(
        source="files",
        reason="the page body could not be parsed",
        doc_id=f"files:{native}",
        title=title,
        acl=acl,
    )


class Scripted:
    """A connector whose next scan yields exactly `items` (then a checkpoint)."""

    name = "files"

    def __init__(self) -> None:
        self.items: list[SyncItem] = []

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        yield from self.items
        yield Checkpoint("{}")


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.shutdown(wait=True)


SHOWN: list[str] = []  # every text posted or updated in any chat by `reindex`


async def reindex(admin: AdminCommands) -> tuple[str, str]:
    """One `/helpdesk reindex files`, followed in a channel and in the admin's DM; the
    final summaries (every progress text on the way is kept in `SHOWN`)."""
    reply = await admin.handle(ADMIN, "reindex files")
    assert reply.follow_request_id is not None, reply.text
    channel, dm = Chat(), Chat()
    await asyncio.wait_for(admin.follow(reply.follow_request_id, channel.post, channel.update), 60)
    await asyncio.wait_for(
        admin.follow(reply.follow_request_id, dm.post, dm.update, private=True, viewer=ADMIN), 60
    )
    for chat in (channel, dm):
        SHOWN.extend([reply.text, *chat.posts, *(text for _, text, _ in chat.updates)])
    return channel.final, dm.final


async def test_failure_titles_follow_the_index_permissions_not_the_failure(
    tmp_path: Path, workers: list[Worker]
) -> None:
    SHOWN.clear()
    services = make_services(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path)
    source = Scripted()
    workers.append(start_worker(services, {"files": lambda: source}, poll_seconds=0.2))
    admin = AdminCommands(services)
    source.items = [
        doc("pay", Acl.everyone()),
        doc("handbook", Acl.everyone()),
        doc("admin-notes", Acl(False, frozenset({f"user:{ADMIN.email}"}))),
        doc("hr-only", Acl(False, frozenset({HANNAH}))),
    ]
    channel, _ = await reindex(admin)
    assert "4 added" in channel, channel

    # the public pay page was restricted to HR and renamed, and its new body fails to
    # parse; the handbook fails but is still public; the admin's own page fails
    source.items = [
        failure("pay", NEW_RESTRICTED_TITLE, Acl(False, frozenset({HANNAH}))),
        failure("handbook", OLD_TITLES["handbook"], Acl.everyone()),
        failure(
            "admin-notes", OLD_TITLES["admin-notes"], Acl(False, frozenset({f"user:{ADMIN.email}"}))
        ),
    ]
    channel, dm = await reindex(admin)
    assert "3 failed" in channel, channel
    for text in (channel, dm):
        assert NEW_RESTRICTED_TITLE not in text
        assert "Layoffs" not in text
        assert "   • Employee handbook: the page body could not be parsed" in text
    assert channel.count(messages.ADMIN_FAILURE_HIDDEN) == 2, channel
    assert OLD_TITLES["admin-notes"] not in channel
    assert "   • Admin runbook notes: the page body could not be parsed" in dm, dm
    assert dm.count(messages.ADMIN_FAILURE_HIDDEN_DM) == 1, dm  # the pay page: HR only

    # a restricted page the admin may not read, and a page never indexed, both unread:
    # neither title anywhere, not even in the admin's DM
    source.items = [
        failure("hr-only", "Grievance case log (renamed)", None),
        failure("brand-new", BRAND_NEW_TITLE, None),
    ]
    channel, dm = await reindex(admin)
    for text in (channel, dm):
        assert "Grievance" not in text and BRAND_NEW_TITLE not in text and "Falcon" not in text
    assert channel.count(messages.ADMIN_FAILURE_HIDDEN) == 2, channel
    assert dm.count(messages.ADMIN_FAILURE_HIDDEN_DM) == 2, dm

    # `/helpdesk status`, open to anyone, names no document at all
    status = (await admin.handle(Asker("slack", "U0ANYONE"), "status")).text
    for title in [*OLD_TITLES.values(), NEW_RESTRICTED_TITLE, BRAND_NEW_TITLE]:
        assert title not in status
    # nor did any progress text on the way, in the channel or the DM
    for text in SHOWN:
        for title in (NEW_RESTRICTED_TITLE, BRAND_NEW_TITLE, "Grievance case log (renamed)"):
            assert title not in text, text
