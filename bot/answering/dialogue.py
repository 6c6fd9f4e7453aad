"""Per message, without an LLM: is it English, and is it a follow-up or a new question?

Language: a cheap check on function words — English ones against those of the other
languages employees write in (Dutch, German, French, Spanish, Portuguese, Italian) —
plus accented letters English does not use.

Follow-up: a message is read together with the previous question only when it is
elliptical or refers back ("and for contractors?", "what about Linux?", "does it carry
over?") and, searched on its own, it does not already find a confident answer. A
self-contained new question ("I lost my phone with Okta Verify, how do I log in?") is
searched on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Turn

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENGLISH = frozenset(
    "the a an and or of to in on for with is are do does did can could how what when where "
    "which who why my i me we our you your it this that there get have has be will should "
    "would many much long after before about from at by if not no any".split()
)
_OTHER = frozenset(
    # nl
    "de het een en van ik je jij wij mijn hoe wat wanneer waar hoeveel krijg kan kun mag "
    "moet niet met voor naar ook zijn heb heeft bij zonder dagen jaar "
    # de
    "der die das und ich du wir mein meine wie was wann wo wieviel viele habe hat kann "
    "muss nicht mit für zu ist sind bei ohne im jahr tage "
    # fr
    "le la les un une et je tu nous mon ma mes comment quoi quand où combien est sont "
    "pour avec pas dans sur du des au est-ce "
    # es / pt / it
    "el los las y yo mi cómo qué cuándo dónde cuánto cuántos tengo puedo para con por es "
    "son del o eu meu minha como quando onde quanto quantos quantas tenho posso com não "
    "é são da do dos il lo gli io che quanti ho posso sono per"
    "".split()
)
_ACCENTS = re.compile(r"[àâäáãçéèêëíìîïñóòôöõúùûüß¿¡œ]", re.IGNORECASE)

_CONNECTIVE = re.compile(
    r"^\s*(and|or|but|also|plus|what about|how about|same for|same with|what if|then|"
    r"so|ok(ay)?,? and|and what about|and if|and for|and in|and the)\b",
    re.IGNORECASE,
)
_REFERRING = re.compile(
    r"\b(it|that|this|they|them|those|these|there|one|same|instead|else|too|either)\b",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"[a-z0-9]+", re.IGNORECASE)
_FUNCTION = _ENGLISH | frozenset(
    "am was were been being its it's i'm what's there's then so ok okay just also too "
    "else one same instead either".split()
)


def is_english(text: str) -> bool:
    """False only when the message clearly reads as another language."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return True
    english = sum(w in _ENGLISH for w in words)
    other = sum(w in _OTHER and w not in _ENGLISH for w in words)
    other += len(_ACCENTS.findall(text))
    return not (other >= 2 and other > english)


def content_words(text: str) -> list[str]:
    return [w for w in _CONTENT.findall(text.lower()) if w not in _FUNCTION]


def previous_question(history: Sequence[Turn]) -> str:
    return next((t.text for t in reversed(history) if t.role == "user" and t.text.strip()), "")


def looks_elliptical(text: str) -> bool:
    """Starts with a connective, or refers back, or is too short to stand alone."""
    if _CONNECTIVE.search(text):
        return True
    return bool(_REFERRING.search(text)) or len(content_words(text)) <= 2


def is_follow_up(text: str, standalone_confident: bool) -> bool:
    """Decided per message: a connective opening ("and for…", "what about…") is always a
    follow-up; otherwise a message that finds a confident answer on its own is a new
    question, and one that does not is a follow-up only when it refers back or is too
    short to stand alone."""
    if _CONNECTIVE.search(text):
        return True
    if standalone_confident:
        return False
    return looks_elliptical(text)


# Reading a follow-up with the previous question. "and for Paris?" after "what's the per
# diem for London?" changes one slot of it: the standalone question is the previous one
# with that slot replaced ("what's the per diem for Paris?"), not both cities at once.
# The slot is a prepositional phrase of the same kind (a place, an amount, whom it is for,
# a platform) or, for a bare name ("what about linux?"), the object of the previous
# question's named or last such phrase. Anything else ("does it carry over?") is read
# together with the previous question.
_LEAD = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|then|and|or|but|also|plus)\b[\s,]*)*"
    r"(?:(?:what|how) about|what if|and if|if|same (?:for|with)|what happens if)?\s*"
    r"(?:(?:it|that|this|they|we|i|you)(?:'s|’s|'re|’re|'m|’m|\s+(?:is|are|am|was|were))\s+)?",
    re.IGNORECASE,
)
_FAMILIES = {
    "place": frozenset("in at from to outside inside within abroad near".split()),
    "amount": frozenset("above over under below beyond of".split()),
    "whom": frozenset("for as".split()),
    "platform": frozenset("on with".split()),
}
_FAMILY = {word: name for name, words in _FAMILIES.items() for word in words}
_NUMBER = re.compile(r"\d")
_SLOT_STOP = re.compile(r"[?!.,;:]")
_NOT_A_SLOT = frozenset(
    "do does did is are was were can could should would will have has get it its i my "
    "me we you there not".split()
)


