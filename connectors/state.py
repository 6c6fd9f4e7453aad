"""The State store: everything but the vectors, in SQL (SQLite by default, any
SQLAlchemy URL such as PostgreSQL in production).

Tables (`connectors.state_tables`, re-exported here): documents (what is indexed, its
hash, ACL and a `dirty` flag), checkpoints, sync_runs, group memberships, reindex
requests, leases and the workers' schedule. `StateStore` is the one repository over
them: no SQL on these tables lives outside it (memberships in connectors/memberships.py,
leases, reindex requests and the schedule in connectors/state_coordination.py, forgetting
a source in connectors/state_removal.py).
The chat side's records (answers, feedback, turns, threads, seen deliveries) are not
here: `bot/` owns them (`bot.conversation.store`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from connectors import messages
from connectors.base import Acl, KnownDoc
from connectors.memberships import Memberships
from connectors.state_coordination import CoordinationRows
from connectors.state_removal import SourceRemoval
from connectors.state_tables import (
    _aware,
    checkpoints,
    documents,
    leases,
    memberships,
    metadata,
    reindex_requests,
    sync_runs,
    utcnow,
    worker_schedule,
)
from connectors.store_errors import StoreUnreachableError, failure_reason, redact_url, url_secrets

__all__ = [
    "DocumentRow",
    "StateStore",
    "SyncRun",
    "checkpoints",
    "documents",
    "leases",
    "memberships",
    "metadata",
    "reindex_requests",
    "sync_runs",
    "utcnow",
    "worker_schedule",
]


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


class StateStore(Memberships, CoordinationRows, SourceRemoval):
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
            return
        try:
            metadata.create_all(self.engine)
        except DBAPIError as exc:  # refused, unknown host, bad login, no such database
            self.engine.dispose()
            raise StoreUnreachableError(
                messages.STATE_DATABASE_UNREACHABLE.format(
                    url=redact_url(url), reason=failure_reason(exc, url_secrets(url))
                )
            ) from exc

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
                    documents.c.url,
                ).where(documents.c.source == source)
            ).mappings()
            return {
                r["doc_id"]: KnownDoc(
                    doc_id=r["doc_id"],
                    # a dirty row was interrupted mid-write: never trust its hash
                    content_hash="" if r["dirty"] else r["content_hash"],
                    version=None if r["dirty"] else r["version"],
                    acl=Acl.from_json(r["acl"]),
                    url=str(r["url"] or ""),
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

    def document_urls(self, source: str) -> dict[str, str]:
        """doc id -> stored URL of every indexed document of `source`."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(documents.c.doc_id, documents.c.url).where(documents.c.source == source)
            ).all()
        return {str(d): str(u or "") for d, u in rows}

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

    def last_settled_run(self, source: str, before: int | None = None) -> SyncRun | None:
        """The source's latest run that ended succeeded, partial or failed (interrupted
        and running ones aside), older than run `before` when given."""
        q = select(sync_runs).where(
            sync_runs.c.source == source,
            sync_runs.c.status.in_(("succeeded", "partial", "failed")),
        )
        if before is not None:
            q = q.where(sync_runs.c.id < before)
        with self.engine.connect() as conn:
            row = conn.execute(q.order_by(sync_runs.c.id.desc()).limit(1)).mappings().first()
        return SyncRun.from_row(dict(row)) if row else None

    def sources_with_runs(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sync_runs.c.source).distinct()).scalars().all()
        return sorted(str(r) for r in rows)


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
