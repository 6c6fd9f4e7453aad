"""The text streamed into Slack (`markdown_text`, standard Markdown) through the real
`AsyncWebClient` against the fake Slack Web API: escaped with the same escaping as the
mrkdwn fallback wherever the model's deltas are cut, block quotes kept, never a split
`&…;`, and an error message escaped on every path."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.render import escape_markdown, fallback_text
from bot.adapters.slack.streaming import APPEND_LIMIT, STREAM_TEXT_LIMIT, AnswerStream
from tests.fakes.slack_api import TEAM, FakeSlackApi

CHANNEL, THREAD, ASKER = "C0HELPDESK", "1780000000.000100", "U0ASKER"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    api.add_channel(CHANNEL)
    await api.start()
    yield api
    await api.stop()


def streamed_pieces(fake: FakeSlackApi) -> list[str]:
    """The Markdown text of every chat.*Stream call, as sent (the SDK sends it as
    `markdown_text` chunks)."""
    pieces = []
    for call in fake.calls:
        if call.method.startswith("chat.") and call.method.endswith("Stream"):
            chunks = call.args.get("chunks") or []
            text = str(call.args.get("markdown_text") or "")
            text += "".join(c.get("text", "") for c in chunks if c.get("type") == "markdown_text")
            if text:
                pieces.append(text)
    return pieces


def answer_stream(fake: FakeSlackApi) -> AnswerStream:
    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
    return AnswerStream(
        client,
        channel=CHANNEL,
        thread_ts=THREAD,
        recipient_team_id=TEAM,
        recipient_user_id=ASKER,
        interval=0.0,
    )


async def test_deltas_cut_anywhere_stream_the_escaped_answer(fake: FakeSlackApi) -> None:
    stream = answer_stream(fake)
    deltas = ["Per the page:\n", "> Q&A <dra", "ft>\n>", " second <!chan", "nel>\nDone & dusted."]
    for delta in deltas:
        await stream.add(delta)
    ts = await stream.finish([], [], "unused")
    (posted,) = fake.answers_in(CHANNEL, THREAD)
    assert posted.ts == ts
    assert posted.text == (
        "Per the page:\n> Q&amp;A &lt;draft&gt;\n> second &lt;!channel&gt;\nDone &amp; dusted."
    )
    assert posted.text == escape_markdown("".join(deltas))
    # every piece went out as its own call: none holds a half-escaped character
    sent = streamed_pieces(fake)
    assert len(sent) > 1 and "".join(sent) == posted.text
    assert all(not s.rstrip(";").endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))
               for s in sent)  # fmt: skip


async def test_a_huge_answer_is_cut_at_whole_characters_within_the_limits(
    fake: FakeSlackApi,
) -> None:
    stream = answer_stream(fake)
    stream.flush_chars = 10**9  # one large flush at the end
    await stream.add("x")
    await stream.add("ab" + "&" * 20_000)  # 100,002 characters once escaped
    await stream.finish([], [], "unused")
    (posted,) = fake.answers_in(CHANNEL, THREAD)
    note = "\n\n" + escape_markdown(messages.SLACK_TRUNCATED)
    body = posted.text.removesuffix(note)
    assert body != posted.text and body == "xab" + "&amp;" * ((STREAM_TEXT_LIMIT - 3) // 5)
    pieces = streamed_pieces(fake)
    assert len(pieces) > 3 and all(len(p) <= APPEND_LIMIT for p in pieces)
    assert all(p.startswith(("ab", "&amp;", "\n\n")) for p in pieces if p != "x")


async def test_an_error_is_escaped_whether_or_not_the_stream_had_started(
    fake: FakeSlackApi,
) -> None:
    failure = "Sorry <!here>: the index of R&D is unavailable."
    await answer_stream(fake).fail(failure)
    (posted,) = fake.answers_in(CHANNEL, THREAD)
    assert (
        posted.text
        == fallback_text(failure)
        == ("Sorry &lt;!here&gt;: the index of R&amp;D is unavailable.")
    )
    started = answer_stream(fake)
    await started.add("Partial <answer>")
    await started.fail(failure)
    streamed = fake.answers_in(CHANNEL, THREAD)[-1]
    assert streamed.text == (
        "Partial &lt;answer&gt;\n\nSorry &lt;!here&gt;: the index of R&amp;D is unavailable."
    )
