"""Slack rendering and event translation: limits, mrkdwn, which events are questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import messages
from bot.adapters.slack.events import parse
from bot.adapters.slack.feedback import escalation_mention
from bot.adapters.slack.render import (
    MAX_BLOCKS,
    MAX_TEXT,
    SECTION_LIMIT,
    answer_blocks,
    escape,
    escape_markdown,
    fallback_text,
    final_blocks,
    link,
    safe_cut,
    source_line,
    split_text,
    to_mrkdwn,
)
from bot.models import Answer, Citation

BOT = "UBOT0001"


def citation(n: int, **kw: Any) -> Citation:
    base: dict[str, Any] = {
        "number": n,
        "title": f"Doc {n}",
        "url": f"https://wiki.example/doc/{n}",
        "quoted_text": "q",
        "updated_at": datetime.now(UTC) - timedelta(days=3),
        "source": "confluence",
        "doc_id": f"confluence:{n}",
    }
    base.update(kw)
    return Citation(**base)


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if b["type"] == "section":
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out.extend(e["text"] for e in b["elements"])
    return out


def test_a_long_answer_is_split_within_slacks_limits() -> None:
    paragraph = "Step: open the portal and follow the prompts carefully. " * 40  # ~2,240 chars
    answer = Answer(text="\n\n".join([paragraph] * 60), citations=(citation(1), citation(2)))
    blocks = answer_blocks(answer, answer_id=7)
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(t) <= SECTION_LIMIT for t in texts(blocks))
    assert sum(len(t) for t in texts(blocks)) <= MAX_TEXT
    # the reader is told it was cut, and still gets the sources and the buttons
    assert messages.SLACK_TRUNCATED in texts(blocks)
    assert [b["type"] for b in blocks[-2:]] == ["context_actions", "actions"]
    assert any("*Sources*" in t for t in texts(blocks))


def test_a_single_huge_paragraph_is_cut_at_words() -> None:
    pieces = split_text("word " * 2000, 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert all(not p.endswith("wor") for p in pieces)
    assert " ".join(pieces).split() == ["word"] * 2000


def test_short_answer_fits_in_one_section_with_sources_and_buttons() -> None:
    answer = Answer(text="Reset it in the **portal** [1].", citations=(citation(1),))
    blocks = answer_blocks(answer, answer_id=3)
    assert texts(blocks)[0] == "Reset it in the *portal* [1]."
    sources = texts(blocks)[1]
    assert "<https://wiki.example/doc/1|Doc 1>" in sources
    assert "Confluence" in sources and "updated 3 days ago" in sources
    (buttons,) = blocks[-2]["elements"]
    assert buttons["type"] == "feedback_buttons"
    assert buttons["positive_button"]["value"] == "up:3"
    assert buttons["negative_button"]["value"] == "down:3"
    (ask,) = blocks[-1]["elements"]
    assert ask["action_id"] == "helpdesk_handoff" and ask["value"] == "3"


def test_final_blocks_are_sources_then_feedback() -> None:
    blocks = final_blocks(Answer(text="x", citations=(citation(1),)), 12)
    assert [b["type"] for b in blocks] == ["section", "context_actions", "actions"]


def test_markdown_becomes_mrkdwn_and_control_characters_are_escaped() -> None:
    md = "# VPN\n**Bold** and [the guide](https://x.example/a?b=1) for <admins> & co\n- one"
    out = to_mrkdwn(md)
    assert out.splitlines()[0] == "*VPN*"
    assert "*Bold*" in out
    assert "<https://x.example/a?b=1|the guide>" in out
    assert "&lt;admins&gt; &amp; co" in out
    assert out.splitlines()[-1] == "• one"


def test_a_file_path_citation_is_not_linked() -> None:
    blocks = final_blocks(
        Answer(text="x", citations=(citation(1, url="file:///srv/kb/a.md", title="A <b>"),)), None
    )
    text = texts(blocks)[0]
    assert "file:///" not in text and "A &lt;b&gt;" in text


def event_body(**event: Any) -> dict[str, Any]:
    base = {"type": "message", "channel": "C1", "user": "U1", "ts": "1.1", "text": "hi"}
    base.update(event)
    return {"event_id": "Ev1", "team_id": "T1", "event": base}


def test_questions_are_recognised_and_the_bots_mention_is_removed() -> None:
    incoming, reason = parse(event_body(text=f"<@{BOT}> how do I print?"), "mention", BOT)
    assert reason is None and incoming is not None
    assert incoming.text == "how do I print?" and incoming.mentions_bot
    assert incoming.thread_ts == "1.1" and not incoming.in_thread

    reply, _ = parse(event_body(thread_ts="0.5", ts="1.2"), "message", BOT)
    assert reply is not None and reply.thread_ts == "0.5" and reply.in_thread


def test_bots_edits_and_joins_are_not_questions() -> None:
    for event in (
        {"bot_id": "B2"},
        {"subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "channel_join"},
        {"user": BOT},
    ):
        incoming, reason = parse(event_body(**event), "message", BOT)
        assert incoming is None and reason


def test_escalation_mention_formats() -> None:
    assert escalation_mention("S0123ABCD") == "<!subteam^S0123ABCD>"
    assert escalation_mention("U0123ABCD") == "<@U0123ABCD>"
    assert escalation_mention("@here") == "<!here>"
    assert escalation_mention("<!subteam^S1|it>") == "<!subteam^S1|it>"
    assert escalation_mention("  ") is None


def test_manifest_installs_what_the_adapter_uses() -> None:
    import yaml

    from tests.conftest import REPO

    manifest = yaml.safe_load((REPO / "manifests" / "slack.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "app_mentions:read",
        "chat:write",
        "im:history",
        "channels:history",
        "groups:history",
        "mpim:history",
        "users:read",
        "users:read.email",
        "reactions:write",
        "commands",
        "assistant:write",
        # conversations.info for each kind of conversation
        "channels:read",
        "groups:read",
        "im:read",
        "mpim:read",
        # conversations.open (reindex progress in a DM when the bot is not in the channel)
        "im:write",
    } <= scopes
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {
        "app_mention",
        "message.im",
        "message.channels",
        "message.groups",
        "assistant_thread_started",
    } <= events
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/helpdesk"]


# ---------------------------------------------------------------- escaping and links


def test_the_one_escaping_function_escapes_slacks_three_control_characters() -> None:
    assert escape("Q&A <draft> for R&D > 3") == "Q&amp;A &lt;draft&gt; for R&amp;D &gt; 3"
    assert escape("<!channel> <@U0ADMIN>") == "&lt;!channel&gt; &lt;@U0ADMIN&gt;"
    assert escape("no specials, *bold* and `code`") == "no specials, *bold* and `code`"


def test_source_urls_encode_the_link_delimiters_and_escape_ampersands() -> None:
    url = "https://wiki.example/a?b=1&c=x|y<z>"
    assert link(url, "Q&A | <draft>") == (
        "<https://wiki.example/a?b=1&amp;c=x%7Cy%3Cz%3E|Q&amp;A ¦ &lt;draft&gt;>"
    )
    assert link("javascript:alert(1)", "Evil <b>") == "Evil &lt;b&gt;"
    when = datetime.now(UTC) - timedelta(days=3)
    line = source_line(
        citation(
            2, title="Pay & benefits <2026>", url="https://hr.example/p?a=1&b=2", updated_at=when
        )
    )
    assert line == (
        "[2] <https://hr.example/p?a=1&amp;b=2|Pay &amp; benefits &lt;2026&gt;> — Confluence, "
        "updated 3 days ago"
    )


def test_markdown_links_keep_their_target_whole() -> None:
    assert to_mrkdwn("See [the form](https://x.example/f?a=1&b=2|3) & **sign** <it>") == (
        "See <https://x.example/f?a=1&amp;b=2%7C3|the form> &amp; *sign* &lt;it&gt;"
    )


def test_the_plain_text_fallback_is_escaped() -> None:
    assert fallback_text("Use <b> & <!here> [1]") == "Use &lt;b&gt; &amp; &lt;!here&gt; [1]"
    long = "word " * 1000 + "<!channel>"
    cut = fallback_text(long)
    assert cut.endswith("word…") and "<" not in cut and len(cut) <= 3000


def test_a_long_answer_is_split_between_whole_links() -> None:
    first = "Open " + "<https://wiki.example/very/long/path/to/the/page|the page>"
    text = f"{first} then " + "<https://wiki.example/second|second page> now."
    pieces = split_text(text, 80)
    assert pieces == [
        "Open <https://wiki.example/very/long/path/to/the/page|the page> then",
        "<https://wiki.example/second|second page> now.",
    ]
    # a link straddling the limit with no space before it in the second half moves whole
    squeezed = "x" * 30 + "<https://wiki.example/a/b/c/d/e/f/g|a label with spaces in it>"
    assert split_text(squeezed, 70) == [
        "x" * 30,
        "<https://wiki.example/a/b/c/d/e/f/g|a label with spaces in it>",
    ]


def test_a_long_answer_is_split_between_whole_markdown_constructs() -> None:
    text = (
        "Steps: *do not restart the laptop before the update is done* and then "
        "`sudo apt upgrade -y` twice."
    )
    pieces = split_text(text, 58)
    assert pieces == [
        "Steps:",
        "*do not restart the laptop before the update is done* and",
        "then `sudo apt upgrade -y` twice.",
    ]
    # only a construct longer than the limit itself is cut inside
    assert split_text("*" + "x" * 70 + "*", 40) == ["*" + "x" * 39, "x" * 31 + "*"]
    block = "Run:\n```\nline one\nline two\n```\nDone."
    assert split_text(block, 27) == ["Run:", "```\nline one\nline two\n```", "Done."]


def test_an_underscore_before_a_link_does_not_expose_the_link_to_a_cut() -> None:
    text = "see file_name <https://wiki.example/a_b|the long label here> ok"
    assert split_text(text, 50) == [
        "see file_name",
        "<https://wiki.example/a_b|the long label here> ok",
    ]


def test_links_with_brackets_and_parentheses_stay_whole() -> None:
    # a source title or URL with `]`, `)`, `|`, `<`, `>`, `&` cannot end the link early
    assert link("https://wiki.example/Foo_(bar)?q=[1]&r=2", "Guide [v2] (draft) | <old> & new") == (
        "<https://wiki.example/Foo_(bar)?q=[1]&amp;r=2|Guide [v2] (draft) ¦ &lt;old&gt; &amp; new>"
    )
    # the same in an answer's Markdown: balanced brackets in the text, parentheses in the URL
    assert to_mrkdwn(
        "See [Guide [v2]](https://wiki.example/Foo_(bar)) & [x](https://a.example/b)."
    ) == ("See <https://wiki.example/Foo_(bar)|Guide [v2]> &amp; <https://a.example/b|x>.")
    # a link that is not to a web page stays text
    assert to_mrkdwn("[run](javascript:alert(1))") == "[run](javascript:alert(1))"


def test_streamed_markdown_is_escaped_like_the_fallback_but_keeps_block_quotes() -> None:
    answer = "> | Who | Q&A <draft> |\n> > nested <!channel>\n   >indented\nx > y & <@U0ADMIN>"
    assert escape_markdown(answer) == (
        "> | Who | Q&amp;A &lt;draft&gt; |\n> > nested &lt;!channel&gt;\n   >indented\n"
        "x &gt; y &amp; &lt;@U0ADMIN&gt;"
    )
    # the same characters as the mrkdwn fallback's one escaping function
    assert escape_markdown("a <b> & c") == escape("a <b> & c") == fallback_text("a <b> & c")
    # mid-line, a `>` is text; after indentation alone it opens a quote
    assert escape_markdown("> q", after="some text ") == "&gt; q"
    assert escape_markdown("> q", after="  ") == "> q"
    assert escape_markdown("    > code") == "    &gt; code"


def test_streamed_pieces_escape_the_same_wherever_the_text_is_cut() -> None:
    answer = "Intro & more\n> quoted <b>\n>> deeper\ntext > x <!here>\n\n> last"
    whole = escape_markdown(answer)
    for cut in range(len(answer) + 1):
        first, second = answer[:cut], answer[cut:]
        line = first.rpartition("\n")[2]
        assert escape_markdown(first) + escape_markdown(second, after=line) == whole, cut


def test_a_cut_never_splits_an_escaped_character() -> None:
    escaped = escape_markdown("ab<&>")  # "ab&lt;&amp;&gt;"
    assert [escaped[: safe_cut(escaped, n)] for n in range(2, 16)] == [
        "ab", "ab", "ab", "ab", "ab&lt;", "ab&lt;", "ab&lt;", "ab&lt;", "ab&lt;",
        "ab&lt;&amp;", "ab&lt;&amp;", "ab&lt;&amp;", "ab&lt;&amp;", "ab&lt;&amp;&gt;",
    ]  # fmt: skip


def test_code_spans_and_blocks_in_the_streamed_markdown_are_escaped_too() -> None:
    """Slack: "all text in Slack uses the same system of escaping" — only `&amp;`, `&lt;`,
    `&gt;` are decoded for display, and its Markdown reference names no exception for
    code. So a `<!channel>` quoted in code is escaped like any other text: at worst it
    shows as written, never as a mention."""
    answer = "Run `grep '<!here>' a && b`:\n```\nif x > 1 && y < 2:\n> not a quote\n```"
    assert escape_markdown(answer) == (
        "Run `grep '&lt;!here&gt;' a &amp;&amp; b`:\n```\nif x &gt; 1 &amp;&amp; y &lt; 2:\n"
        "> not a quote\n```"
    )
    assert to_mrkdwn("`a <b> & c`") == "`a &lt;b&gt; &amp; c`"  # the mrkdwn form alike
