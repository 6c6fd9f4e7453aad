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


def combined_query(text: str, history: Sequence[Turn]) -> str:
    previous = previous_question(history)
    return f"{previous} {text}" if previous else text
