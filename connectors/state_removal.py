"""Forgetting a source in the State store (mixed into `StateStore`).

`helpdesk forget SOURCE` (connectors/sync_job.py, `SyncJob.forget`) removes a source that
is no longer configured: its chunks from the index first, then here, in one transaction,
every row the sync side keeps for it — documents, checkpoint, runs, group memberships,
reindex requests and workers' schedule rows — so `status` no longer lists it and a
source configured again later starts with a full first sync.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, select

from connectors.state_tables import (
    checkpoints,
    documents,
    memberships,
    reindex_requests,
    sync_runs,
    worker_schedule,
)


class SourceRemoval:
    engine: Engine

    def source_documents(self, source: str) -> tuple[int, int]:
        """(documents, chunks) the state knows of `source`."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.sum(documents.c.chunk_count)).where(
                    documents.c.source == source
                )
            ).one()
        return int(row[0] or 0), int(row[1] or 0)

    def forget_source(self, source: str) -> None:
        """One transaction: every row of `source` in the sync tables."""
        with self.engine.begin() as conn:
            for table in (
                documents,
                checkpoints,
                sync_runs,
                memberships,
                reindex_requests,
                worker_schedule,
            ):
                conn.execute(delete(table).where(table.c.source == source))
