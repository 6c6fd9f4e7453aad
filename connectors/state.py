"""The State store: everything but the vectors, in SQL (SQLite by default, any
SQLAlchemy URL such as PostgreSQL in production).

Tables: documents (what is indexed, its hash, ACL and a `dirty` flag), checkpoints,
sync_runs, group memberships, reindex requests, leases, feedback, answers, threads the
bot answered, Slack event ids seen, and recent conversation turns (Teams).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from connectors.base import Acl, KnownDoc

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

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("conversation", String(512), nullable=False),
    Column("message_id", String(256), nullable=False, default=""),
    Column("user_id", String(256), nullable=False),
    Column("rating", Integer, nullable=False),  # +1 / -1
    Column("question", Text, nullable=False, default=""),
    Column("answer", Text, nullable=False, default=""),
    Column("doc_ids", JSON, nullable=False, default=list),
    Column("comment", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

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


@dataclass(frozen=True)
class SyncRun:
    id: int
    source: str
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    total: int | None
    done: int
    added: int
    updated: int
    deleted: int
    unchanged: int
    failed: int
    acl_updated: int
    chunks_embedded: int
    error: str | None
    failures: list[dict[str, Any]]
    notes: list[str]

    @property
    def seconds(self) -> float:
        end = self.finished_at or utcnow()
        return max(0.0, (end - self.started_at).total_seconds())

    @staticmethod
    def from_row(row: Mapping[str, Any]) -> SyncRun:
        return SyncRun(
            id=row["id"],
            source=row["source"],
            mode=row["mode"],
            status=row["status"],
            started_at=_aware(row["started_at"]) or utcnow(),
            finished_at=_aware(row["finished_at"]),
            heartbeat_at=_aware(row["heartbeat_at"]),
            total=row["total"],
            done=row["done"],
            added=row["added"],
            updated=row["updated"],
            deleted=row["deleted"],
            unchanged=row["unchanged"],
            failed=row["failed"],
            acl_updated=row["acl_updated"],
            chunks_embedded=row["chunks_embedded"],
            error=row["error"],
            failures=list(row["failures"] or []),
            notes=list(row["notes"] or []),
        )


@dataclass(frozen=True)
class DocumentRow:
    doc_id: str
    source: str
    title: str
    url: str
    content_hash: str
    version: str | None
    acl: Acl
    chunk_count: int
    updated_at: datetime | None
    dirty: bool


class StateStore:
    """Thin typed access to the state tables. Safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ documents
    def known_documents(self, source: str) -> dict[str, KnownDoc]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    documents.c.doc_id,
                    documents.c.content_hash,
                    documents.c.version,
                    documents.c.acl,
                    documents.c.dirty,
                ).where(documents.c.source == source)
            ).mappings()
            return {
                r["doc_id"]: KnownDoc(
                    doc_id=r["doc_id"],
                    # a dirty row was interrupted mid-write: never trust its hash
                    content_hash="" if r["dirty"] else r["content_hash"],
                    version=None if r["dirty"] else r["version"],
                    acl=Acl.from_json(r["acl"]),
                )
                for r in rows
            }

    def document(self, doc_id: str) -> DocumentRow | None:
        with self.engine.connect() as conn:
            r = (
                conn.execute(select(documents).where(documents.c.doc_id == doc_id))
                .mappings()
                .first()
            )
        if r is None:
            return None
        return DocumentRow(
            doc_id=r["doc_id"],
            source=r["source"],
            title=r["title"],
            url=r["url"],
            content_hash=r["content_hash"],
            version=r["version"],
            acl=Acl.from_json(r["acl"]),
            chunk_count=r["chunk_count"],
            updated_at=_aware(r["updated_at"]),
            dirty=r["dirty"],
        )

    def mark_dirty(self, source: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Before touching the index for these documents: flag them (insert if new)."""
        if not rows:
            return
        now = utcnow()
        ids = [row["doc_id"] for row in rows]
        with self.engine.begin() as conn:
            existing = set(
                conn.execute(
                    select(documents.c.doc_id).where(documents.c.doc_id.in_(ids))
                ).scalars()
            )
            if existing:
                conn.execute(
                    update(documents).where(documents.c.doc_id.in_(existing)).values(dirty=True)
                )
            new = [
                {
                    "doc_id": row["doc_id"],
                    "source": source,
                    "title": row.get("title", ""),
                    "url": row.get("url", ""),
                    "content_hash": "",
                    "version": None,
                    "acl": row["acl"],
                    "chunk_count": 0,
                    "updated_at": row.get("updated_at"),
                    "dirty": True,
                    "synced_at": now,
                }
                for row in rows
                if row["doc_id"] not in existing
            ]
            if new:
                conn.execute(insert(documents), new)

    def commit_batch(
        self,
        source: str,
        upserts: Sequence[Mapping[str, Any]],
        acl_changes: Sequence[tuple[str, Acl]],
        version_changes: Sequence[tuple[str, str | None]],
        deletions: Sequence[str],
        checkpoint: str | None,
        run_id: int | None,
        counts: Mapping[str, int],
    ) -> None:
        """One transaction: document rows, the checkpoint and the run's counters."""
        now = utcnow()
        with self.engine.begin() as conn:
            gone = list({*deletions, *(row["doc_id"] for row in upserts)})
            for start in range(0, len(gone), 500):
                conn.execute(
                    delete(documents).where(documents.c.doc_id.in_(gone[start : start + 500]))
                )
            if upserts:
                conn.execute(
                    insert(documents),
                    [dict(row, source=source, dirty=False, synced_at=now) for row in upserts],
                )
            if acl_changes:
                conn.execute(
                    update(documents)
                    .where(documents.c.doc_id == bindparam("b_doc_id"))
                    .values(acl=bindparam("b_acl"), synced_at=now),
                    [{"b_doc_id": d, "b_acl": acl.to_json()} for d, acl in acl_changes],
                )
            if version_changes:
                conn.execute(
                    update(documents)
                    .where(documents.c.doc_id == bindparam("b_doc_id"))
                    .values(version=bindparam("b_version")),
                    [{"b_doc_id": d, "b_version": v} for d, v in version_changes],
                )
            if checkpoint is not None:
                _upsert_checkpoint(conn, source, checkpoint, now)
            if run_id is not None and counts:
                conn.execute(
                    update(sync_runs)
                    .where(sync_runs.c.id == run_id)
                    .values(heartbeat_at=now, **dict(counts))
                )

    def document_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents.c.source, func.count()).group_by(documents.c.source)
            ).all()
        return {str(s): int(n) for s, n in rows}

    def chunk_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents.c.source, func.sum(documents.c.chunk_count)).group_by(
                    documents.c.source
                )
            ).all()
        return {str(s): int(n or 0) for s, n in rows}

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self, source: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(checkpoints.c.value).where(checkpoints.c.source == source)
            ).scalar()
        return str(value) if value is not None else None

    def clear_checkpoint(self, source: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(checkpoints).where(checkpoints.c.source == source))

    # ------------------------------------------------------------------ sync runs
    def start_run(self, source: str, mode: str) -> int:
        now = utcnow()
        with self.engine.begin() as conn:
            res = conn.execute(
                insert(sync_runs).values(
                    source=source,
                    mode=mode,
                    status="running",
                    started_at=now,
                    heartbeat_at=now,
                    failures=[],
                    notes=[],
                )
            )
            return int(res.inserted_primary_key[0])  # type: ignore[index]

    def update_run(self, run_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run_id)
                .values(heartbeat_at=utcnow(), **values)
            )

    def finish_run(self, run_id: int, status: str, error: str | None = None, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == run_id)
                .values(status=status, error=error, finished_at=utcnow(), **values)
            )

    def interrupt_stale_runs(self, source: str, older_than: timedelta) -> int:
        """Runs still 'running' whose heartbeat stopped (a killed process) → 'interrupted'."""
        with self.engine.begin() as conn:
            res = conn.execute(
                update(sync_runs)
                .where(
                    sync_runs.c.source == source,
                    sync_runs.c.status == "running",
                    sync_runs.c.heartbeat_at < utcnow() - older_than,
                )
                .values(status="interrupted", finished_at=utcnow())
            )
            return int(res.rowcount or 0)

    def run(self, run_id: int) -> SyncRun | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sync_runs).where(sync_runs.c.id == run_id)).mappings().first()
        return SyncRun.from_row(dict(row)) if row else None

    def last_run(self, source: str, status: str | None = None) -> SyncRun | None:
        q = select(sync_runs).where(sync_runs.c.source == source)
        if status:
            q = q.where(sync_runs.c.status == status)
        with self.engine.connect() as conn:
            row = conn.execute(q.order_by(sync_runs.c.id.desc()).limit(1)).mappings().first()
        return SyncRun.from_row(dict(row)) if row else None

    def sources_with_runs(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sync_runs.c.source).distinct()).scalars().all()
        return sorted(str(r) for r in rows)

    # ------------------------------------------------------------------ memberships
    def replace_group_members(self, source: str, group: str, members: Iterable[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(memberships).where(memberships.c.group_principal == group))
            rows = [
                {"group_principal": group, "member": m, "source": source}
                for m in sorted(set(members))
            ]
            if rows:
                conn.execute(insert(memberships), rows)

    def groups_of(self, member_principals: Iterable[str]) -> frozenset[str]:
        members = list(member_principals)
        if not members:
            return frozenset()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(memberships.c.group_principal).where(memberships.c.member.in_(members))
            ).scalars()
            return frozenset(str(r) for r in rows)

    # ------------------------------------------------------------------ chat-side records
    def remember_event(self, event_key: str) -> bool:
        """True the first time `event_key` is seen, False for every repeat."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(seen_events).values(event_key=event_key, created_at=utcnow()))
            return True
        except IntegrityError:
            return False

    def prune_events(self, older_than: timedelta = timedelta(days=2)) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(seen_events).where(seen_events.c.created_at < utcnow() - older_than)
            )

    def mark_thread_answered(self, platform: str, conversation: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(answered_threads).values(
                        platform=platform, conversation=conversation, created_at=utcnow()
                    )
                )
        except IntegrityError:
            pass

    def thread_answered(self, platform: str, conversation: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(answered_threads.c.conversation).where(
                    answered_threads.c.platform == platform,
                    answered_threads.c.conversation == conversation,
                )
            ).first()
        return found is not None

    def claim_thread_notice(self, platform: str, conversation: str) -> bool:
        """True once per thread: for notices shown only the first time (external channels)."""
        self.mark_thread_answered(platform, conversation)
        with self.engine.begin() as conn:
            res = conn.execute(
                update(answered_threads)
                .where(
                    answered_threads.c.platform == platform,
                    answered_threads.c.conversation == conversation,
                    answered_threads.c.notice_shown.is_(False),
                )
                .values(notice_shown=True)
            )
            return bool(res.rowcount)

    def record_answer(
        self,
        platform: str,
        conversation: str,
        user_id: str,
        question: str,
        answer: str,
        doc_ids: Sequence[str],
        grounded: bool,
        mode: str,
        message_id: str = "",
    ) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(
                insert(answers).values(
                    platform=platform,
                    conversation=conversation,
                    message_id=message_id,
                    user_id=user_id,
                    question=question,
                    answer=answer,
                    doc_ids=list(doc_ids),
                    grounded=grounded,
                    mode=mode,
                    created_at=utcnow(),
                )
            )
            return int(res.inserted_primary_key[0])  # type: ignore[index]

    def answer_record(self, answer_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(answers).where(answers.c.id == answer_id)).mappings().first()
        return dict(row) if row else None

    def record_feedback(
        self,
        platform: str,
        conversation: str,
        user_id: str,
        rating: int,
        question: str,
        answer: str,
        doc_ids: Sequence[str],
        message_id: str = "",
        comment: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(feedback).values(
                    platform=platform,
                    conversation=conversation,
                    message_id=message_id,
                    user_id=user_id,
                    rating=rating,
                    question=question,
                    answer=answer,
                    doc_ids=list(doc_ids),
                    comment=comment,
                    created_at=utcnow(),
                )
            )

    def feedback_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r) for r in conn.execute(select(feedback).order_by(feedback.c.id)).mappings()
            ]

    def answer_stats(self, since: datetime) -> dict[str, int]:
        with self.engine.connect() as conn:
            n = conn.execute(
                select(func.count()).select_from(answers).where(answers.c.created_at >= since)
            ).scalar()
            up = conn.execute(
                select(func.count())
                .select_from(feedback)
                .where(feedback.c.created_at >= since, feedback.c.rating > 0)
            ).scalar()
            down = conn.execute(
                select(func.count())
                .select_from(feedback)
                .where(feedback.c.created_at >= since, feedback.c.rating < 0)
            ).scalar()
        return {"answers": int(n or 0), "up": int(up or 0), "down": int(down or 0)}

    def add_turn(
        self, platform: str, conversation: str, role: str, text: str, keep: int = 20
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(conversation_turns).values(
                    platform=platform,
                    conversation=conversation,
                    role=role,
                    text=text,
                    created_at=utcnow(),
                )
            )
            ids = (
                conn.execute(
                    select(conversation_turns.c.id)
                    .where(
                        conversation_turns.c.platform == platform,
                        conversation_turns.c.conversation == conversation,
                    )
                    .order_by(conversation_turns.c.id.desc())
                    .offset(keep)
                )
                .scalars()
                .all()
            )
            if ids:
                conn.execute(delete(conversation_turns).where(conversation_turns.c.id.in_(ids)))

    def recent_turns(
        self, platform: str, conversation: str, limit: int = 10
    ) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(conversation_turns.c.role, conversation_turns.c.text)
                .where(
                    conversation_turns.c.platform == platform,
                    conversation_turns.c.conversation == conversation,
                )
                .order_by(conversation_turns.c.id.desc())
                .limit(limit)
            ).all()
        return [(str(r), str(t)) for r, t in reversed(rows)]


def _upsert_checkpoint(conn: Any, source: str, value: str, now: datetime) -> None:
    res = conn.execute(
        update(checkpoints)
        .where(checkpoints.c.source == source)
        .values(value=value, updated_at=now)
    )
    if res.rowcount == 0:
        conn.execute(insert(checkpoints).values(source=source, value=value, updated_at=now))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)
