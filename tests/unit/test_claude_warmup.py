"""The Claude helper warms the SDK's response parsing on a canned answer: the real
client parses it as a real answer (its text, then its citation), and the first real
question afterwards is answered as usual, from the API it was asked of."""

from __future__ import annotations

from bot.answering import claude_api
from bot.answering.claude_warmup import warm_up
from bot.answering.pieces import CitedPiece, TextPiece
from tests.fakes.claude import FakeClaude


async def test_the_canned_answer_parses_as_a_real_one() -> None:
    assert await warm_up() is True


async def test_after_the_warm_up_the_first_question_goes_to_the_api() -> None:
    fake = FakeClaude()
    fake.reply([("You get 27 days", (0, "27 days"))])
    await warm_up()
    client = claude_api.make_client("sk-test", None, 10, 0, http_client=fake.client())
    pieces = [
        piece
        async for piece in claude_api.stream_answer(
            client,
            model="claude-test",
            max_tokens=64,
            system="s",
            messages=[{"role": "user", "content": "How much leave?"}],
        )
    ]
    text = "".join(piece.text for piece in pieces if isinstance(piece, TextPiece))
    assert text == "You get 27 days"
    assert pieces[-1] == CitedPiece(((0, "27 days"),))
    assert len(fake.streamed_requests) == 1
