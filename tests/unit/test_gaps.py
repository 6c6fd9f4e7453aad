"""The knowledge-gap report on a seeded history in the real state store, grouped by the
real ONNX embedder: paraphrases together, largest first, no restricted title, no asker,
DM questions only in an admin's own DM."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.conversation.store import ChatStore
from bot.conversation.tables import answers
from bot.helpchannels.gap_records import asked_questions, channel_of
from bot.helpchannels.gaps import AskedQuestion, SourceRef, gap_report, render_gaps
from connectors.base import Acl
from connectors.embedder import OnnxEmbedding
from connectors.state import StateStore

RESTRICTED_TITLE = "Salary bands 2026 (HR only)"


def _seed(state: StateStore) -> None:
    state.mark_dirty(
        "confluence",
        [
            {"doc_id": "confluence:vpn", "title": "VPN access", "url": "https://wiki/VPN",
             "acl": Acl(True, frozenset()).to_json()},
            {"doc_id": "confluence:salary", "title": RESTRICTED_TITLE, "url": "https://wiki/S",
             "acl": Acl(False, frozenset({"group:confluence:hr"})).to_json()},
        ],
    )  # fmt: skip

    chat = ChatStore(state.engine)

    def ask(user: str, conv: str, text: str, grounded: bool, docs: tuple[str, ...] = ()) -> int:
        return chat.record_answer(
            "slack", conv, user, text, "answer", list(docs), grounded, "extractive",
            message_id=f"{conv}-{user}-{len(text)}",
        )  # fmt: skip

    ask("U0ANA", "C0HELP:1.1", "How do I get VPN access for a contractor?", False)
    ask("U0BEN", "C0IT:2.1", "can contractors use the VPN", False, ("confluence:vpn",))
    ask("U0CAS", "C0HELP:3.1", "vpn account for an external freelancer - how?", False)
    ask("U0ANA", "C0HELP:4.1", "can a contractor get vpn access", False)
    disliked = ask("U0DAN", "C0IT:5.1", "Does our contractor get VPN access and who approves it?",
        True, ("confluence:vpn",))  # fmt: skip
    chat.record_feedback(disliked, "U0DAN", -1)
    ask("U0EVE", "C0HR:6.1", "How long is parental leave?", False, ("confluence:salary",))
    ask("U0FAY", "C0HELP:7.1", "how many weeks of paternity leave do I get", False)
    ask("U0GUS", "D0SECRET:8.1", "where do I find the severance policy for my layoff", False)
    ask("U0HAL", "C0HELP:9.1", "How do I reset my password?", True, ("confluence:vpn",))
    old = ask("U0IDA", "C0HELP:10.1", "Where is the canteen?", False)
    with state.engine.begin() as conn:
        conn.execute(
            update(answers)
            .where(answers.c.id == old)
            .values(created_at=datetime.now(UTC) - timedelta(days=30))
        )


def test_paraphrases_group_and_nothing_private_leaks(
    state: StateStore, onnx_embedder: OnnxEmbedding
) -> None:
    _seed(state)
    now = datetime.now(UTC)
    records = asked_questions(ChatStore(state.engine), state, now - timedelta(days=7))
    report = gap_report(records, onnx_embedder, 7, now)
    out = report.as_json()
    assert out["days"] == 7
    vpn, leave = out["groups"][:2]
    assert vpn["count"] == 4  # Ana asked twice: counted once
    assert len(vpn["examples"]) == 3
    assert all("vpn" in e.lower() for e in vpn["examples"])
    assert set(vpn["channels"]) == {"C0HELP", "C0IT"}
    assert vpn["best_source"] == {"title": "VPN access", "url": "https://wiki/VPN"}
    assert leave["count"] == 2 and leave["best_source"] is None  # its only source is restricted
    assert len(out["groups"]) == 2  # answered, old and DM questions are not gaps here
    text = json.dumps(out) + render_gaps(report)
    for secret in (RESTRICTED_TITLE, "U0ANA", "U0DAN", "severance", "D0SECRET", "canteen"):
        assert secret not in text


def test_dm_questions_only_in_an_admins_own_dm_and_without_their_id(
    state: StateStore, onnx_embedder: OnnxEmbedding
) -> None:
    _seed(state)
    now = datetime.now(UTC)
    records = asked_questions(ChatStore(state.engine), state, now - timedelta(days=7))
    report = gap_report(records, onnx_embedder, 7, now, include_dms=True)
    dm = [g for g in report.groups if any("severance" in e for e in g.examples)]
    assert len(dm) == 1 and dm[0].channels == ["DM"]
    assert "D0SECRET" not in json.dumps(report.as_json())


def test_asker_names_mentions_and_emails_are_blanked(onnx_embedder: OnnxEmbedding) -> None:
    now = datetime.now(UTC)
    records = [
        AskedQuestion(
            "Hi, Ana Smith here: how do I get VPN access? cc <@U0BOSS> ana.smith@example.com",
            "C0HELP", False, "U0ANA", now, grounded=False, asker_name="Ana Smith",
            best_source=SourceRef(RESTRICTED_TITLE, "https://wiki/S", public=False),
        ),
    ]  # fmt: skip
    report = gap_report(records, onnx_embedder, 7, now)
    text = json.dumps(report.as_json())
    for secret in ("Ana", "Smith", "U0BOSS", "example.com", RESTRICTED_TITLE):
        assert secret not in text
    assert "how do I get VPN access?" in text


def test_conversation_kinds_fail_closed() -> None:
    assert channel_of("slack", "C0HELP:1.2") == ("C0HELP", False)
    assert channel_of("slack", "D0DM:1.2")[1] is True
    assert channel_of("slack", "G0GROUP:1.2")[1] is True
    assert channel_of("teams", "19:abc@thread.tacv2;messageid=1") == ("19:abc@thread.tacv2", False)
    assert channel_of("teams", "a:1personal")[1] is True
    assert channel_of("teams", "19:chat@thread.v2")[1] is True
    assert channel_of("terminal", "cli")[1] is True
