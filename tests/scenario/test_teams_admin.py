"""Teams admin commands: `reindex`, `status`, `help` typed in a 1:1 chat with the bot go
to the shared `AdminCommands`; reindex progress is posted and edited proactively."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import messages
from bot.adapters.teams.routes import BOT_KEY
from bot.admin import AdminCommands
from bot.services import Services
from connectors.embedder import HashingEmbedding
from connectors.files import FilesConnector
from connectors.reindex_requests import get_request
from connectors.worker import Worker
from tests.scenario.teams_harness import (
    ALICE,
    HANNAH,
    TeamsHarness,
    channel_mention,
    make_services,
    personal_message,
)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "it").mkdir(parents=True)
    (root / "it" / "vpn.md").write_text("# VPN\n\nUse GlobalProtect with MFA to connect.\n")
    (root / "it" / "printers.md").write_text("# Printers\n\nFloor 3 printer is P3-A.\n")
    return root


@pytest.fixture
def services(data_dir: Path, kb: Path) -> Services:
    return make_services(
        data_dir, HashingEmbedding(), files_path=kb, ADMIN_USERS="alice@northwind.example"
    )


@pytest.fixture
def worker(services: Services, kb: Path) -> Iterator[Worker]:
    w = services.worker(
        connectors={"files": lambda: FilesConnector(kb)},
        sync_on_start=False,
        poll_seconds=0.2,
    )
    w.start()
    yield w
    w.shutdown(wait=True)


async def test_admin_reindex_from_a_personal_chat_posts_and_edits_progress(
    services: Services, worker: Worker
) -> None:
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        chat = "a:1personal-alice-admin"
        await teams.post(personal_message(teams.service_url, "reindex files", ALICE, chat))
        reply = teams.connector.messages(chat)[0]
        assert reply.text.startswith("Queued a reindex of Help centre (request #")
        assert reply.streaminfo is None and reply.entity("https://schema.org/Message") is None

        await asyncio.wait_for(teams.app[BOT_KEY].drain(), 60)
        sent = teams.connector.in_conversation(chat)
        assert sent[0].type == "typing", "acknowledged with the typing indicator first"
        progress = [s for s in sent if s.method == "POST" and s.type == "message"][1:]
        assert len(progress) == 1, "one progress message, edited in place"
        edits = [s for s in sent if s.method == "PUT"]
        assert edits and all(e.activity_id == progress[0].activity_id for e in edits)
        final = edits[-1].text if edits else progress[0].text
        assert final.startswith("✅ Help centre: done in ")
        assert "2 added" in final
        assert services.state.document_counts() == {"files": 2}


async def test_reindex_is_refused_for_someone_not_in_admin_users(services: Services) -> None:
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        chat = "a:1personal-hannah-admin"
        await teams.post(personal_message(teams.service_url, "reindex files full", HANNAH, chat))
        assert [s.text for s in teams.connector.messages(chat)] == [messages.ADMIN_REFUSED]
        assert get_request(services.state, 1) is None, "nothing was queued"


async def test_status_and_help_are_open_to_everyone(services: Services) -> None:
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        chat = "a:1personal-hannah-status"
        await teams.post(personal_message(teams.service_url, "status", HANNAH, chat))
        await teams.post(personal_message(teams.service_url, "help", HANNAH, chat))
        status, help_text = [s.text for s in teams.connector.messages(chat)]
        assert "Help centre" in status
        assert "reindex" in help_text and "status" in help_text
        # answered as commands, not as questions: no stream, no AI label
        assert all(s.streaminfo is None for s in teams.connector.in_conversation(chat))


async def test_admin_words_in_a_channel_are_questions_not_commands(services: Services) -> None:
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        activity = channel_mention(teams.service_url, "reindex files", sender=ALICE)
        await teams.post(activity)
        assert get_request(services.state, 1) is None
        texts = [s.text for s in teams.connector.messages(activity["conversation"]["id"])]
        assert len(texts) == 1 and not texts[0].startswith("Queued")


async def test_a_question_starting_with_help_is_answered_not_treated_as_a_command(
    services: Services,
) -> None:
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        chat = "a:1personal-hannah-question"
        text = "help me connect to the VPN"
        await teams.post(personal_message(teams.service_url, text, HANNAH, chat))
        final = teams.connector.messages(chat)[-1]
        assert final.streaminfo and final.streaminfo["streamType"] == "final"
        # searched as a question (this index is empty), not answered with the usage text
        assert final.text == messages.NO_ANSWER.format(support_hint="#it-help")


async def test_a_failure_naming_text_from_a_file_reads_as_written_in_the_progress(
    services: Services, worker: Worker, kb: Path
) -> None:
    """A failure's reason can quote the source's own text: a group in groups.yaml named
    `**URGENT** <at>Everyone</at> [click](…)` is named in the reindex progress as
    written — not bold, not a mention, not a link."""
    (kb / "groups.yaml").write_text(
        "'**URGENT** <at>Everyone</at> [click](https://evil.example)': nobody\n"
    )
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        chat = "a:1personal-alice-failures"
        await teams.post(personal_message(teams.service_url, "reindex files", ALICE, chat))
        await asyncio.wait_for(teams.app[BOT_KEY].drain(), 60)
        sent = teams.connector.in_conversation(chat)
        final = [s for s in sent if s.type == "message"][-1].text
        assert final.startswith("⚠️ Help centre: partial"), final
        (line,) = [x for x in final.split("\n") if x.startswith("   • groups.yaml: group ")]
        assert line.startswith(
            "   • groups.yaml: group '&#42;&#42;URGENT&#42;&#42; &lt;at&gt;Everyone&lt;/at&gt; "
            "&#91;click&#93;(https://evil.example)' in groups.yaml must be a list of emails"
        )
        assert all("<at>" not in s.text and "**" not in s.text for s in sent)
