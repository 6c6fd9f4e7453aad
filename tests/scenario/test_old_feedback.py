"""A database written by a version that kept 👍/👎 in the old `feedback` table (copies of
the answer in every vote): opened by today's `helpdesk`, every old vote is counted against
its answer, and nothing is lost."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tests.conftest import REPO

# the chat tables as the earlier `connectors/state_tables.py` created them
OLD_SCHEMA = """
CREATE TABLE answers (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    platform VARCHAR(16) NOT NULL,
    conversation VARCHAR(512) NOT NULL,
    message_id VARCHAR(256) NOT NULL,
    user_id VARCHAR(256) NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    doc_ids JSON NOT NULL,
    grounded BOOLEAN NOT NULL,
    mode VARCHAR(16) NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE TABLE feedback (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    platform VARCHAR(16) NOT NULL,
    conversation VARCHAR(512) NOT NULL,
    message_id VARCHAR(256) NOT NULL,
    user_id VARCHAR(256) NOT NULL,
    rating INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    doc_ids JSON NOT NULL,
    comment TEXT,
    created_at DATETIME NOT NULL
);
"""


def helpdesk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "ANTHROPIC_", "CONFLUENCE_", "GOOGLE_", "WEAVIATE_"))
        and k not in ("DATABASE_URL", "SOURCES")
    }
    out.update({"PYTHONPATH": str(REPO), "HELPDESK_DATA_DIR": str(tmp_path / "data")})
    return out


def old_database(path: Path) -> None:
    path.parent.mkdir(parents=True)
    at = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.executemany(
        "INSERT INTO answers (platform, conversation, message_id, user_id, question, answer,"
        " doc_ids, grounded, mode, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("slack", "C0HELP:1.1", "1.2", "U0ANA", "How do I reset my VPN token?",
             "Open the portal [1]", '["files:it/vpn.md"]', 1, "extractive", at),
            ("teams", "19:abc@thread.tacv2;messageid=7", "", "29:ben", "Where is the badge office?",
             "I couldn't find that.", "[]", 0, "extractive", at),
        ],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO feedback (platform, conversation, message_id, user_id, rating, question,"
        " answer, doc_ids, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            # by the answer's message id
            ("slack", "C0HELP:1.1", "1.2", "U0VOTE", 1, "How do I reset my VPN token?",
             "Open the portal [1]", '["files:it/vpn.md"]', None, at),
            # no message id: by conversation, question and answer
            ("teams", "19:abc@thread.tacv2;messageid=7", "", "29:cas", -1,
             "Where is the badge office?", "I couldn't find that.", "[]", "not helpful", at),
            # its answer was pruned long ago: the vote keeps what it copied
            ("slack", "C0IT:5.1", "5.2", "U0DAN", -1, "How do I order a new laptop charger?",
             "See the equipment page [1]", '["files:it/equipment.md"]', "wrong page", at),
        ],
    )  # fmt: skip
    db.commit()
    db.close()


def test_old_votes_are_counted_and_nothing_is_lost(env: dict[str, str]) -> None:
    from bot.conversation.store import ChatStore
    from connectors.state import StateStore

    path = Path(env["HELPDESK_DATA_DIR"]) / "state.sqlite3"
    old_database(path)

    status = helpdesk(["status", "--json"], env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["chat_answers_24h"] == {"answers": 3, "up": 1, "down": 2}

    gaps = helpdesk(["gaps", "--days", "1", "--json"], env)
    assert gaps.returncode == 0, gaps.stderr
    examples = {e for g in json.loads(gaps.stdout)["groups"] for e in g["examples"]}
    assert "How do I order a new laptop charger?" in examples  # 👎 on a pruned answer
    assert "Where is the badge office?" in examples

    state = StateStore(f"sqlite:///{path}")
    try:
        chat = ChatStore(state.engine)  # a second start-up: nothing moved twice
        votes = [
            (v["platform"], v["question"], v["user_id"], v["rating"], v["comment"])
            for v in chat.feedback_rows()
        ]
        assert votes == [
            ("slack", "How do I reset my VPN token?", "U0VOTE", 1, None),
            ("teams", "Where is the badge office?", "29:cas", -1, "not helpful"),
            ("slack", "How do I order a new laptop charger?", "U0DAN", -1, "wrong page"),
        ]
        rebuilt = chat.answers()[-1]
        assert rebuilt["doc_ids"] == ["files:it/equipment.md"]
        assert rebuilt["message_id"] == "5.2" and rebuilt["conversation"] == "C0IT:5.1"
        assert len(chat.answers()) == 3
        assert not inspect(state.engine).has_table("feedback")
    finally:
        state.dispose()
