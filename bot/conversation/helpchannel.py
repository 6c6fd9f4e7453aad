"""Help channels in the conversation service: whether an unaddressed channel message
should be auto-answered (`AutoAnswerGate`), and the index filter of a channel's
sources (`source_restriction`), cached with the channel settings.

The restriction is ANDed with the permission scope inside the index query, so it can
only narrow an answer. A channel with `confluence:SPACEKEY` sources is resolved to that
space's documents from the state store, re-read with the settings (at most every
`CACHE_SECONDS`): a page synced since then joins at the next refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from llama_index.core.vector_stores.types import MetadataFilters

from bot.conversation.inbound import InboundMessage
from bot.helpchannels.channels import (
    CACHE_SECONDS,
    ChannelSettings,
    ChannelSettingsLookup,
    SourceSpec,
)
from bot.helpchannels.gate import AutoAnswerGate, ChannelMessage, GateDecision
from bot.helpchannels.scope import DocumentUrls, source_restriction


class HelpChannels:
    def __init__(
        self,
        lookup: ChannelSettingsLookup,
        document_urls: DocumentUrls,
        *,
        gate: AutoAnswerGate | None = None,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lookup = lookup
        self.document_urls = document_urls
        self.gate = gate or AutoAnswerGate(lookup)
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._filters: dict[str, tuple[float, tuple[SourceSpec, ...], MetadataFilters | None]] = {}

    def settings(self, channel_id: str | None) -> ChannelSettings | None:
        return self.lookup.get(channel_id) if channel_id else None

    def decide(self, msg: InboundMessage) -> GateDecision:
        """Should this unaddressed channel message be answered unprompted? (Blocking:
        may read the settings table.)"""
        if not msg.channel_id:
            return GateDecision(False, "not a channel")
        return self.gate.decide(
            ChannelMessage(
                channel_id=msg.channel_id,
                user_id=msg.asker.user_id,
                text=msg.text,
                from_bot=False,  # adapters deliver only people's new messages
                is_new_message=True,
                is_top_level=not msg.in_thread,
            )
        )

    def restriction(self, channel_id: str | None) -> MetadataFilters | None:
        """The index filter of the channel's sources; None: every source. (Blocking.)"""
        settings = self.settings(channel_id)
        if settings is None or not settings.sources or not channel_id:
            return None
        now = self.clock()
        with self._lock:
            cached = self._filters.get(channel_id)
            if cached and cached[1] == settings.sources and now - cached[0] < self.ttl:
                return cached[2]
        filters = source_restriction(settings.sources, self.document_urls).filters
        with self._lock:
            self._filters[channel_id] = (now, settings.sources, filters)
        return filters
