"""`AnswerEngine`: Question + permission scope → a streamed, cited `Answer`.

1. the search query: the question, or for a follow-up a standalone rewrite of it;
2. retrieval with the scope as a pre-filter (`ScopedRetriever`, hybrid);
3. nothing relevant → say so plainly (never guess);
4. Claude with `search_result` blocks and citations, streamed — or, with no
   ANTHROPIC_API_KEY, extractive mode: the best passages quoted with the same citations.

Adapters consume `stream()`: `TextDelta`s as they are generated, then one `Final`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import NodeWithScore
from llama_index.core.vector_stores.types import MetadataFilters

from bot import messages
from bot.answering.context import documents
from bot.answering.dialogue import amounts_as_written, combined_query, is_english, is_follow_up
from bot.answering.pieces import CitedPiece, TextPiece
from bot.answering.relevance import Evidence, confident, evidence, passes
from bot.answering.retrieval import ScopedRetriever
from bot.answering.selection import Excerpt, UnitEmbeddings, choose
from bot.answering.words import expanded
from bot.errors import IndexUnavailableError
from bot.models import Answer, Citation, PermissionScope, Question, Surface
from connectors.chunk_metadata import ChunkMetadata
from connectors.index import ChunkIndex, SearchMode
from connectors.state import StateStore

if TYPE_CHECKING:
    from bot.answering.claude import ClaudeGenerator
    from bot.answering.claude_lazy import LazyClaude

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Final:
    answer: Answer


AnswerEvent = TextDelta | Final


@dataclass(frozen=True)
class Weighed:
    """The relevance gate's evidence and the excerpts extractive mode would quote."""

    evidence: Evidence
    excerpts: list[Excerpt]

    @property
    def answers(self) -> bool:
        return passes(self.evidence)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class _Citations:
    """Numbers passages by document, in order of first citation."""

    def __init__(self, passages: Sequence[NodeWithScore]) -> None:
        self.passages = passages
        self.by_doc: dict[str, Citation] = {}

    def cite(self, index: int, quote: str) -> int | None:
        if not 0 <= index < len(self.passages):
            return None
        meta = ChunkMetadata.of(self.passages[index].node)
        doc_id = meta.doc_id
        if doc_id not in self.by_doc:
            self.by_doc[doc_id] = Citation(
                number=len(self.by_doc) + 1,
                title=meta.title,
                url=meta.url,
                quoted_text=quote.strip(),
                updated_at=_parse_time(meta.updated_at),
                source=meta.source,
                doc_id=doc_id,
            )
        return self.by_doc[doc_id].number

    def all(self) -> tuple[Citation, ...]:
        return tuple(sorted(self.by_doc.values(), key=lambda c: c.number))


