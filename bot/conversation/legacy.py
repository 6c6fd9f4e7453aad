"""Start-up migration of chat records written by earlier versions.

Before the chat store moved to `bot/`, 👍/👎 lived in a `feedback` table that copied the
answer (platform, conversation, message id, question, answer text, cited doc ids) into
every vote. Today a vote is an `answer_feedback` row naming its answer by id. Opening an
older database moves each old vote to the answer it was about — by the answer's message
id, else by the same conversation, question and answer text — and, when that answer is
no longer stored (retention), keeps the vote with an answer record rebuilt from what the
vote copied, so nothing is lost. The old table is then dropped, in the same transaction:
running it again finds nothing to do."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    RowMapping,
    Table,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from bot.conversation.tables import answer_feedback, answers

log = logging.getLogger(__name__)

OLD_FEEDBACK = "feedback"
# an answer rebuilt from an old vote: which mode wrote it is not known
REBUILT_MODE = "unknown"


def migrate_old_feedback(engine: Engine) -> int:
    """Move the rows of an old `feedback` table into `answer_feedback` and drop it.
    Returns the number of votes moved (0 when there is no old table)."""
    if not inspect(engine).has_table(OLD_FEEDBACK):
        return 0
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # a second process waits, then finds none
                conn.execute(text(f"LOCK TABLE {OLD_FEEDBACK} IN ACCESS EXCLUSIVE MODE"))
            old = Table(OLD_FEEDBACK, MetaData(), autoload_with=conn)
            rows = conn.execute(select(old).order_by(old.c.id)).mappings().all()
            for row in rows:
                conn.execute(
                    insert(answer_feedback).values(
                        answer_id=_answer_of(conn, row),
                        user_id=row["user_id"],
                        rating=row["rating"],
                        comment=row["comment"],
                        created_at=row["created_at"],
                    )
                )
            old.drop(conn)
    except DBAPIError:
        # another process starting at the same time migrated it first (its transaction
        # dropped the table under ours, and ours rolled back): nothing left to do
        if not inspect(engine).has_table(OLD_FEEDBACK):
            return 0
        raise
    log.info("moved %d old feedback rows to %s", len(rows), answer_feedback.name)
    return len(rows)


def _answer_of(conn: Connection, row: RowMapping) -> int:
    """The id of the answer an old vote was about, rebuilt from the vote if it is gone."""
    platform, message_id = row["platform"], row["message_id"] or ""
    if message_id:
        found = conn.execute(
            select(answers.c.id)
            .where(answers.c.platform == platform, answers.c.message_id == message_id)
            .order_by(answers.c.id.desc())
            .limit(1)
        ).scalar()
        if found is not None:
            return int(found)
    found = conn.execute(
        select(answers.c.id)
        .where(
            answers.c.platform == platform,
            answers.c.conversation == row["conversation"],
            answers.c.question == (row["question"] or ""),
            answers.c.answer == (row["answer"] or ""),
        )
        .order_by(answers.c.id.desc())
        .limit(1)
    ).scalar()
    if found is not None:
        return int(found)
    doc_ids = _doc_ids(row["doc_ids"])
    res = conn.execute(
        insert(answers).values(
            platform=platform,
            conversation=row["conversation"],
            message_id=message_id,
            user_id="",  # the vote names who voted, not who asked
            question=row["question"] or "",
            answer=row["answer"] or "",
            doc_ids=doc_ids,
            grounded=bool(doc_ids),
            mode=REBUILT_MODE,
            created_at=row["created_at"],
        )
    )
    return int(res.inserted_primary_key[0])  # type: ignore[index]


def _doc_ids(value: Any) -> list[str]:
    """The copied doc ids: a JSON list (a string where the column was reflected as text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [str(v) for v in value] if isinstance(value, list) else []
