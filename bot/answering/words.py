"""The words of a question and of the documentation, compared as a reader would: stop
words out, a light stemmer, everyday words mapped onto the documentation's ("vacation"
-> leave), and the documentation's words added to a search query (`expanded`)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it my of on or the to what "
    "when where which who why will with you your me we our this that get have has there "
    "if about should would could".split()
)


_HOW_TO = re.compile(
    r"\b(how (do|can|should) (i|we)|how to|what (do|should) i (need to )?do|steps)\b",
    re.IGNORECASE,
)


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
