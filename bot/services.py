"""The composition root: the one place that builds the process from the settings.

settings → state store, index, embedder (each opened once, here, on first use) →
answer engine → services (conversation, admin, hand-off, help-channel settings) and the
sync side (connectors, the sync job, the worker). `helpdesk serve`, `worker`, `chat`,
`ask`, `status`, `sync`, `channels` and `gaps` call `build_services` and take what they
need from the result; none of them opens the state, the index or the embedder, or builds
a worker or a connector, itself.

The chat side is built on first use: a process that only syncs (`helpdesk sync`,
`helpdesk worker`) never builds the answer engine or imports the Claude SDK.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from llama_index.core.embeddings import BaseEmbedding

from bot.answering.claude_lazy import LazyClaude
from bot.answering.engine import AnswerEngine
from bot.conversation.helpchannel import HelpChannels
from bot.conversation.service import ConversationService
from bot.conversation.store import ChatStore
from bot.helpchannels.channels import ChannelSettingsLookup, ChannelSettingsRepository
from bot.settings import Settings
from connectors.embedder import make_embedder
from connectors.index import ChunkIndex, open_configured_index
from connectors.leases import make_owner
from connectors.no_telemetry import disable_library_telemetry
from connectors.registry import configured_sources, connector_factories
from connectors.state import StateStore
from connectors.sync import SyncEngine
from connectors.sync_job import ConnectorFactory, SyncJob

if TYPE_CHECKING:  # HandOff (httpx), TicketSettings (httpx), Worker (APScheduler): built on
    # first use, so `helpdesk ask` never imports what only serve/worker need (start time)
    from bot.admin import AdminCommands
    from bot.answering.claude import ClaudeGenerator
    from bot.answering.claude_process import ClaudeWorker
    from bot.conversation.handoff import HandOff
    from bot.helpchannels.tickets import TicketSettings
    from connectors.worker import Worker

log = logging.getLogger(__name__)

ClaudeFactory = Callable[[], "ClaudeGenerator"]


class Services:
    """Everything one process uses, built once from the settings."""

    def __init__(
        self,
        settings: Settings,
        state: StateStore,
        index: Callable[[], ChunkIndex],
        embedder: Callable[[], BaseEmbedding],
        *,
        claude: ClaudeFactory | None = None,
        generator: LazyClaude | None = None,
        tickets: TicketSettings | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self._open_index = index
        self._load_embedder = embedder
        self._claude = claude
        self._generator = generator
        self._tickets = tickets

    @cached_property
    def index(self) -> ChunkIndex:
        """Opened on first use: a command that only reads settings rows (`helpdesk
        channels list`) neither creates the embedded index nor connects to Weaviate."""
        return self._open_index()

    @cached_property
    def embedder(self) -> BaseEmbedding:
        """Loaded on first use (the model takes a fraction of a second to load)."""
        return self._load_embedder()

    # ------------------------------------------------------------------ sync side
    @property
    def sources(self) -> list[str]:
        """The configured sources, in the order they sync."""
        return configured_sources(self.settings)

    def connectors(self, names: list[str] | None = None) -> dict[str, ConnectorFactory]:
        """How each source's connector is built (default: every configured source)."""
        return connector_factories(self.settings, names)

    def sync_engine(self) -> SyncEngine:
        return SyncEngine(self.index, self.state, self.embedder)

    def sync_job(self, owner: str | None = None) -> SyncJob:
        """One leased sync of one source: what the worker runs, and `helpdesk sync`."""
        return SyncJob(
            self.state,
            self.index,
            self.embedder,
            owner=owner or make_owner(),
            lease_seconds=self.settings.worker_lease_seconds,
        )

    def worker(self, connectors: dict[str, ConnectorFactory] | None = None, **kw: Any) -> Worker:
        """The sync scheduler on this process's state and index (`helpdesk worker`, or
        embedded in `helpdesk serve`); it prunes the chat store too. `connectors`
        overrides the configured sources (tests feed in-memory ones)."""
        from connectors.worker import Worker

        return Worker(
            self.settings.worker_settings(),
            self.state,
            self.index,
            self.embedder,
            connectors=self.connectors() if connectors is None else connectors,
            retention=self.chat.prune,
            **kw,
        )

    # ------------------------------------------------------------------ chat side
    @cached_property
    def engine(self) -> AnswerEngine:
        generator = self._generator
        if generator is None and self._claude is not None:
            generator = LazyClaude(self._claude)
        settings = self.settings
        return AnswerEngine(
            self.index,
            self.embedder,
            self.state,
            generator,
            top_k=settings.retrieval_top_k,
            min_similarity=settings.retrieval_min_score,
            support_hint=settings.support_hint,
        )

    @cached_property
    def chat(self) -> ChatStore:
        return ChatStore(self.state.engine)

    @cached_property
    def channels(self) -> ChannelSettingsRepository:
        return ChannelSettingsRepository(self.state.engine)

    @cached_property
    def _channel_lookup(self) -> ChannelSettingsLookup:
        return ChannelSettingsLookup(self.channels)

    @cached_property
    def conversation(self) -> ConversationService:
        return ConversationService(
            self.engine,
            self.chat,
            allow_external_channels=self.settings.allow_external_channels,
            help_channels=HelpChannels(self._channel_lookup, self.state.document_urls),
            auto_answer_min_score=self.settings.auto_answer_min_score,
        )

    @cached_property
    def handoff(self) -> HandOff:
        from bot.conversation.handoff import HandOff
        from bot.helpchannels.tickets import TicketSettings

        return HandOff(
            self.chat,
            self._channel_lookup,
            self._tickets or TicketSettings(),
            allowed_here=self.conversation.allowed_here,
            default_targets={"slack": self.settings.slack_escalation_mention},
        )

    @cached_property
    def admin(self) -> AdminCommands:
        """The admin commands both chat adapters call."""
        from bot.admin import AdminCommands  # it builds on these services

        return AdminCommands(self)

    def close(self) -> None:
        self.state.dispose()


