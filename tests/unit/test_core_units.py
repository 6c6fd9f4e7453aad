"""Small pure pieces of the core loop: parsing, formatting, excerpts, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.answering.dialogue import combined_query, is_english, is_follow_up
from bot.answering.selection import DocumentText, choose
from bot.formatting import ago, updated_ago
from bot.models import Turn
from connectors.base import Acl, SourceDocument, content_hash
from connectors.files import html_to_text
from connectors.front_matter import acl_from_front_matter, split_front_matter
from tests.conftest import SAMPLES


def test_front_matter_title_and_acl() -> None:
    meta, body = split_front_matter(
        "---\ntitle: Salary bands\n"
        "acl: {public: false, groups: [HR-Team], users: [CFO@x.example]}\n"
        "---\nL5 pays well.\n"
    )
    assert meta is not None
    assert meta["title"] == "Salary bands" and body == "L5 pays well.\n"
    acl = acl_from_front_matter(meta)
    assert acl == Acl(False, frozenset({"group:files:hr-team", "user:cfo@x.example"}))
    assert acl_from_front_matter(None) == Acl.everyone()
    assert acl_from_front_matter({"title": "Only a title"}) == Acl.everyone()
    with pytest.raises(ValueError, match="acl must be a mapping"):
        acl_from_front_matter({"acl": "everyone"})


def test_html_keeps_title_headings_lists_and_tables() -> None:
    title, text = html_to_text(
        "<html><head><title>Per-diem rates</title><script>x()</script></head><body>"
        "<h2>Domestic</h2><ul><li>Lunch</li><li>Dinner</li></ul>"
        "<table><tr><th>City</th><th>Rate</th></tr><tr><td>Lisbon</td><td>€45</td></tr></table>"
        "</body></html>"
    )
    assert title == "Per-diem rates"
    assert "## Domestic" in text and "- Lunch" in text and "| Lisbon | €45 |" in text
    assert "x()" not in text


def test_sample_pdfs_have_extractable_text() -> None:
    from connectors.files import _read_pdf

    pdfs = sorted(Path(SAMPLES).rglob("*.pdf"))
    assert len(pdfs) >= 3
    for pdf in pdfs:
        _, text = _read_pdf(pdf)
        assert len(text.split()) > 100


def test_content_hash_ignores_acl_but_not_title_or_breadcrumbs() -> None:
    assert content_hash("T", "body") == content_hash("T", "body")
    assert content_hash("T", "body") != content_hash("T2", "body")
    assert content_hash("T", "body", ("HR",)) != content_hash("T", "body", ("IT",))


def best_excerpt(passage: str, query: str) -> str:
    """What extractive mode quotes from this one passage (words only, no embedder)."""
    return choose(query, [DocumentText(0, "Page", passage, 0.5)], None)[0].text


def test_relative_times() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert ago(now - timedelta(seconds=5), now) == "just now"
    assert ago(now - timedelta(minutes=1), now) == "1 minute ago"
    assert ago(now - timedelta(hours=5), now) == "5 hours ago"
    assert updated_ago(now - timedelta(days=3), now) == "updated 3 days ago"
    assert ago(None) == "never"


def test_excerpt_prefers_the_sentences_that_answer() -> None:
    passage = (
        "# Annual leave\nThis page explains leave. Full-time employees get 27 days of annual "
        "leave per year. Part-time staff get a pro-rata share. The office cat is called Pixel."
    )
    excerpt = best_excerpt(passage, "how many days of annual leave per year")
    assert "27 days" in excerpt
    assert "Pixel" not in excerpt and "explains" not in excerpt


def test_follow_up_or_new_question_is_decided_per_message() -> None:
    history = (Turn("user", "How many days of annual leave do I get?"), Turn("assistant", "27"))
    # a connective opening is always a follow-up, read with the previous question
    assert is_follow_up("and for contractors?", standalone_confident=True)
    assert combined_query("and for contractors?", history).startswith("How many days")
    # a referring or too-short message that finds nothing confident alone is a follow-up
    assert is_follow_up("does it carry over?", standalone_confident=False)
    # a self-contained new question is searched on its own (topic switch)
    switch = "I lost my phone with Okta Verify, how do I log in?"
    assert not is_follow_up(switch, standalone_confident=True)
    assert not is_follow_up("How do I set up the VPN on a Linux laptop?", False)
    assert combined_query("and for contractors?", ()) == "and for contractors?"


def test_language_check_flags_other_languages_not_short_english() -> None:
    for text in (
        "Hoeveel vakantiedagen krijg ik per jaar?",
        "Wie viele Urlaubstage habe ich im Jahr?",
        "Comment est-ce que je réinitialise mon mot de passe ?",
        "Quantas semanas de licença parental tem o pai?",
        "¿Cuánto dinero tengo para el gimnasio cada año?",
    ):
        assert not is_english(text), text
    for text in ("and for Paris?", "my vpn says NWC-309", "what about linux?", "L5 salary band"):
        assert is_english(text), text


def test_chunks_never_cut_a_table_row_or_list_item() -> None:
    from connectors.chunking import Chunker

    rows = "\n".join(
        f"| Policy {i} | Employees get {i} days. Contractors get none. See the HR portal. |"
        for i in range(60)
    )
    items = "\n".join(f"- Step {i}: open the portal. Then press save. Done." for i in range(40))
    doc = SourceDocument(
        source="files",
        doc_id="files:t.md",
        title="Table",
        url="u",
        text=f"# Leave\n\n{rows}\n\n## Steps\n\n{items}\n",
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        acl=Acl.everyone(),
    )
    nodes = Chunker().chunk(doc)
    assert len(nodes) > 3
    for node in nodes:
        body = node.get_content().split("\n", 1)[1]
        for line in filter(None, body.strip().splitlines()):
            assert line.startswith(("|", "- ", "#")), line
            assert line.endswith(("|", "Done.")) or line.startswith("#"), line


def test_a_how_to_gets_the_whole_procedure_under_its_heading() -> None:
    passage = (
        "## Getting a new phone\n1. Keep Okta Verify on the old phone.\n2. Install it on the "
        "new one.\n## Forgot your password (self-service reset)\n"
        "1. Go to sso.northwind.example and click **Forgot password?**\n"
        "2. Enter your Northwind email address.\n3. Approve the Okta Verify push.\n"
        "4. Choose a new password.\n5. Sign in again on your laptop, phone apps and the VPN.\n"
        "## Related\n- [SSO account lockout](sso-lockout.md)"
    )
    excerpt = best_excerpt(passage, "How do I reset my forgotten password?")
    assert excerpt.startswith("## Forgot your password")
    assert "1. Go to sso" in excerpt and "5. Sign in again" in excerpt, "all the steps"
    assert "old phone" not in excerpt and "lockout" not in excerpt


def test_a_table_row_comes_with_its_header_row() -> None:
    passage = (
        "Intro text about travel.\n"
        "| City | Maximum per night (room only, excl. city tax) |\n|---|---|\n"
        "| Standard (most cities) | **€160** |\n"
        "| London, Paris, Munich, Zurich, Copenhagen | **€220** |\n"
        "| New York, San Francisco | **€280** |"
    )
    excerpt = best_excerpt(passage, "hotel limit in New York San Francisco")
    assert excerpt.splitlines()[0].startswith("| City | Maximum per night")
    assert "€280" in excerpt


def test_a_quantity_question_gets_the_line_with_the_number() -> None:
    passage = (
        "## Password requirements\n"
        "- Your password protects every app you use at work.\n"
        "- At least **14 characters**. We recommend a passphrase.\n"
        "- Cannot contain your name."
    )
    assert "14 characters" in best_excerpt(passage, "how long does my password need to be?")


def test_neighbouring_chunks_are_merged_without_their_overlap() -> None:
    from bot.answering.context import merge

    first = "## Booking\n1. Open PeopleHub.\n2. Choose the type."
    second = "2. Choose the type.\n3. Submit."
    assert merge([first, second]).splitlines() == [
        "## Booking",
        "1. Open PeopleHub.",
        "2. Choose the type.",
        "3. Submit.",
    ]
