"""Teams text escaping: the exact Markdown Teams receives for text we did not write
(questions, names, titles, vendors' errors) and for the answers' own Markdown.

Teams renders `textFormat: markdown` text as Markdown and also reads HTML-like tags and
`<at>` mention tags; every such character of text we did not write must arrive as a
character reference, so it reads as typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import serializer_helper
from botbuilder.schema import Activity

from bot import messages
from bot.adapters.teams.activities import answer_activity, fit_text
from bot.adapters.teams.handoff import failure_prefix, request_text, ticket_text
from bot.adapters.teams.render import TEAMS_STYLE, answer_markdown, escape, link, link_target
from bot.adapters.teams.streaming import TeamsStream
from bot.conversation.handoff import HandOffResult, HandOffStatus
from bot.helpchannels.channels import ChannelSettings, describe
from bot.helpchannels.gaps import GapGroup, GapReport, render_gaps
from bot.helpchannels.tickets import Ticket
from bot.models import Answer, Citation

MALICIOUS = "**URGENT** <at>Everyone</at> [click](https://evil.example)"
MALICIOUS_ESCAPED = (
    "&#42;&#42;URGENT&#42;&#42; &lt;at&gt;Everyone&lt;/at&gt; &#91;click&#93;(https://evil.example)"
)


def test_the_malicious_question_is_neither_bold_nor_a_mention_nor_a_link() -> None:
    assert escape(MALICIOUS) == MALICIOUS_ESCAPED


def test_every_inline_markdown_special_is_a_character_reference() -> None:
    assert escape("*it* _it_ __b__ ~~s~~ `code` # h") == (
        "&#42;it&#42; &#95;it&#95; &#95;&#95;b&#95;&#95; &#126;&#126;s&#126;&#126; "
        "&#96;code&#96; &#35; h"
    )
    # a backslash would otherwise escape the reference that follows it
    assert escape(r"\*x\*") == "&#92;&#42;x&#92;&#42;"
    assert escape("a | b") == "a &#124; b"
    assert escape("![logo](https://evil.example/x.png)") == (
        "!&#91;logo&#93;(https://evil.example/x.png)"
    )


def test_html_like_tags_and_entities_read_as_typed() -> None:
    assert escape('<b>bold</b> <img src="x" onerror=y> <a href="https://e.example">x</a>') == (
        '&lt;b&gt;bold&lt;/b&gt; &lt;img src="x" onerror=y&gt; '
        '&lt;a href="https://e.example"&gt;x&lt;/a&gt;'
    )
    # an entity typed by the user stays the text they typed, not the character
    assert escape("R&D &lt;at&gt; &#42;") == "R&amp;D &amp;lt;at&amp;gt; &amp;&#35;42;"


def test_block_syntax_at_the_start_of_a_line_is_text() -> None:
    text = "# Title\n- item\n+ item\n* item\n1. first\n2) second\n> quote\n---\n===\n  - nested"
    assert escape(text) == (
        "&#35; Title\n&#45; item\n&#43; item\n&#42; item\n1&#46; first\n2&#41; second\n"
        "&gt; quote\n&#45;--\n&#61;==\n  &#45; nested"
    )
    # the same characters inside a line are left alone
    assert escape("costs 1.5 days - or 2+2 = 4") == "costs 1.5 days - or 2+2 = 4"


def test_plain_text_is_unchanged() -> None:
    assert escape("How many days of annual leave do I get? (I'm part-time.)") == (
        "How many days of annual leave do I get? (I'm part-time.)"
    )


def test_a_link_title_cannot_end_the_link_early_nor_its_url() -> None:
    url = "https://wiki.northwind.example/Leave_(2026)]?a=1&b=2#rules"
    assert link(url, "Leave [draft] (v2) ]x") == (
        "[Leave &#91;draft&#93; (v2) &#93;x]"
        "(https://wiki.northwind.example/Leave%5F%282026%29%5D?a=1&amp;b=2#rules)"
    )
    assert link_target("https://e.example/a<b>c\"d'e`f*g~h\\i") == (
        "https://e.example/a%3Cb%3Ec%22d%27e%60f%2Ag%7Eh%5Ci"
    )


def test_a_link_to_anything_but_a_web_page_is_just_its_label() -> None:
    assert link("javascript:alert(1)", "Leave *policy*") == "Leave &#42;policy&#42;"
    assert link("file:///etc/passwd", "x") == "x"
    assert link_target("https://e.example/ok") == "https://e.example/ok"


def test_the_answers_own_markdown_stays_but_tags_and_mentions_do_not() -> None:
    markdown = (
        "> ## How much leave you get\n"
        "> | Who | Days |\n"
        "> **27 days** [1]\n"
        "Ask <at>HR</at> & see <img src=x onerror=y>; 3 > 2."
    )
    assert answer_markdown(markdown) == (
        "> ## How much leave you get\n"
        "> | Who | Days |\n"
        "> **27 days** [1]\n"
        "Ask &lt;at&gt;HR&lt;/at&gt; &amp; see &lt;img src=x onerror=y&gt;; 3 &gt; 2."
    )


def cite(n: int, title: str, url: str) -> Citation:
    return Citation(
        number=n,
        title=title,
        url=url,
        quoted_text="27 days",
        updated_at=None,
        source="confluence",
        doc_id=f"confluence:{n}",
    )


def wire_text(answer: Answer, **kw: Any) -> str:
    return str(dict(serializer_helper(answer_activity(answer, **kw)))["text"])


def test_an_answer_activity_keeps_markdown_and_neutralises_mentions() -> None:
    answer = Answer(
        text="You get **27 days** [1]. <at>Everyone</at> should book early.",
        citations=(cite(1, "Leave", "https://wiki.northwind.example/leave"),),
        grounded=True,
        mode="claude",
    )
    assert wire_text(answer) == (
        "You get **27 days** [1]. &lt;at&gt;Everyone&lt;/at&gt; should book early."
    )


def test_citation_claims_carry_the_raw_title_and_url_they_are_not_markdown() -> None:
    """The citation card's fields are plain JSON strings Teams shows as text: escaping
    them would show `&#42;` to the reader."""
    title, url = "Leave *policy* ] (draft)", "https://wiki.northwind.example/Leave_(2026)"
    answer = Answer(text="27 days [1].", citations=(cite(1, title, url),), grounded=True)
    body = dict(serializer_helper(answer_activity(answer)))
    (claim,) = body["entities"][0]["citation"]
    assert claim["appearance"]["name"] == title
    assert claim["appearance"]["url"] == url


def test_a_shortened_text_is_never_cut_inside_a_character_reference() -> None:
    text = escape("*" * 4000)  # no paragraph, line or word to cut at
    fitted = fit_text(text, 2_000)
    body = fitted.removesuffix("\n\n" + messages.TEAMS_TRUNCATED)
    assert body and body.replace("&#42;", "") == ""


def test_the_escalation_post_shows_the_question_the_name_and_the_answer_literally() -> None:
    result = HandOffResult(
        HandOffStatus.DONE,
        question=MALICIOUS,
        answer="See the **leave** page <at>HR</at>",
        thread_url="https://teams.microsoft.com/l/message/19%3Ax%40thread.tacv2/1?a=1",
        target="19:support@thread.tacv2",
    )
    assert request_text(result, "Mallory <at>Admins</at>") == "\n\n".join(
        [
            messages.HANDOFF_REQUEST.format(who="Mallory &lt;at&gt;Admins&lt;/at&gt;"),
            messages.HANDOFF_QUESTION.format(question=MALICIOUS_ESCAPED),
            messages.HANDOFF_ANSWER.format(
                answer="See the &#42;&#42;leave&#42;&#42; page &lt;at&gt;HR&lt;/at&gt;"
            ),
            messages.HANDOFF_THREAD.format(url=result.thread_url),
        ]
    )


def test_a_ticket_systems_refusal_reason_and_ticket_link_are_escaped() -> None:
    refused = HandOffResult(
        HandOffStatus.DONE,
        ticket_failure="I couldn't create a Jira ticket: Jira rejected it (<b>**no**</b>).",
    )
    assert failure_prefix(refused) == (
        "I couldn't create a Jira ticket: Jira rejected it "
        "(&lt;b&gt;&#42;&#42;no&#42;&#42;&lt;/b&gt;). "
    )
    assert failure_prefix(HandOffResult(HandOffStatus.DONE)) == ""
    ticket = Ticket("jira", "IT_1", "https://jira.example/browse/IT_1?x=(1)")
    assert ticket_text(ticket) == messages.HANDOFF_TICKET.format(
        system="Jira",
        key="IT&#95;1",
        url="[https://jira.example/browse/IT&#95;1?x=(1)]"
        "(https://jira.example/browse/IT%5F1?x=%281%29)",
    )


async def test_streamed_updates_carry_the_answer_markdown_without_mentions() -> None:
    sent: list[dict[str, Any]] = []

    class Response:
        id = "stream-1"

    async def send(activity: Activity) -> Response:
        sent.append(dict(serializer_helper(activity)))
        return Response()

    async def no_sleep(seconds: float) -> None:
        return None

    stream = TeamsStream(send, interval=0.0, clock=lambda: 0.0, sleep=no_sleep)
    await stream.push("**27 days**, ask <at>Every")  # a tag split across two deltas
    await stream.push("one</at>")
    updates = [b["text"] for b in sent if b["entities"][0]["streamType"] == "streaming"]
    assert updates == [
        "**27 days**, ask &lt;at&gt;Every",
        "**27 days**, ask &lt;at&gt;Everyone&lt;/at&gt;",
    ]


def test_the_gap_report_shows_questions_and_titles_as_written_and_links_safely() -> None:
    report = GapReport(
        7,
        [
            GapGroup(
                count=2,
                examples=[MALICIOUS, "what about _this_?"],
                channels=["#it-help"],
                best_source={
                    "title": "Leave [draft] *v2*",
                    "url": "https://wiki.northwind.example/Leave_(2026)",
                },
            )
        ],
    )
    assert render_gaps(report, TEAMS_STYLE).split("\n") == [
        messages.GAPS_HEADER.format(days=7, groups=1),
        "",
        messages.GAPS_GROUP.format(n=1, count=2, people="people", channels="&#35;it-help")[1:],
        f"   • {MALICIOUS_ESCAPED}",
        "   • what about &#95;this&#95;?",
        "   closest page: [Leave &#91;draft&#93; &#42;v2&#42;]"
        "(https://wiki.northwind.example/Leave%5F%282026%29)",
    ]
    # elsewhere (the terminal's `helpdesk gaps`) the report is as it was
    assert render_gaps(report).split("\n")[3] == f"   • {MALICIOUS}"


def test_channel_settings_show_typed_values_as_written() -> None:
    settings = ChannelSettings(
        "19:help@thread.tacv2", escalate_to="<at>Everyone</at>", updated_by="teams:**me**"
    )
    settings = replace(settings, updated_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC))
    shown = describe(settings, TEAMS_STYLE.escape)
    assert "  escalate to: &lt;at&gt;Everyone&lt;/at&gt;" in shown.split("\n")
    assert shown.endswith("  updated:     2026-03-02 09:15 UTC by teams:&#42;&#42;me&#42;&#42;")