def _phrases(words: list[str]) -> list[tuple[int, int]]:
    """The prepositional phrases of a question: (start, end) word spans, the preposition
    first, up to the next preposition or the end of the clause."""
    spans: list[tuple[int, int]] = []
    for i, word in enumerate(words):
        if word.lower() not in _FAMILY or i + 1 >= len(words):
            continue
        end = i + 1
        while end < len(words) and words[end].lower() not in _FAMILY:
            end += 1
            if _SLOT_STOP.search(words[end - 1]):
                break
        spans.append((i, end))
    return spans


def _bare(word: str) -> str:
    return _SLOT_STOP.sub("", word)


def _named(words: list[str], span: tuple[int, int]) -> bool:
    """The phrase's object is a name or an amount ("on Windows", "of 800 euros")."""
    body = [_bare(w) for w in words[span[0] + 1 : span[1]]]
    return any((w[:1].isupper() and not w.isupper()) or _NUMBER.search(w) for w in body if w)


def replace_slot(previous: str, text: str) -> str | None:
    """The previous question with the slot the follow-up changes replaced, or None when
    the follow-up does not name a slot of it."""
    lead = _LEAD.match(text)
    rest = text[lead.end() :] if lead else text
    slot = [w for w in (w.strip("?!.,;:") for w in rest.split()) if w]
    if not slot or slot[0].lower() in _NOT_A_SLOT:
        return None
    words = previous.strip().split()
    spans = _phrases(words)
    family = _FAMILY.get(slot[0].lower())
    if family is not None:
        numeric = bool(_NUMBER.search(" ".join(slot)))
        same = [
            sp
            for sp in spans
            if _FAMILY[words[sp[0]].lower()] == family
            or (numeric and _NUMBER.search(" ".join(words[sp[0] : sp[1]])))
        ]
        if numeric:  # an amount replaces an amount
            same = [sp for sp in same if _NUMBER.search(" ".join(words[sp[0] : sp[1]]))] or same
        if not same:
            return None
        start, end = same[-1]
        replacement = slot
    else:
        if len(slot) > 3:
            return None  # a clause, not a name
        # a bare name replaces the object of a phrase that names something, else of the
        # last place/platform/whom phrase ("of annual leave" is never a slot)
        candidates = [sp for sp in spans if words[sp[0]].lower() != "of"]
        named = [sp for sp in candidates if _named(words, sp)]
        chosen = named or [sp for sp in candidates if _FAMILY[words[sp[0]].lower()] != "amount"]
        if len(chosen) != 1:
            return None  # none, or ambiguous ("on my laptop at home"): read both together
        start, end = chosen[-1]
        start += 1
        replacement = slot
    tail = words[end:]
    ending = "?" if previous.rstrip().endswith("?") else ""
    last = words[end - 1]
    trailing = last[len(last.rstrip("?!.,;:")) :] if end == len(words) else ""
    out = " ".join([*words[:start], *replacement, *tail])
    if trailing and not out.endswith(trailing):
        out += trailing
    elif ending and not out.endswith("?"):
        out += "?"
    return out


_AMOUNT = re.compile(
    r"(?P<before>(?:[€$£]|\b(?:above|over|under|below|beyond|than|exceeding|of|about|around) ))"
    r"(?P<n1>\d{4,9})\b(?![.,]\d)"
    r"|(?<![\w.,€$£-])(?P<n2>\d{4,9})(?=\s*(?:€|euros?\b|eur\b|dollars?\b|usd\b|pounds?\b))",
    re.IGNORECASE,
)
_MONEY = re.compile(r"\s*(?:€|euros?\b|eur\b|dollars?\b|usd\b|pounds?\b)", re.IGNORECASE)


def amounts_as_written(text: str) -> str:
    """An amount the way the documentation writes it ("above 5000" → "above 5,000", "3000
    euros" → "3,000 euros"), so both searches and the excerpt find its row. Only numbers
    read as money (after €, "above", "of"…, or before "euros"); never a year or a code."""

    def fmt(match: re.Match[str]) -> str:
        digits = match.group("n1") or match.group("n2")
        value = int(digits)
        money = match.group("n2") or _MONEY.match(match.string, match.end())
        year = 1900 <= value <= 2099 and not money and match.group("before") not in "€$£"
        shown = digits if year else f"{value:,}"
        return (match.group("before") or "") + shown

    return _AMOUNT.sub(fmt, text)


def combined_query(text: str, history: Sequence[Turn]) -> str:
    """The follow-up read as a standalone question: the previous question with the slot
    it changes replaced, else both together."""
    previous = previous_question(history)
    if not previous:
        return text
    return replace_slot(previous, text) or f"{previous} {text}"
