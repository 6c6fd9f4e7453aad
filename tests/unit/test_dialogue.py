"""Follow-up or new question, without an LLM: how a follow-up is read with the previous
question (`bot/answering/dialogue.py`). What is asserted is the standalone question the
bot then searches for — the one its excerpts and citations answer."""

from __future__ import annotations

import pytest

from bot.answering.dialogue import amounts_as_written, combined_query, replace_slot
from bot.models import Turn


def after(previous: str, text: str) -> str:
    return combined_query(text, (Turn("user", previous), Turn("assistant", "…")))


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        # a place, a person, an amount: the slot the follow-up changes is replaced
        ("what's the per diem for London?", "and for Paris?", "what's the per diem for Paris?"),
        (
            "how long is parental leave for the primary caregiver?",
            "and for the partner?",
            "how long is parental leave for the partner?",
        ),
        (
            "who approves an expense claim of 800 euros?",
            "and above 5,000?",
            "who approves an expense claim above 5,000?",
        ),
        # a bare name replaces the named object ("Windows"), not "the VPN"
        (
            "how do I set up the VPN on Windows?",
            "what about linux?",
            "how do I set up the VPN on linux?",
        ),
        # "what if it's …" / "what if I'm …": the condition replaces the place
        (
            "can I work from another country for a while?",
            "what if it's outside the EU?",
            "can I work outside the EU for a while?",
        ),
        (
            "can I work from another country for a while?",
            "what if I'm abroad in the EU?",
            "can I work abroad in the EU for a while?",
        ),
        (
            "which laptop will I get as an engineer?",
            "and as a designer?",
            "which laptop will I get as a designer?",
        ),
    ],
)
def test_a_follow_up_replaces_the_slot_it_changes(
    previous: str, follow_up: str, standalone: str
) -> None:
    assert after(previous, follow_up) == standalone


@pytest.mark.parametrize(
    ("previous", "follow_up"),
    [
        # no slot of that kind in the previous question: both are read together
        ("How many days of annual leave do I get?", "and for contractors?"),
        ("what's the hotel limit per night?", "and in New York?"),
        # a clause that refers back is not a slot
        ("how much is the wellness allowance?", "does it carry over to next year?"),
        # "of annual leave" is never replaced by a name
        ("How many days of annual leave do I get?", "what about contractors?"),
        # two places a bare name could go: ambiguous, so nothing is replaced
        ("how do I install the vpn on my laptop at home?", "what about linux?"),
    ],
)
def test_without_a_matching_slot_the_follow_up_is_read_with_the_whole_question(
    previous: str, follow_up: str
) -> None:
    assert replace_slot(previous, follow_up) is None
    assert after(previous, follow_up) == f"{previous} {follow_up}"


def test_amounts_are_searched_as_the_documentation_writes_them() -> None:
    assert amounts_as_written("and above 5000?") == "and above 5,000?"
    assert amounts_as_written("a 3000 euro claim?") == "a 3,000 euro claim?"
    assert amounts_as_written("over €12000") == "over €12,000"
    assert amounts_as_written("above 2000 euros") == "above 2,000 euros"
    # years, codes and error numbers are left as they are
    for text in ("leave in 2026", "above 2020", "project PRJ-1234", "error 12345", "NWC-309"):
        assert amounts_as_written(text) == text
