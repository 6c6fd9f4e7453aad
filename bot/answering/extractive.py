"""Extractive mode: pick the lines of a passage that best answer the question.

A passage is cut into units — markdown lines (headings, list items, table rows) and the
sentences of longer paragraphs — and the window of consecutive units that covers the
most question terms wins. Line breaks are kept, so tables and lists stay readable.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\[(])")
_WORD = re.compile(r"[a-z0-9]+")
_DIGIT = re.compile(r"\d")
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|often|soon)|when|what time|what date|limit|allowance|cost|price|"
    r"rate|deadline|budget|days?|hours?)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it my of on or the to what "
    "when where which who why will with you your me we our this that get have has there "
    "if about should would could".split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


def units(passage: str) -> list[str]:
    """Markdown lines; a long prose line is split into its sentences."""
    out: list[str] = []
    for raw in passage.splitlines():
        line = raw.strip()
        if not line or set(line) <= set("|-: "):  # blank lines and table rulers
            continue
        if len(line) > 200 and not line.startswith(("|", "#")):
            out.extend(s.strip() for s in _SENTENCE.split(line) if s.strip())
        else:
            out.append(line)
    return out


def _is_heading(unit: str) -> bool:
    return unit.startswith("#")


def scored_excerpt(passage: str, query: str, max_chars: int = 360) -> tuple[float, str]:
    """The best window of consecutive units within max_chars, and its score: distinct
    question terms covered, a bonus for a number when the question asks for a quantity,
    and a little for fuller context. A heading alone never wins over its content."""
    parts = units(passage)
    if not parts:
        return 0.0, passage[:max_chars].strip()
    wanted = terms(query)
    wants_number = bool(_QUANTITY_QUESTION.search(query))

    def core(text: str) -> float:
        bonus = 0.5 if wants_number and _DIGIT.search(text) else 0.0
        return len(wanted & terms(text)) + bonus

    best, best_score, best_span = parts[0], -1.0, (0, 0)
    for start in range(len(parts)):
        if _is_heading(parts[start]) and start + 1 < len(parts):
            continue
        window: list[str] = []
        size = 0
        for end in range(start, len(parts)):
            unit = parts[end]
            if window and size + len(unit) + 1 > max_chars:
                break
            window.append(unit)
            size += len(unit) + 1
            text = "\n".join(window)
            score = core(text) + 0.1 * min(size, max_chars) / max_chars
            if score > best_score:
                best, best_score, best_span = text, score, (start, end)
    start, end = best_span
    # drop leading units that add nothing the rest does not already cover
    while start < end and core("\n".join(parts[start + 1 : end + 1])) >= core(best):
        start += 1
        best = "\n".join(parts[start : end + 1])
    while end > start and _is_heading(parts[end]):  # a trailing heading introduces nothing
        end -= 1
        best = "\n".join(parts[start : end + 1])
    if len(best) > max_chars:
        best = best[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return best_score, best


def best_excerpt(passage: str, query: str, max_chars: int = 360) -> str:
    return scored_excerpt(passage, query, max_chars)[1]
