"""The relevance gate: do the retrieved passages actually answer the question, or should
the bot say "I couldn't find this"? And does a message retrieve confidently on its own
(the follow-up decision in `dialogue.py` uses that)?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llama_index.core.schema import NodeWithScore

from bot.answering.extractive import scored_excerpt, terms
from connectors.chunk_metadata import ChunkMetadata, similarity
from connectors.chunking import strip_header

# words of how a question is asked, not of what it is about
_GENERIC = frozenset(
    "s t many much length far until now still ever here just also really please get got "
    "take put use keep give make know tell find want go come someth anyone anything "
    "company into through onto via hav gett m".split()
)


def key_terms(query: str) -> set[str]:
    """The question's words that say what it is about (`terms` less how it is asked)."""
    return {t for t in terms(query) if t not in _GENERIC}


@dataclass(frozen=True)
class Evidence:
    """What the gate weighs: how close the closest passage's meaning is (cosine, None
    when the retriever did not measure it), how many of the question's key words the
    best excerpt of the top three documents shows and what share of them that is, and
    what share of them the retrieved passages contain at all (a word the documentation
    never uses — "bitcoin", "IPO" — is a question it does not answer)."""

    similarity: float | None
    covered: int
    share: float
    found: float


def evidence(query: str, passages: Sequence[NodeWithScore]) -> Evidence:
    key = key_terms(query) or terms(query)
    covered: set[str] = set()
    seen: set[str] = set()
    for rank, hit in enumerate(passages):
        meta = ChunkMetadata.of(hit.node)
        body = strip_header(hit.node.get_content(), meta.title, list(meta.breadcrumbs))
        seen |= key & terms(hit.node.get_content())
        if rank < 3:
            shown = key & terms(scored_excerpt(body, query)[1])
            if len(shown) > len(covered):
                covered = shown
    measured = [s for s in (similarity(h.node) for h in passages) if s is not None]
    return Evidence(
        similarity=max(measured) if measured else None,
        covered=len(covered),
        share=len(covered) / len(key) if key else 0.0,
        found=len(seen) / len(key) if key else 0.0,
    )


# The relevance gate: a logistic score over two of the Evidence — the closest passage's
# cosine and the share of the question's key words the retrieved passages contain —
# answers when GATE_BIAS + GATE_W_SIMILARITY·cosine + GATE_W_FOUND·found >= 0.
# Calibrated on the labelled dev answer set (bot/eval_data/answers-dev.yaml): its 93
# single-turn English public questions (72 answerable, 21 not) split in two by
# alternating cases of each label; fitted on one half (36 + 11, class-balanced, L2 0.003),
# scored on the other (36 + 10): 33/36 answerable pass, 10/10 unanswerable refused (the
# fixed gate it replaces, covered words >= 2 and cosine >= 0.36: 33/36 and 9/10).
# `python -m bot.answering.gate_calibration` repeats the fit and prints both halves.
# The other features were tried and left out: the best excerpt's covered words and their
# share did not improve the held-out half (leave-one-out on the fitting half: 5 errors
# for cosine + found, 6-7 with the share, 8-10 on the cosine alone).
GATE_BIAS = -5.17
GATE_W_SIMILARITY = 2.68
GATE_W_FOUND = 6.19
# when the retriever did not measure a cosine (keyword-only search, no minimum), the
# words alone decide: the best excerpt shows at least two of the question's key words
GATE_MIN_TERMS = 2


def gate_score(found: Evidence) -> float | None:
    """The calibrated score (>= 0: the passages answer), None without a cosine."""
    if found.similarity is None:
        return None
    return GATE_BIAS + GATE_W_SIMILARITY * found.similarity + GATE_W_FOUND * found.found


def answers(query: str, passages: Sequence[NodeWithScore]) -> bool:
    """Whether the passages actually answer the question (see the calibration above)."""
    if not passages:
        return False
    found = evidence(query, passages)
    score = gate_score(found)
    if score is None:
        return found.covered >= min(GATE_MIN_TERMS, len(key_terms(query)) or 1)
    return score >= 0


def confident(query: str, passages: Sequence[NodeWithScore]) -> bool:
    """The message retrieves confidently on its own: the best passage covers most of its
    words (at least two, and at least 60%)."""
    wanted = terms(query)
    if not passages or len(wanted) < 2:
        return False
    body = passages[0].node.get_content()
    covered = len(wanted & terms(body))
    return covered >= 2 and covered / len(wanted) >= 0.6
