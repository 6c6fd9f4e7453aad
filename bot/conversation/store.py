"""`ChatStore`: the conversation service's records — delivery ids seen, threads the bot
answered, answers, feedback on answers and recent turns — in `bot.conversation.tables`,
on the state database's SQLAlchemy engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.conversation.legacy import migrate_old_feedback
from bot.conversation.tables import (
    answer_feedback,
    answered_threads,
    answers,
    conversation_turns,
    escalations,
    metadata,
    seen_events,
    utcnow,
)


class ChatStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)
        migrate_old_feedback(engine)

    # ------------------------------------------------------------------ deliveries
    def remember_event(self, event_key: str) -> bool:
        """True the first time `event_key` is seen, False for every repeat."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(seen_events).values(event_key=event_key, created_at=utcnow()))
            return True
        except IntegrityError:
            return False

    def prune(self, keep: timedelta, keep_events: timedelta = timedelta(days=1)) -> dict[str, int]:
        """Retention (run by the worker, RETENTION_DAYS): delete answers, the feedback on
        them, conversation turns and answered-thread records older than `keep`, and seen
        delivery ids older than `keep_events` (Slack retries an event for minutes, not
        days). Returns the rows removed per table."""
        now = utcnow()
        removed: dict[str, int] = {}
        old_answers = select(answers.c.id).where(answers.c.created_at < now - keep)
        with self.engine.begin() as conn:
            res = conn.execute(
                delete(answer_feedback).where(
                    (answer_feedback.c.created_at < now - keep)
                    | answer_feedback.c.answer_id.in_(old_answers)
                )
            )
            removed[answer_feedback.name] = res.rowcount
            res = conn.execute(
                delete(escalations).where(
                    (escalations.c.created_at < now - keep)
                    | escalations.c.answer_id.in_(old_answers)
                )
            )
            removed[escalations.name] = res.rowcount
            for table in (answers, conversation_turns, answered_threads):
                res = conn.execute(delete(table).where(table.c.created_at < now - keep))
                removed[table.name] = res.rowcount
            res = conn.execute(
                delete(seen_events).where(seen_events.c.created_at < now - keep_events)
            )
            removed[seen_events.name] = res.rowcount
        return removed

    # ------------------------------------------------------------------ threads
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

    def thread_handed_off(self, platform: str, conversation: str) -> bool:
        """True when someone asked a person about an answer in this thread."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(escalations.c.answer_id)
                .join(answers, answers.c.id == escalations.c.answer_id)
                .where(answers.c.platform == platform, answers.c.conversation == conversation)
                .limit(1)
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

    # ------------------------------------------------------------------ answers
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

    def set_answer_message(self, answer_id: int, message_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(answers).where(answers.c.id == answer_id).values(message_id=message_id)
            )

    def answer_record(self, answer_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(answers).where(answers.c.id == answer_id)).mappings().first()
        return dict(row) if row else None

    def answer_by_message(self, platform: str, message_id: str) -> dict[str, Any] | None:
        """The latest answer sent as `message_id` on `platform` (feedback arrives by id)."""
        if not message_id:
            return None
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(answers)
                    .where(answers.c.platform == platform, answers.c.message_id == message_id)
                    .order_by(answers.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def answers(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [
                dict(r) for r in conn.execute(select(answers).order_by(answers.c.id)).mappings()
            ]

    # ------------------------------------------------------------------ feedback
    def record_feedback(
        self, answer_id: int, user_id: str, rating: int, comment: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(answer_feedback).values(
                    answer_id=answer_id,
                    user_id=user_id,
                    rating=rating,
                    comment=comment,
                    created_at=utcnow(),
                )
            )

    def feedback_rows(self) -> list[dict[str, Any]]:
        """Each vote with the answer it is about (platform, conversation, question,
        answer, doc_ids, message_id joined from `answers`)."""
        query = (
            select(
                answer_feedback,
                answers.c.platform,
                answers.c.conversation,
                answers.c.message_id,
                answers.c.question,
                answers.c.answer,
                answers.c.doc_ids,
            )
            .join(answers, answers.c.id == answer_feedback.c.answer_id)
            .order_by(answer_feedback.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def answer_stats(self, since: datetime) -> dict[str, int]:
        with self.engine.connect() as conn:
            n = conn.execute(
                select(func.count()).select_from(answers).where(answers.c.created_at >= since)
            ).scalar()
            up = conn.execute(
                select(func.count())
                .select_from(answer_feedback)
                .where(answer_feedback.c.created_at >= since, answer_feedback.c.rating > 0)
            ).scalar()
            down = conn.execute(
                select(func.count())
                .select_from(answer_feedback)
                .where(answer_feedback.c.created_at >= since, answer_feedback.c.rating < 0)
            ).scalar()
        return {"answers": int(n or 0), "up": int(up or 0), "down": int(down or 0)}

    def answers_for_review(self, since: datetime) -> list[dict[str, Any]]:
        """The answers given since `since`, and older ones that got a 👎 or were handed
        to a person since then (the knowledge-gap report), oldest first; each row also
        has `disliked` and `escalated` (bool)."""
        with self.engine.connect() as conn:
            disliked = set(
                conn.execute(
                    select(answer_feedback.c.answer_id).where(
                        answer_feedback.c.created_at >= since, answer_feedback.c.rating < 0
                    )
                ).scalars()
            )
            escalated = set(
                conn.execute(
                    select(escalations.c.answer_id).where(escalations.c.created_at >= since)
                ).scalars()
            )
            rows = conn.execute(
                select(answers)
                .where(
                    (answers.c.created_at >= since)
                    | answers.c.id.in_(disliked)
                    | answers.c.id.in_(escalated)
                )
                .order_by(answers.c.id)
            ).mappings().all()  # fmt: skip
        return [
            {
                **row,
                "disliked": row["id"] in disliked,
                "escalated": row["id"] in escalated,
            }
            for row in rows
        ]

    # ------------------------------------------------------------------ escalations
    def claim_escalation(self, answer_id: int, user_id: str) -> bool:
        """True for the first hand-off of an answer, False when it was already asked."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(escalations).values(
                        answer_id=answer_id, user_id=user_id, created_at=utcnow()
                    )
                )
            return True
        except IntegrityError:
            return False

    def finish_escalation(self, answer_id: int, ticket: str | None, target: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(escalations)
                .where(escalations.c.answer_id == answer_id)
                .values(ticket=ticket, target=target)
            )

    def escalations(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(escalations).order_by(escalations.c.created_at))
            return [dict(r) for r in rows.mappings()]

    # ------------------------------------------------------------------ turns
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
