"""The auto-answer rate limit ("never the same person more than a few times a minute"),
kept in the state store so every `helpdesk serve` replica counts the same answers.

Each person has `per_minute` slots (`auto_answer_slots`); taking an auto-answer claims
a slot that is free — never used, or last used a minute or more ago. A claim is one
statement that only one replica can win: an INSERT on the (person, slot) primary key,
or an UPDATE whose WHERE still requires the old time (both SQLite and PostgreSQL
re-check it on the row they lock). So at most `per_minute` auto-answers per person in
any 60 seconds, however many replicas answer. Rows of people who stopped asking are
deleted now and then (`PRUNE_EVERY`).

Fail closed: when the state store cannot be reached the gate does not answer
unprompted (the asker can still @mention the bot).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.helpchannels.tables import auto_answer_slots, create_tables

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
PRUNE_EVERY = 600.0  # seconds between deletions of slots unused for a window


class AutoAnswerRateLimit:
    """Typed access to `auto_answer_slots` (no SQL on it lives elsewhere)."""

    def __init__(
        self,
        engine: Engine,
        per_minute: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.per_minute = per_minute
        self.clock = clock  # wall-clock seconds: replicas compare each other's times
        self._lock = threading.Lock()
        self._pruned_at: float | None = None
        create_tables(engine)

    def take(self, user_key: str) -> bool:
        """Claim one auto-answer for `user_key`; False when they had `per_minute` in the
        last minute (on any replica)."""
        now = self.clock()
        stale = now - WINDOW_SECONDS
        t = auto_answer_slots
        self._prune(now)
        with self.engine.connect() as conn:
            used = dict(
                conn.execute(select(t.c.slot, t.c.taken_at).where(t.c.user_key == user_key)).all()
            )
        for slot in range(self.per_minute):
            taken_at = used.get(slot)
            if taken_at is not None and taken_at > stale:
                continue  # in use this minute
            if self._claim(user_key, slot, taken_at, now):
                return True
        return False

    def _claim(self, user_key: str, slot: int, seen: float | None, now: float) -> bool:
        t = auto_answer_slots
        if seen is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(t).values(user_key=user_key, slot=slot, taken_at=now))
                return True
            except IntegrityError:  # another replica claimed it first
                return False
        with self.engine.begin() as conn:
            res = conn.execute(
                update(t)
                .where(t.c.user_key == user_key, t.c.slot == slot, t.c.taken_at == seen)
                .values(taken_at=now)
            )
        return bool(res.rowcount)

    def reset(self) -> None:
        """Forget every count: everyone may be auto-answered again at once."""
        with self.engine.begin() as conn:
            conn.execute(delete(auto_answer_slots))

    def _prune(self, now: float) -> None:
        with self._lock:
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
                return
            self._pruned_at = now
        with self.engine.begin() as conn:
            res = conn.execute(
                delete(auto_answer_slots).where(auto_answer_slots.c.taken_at <= now - PRUNE_EVERY)
            )
        if res.rowcount:
            log.debug("auto-answer rate limit: %d idle slots deleted", res.rowcount)
