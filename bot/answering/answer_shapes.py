"""The shape of the answer a question asks for, and whether a line has it.

"What's the IT hotline?" wants a phone number, "how much is the per-diem?" an amount,
"how long is parental leave?" a duration, "how long must a password be?" a size; a
question with an amount ("who approves 5000?") is answered by the line whose range holds
it ("€1,000–€10,000"). Extractive mode gives lines of the asked-for shape a bonus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_QUANTITY = re.compile(
    r"\b(how (many|much|long|often|soon|far)|what time|what date|limit|allowance|cost|price|"
    r"rate|deadline|budget|days?|hours?|ahead|advance|minimum|maximum|max|min)\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_MARKER = re.compile(r"^\d+[.)]\s")  # a numbered step's number is not a quantity
_NUMBER = re.compile(r"\d[\d,.]*")
_RANGE = re.compile(
    r"[€$£]?\s?(\d[\d,.]*)\s?(k\b)?\s*(?:–|—|-|to)\s*[€$£]?\s?(\d[\d,.]*)\s?(k\b)?", re.IGNORECASE
)
_OPEN_RANGE = re.compile(
    r"\b(up to|under|below|less than|over|above|more than|from)\s+[€$£]?\s?(\d[\d,.]*)\s?(k\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AnswerType:
    asks: re.Pattern[str]
    shows: re.Pattern[str]


_ANSWER_TYPES = (
    AnswerType(  # a phone number
        re.compile(r"\b(phone|call|hotline|telephone|ring|dial)\b", re.IGNORECASE),
        re.compile(r"\+?\d[\d ()-]{7,}\d"),
    ),
    AnswerType(  # an e-mail address
        re.compile(r"\b(e-?mail|mail address|mailbox|contact address)\b", re.IGNORECASE),
        re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    ),
    AnswerType(  # an amount of money
        re.compile(
            r"\b(how much|cost|costs|price|budget|allowance|rate|rates|pay|paid|reimburs\w*|"
            r"per.?diem|stipend|bonus|compensation|expense limit|spend)\b",
            re.IGNORECASE,
        ),
        re.compile(r"[€$£]\s?\d|\d\s?(eur|euro|usd|gbp)\b", re.IGNORECASE),
    ),
    AnswerType(  # a duration or a count of days
        re.compile(
            r"\b(how long|how many (days|weeks|months|hours|years|minutes)|how soon|"
            r"how far in advance|how much notice|notice period|within how|how quickly)\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b\d+(\.\d+)?\s*(working |business |calendar )?"
            r"(days?|weeks?|months?|hours?|years?|minutes?)\b",
            re.IGNORECASE,
        ),
    ),
    AnswerType(  # a size or a count
        re.compile(
            r"\b(how (long|many|big|large)|minimum|maximum|at least|at most|max|min)\b", re.I
        ),
        re.compile(
            r"\b\d+\s*(characters?|chars|digits?|letters|words|pages|people|guests|persons|"
            r"attempts|times|devices|monitors|screens|approvals?|reviewers?|gb|mb|tb)\b",
            re.IGNORECASE,
        ),
    ),
    AnswerType(  # a time of day or opening hours
        re.compile(r"\b(what time|opening hours|open|opens|closes|when does|until when)\b", re.I),
        re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?(am|pm)\b", re.IGNORECASE),
    ),
)


def asked_types(question: str) -> list[AnswerType]:
    """The answer shapes the question asks for (often none)."""
    return [t for t in _ANSWER_TYPES if t.asks.search(question)]


def shows(types: Sequence[AnswerType], text: str) -> bool:
    return any(t.shows.search(text) for t in types)


def asks_quantity(question: str) -> bool:
    return bool(_QUANTITY.search(question))


def has_number(text: str) -> bool:
    """A number in the line, not counting a numbered step's own number."""
    return bool(_DIGIT.search(_MARKER.sub("", text)))


def numbers(text: str) -> list[float]:
    out = []
    for raw in _NUMBER.findall(text):
        value = to_number(raw, None)
        if value is not None:
            out.append(value)
    return out


def to_number(raw: str, thousands: str | None) -> float | None:
    cleaned = raw.rstrip(".,").replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value * 1000 if thousands else value


def in_range(text: str, wanted: list[float]) -> bool:
    """The unit states a range ("€1,000–€5,000", "up to 3 days") the question's number
    falls in."""
    for lo_raw, lo_k, hi_raw, hi_k in _RANGE.findall(text):
        lo, hi = to_number(lo_raw, lo_k), to_number(hi_raw, hi_k)
        if lo is not None and hi is not None and any(lo <= w <= hi for w in wanted):
            return True
    for word, raw, k in _OPEN_RANGE.findall(text):
        bound = to_number(raw, k)
        if bound is None:
            continue
        below = word.lower() in ("up to", "under", "below", "less than")
        if any((w <= bound) if below else (w >= bound) for w in wanted):
            return True
    return False
