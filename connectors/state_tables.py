"""The State store's tables (SQLAlchemy Core). `connectors.state` re-exports them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


documents = Table(
    "documents",
    metadata,
    Column("doc_id", String(512), primary_key=True),
    Column("source", String(64), nullable=False, index=True),
    Column("title", Text, nullable=False, default=""),
    Column("url", Text, nullable=False, default=""),
    Column("content_hash", String(64), nullable=False),
    Column("version", String(128)),
    Column("acl", JSON, nullable=False),
    Column("chunk_count", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True)),
    Column("dirty", Boolean, nullable=False, default=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False, index=True),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # running | succeeded | failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("total", Integer),
    Column("done", Integer, nullable=False, default=0),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("acl_updated", Integer, nullable=False, default=0),
    Column("chunks_embedded", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("failures", JSON, nullable=False, default=list),
    Column("notes", JSON, nullable=False, default=list),
)

memberships = Table(
    "memberships",
    metadata,
    Column("group_principal", String(512), primary_key=True),
    Column("member", String(512), primary_key=True, index=True),
    Column("source", String(64), nullable=False),
)

reindex_requests = Table(
    "reindex_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed
    Column("requested_by", String(256), nullable=False, default=""),
    Column("reply_to", JSON),  # where progress goes (platform-specific, opaque here)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("run_id", Integer),
    Column("error", Text),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(256), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# One row per (worker, source): the scheduler's next run time, refreshed on every poll
# tick; the row with source "*" says the worker is alive (connectors/schedule.py).
worker_schedule = Table(
    "worker_schedule",
    metadata,
    Column("owner", String(256), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("next_run_at", DateTime(timezone=True)),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
