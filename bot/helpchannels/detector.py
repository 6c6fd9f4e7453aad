"""Does a channel message read as a question? Cheap rules, no model call.

Every message in an auto-answer channel passes through here, so the common case (a
status update, a thank-you, a link) must be rejected in microseconds. The rules, in
order:

1. Strip what never carries the asker's own words: code blocks and inline code, quoted
   lines (`> …`), URLs, Slack mentions/channel links, `:emoji:` codes.
2. Nothing left, or an acknowledgement / announcement / joke punchline → no.
3. A sentence ending in `?` → yes.
4. A sentence opening like a question or a request for help → yes: an interrogative
   followed by a verb ("how do I…", "wie kann ich…", "hoe werkt…"), an inverted
   auxiliary with a subject ("can someone…", "kann jemand…", "heeft iemand…"), or a
   help phrase ("does anyone know…", "anyone else having trouble with…", "I need
   help with…", "please advise").

English, Dutch and German. Precision matters more than recall: when in doubt, no —
a missed question can still be asked with an @mention; a wrong auto-answer is noise
in front of everyone. Measured by `bench/bench_question_detector.py` on
`bench/data/channel_messages.jsonl`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Detection", "detect", "is_question"]


@dataclass(frozen=True)
class Detection:
    is_question: bool
    reason: str  # which rule decided (for logs and the benchmark)


_NO = Detection(False, "no question signal")

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE_LINE = re.compile(r"^\s*(?:>|&gt;).*$", re.M)
_URL = re.compile(r"<?(?:https?|ftp|mailto):[^\s>|]+(?:\|[^>]*)?>?|\bwww\.\S+", re.I)
_SLACK_REF = re.compile(r"<[@#!][^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+\-]+:")
_SPACES = re.compile(r"\s+")
# sentence ends: ? . ! or a line break; a "?" counts when words (not digits) precede it
_SENTENCES = re.compile(r"[^.!?\n]+[.!?\n]*")

# acknowledgements, resolutions, announcements: never questions on their own
_NON_QUESTION_START = re.compile(
    r"^(?:thanks|thank you|thx|ty|cheers|merci|never ?mind|nvm|solved|fixed|resolved|"
    r"got it|all good|works now|dank(?:je|jewel| je| u)?|bedankt|top,? bedankt|opgelost|"
    r"laat maar|danke|vielen dank|gelöst|hat sich erledigt|passt|fyi|psa|reminder|"
    r"heads[- ]up|announcement|update|ter info|zur info|hinweis|erinnerung|"
    r"\[(?:resolved|solved|fyi|info|announcement|alert|incident)\])\b",
    re.I,
)
# a question mark followed by the punchline: "Why …? Because …"
_PUNCHLINE = re.compile(r"\?\s*(?:because|omdat|weil|answer:|antwort:)\b", re.I)

_SUBJECTS = (
    r"(?:i|we|you|u|they|he|she|it|this|that|there|anyone|anybody|someone|somebody|"
    r"people|the|my|our|your|a|an|any|ik|we|jij|je|u|jullie|iemand|er|het|de|dit|dat|"
    r"mijn|onze|ich|wir|du|sie|man|jemand|es|das|der|die|mein|meine|unser|unsere|ihr)"
)
_AUX_EN = (
    r"(?:is|are|am|was|were|do|does|did|can|could|would|should|will|shall|may|might|must|"
    r"has|have|had|isn't|aren't|wasn't|don't|doesn't|didn't|can't|couldn't|won't|"
    r"wouldn't|shouldn't|hasn't|haven't)"
)
_AUX_NL = (
    r"(?:is|zijn|ben|was|waren|kan|kun|kunnen|mag|mogen|moet|moeten|heeft|hebben|heb|"
    r"wil|willen|zou|zouden|weet|weten|werkt|doet|gaat|klopt|hoort)"
)
_AUX_DE = (
    r"(?:ist|sind|bin|bist|war|waren|kann|kannst|können|könnte|darf|dürfen|muss|müssen|"
    r"soll|sollte|hat|haben|hast|wird|werden|weiß|weiss|gibt|geht|funktioniert|"
    r"brauche|braucht|habt|seid)"
)
_WH = (
    r"(?:how|what|what's|whats|where|where's|when|why|who|who's|which|whom|whose|"
    r"hoe|wat|waar|wanneer|waarom|wie|welke|welk|hoeveel|hoelang|"
    r"wie|was|wo|wann|warum|wer|wen|wem|welche|welcher|welches|wieso|weshalb|woher|"
    r"wohin|womit|wofür|wieviel|wie viel|wie viele)"
)
# an interrogative followed by a verb, "to", or a quantity word — not "how I fixed it"
_WH_QUESTION = re.compile(
    rf"^{_WH}\s+(?:{_AUX_EN}|{_AUX_NL}|{_AUX_DE}|to|long|much|many|often|far|old|"
    r"kan ik|moet ik|lang|vaak|laat|lange|oft|viel|viele|spät|"
    r"time|day|version|team|page|form|app|tool|system|folder|file|channel|is the)\b",
    re.I,
)
_WH_CONTRACTED = re.compile(r"^(?:what|where|who|how|when|why|which)['’]s\b", re.I)
_GREETING = re.compile(
    r"^(?:(?:hi|hey|hello|hallo|hoi|moin|morning|all|team|folks|everyone|allemaal|"
    r"zusammen|so|ok|okay|quick question)[,!: ]+)+",
    re.I,
)
_INVERTED = re.compile(rf"^(?:{_AUX_EN}|{_AUX_NL}|{_AUX_DE})\s+(?:not\s+)?{_SUBJECTS}\b", re.I)
_HELP_PHRASES = re.compile(
    r"\b(?:"
    # English
    r"(?:does|do|did|has|have)?\s*(?:any\s?one|any\s?body|some\s?one|some\s?body|people)"
    r"(?: else)? (?:know|knows|have|has|got|seen|seeing|having|getting|run into|ran into|"
    r"experiencing|tried|figured|remember|recommend)\b|"
    r"(?:can|could|would) (?:some\s?one|some\s?body|any\s?one|any\s?body|you) "
    r"(?:help|explain|tell|point|show|check|share|confirm|look)|"
    r"(?:i|we) (?:need|could use|would like) (?:some )?(?:help|assistance|advice|a hand)|"
    r"need (?:some )?help (?:with|on|for|setting|getting)|please (?:help|advise|explain)|"
    r"help me (?:with|to|understand|find|figure|set|get)|"
    r"any (?:idea|ideas|tips|pointers|advice|suggestions|clue|thoughts) (?:on|how|why|what|"
    r"where|about|for|if|whether)|"
    r"(?:not sure|no idea|unsure) (?:how|where|what|who|whether|if|why) |"
    r"(?:i was|i'm|im|i am|just) wondering (?:if|how|whether|why|what|where|who|when)|"
    r"(?:(?:i'm|im|i am|just) )?(?:looking for|trying to (?:find|figure|work) out|"
    r"struggling to)|"
    r"(?:where|how) (?:can|do|should) (?:i|we) (?:find|get|request|see|reach)|"
    r"(?:tell|show) me how|point me (?:to|in)|"
    # Dutch
    r"(?:weet|heeft|kent) (?:er )?iemand|kan iemand|iemand (?:een )?(?:idee|ervaring|tips?)|"
    r"iemand anders (?:last|ook|die)|(?:ik )?(?:heb|zoek) hulp|hulp nodig|"
    r"kan (?:je|jij|u) me helpen|ik vraag me af|ik zoek (?:de|het|een|naar)|"
    r"hoe (?:kan|moet|doe) ik|waar (?:kan|vind) ik|"
    # German
    r"(?:weiß|weiss|hat|kennt) (?:hier )?(?:jemand|einer|wer)|kann (?:mir )?(?:jemand|wer)|"
    r"hat (?:noch )?jemand|brauche (?:dringend )?hilfe|ich frage mich|ich suche (?:die|den|das|"
    r"eine|einen|nach)|wie (?:kann|muss|mache) ich|wo (?:kann|finde) ich|"
    r"kann (?:mir )?(?:bitte )?(?:jemand|einer) helfen"
    r")",
    re.I,
)


def _clean(text: str) -> str:
    text = _CODE_BLOCK.sub(" ", text)
    text = _INLINE_CODE.sub(" x ", text)
    text = _QUOTE_LINE.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _SLACK_REF.sub(" ", text)
    text = _EMOJI.sub(" ", text)
    return text


def detect(text: str) -> Detection:
    """Decide whether `text` (a top-level channel message) reads as a question."""
    if not text or len(text) > 4000:
        return _NO
    cleaned = _clean(text)
    plain = _SPACES.sub(" ", cleaned).strip(" \t-–*_~")
    if len(plain) < 4 or not any(ch.isalpha() for ch in plain):
        return Detection(False, "no words")
    if "?" in plain and _PUNCHLINE.search(plain):
        return Detection(False, "joke punchline")
    has_mark = False
    for raw in _SENTENCES.findall(cleaned):
        sentence = _SPACES.sub(" ", raw).strip(" \t-–*_~\"'“”()")
        if not sentence:
            continue
        if sentence.endswith("?"):
            words = re.findall(r"[^\W\d_]{2,}", sentence)
            if len(words) >= 2 or (words and len(words[0]) >= 4):
                has_mark = True
                break
    first = plain.lstrip("¿¡")
    if _NON_QUESTION_START.match(first) and not has_mark:
        return Detection(False, "acknowledgement or announcement")
    if has_mark:
        return Detection(True, "question mark")
    for raw in _SENTENCES.findall(cleaned):
        sentence = _SPACES.sub(" ", raw).strip(" \t-–*_~\"'“”(),:;")
        if sentence.endswith("!"):
            continue  # "What a day!", "Wie schön!"
        opening = _GREETING.sub("", sentence)
        if _WH_QUESTION.match(opening) or _WH_CONTRACTED.match(opening):
            return Detection(True, "interrogative")
        if _INVERTED.match(opening):
            return Detection(True, "inverted auxiliary")
    if _HELP_PHRASES.search(plain):
        return Detection(True, "help phrase")
    return _NO


def is_question(text: str) -> bool:
    return detect(text).is_question