def build_services(
    settings: Settings,
    *,
    answering: bool = True,
    embedder: BaseEmbedding | None = None,
    anthropic_http_client: Any = None,
    tickets: TicketSettings | None = None,
    claude_worker: ClaudeWorker | None = None,
    connect_index: bool = False,
) -> Services:
    """`answering=False` for a process that only syncs: the chat side is then built only
    if something asks for it. `connect_index=True` for a process that uses the index:
    a remote one (Weaviate) is connected to first, so an unreachable Weaviate or state
    database (`StoreUnreachableError`) stops the process before anything is written."""
    disable_library_telemetry()  # every process that answers or syncs builds these
    claude: ClaudeFactory | None = None
    if settings.anthropic_api_key is not None and settings.anthropic_api_key.get_secret_value():

        def claude() -> ClaudeGenerator:
            return _claude(settings, anthropic_http_client)

    # `import anthropic` takes over a second: in `claude_worker`'s process when the caller
    # started one (`helpdesk ask`/`chat`), else in a background thread (see claude_lazy)
    generator = LazyClaude(claude, claude_worker) if answering and claude is not None else None
    remote_index = (
        open_configured_index(settings.index_settings())
        if connect_index and settings.weaviate_url
        else None
    )
    state = StateStore(settings.state_url)  # a server: connected to before any mkdir
    settings.helpdesk_data_dir.mkdir(parents=True, exist_ok=True)

    def index() -> ChunkIndex:
        return remote_index or open_configured_index(settings.index_settings())

    def load_embedder() -> BaseEmbedding:
        return embedder or make_embedder(settings.embedder, settings.embedding_model_dir)

    return Services(
        settings, state, index, load_embedder, claude=claude, generator=generator, tickets=tickets
    )


def _claude(settings: Settings, http_client: Any) -> ClaudeGenerator:
    from bot.answering.claude import ClaudeGenerator, make_client  # imports anthropic

    assert settings.anthropic_api_key is not None
    client = make_client(
        settings.anthropic_api_key.get_secret_value(),
        settings.anthropic_base_url,
        settings.anthropic_timeout_seconds,
        settings.anthropic_max_retries,
        http_client=http_client,
    )
    return ClaudeGenerator(
        client,
        settings.anthropic_model,
        settings.anthropic_max_tokens,
        settings.company_name,
        settings.support_hint,
    )
