"""The help-channel question detector: what it answers and what it stays silent on."""

from __future__ import annotations

import time

import pytest

from bench.bench_question_detector import load, scores
from bot.helpchannels.detector import detect, is_question


@pytest.mark.parametrize(
    "text",
    [
        "How do I reset my password?",
        "does anyone know how to connect to the VPN from a hotel network",
        "Anyone else having trouble with Zoom today",
        "hey team, where do I submit travel expenses",
        "Can someone help me set up 2FA on my new phone",
        "I need help with my laptop, it won't boot",
        "Please advise on how to return my old laptop",
        "Weet iemand hoe ik de printer installeer",
        "hoe kan ik mijn wachtwoord resetten",
        "Heeft iemand anders ook problemen met Teams vandaag",
        "Weiß jemand, wie man den Drucker einrichtet",
        "wo finde ich meine Gehaltsabrechnung",
        "Kann mir jemand beim VPN helfen",
    ],
)
def test_questions_in_english_dutch_and_german_are_recognised(text: str) -> None:
    assert is_question(text), detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, that worked!",
        "Never mind, found it in the wiki",
        "The VPN is back up, thanks for your patience.",
        "how I fixed the Docker permission problem: added myself to the docker group",
        "What a week. Glad it's Friday",
        "Here's the doc: https://intranet.example.com/policies/travel?version=3",
        "```sql\nSELECT * FROM t WHERE name = 'is this a question?';\n```",
        "Use `git config --global user.email you@example.com` and it works",
        "> How do I reset my password?\nthis is in the FAQ now",
        "Why do programmers prefer dark mode? Because light attracts bugs",
        "Build #4512 failed on main (3 tests failed)",
        "Bedankt, het werkt weer!",
        "Danke, hat geklappt!",
        "",
        "+1",
    ],
)
def test_statements_thanks_links_code_and_quotes_are_not_questions(text: str) -> None:
    assert not is_question(text), detect(text)


def test_labelled_set_precision_and_recall() -> None:
    rows = load()
    assert len(rows) >= 200
    assert {"en", "nl", "de"} <= {r.lang for r in rows}
    precision, recall, *_ = scores(rows)
    assert precision >= 0.95
    assert recall >= 0.85


def test_a_non_question_costs_far_under_a_millisecond() -> None:
    rows = [r for r in load() if not r.question]
    started = time.perf_counter()
    for _ in range(5):
        for row in rows:
            detect(row.text)
    per_message_ms = (time.perf_counter() - started) * 1000 / (5 * len(rows))
    assert per_message_ms < 0.5  # measured ~0.02 ms; generous for a shared machine
