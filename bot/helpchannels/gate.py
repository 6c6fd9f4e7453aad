"""Should the bot try to answer this channel message unprompted? The cheap decision in
front of the answering engine, platform-neutral (the adapter fills `ChannelMessage`).

It tries only for a new top-level message from a person, in a channel whose settings
have auto-answer on, that reads as a question, from someone who has not had
`per_minute` auto-answers in the last minute. Whether anything is then *posted* is the
answer's business: only a grounded answer is, otherwise at most an ephemeral offer to
ask a person. The rate limit lives in the state store (`rate_limit.py`), so every web
replica counts the same answers; when it cannot be read, nothing is auto-answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.helpchannels.channels import ChannelSettings, ChannelSettingsLookup
from bot.helpchannels.detector import detect
from bot.helpchannels.rate_limit import AutoAnswerRateLimit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelMessage:
    channel_id: str
    user_id: str
    text: str
    from_bot: bool  # any bot or app, the helpdesk itself included
    is_new_message: bool  # False for edits, deletions, joins and other system events
    is_top_level: bool  # False for a reply in a thread


@dataclass(frozen=True)
class GateDecision:
    answer: bool
    reason: str
    settings: ChannelSettings | None = None


class AutoAnswerGate:
    def __init__(
        self,
        lookup: ChannelSettingsLookup,
        per_minute: int = 3,
        clock: Callable[[], float] = time.time,
        limiter: AutoAnswerRateLimit | None = None,
    ) -> None:
        """`limiter` defaults to one on the settings' own database (the state store)."""
        self.lookup = lookup
        self.limiter = limiter or AutoAnswerRateLimit(lookup.repository.engine, per_minute, clock)

    def decide(self, message: ChannelMessage) -> GateDecision:
        if message.from_bot:
            return GateDecision(False, "from a bot")
        if not message.is_new_message:
            return GateDecision(False, "not a new message")
        if not message.is_top_level:
            return GateDecision(False, "thread reply")
        settings = self.lookup.get(message.channel_id)
        if settings is None or not settings.auto_answer:
            return GateDecision(False, "auto-answer off", settings)
        detection = detect(message.text)
        if not detection.is_question:
            return GateDecision(False, f"not a question ({detection.reason})", settings)
        if not self._take(message.user_id):
            return GateDecision(False, "rate limited", settings)
        return GateDecision(True, detection.reason, settings)

    def _take(self, user_id: str) -> bool:
        try:
            return self.limiter.take(user_id)
        except SQLAlchemyError:  # fail closed: no unprompted answer without the shared count
            log.warning("auto-answer rate limit unavailable user=%s", user_id, exc_info=True)
            return False
