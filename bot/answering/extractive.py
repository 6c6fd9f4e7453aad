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
    r"rate|deadline|budget|days?|hours?|how far|how early|ahead|advance)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it my of on or the to what "
    "when where which who why will with you your me we our this that get have has there "
    "if about should would could".split()
)


_STEP = re.compile(r"^\d+[.)]\s")
_LINK_LINE = re.compile(r"^[-*]?\s*\[[^\]]*\]\([^)]*\)\s*$", re.MULTILINE)
_HOW_TO = re.compile(
    r"\b(how (do|can|should) (i|we)|how to|what (do|should) i (need to )?do|steps)\b",
    re.IGNORECASE,
)
MAX_PROCEDURE_CHARS = 1400
MAX_ROW_CHARS = 200


def is_how_to(question: str) -> bool:
    """Asks for a procedure ("how do I…", "what do I need to do"), not a quantity."""
    return bool(_HOW_TO.search(question)) and not re.search(
        r"\bhow (many|much|long|often)\b", question, re.IGNORECASE
    )


# everyday words mapped onto the words the documentation uses ("vacation" → leave)
_SYNONYMS = {
    "vacation": "leave",
    "holiday": "leave",
    "pto": "leave",
    "ill": "sick",
    "sickness": "sick",
    "maternity": "parental",
    "paternity": "parental",
    "ahead": "advance",
    "early": "advance",
    "macbook": "mac",
    "macos": "mac",
    "euro": "€",
    "euros": "€",
    "salary": "pay",
    "paid": "pay",
    "need": "require",
    "long": "length",
    "log": "sign",
    "must": "require",
    "required": "require",
    "requirement": "require",
    "server": "gateway",
    "setup": "install",
    "grandmother": "grandparent",
    "grandfather": "grandparent",
    "grandma": "grandparent",
    "grandpa": "grandparent",
    "died": "bereavement",
    "passed": "bereavement",
    "funeral": "bereavement",
    "death": "bereavement",
    "telephone": "phone",
    "hotline": "phone",
    "pr": "pull",
    "annual": "year",
    "yearly": "year",
    "daily": "day",
    "trip": "travel",
    "referring": "referral",
    "refer": "referral",
}

# everyday words and the documentation's word for them, added to the search query so
# that retrieval finds the page that never uses the asker's word ("maternity leave"
# is in "Parental leave policy")
_SEARCH_SYNONYMS = {
    "maternity": "parental",
    "paternity": "parental",
    "vacation": "annual leave",
    "pto": "annual leave",
    "grandmother": "bereavement",
    "grandfather": "bereavement",
    "funeral": "bereavement",
    "died": "bereavement",
    "passed away": "bereavement",
    "macbook": "mac",
    "hotline": "phone",
}
_SEARCH_WORDS = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in _SEARCH_SYNONYMS) + r")\b", re.IGNORECASE
)


def expanded(query: str) -> str:
    """The search query with the documentation's words for the asker's everyday ones."""
    added = []
    for match in _SEARCH_WORDS.finditer(query):
        word = _SEARCH_SYNONYMS[match.group(1).lower()]
        if word not in added and word.lower() not in query.lower():
            added.append(word)
    return f"{query} ({', '.join(added)})" if added else query


_SUFFIXES = ("ings", "ing", "ies", "ied", "es", "ed", "al", "s")
_VOWELS = frozenset("aeiouy")


def _stem(word: str) -> str:
    """A light stemmer: inflections and a trailing e off, a doubled last consonant
    single ("referring", "referral", "refer" -> "refer"; "hired", "hire" -> "hir")."""
    if not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _VOWELS | {"s", "l"}:
        word = word[:-1]
    return word


