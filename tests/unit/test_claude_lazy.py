"""`LazyClaude`: the `anthropic` import runs in a background thread; answers wait for it,
and an import that lost a race with the main thread is retried once, not shown."""

from __future__ import annotations

import threading

from llama_index.core.schema import NodeWithScore, TextNode

from bot.answering.claude import ClaudeGenerator, make_client
from bot.answering.claude_lazy import LazyClaude
from bot.answering.pieces import CitedPiece, TextPiece
from tests.fakes.claude import FakeClaude


def passage() -> NodeWithScore:
    node = TextNode(
        text="HR › Leave\n\nYou get 27 days of annual leave.",
        metadata={"title": "Leave", "url": "https://kb.example/leave", "doc_id": "kb:leave"},
    )
    return NodeWithScore(node=node, score=0.9)


def generator(fake: FakeClaude) -> ClaudeGenerator:
    client = make_client("sk-test", None, 10, 0, http_client=fake.client())
    return ClaudeGenerator(client, "claude-test", 512, "Northwind", "#it-help")


async def test_the_answer_waits_for_the_background_import() -> None:
    fake = FakeClaude()
    fake.reply([("You get 27 days", (0, "27 days"))])
    release = threading.Event()

    def build() -> ClaudeGenerator:
        release.wait(5)  # the import is still running when the question comes in
        return generator(fake)

    lazy = LazyClaude(build)
    threading.Timer(0.2, release.set).start()
    pieces = [p async for p in lazy.stream("How much leave?", [], [passage()])]
    assert "".join(p.text for p in pieces if isinstance(p, TextPiece)) == "You get 27 days"
    assert [p.citations for p in pieces if isinstance(p, CitedPiece)] == [((0, "27 days"),)]


async def test_an_import_that_lost_a_race_is_built_again_once() -> None:
    fake = FakeClaude()
    fake.reply([("You get 27 days", (0, "27 days"))])
    calls: list[int] = []

    def build() -> ClaudeGenerator:
        calls.append(1)
        if len(calls) == 1:
            raise ImportError("cannot import name 'X' (most likely due to a circular import)")
        return generator(fake)

    lazy = LazyClaude(build)
    pieces = [p async for p in lazy.stream("How much leave?", [], [passage()])]
    assert any(isinstance(p, TextPiece) for p in pieces)
    assert len(calls) == 2
