"""Should the bot try to answer this channel message unprompted? The cheap decision in
front of the answering engine, platform-neutral (the adapter fills `ChannelMessage`).

It tries only for a new top-level message from a person, in a channel whose settings
have auto-answer on, that reads as a question, from someone who has not had
`per_minute` auto-answers in the last minute. Whether anything is then *posted* is the
answer's business: only a grounded answer is, otherwise at most an ephemeral offer to
ask a person. The rate limit is per process (per web replica).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.helpchannels.channels import ChannelSettings, ChannelSettingsLookup
from bot.helpchannels.detector import detect


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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lookup = lookup
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}

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
        now = self.clock()
        with self._lock:
            recent = self._recent.setdefault(user_id, deque())
            while recent and now - recent[0] >= 60.0:
                recent.popleft()
            if len(recent) >= self.per_minute:
                return False
            recent.append(now)
            if len(self._recent) > 10_000:  # forget idle users
                for uid in [u for u, q in self._recent.items() if not q or now - q[-1] >= 60]:
                    del self._recent[uid]
            return True
