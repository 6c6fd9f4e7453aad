"""The composition root: builds the state store, index, embedder and answer engine
from the settings, once, and hands them to the CLI, the server and the worker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llama_index.core.embeddings import BaseEmbedding

from bot.answering.claude_lazy import LazyClaude
from bot.answering.engine import AnswerEngine
from bot.conversation.handoff import HandOff
from bot.conversation.helpchannel import HelpChannels
from bot.conversation.service import ConversationService
from bot.conversation.store import ChatStore
from bot.helpchannels.channels import ChannelSettingsLookup, ChannelSettingsRepository
from bot.helpchannels.tickets import TicketSettings
from bot.settings import Settings
from connectors.embedder import make_embedder
from connectors.index import ChunkIndex, open_configured_index
from connectors.no_telemetry import disable_library_telemetry
from connectors.state import StateStore
from connectors.sync import SyncEngine

if TYPE_CHECKING:
    from bot.answering.claude import ClaudeGenerator

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    state: StateStore
    index: ChunkIndex
    embedder: BaseEmbedding
    engine: AnswerEngine
    chat: ChatStore
    conversation: ConversationService
    channels: ChannelSettingsRepository
    handoff: HandOff

    def sync_engine(self) -> SyncEngine:
        return SyncEngine(self.index, self.state, self.embedder)


def build_services(
    settings: Settings,
    *,
    embedder: BaseEmbedding | None = None,
    anthropic_http_client: Any = None,
    tickets: TicketSettings | None = None,
) -> Services:
    disable_library_telemetry()  # every process that answers or syncs builds these
    generator = None
    if settings.anthropic_api_key is not None and settings.anthropic_api_key.get_secret_value():
        # `import anthropic` takes about a second: it runs in a background thread while
        # the state, the index and the embedding model open (and the question is embedded)
        generator = LazyClaude(lambda: _claude(settings, anthropic_http_client))
    settings.helpdesk_data_dir.mkdir(parents=True, exist_ok=True)
    state = StateStore(settings.state_url)
    index = open_configured_index(settings)
    embedder = embedder or make_embedder(settings.embedder, settings.embedding_model_dir)
    engine = AnswerEngine(
        index,
        embedder,
        state,
        generator,
        top_k=settings.retrieval_top_k,
        min_similarity=settings.retrieval_min_score,
        support_hint=settings.support_hint,
    )
    chat = ChatStore(state.engine)
    channels = ChannelSettingsRepository(state.engine)
    lookup = ChannelSettingsLookup(channels)
    conversation = ConversationService(
        engine,
        chat,
        allow_external_channels=settings.allow_external_channels,
        help_channels=HelpChannels(lookup, state.document_urls),
        auto_answer_min_score=settings.auto_answer_min_score,
    )
    handoff = HandOff(
        chat,
        lookup,
        tickets or TicketSettings(),
        default_targets={"slack": settings.slack_escalation_mention},
    )
    return Services(settings, state, index, embedder, engine, chat, conversation, channels, handoff)


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
