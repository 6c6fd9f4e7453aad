"""Issue 11 point 10: retention. The worker prunes stored questions, answers, feedback,
conversation turns and answered-thread records after RETENTION_DAYS, and seen Slack
event ids after a day — through the real state store (SQLite and PostgreSQL) and the
real worker's scheduler. The chat store is `bot/`'s (`ChatStore`); the worker runs its
pruning as handed in by the composition root."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.conversation.store import ChatStore
from bot.conversation.tables import (
    answer_feedback,
    answered_threads,
    answers,
    conversation_turns,
    seen_events,
)
from bot.settings import Settings
from connectors.embedder import HashingEmbedding
from connectors.index import open_index
from connectors.state import StateStore, utcnow
from connectors.worker import Worker
from tests import fixtures_pg
from tests.scenario.test_worker_support import wait_until, worker_settings

db_url = fixtures_pg.db_url  # fixture: each test runs on SQLite and on PostgreSQL

OLD_Q = "What is Dana's salary band? (asked long ago)"
NEW_Q = "How do I reset my password?"


@pytest.fixture
def state(db_url: str) -> Iterator[StateStore]:
    store = StateStore(db_url)
    yield store
    store.dispose()


def age(state: StateStore, table: object, days: float, where: object) -> None:
    """Backdate rows the store just wrote (what time would do)."""
    with state.engine.begin() as conn:
        conn.execute(
            update(table)  # type: ignore[arg-type]
            .where(where)  # type: ignore[arg-type]
            .values(created_at=utcnow() - timedelta(days=days))
        )


def count(state: StateStore, table: object) -> int:
    with state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def seed(state: StateStore) -> ChatStore:
    chat = ChatStore(state.engine)
    ids = {}
    for question, conv in ((OLD_Q, "C1:old"), (NEW_Q, "C1:new")):
        ids[conv] = chat.record_answer(
            "slack", conv, "U1", question, f"answer to {question}", [], True, "claude"
        )
        chat.record_feedback(ids[conv], "U1", -1)
        chat.add_turn("slack", conv, "user", question)
        chat.mark_thread_answered("slack", conv)
    for key in ("Ev-two-days-old", "Ev-two-hours-old", "Ev-just-now"):
        assert chat.remember_event(key)
    age(state, answers, 120, answers.c.conversation == "C1:old")
    age(state, answer_feedback, 120, answer_feedback.c.answer_id == ids["C1:old"])
    age(state, conversation_turns, 120, conversation_turns.c.conversation == "C1:old")
    age(state, answered_threads, 120, answered_threads.c.conversation == "C1:old")
    age(state, answers, 45, answers.c.conversation == "C1:new")  # inside 90 days
    age(state, seen_events, 2, seen_events.c.event_key == "Ev-two-days-old")
    age(state, seen_events, 2 / 24, seen_events.c.event_key == "Ev-two-hours-old")
    return chat


def test_the_worker_prunes_old_chat_records_and_keeps_recent_ones(
    state: StateStore, tmp_path: Path
) -> None:
    chat = seed(state)
    assert count(state, answers) == 2 and count(state, seen_events) == 3
    assert Settings(_env_file=None).retention_days == 90

    worker = Worker(
        Settings(_env_file=None).worker_settings(),
        state,
        open_index(tmp_path / "index"),
        HashingEmbedding(),
        connectors={},
        retention=chat.prune,
    )
    worker.start()  # the retention job runs at start, then every few hours
    try:
        assert wait_until(lambda: count(state, seen_events) == 2, timeout=30)
    finally:
        worker.shutdown(wait=True)

    with state.engine.connect() as conn:
        questions = list(conn.execute(select(answers.c.question)).scalars())
        rated = list(
            conn.execute(
                select(answers.c.question).join(
                    answer_feedback, answer_feedback.c.answer_id == answers.c.id
                )
            ).scalars()
        )
        events = set(conn.execute(select(seen_events.c.event_key)).scalars())
    assert questions == [NEW_Q] and rated == [NEW_Q]
    assert OLD_Q not in [t[1] for t in chat.recent_turns("slack", "C1:old")]
    assert [t[1] for t in chat.recent_turns("slack", "C1:new")] == [NEW_Q]
    assert not chat.thread_answered("slack", "C1:old")
    assert chat.thread_answered("slack", "C1:new")
    assert events == {"Ev-two-hours-old", "Ev-just-now"}
    # a redelivery of a recent event is still recognised as a repeat
    assert not chat.remember_event("Ev-two-hours-old")


def test_a_shorter_retention_prunes_more(state: StateStore, tmp_path: Path) -> None:
    chat = seed(state)
    worker = Worker(
        worker_settings(retention_days=30),
        state,
        open_index(tmp_path / "index"),
        HashingEmbedding(),
        connectors={},
        retention=chat.prune,
    )
    removed = worker.prune()
    assert removed is not None
    assert removed["answers"] == 2, "120 and 45 days old"
    # the feedback goes with its answer (it names the answer, it copies nothing of it)
    assert removed["answer_feedback"] == 2 and removed["conversation_turns"] == 1
    assert removed["seen_events"] == 1
    assert count(state, answers) == 0
