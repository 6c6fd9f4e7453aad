"""`AdminCommands.handle` without a worker: who may reindex, what each command and each
mistake replies, and what lands in the request queue (nothing, for a refusal)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import messages
from bot.admin import AdminCommands
from bot.models import Asker
from bot.services import Services
from connectors import reindex_requests as queue
from tests.scenario.test_worker_support import Chat, make_services

SLACK_ADMIN = Asker(platform="slack", user_id="U0ADMIN")
TEAMS_ADMIN = Asker(platform="teams", user_id="29:1abc", email="Second.Admin@Northwind.example")
EMPLOYEE = Asker(platform="slack", user_id="U0EMPLOYEE", email="emma@northwind.example")


@pytest.fixture
def services(tmp_path: Path) -> Services:
    return make_services(
        f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path, sources=["files", "confluence"]
    )


@pytest.fixture
def admin(services: Services) -> AdminCommands:
    return AdminCommands(services)


USAGE_START = "Usage:\n• `reindex [SOURCE|all] [full]`"


async def test_a_non_admin_is_refused_politely_logged_and_nothing_is_queued(
    admin: AdminCommands, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.admin"):
        reply = await admin.handle(EMPLOYEE, "reindex files full")
    assert reply.text == messages.ADMIN_REFUSED
    assert reply.follow_request_id is None
    assert queue.pending_requests(services.state) == []
    assert any(
        "refused" in r.getMessage() and "user=U0EMPLOYEE" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("asker", [SLACK_ADMIN, TEAMS_ADMIN], ids=["slack-user-id", "email"])
async def test_admins_match_by_user_id_or_email_ignoring_case(
    admin: AdminCommands, services: Services, asker: Asker
) -> None:
    reply = await admin.handle(asker, "reindex files")
    assert reply.text.startswith("Queued a reindex of Help centre (request #")
    assert reply.follow_request_id is not None
    request = queue.get_request(services.state, reply.follow_request_id)
    assert request is not None
    assert (request.source, request.mode, request.status) == ("files", "incremental", "queued")
    assert request.requested_by == f"{asker.platform}:{asker.user_id}"


async def test_reindex_all_full_queues_one_request_per_source_followed_as_one(
    admin: AdminCommands, services: Services
) -> None:
    reply = await admin.handle(SLACK_ADMIN, "/helpdesk reindex all full")
    assert reply.text.startswith("Queued a full reindex of Help centre, Confluence (request #")
    assert reply.follow_request_id is not None
    pending = queue.pending_requests(services.state)
    assert [(r.source, r.mode) for r in pending] == [("files", "full"), ("confluence", "full")]
    head = queue.get_request(services.state, reply.follow_request_id)
    assert head is not None and head.batch == [r.id for r in pending]
    chat = Chat()
    await admin.follow(reply.follow_request_id, chat.post, chat.update, give_up_after=0.2)
    assert chat.final.splitlines() == [
        "🕒 Help centre: queued, waiting for the sync worker…",
        "🕒 Confluence: queued, waiting for the sync worker…",
        "⌛ Stopped following after 0 s; `/helpdesk status` shows how it is going.",
    ]


async def test_bare_reindex_means_every_source_incremental(
    admin: AdminCommands, services: Services
) -> None:
    await admin.handle(SLACK_ADMIN, "REINDEX")
    pending = queue.pending_requests(services.state)
    assert [(r.source, r.mode) for r in pending] == [
        ("files", "incremental"),
        ("confluence", "incremental"),
    ]


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("reindex sharepoint", "I don't know the source `sharepoint`."),
        ("reindex drive", "The source `drive` is not configured on this bot."),
        ("reindex files confluence", None),
        ("reindex full full", None),
        ("reindex files full now", None),
        ("frobnicate", None),
        ("status please", None),
        ("help me", None),
    ],
)
async def test_bad_commands_get_the_usage_text_and_queue_nothing(
    admin: AdminCommands, services: Services, text: str, first_line: str | None
) -> None:
    reply = await admin.handle(SLACK_ADMIN, text)
    assert reply.follow_request_id is None
    if first_line:
        assert reply.text.splitlines()[0] == first_line
        assert reply.text.split("\n", 1)[1].startswith(USAGE_START)
    else:
        assert reply.text.startswith(USAGE_START)
    assert "SOURCE is one of: `files`, `confluence`." in reply.text
    assert queue.pending_requests(services.state) == []


async def test_help_lists_the_commands_and_who_may_use_them(admin: AdminCommands) -> None:
    for text in ("help", "", "  /helpdesk  "):
        reply = await admin.handle(EMPLOYEE, text)
        assert reply.text.startswith(USAGE_START)
        assert reply.text.endswith(
            "`status` and `help` are open to everyone; `reindex` is for admins "
            "(set in ADMIN_USERS)."
        )
    mine = await admin.handle(TEAMS_ADMIN, "help")
    assert mine.text.endswith(messages.ADMIN_HELP_YOU_ARE_ADMIN)


async def test_help_says_when_no_admin_is_configured(tmp_path: Path) -> None:
    services = make_services(f"sqlite:///{tmp_path / 's.sqlite3'}", tmp_path, admin_users=[])
    admin = AdminCommands(services)
    reply = await admin.handle(SLACK_ADMIN, "help")
    assert "(no admin is configured yet: set ADMIN_USERS)" in reply.text
    refused = await admin.handle(SLACK_ADMIN, "reindex")
    assert refused.text == messages.ADMIN_REFUSED


async def test_following_a_request_that_could_not_start_shows_why(
    admin: AdminCommands, services: Services
) -> None:
    request = queue.enqueue(services.state, ["files"], "incremental", "slack:U0ADMIN")[0]
    queue.claim_queued(services.state, "files")
    queue.finish_requests(
        services.state, [request.id], queue.FAILED, error="the source 'files' is not configured"
    )
    chat = Chat()
    await admin.follow(request.id, chat.post, chat.update)
    assert chat.posts == ["❌ Help centre: could not start: the source 'files' is not configured"]
    assert chat.updates == []
    gone = Chat()
    await admin.follow(987654, gone.post, gone.update)
    assert gone.posts == [messages.ADMIN_REQUEST_GONE]
