"""The chat store's tables (SQLAlchemy Core), on the same database as the sync state
(`DATABASE_URL`) but owned by `bot/`: answers, feedback on them, conversation turns,
threads the bot answered and delivery ids seen."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def utcnow() -> datetime:
    return datetime.now(UTC)


answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("conversation", String(512), nullable=False, index=True),
    Column("message_id", String(256), nullable=False, default=""),
    Column("user_id", String(256), nullable=False, default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("doc_ids", JSON, nullable=False, default=list),
    Column("grounded", Boolean, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# 👍/👎 on an answer: references the answer, copies nothing of it
answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "answer_id",
        Integer,
        ForeignKey("answers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("user_id", String(256), nullable=False),
    Column("rating", Integer, nullable=False),  # +1 / -1
    Column("comment", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

answered_threads = Table(
    "answered_threads",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("conversation", String(512), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("notice_shown", Boolean, nullable=False, default=False),
)

seen_events = Table(
    "seen_events",
    metadata,
    Column("event_key", String(256), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

conversation_turns = Table(
    "conversation_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("conversation", String(512), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# "Ask a person" on an answer: one hand-off per answer (the first click claims it);
# the gap report counts escalated questions
escalations = Table(
    "escalations",
    metadata,
    Column(
        "answer_id",
        Integer,
        ForeignKey("answers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", String(256), nullable=False),
    Column("ticket", String(256)),  # the ticket key, when one was created
    Column("target", Text),  # where the hand-off was posted otherwise
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)
