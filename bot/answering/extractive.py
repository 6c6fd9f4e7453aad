"""Extractive mode: pick the sentences of a passage that best match the question."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "me",
        "we",
        "our",
        "this",
        "that",
        "get",
        "have",
        "has",
        "there",
        "if",
        "about",
        "should",
        "would",
        "could",
    ]
)


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


def _is_heading(sentence: str) -> bool:
    return sentence.lstrip().startswith("#") or (
        len(sentence) < 60
        and not sentence.endswith((".", ":", "?", "!"))
        and "|" not in sentence
        and len(sentence.split()) < 6
    )


def scored_excerpt(passage: str, query: str, max_chars: int = 420) -> tuple[float, str]:
    """The window of consecutive sentences with the most query terms, within max_chars,
    and its score (distinct query terms matched; headings alone never win)."""
    sentences = [s.strip() for s in _SENTENCE.split(passage) if s.strip()]
    if not sentences:
        return 0.0, passage[:max_chars].strip()
    wanted = terms(query)
    best, best_score = sentences[0], -1.0
    for start in range(len(sentences)):
        if _is_heading(sentences[start]) and start + 1 < len(sentences):
            continue
        window = ""
        for end in range(start, len(sentences)):
            candidate = f"{window} {sentences[end]}".strip() if window else sentences[end]
            if len(candidate) > max_chars and window:
                break
            window = candidate
            hits = len(wanted & terms(window))
            # more matched terms first; then prefer fuller windows (more context)
            score = hits + 0.2 * min(len(window), max_chars) / max_chars
            if score > best_score:
                best, best_score = window, score
    best = re.sub(r"^#+\s*", "", best)
    if len(best) > max_chars:
        best = best[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return best_score, best


def best_excerpt(passage: str, query: str, max_chars: int = 420) -> str:
    return scored_excerpt(passage, query, max_chars)[1]