class AnswerEngine:
    def __init__(
        self,
        index: ChunkIndex,
        embedder: BaseEmbedding,
        state: StateStore,
        generator: ClaudeGenerator | LazyClaude | None,
        top_k: int = 6,
        min_similarity: float = 0.3,
        support_hint: str = "#it-help",
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.state = state
        self.generator = generator
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.support_hint = support_hint
        self.unit_embeddings = UnitEmbeddings(embedder)

    @property
    def mode(self) -> str:
        return "claude" if self.generator else "extractive"

    # ------------------------------------------------------------------ scope
    def scope(self, question: Question) -> PermissionScope:
        """The permission scope follows from the question alone. Channels (and shared
        channels) see public documents only; a DM of a positively confirmed insider sees
        what the asker may read: their email, their domain and their groups. Anything
        less certain (a guest, a stranger, another tenant, no email) is public only."""
        asker = question.asker
        if (
            question.surface not in (Surface.DM, Surface.TERMINAL)
            or not question.insider
            or not asker.email
        ):
            return PermissionScope.public_only()
        base = PermissionScope.for_user(asker.email)
        groups = self.state.groups_of(base.principals)
        return PermissionScope(principals=base.principals | groups)

    def retriever(
        self,
        scope: PermissionScope,
        mode: SearchMode = SearchMode.HYBRID,
        *,
        restrict: MetadataFilters | None = None,
        min_similarity: float | None = None,
    ) -> ScopedRetriever:
        return ScopedRetriever(
            self.index,
            self.embedder,
            scope,
            top_k=self.top_k,
            mode=mode,
            min_similarity=self.min_similarity if min_similarity is None else min_similarity,
            restrict=restrict,
        )

    # ------------------------------------------------------------------ answering
    async def search_query(self, question: Question) -> str:
        """With Claude: a follow-up, or a question not in English, is rewritten into a
        standalone English search query (the corpus language)."""
        text = question.text.strip()
        history = [t for t in question.thread_history if t.text.strip()]
        if self.generator is not None and (history or not is_english(text)):
            return await self.generator.rewrite_query(text, history)
        return text

    async def search(
        self,
        question: Question,
        scope: PermissionScope,
        *,
        restrict: MetadataFilters | None = None,
        min_similarity: float | None = None,
    ) -> tuple[str, list[NodeWithScore]]:
        """The search query and its passages. Without an LLM a message is searched on its
        own first; it is read with the previous question only when it opens with a
        connective, or refers back / is too short and does not retrieve confidently alone."""
        query = amounts_as_written(await self.search_query(question))
        passages = await self.retrieve(
            query, scope, restrict=restrict, min_similarity=min_similarity
        )
        history = [t for t in question.thread_history if t.text.strip()]
        if self.generator is None and history and is_follow_up(query, confident(query, passages)):
            combined = amounts_as_written(combined_query(query, history))
            passages = await self.retrieve(
                combined, scope, restrict=restrict, min_similarity=min_similarity
            )
            query = combined
        elif (
            history
            and is_follow_up(question.text, False)
            and not (await self.weigh(query, passages, scope)).answers
        ):
            # a rewrite that did not resolve the follow-up: read it with the previous question
            combined = amounts_as_written(combined_query(question.text, history))
            retried = await self.retrieve(
                combined, scope, restrict=restrict, min_similarity=min_similarity
            )
            if (await self.weigh(combined, retried, scope)).answers:
                query, passages = combined, retried
        return query, passages

    async def weigh(
        self, query: str, passages: Sequence[NodeWithScore], scope: PermissionScope
    ) -> Weighed:
        """What the passages show for the query, and whether that answers it."""
        return await asyncio.to_thread(self.weigh_now, query, passages, scope)

    def weigh_now(
        self, query: str, passages: Sequence[NodeWithScore], scope: PermissionScope
    ) -> Weighed:
        if not passages:
            return Weighed(evidence(query, passages, None), [])
        docs = documents(self.index, passages, scope.principals)
        excerpts = choose(query, docs, self.unit_embeddings)
        return Weighed(evidence(query, passages, excerpts[0] if excerpts else None), excerpts)

    async def retrieve(
        self,
        query: str,
        scope: PermissionScope,
        *,
        restrict: MetadataFilters | None = None,
        min_similarity: float | None = None,
    ) -> list[NodeWithScore]:
        retriever = self.retriever(scope, restrict=restrict, min_similarity=min_similarity)
        try:
            return await asyncio.to_thread(retriever.retrieve, expanded(query))
        except Exception as exc:
            log.exception("retrieval failed")
            raise IndexUnavailableError(messages.INDEX_UNAVAILABLE, log_detail=str(exc)) from exc

    async def stream(
        self,
        question: Question,
        *,
        restrict: MetadataFilters | None = None,
        min_similarity: float | None = None,
    ) -> AsyncIterator[AnswerEvent]:
        """`restrict`: a help channel's sources, ANDed with the permission scope (which
        still wins); `min_similarity`: a stricter relevance bar (unprompted answers)."""
        if self.generator is None and not is_english(question.text):
            text = messages.ENGLISH_ONLY.format(support_hint=self.support_hint)
            yield TextDelta(text)
            yield Final(Answer(text=text, grounded=False, mode=self.mode))
            return
        scope = await asyncio.to_thread(self.scope, question)
        query, passages = await self.search(
            question, scope, restrict=restrict, min_similarity=min_similarity
        )
        log.info(
            "answer question conv=%s query_len=%d passages=%d scope=%s restricted=%s",
            question.conversation,
            len(query),
            len(passages),
            "public" if scope.is_public_only else "user",
            restrict is not None,
        )
        weighed = await self.weigh(query, passages, scope)
        if not weighed.answers:
            text = not_found_text(passages, self.support_hint)
            yield TextDelta(text)
            yield Final(Answer(text=text, grounded=False, mode=self.mode, search_query=query))
            return
        if self.generator is None:
            answer = extractive_answer(
                query, passages, self.mode, weighed.excerpts, self.support_hint
            )
            yield TextDelta(answer.text)
            yield Final(answer)
            return
        citations = _Citations(passages)
        parts: list[str] = []
        async for piece in self.generator.stream(question.text, question.thread_history, passages):
            if isinstance(piece, TextPiece):
                parts.append(piece.text)
                yield TextDelta(piece.text)
            elif isinstance(piece, CitedPiece):
                numbers: list[int] = []
                for index, quote in piece.citations:
                    number = citations.cite(index, quote)
                    if number is not None and number not in numbers:
                        numbers.append(number)
                marker = "".join(f"[{n}]" for n in sorted(numbers))
                if marker:
                    marker = " " + marker if parts and not parts[-1].endswith(" ") else marker
                    parts.append(marker)
                    yield TextDelta(marker)
        cited = citations.all()
        yield Final(
            Answer(
                text="".join(parts).strip(),
                citations=cited,
                grounded=bool(cited),
                mode=self.mode,
                search_query=query,
            )
        )

    async def answer(self, question: Question) -> Answer:
        final: Answer | None = None
        async for event in self.stream(question):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None
        return final


def not_found_text(passages: Sequence[NodeWithScore], support_hint: str) -> str:
    """ "I couldn't find this", with the nearest pages as places to look, never quoted."""
    text = messages.NO_ANSWER.format(support_hint=support_hint)
    titles: list[str] = []
    for hit in passages:
        title = ChunkMetadata.of(hit.node).title
        if title and title not in titles:
            titles.append(title)
    if not titles:
        return text
    return "\n".join([text, "", messages.NO_ANSWER_NEAREST, *(f"• {t}" for t in titles[:3])])


def extractive_answer(
    query: str,
    passages: Sequence[NodeWithScore],
    mode: str,
    excerpts: Sequence[Excerpt],
    support_hint: str = "#it-help",
) -> Answer:
    """The parts of the retrieved documents that answer the question (`selection.choose`:
    a procedure whole, a row with its header), quoted as written with their citations."""
    if not excerpts:
        text = not_found_text(passages, support_hint)
        return Answer(text=text, grounded=False, mode=mode, search_query=query)
    citations = _Citations(passages)
    lines = [messages.EXTRACTIVE_INTRO, ""]
    for excerpt in excerpts:
        number = citations.cite(excerpt.passage, excerpt.text)
        quoted = excerpt.text.replace("\n", "\n> ")
        lines.append(f"> {quoted} [{number}]")
        lines.append("")
    return Answer(
        text="\n".join(lines).strip(),
        citations=citations.all(),
        grounded=True,
        mode=mode,
        search_query=query,
    )