def _norm(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    return _SYNONYMS.get(_stem(word), _stem(word))


def terms(text: str) -> set[str]:
    return {_norm(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


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


def _weights(parts: list[str], wanted: set[str]) -> dict[str, float]:
    """A question word found on few lines of the passage says more than one found on
    most of them (an IDF over the passage's lines)."""
    bags = [terms(p) for p in parts]
    out = {}
    for t in wanted:
        df = sum(1 for b in bags if t in b)
        out[t] = 1.0 + 1.0 / max(df, 1)  # between 1 and 2: comparable across passages
    return out


def scored_excerpt(passage: str, query: str, max_chars: int = 360) -> tuple[float, str]:
    """The best window of consecutive units of one section within max_chars, and its
    score: the question words it covers (rarer ones in the passage weigh more; its
    section heading counts too), a bonus for a number when the question asks for a
    quantity, less for every extra line. A heading alone never wins over its content."""
    parts = units(passage)
    if not parts:
        return 0.0, passage[:max_chars].strip()
    wanted = terms(query)
    weight = _weights(parts, wanted)
    wants_number = bool(_QUANTITY_QUESTION.search(query))
    section: list[int | None] = []
    current: int | None = None
    for i, unit in enumerate(parts):
        if _is_heading(unit):
            current = i
        section.append(current)
    # a table row is read with its header row, like a line with its section heading
    table_head: list[int | None] = []
    for i, unit in enumerate(parts):
        if not unit.startswith("|"):
            table_head.append(None)
        elif i > 0 and parts[i - 1].startswith("|"):
            table_head.append(table_head[i - 1])
        else:
            table_head.append(i)

    def core(first: int, last: int, weight: dict[str, float] = weight) -> float:
        body = [_LINK_LINE.sub("", parts[i]) for i in range(first, last + 1)]
        shown = list(body)
        head = table_head[first]
        if head is not None and head != first:  # shown with the rows
            shown.append(parts[head])
        covered = wanted & terms("\n".join(shown))
        score = sum(weight[t] for t in covered) - 0.0005 * sum(len(b) for b in shown)
        head = section[first]
        if covered and head is not None and head != first:  # context for a line that matches
            score += sum(weight[t] for t in (wanted & terms(parts[head])) - covered)
        if wants_number and any(_DIGIT.search(b) for b in body if not b.startswith("#")):
            score += 1.0
        return score - 0.05 * (last - first)

    best_score, best_span = -1.0, (0, 0)
    for start in range(len(parts)):
        if _is_heading(parts[start]) and start + 1 < len(parts):
            continue
        size = 0
        for end in range(start, len(parts)):
            unit = parts[end]
            if end > start and (size + len(unit) + 1 > max_chars or _is_heading(unit)):
                break
            size += len(unit) + 1
            score = core(start, end)
            if score > best_score:
                best_score, best_span = score, (start, end)
    start, end = best_span
    # the chosen lines' score without the passage-relative weights, comparable across passages
    best_score = core(start, end, dict.fromkeys(wanted, 1.0))
    if is_how_to(query):
        steps = procedure(parts, start, end)
        if steps:  # the more complete copy of a procedure wins (chunk boundaries)
            return best_score + 0.01 * steps.count("\n"), steps
    # rows that tie on the header's words: show the rows above too, while they fit
    top = table_head[start]
    while (
        top is not None
        and top < start - 1
        and sum(len(parts[i]) + 1 for i in range(start - 1, end + 1)) <= max_chars
    ):
        start -= 1
    best = with_table_header(parts, start, end)
    if len(best) > max_chars + MAX_ROW_CHARS:
        best = best[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return best_score, best


def procedure(parts: list[str], start: int, end: int) -> str | None:
    """A how-to answer: the numbered procedure the window touches (or that follows the
    heading it matched), whole, under its heading."""
    headings = [i for i in range(start, end + 1) if _is_heading(parts[i])]
    # the last heading the window matched decides which procedure it is about
    begin = headings[-1] if headings else start
    first = next((i for i in range(begin, end + 1) if _STEP.match(parts[i])), None)
    if first is None and headings:
        first = next(
            (i for i in range(end + 1, min(end + 4, len(parts))) if _STEP.match(parts[i])), None
        )
        if first is not None and any(_is_heading(parts[i]) for i in range(end + 1, first)):
            first = None
    if first is None:
        first = next((i for i in range(start, end + 1) if _STEP.match(parts[i])), None)
    if first is None:
        # the window ends at or inside the lead-in of a section: its steps follow
        first = next(
            (i for i in range(end + 1, min(end + 4, len(parts))) if _STEP.match(parts[i])), None
        )
        if first is None or any(_is_heading(parts[i]) for i in range(end + 1, first)):
            return None
    while first > 0 and _STEP.match(parts[first - 1]):
        first -= 1
    last = first
    while last + 1 < len(parts) and _STEP.match(parts[last + 1]):
        last += 1
    heading = next((parts[i] for i in range(first - 1, -1, -1) if _is_heading(parts[i])), "")
    lines = ([heading] if heading else []) + parts[first : last + 1]
    out: list[str] = []
    for line in lines:
        if out and sum(len(x) + 1 for x in out) + len(line) > MAX_PROCEDURE_CHARS:
            break
        out.append(line)
    return "\n".join(out)


def with_table_header(parts: list[str], start: int, end: int) -> str:
    """The window, with its table's header row when it quotes rows without it."""
    window = parts[start : end + 1]
    if not window[0].startswith("|"):
        return "\n".join(window)
    top = start
    while top > 0 and parts[top - 1].startswith("|"):
        top -= 1
    if top < start:
        window = [parts[top], *window]
    return "\n".join(window)


def best_excerpt(passage: str, query: str, max_chars: int = 360) -> str:
    return scored_excerpt(passage, query, max_chars)[1]
