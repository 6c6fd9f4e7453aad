"""`helpdesk ask` calls Claude through a helper process (`claude_worker`) that loads the
SDK on another core: answers, rewrites and API errors come back from it unchanged; a
helper that is gone before answering leaves the answer to this process; the API key
never shows in the helper's command line or environment; and the answering side never
imports `anthropic` (that import is the second of start-up it saves)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_index.core.schema import NodeWithScore, TextNode

from bot import messages
from bot.answering.claude import ClaudeGenerator, make_client
from bot.answering.claude_lazy import LazyClaude
from bot.answering.claude_process import ClaudeWorker, start_worker
from bot.answering.claude_worker import PRIORITY_STEP
from bot.answering.pieces import CitedPiece, TextPiece
from bot.errors import AnswerServiceError
from bot.models import Turn
from bot.settings import Settings
from tests.fakes.claude import FakeClaude
from tests.fakes.claude_server import serve

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-ant-worker-test-secret"


def passage() -> NodeWithScore:
    node = TextNode(
        text="HR › Leave\n\nYou get 27 days of annual leave.",
        metadata={"title": "Leave", "url": "https://kb.example/leave", "doc_id": "kb:leave"},
    )
    return NodeWithScore(node=node, score=0.9)


@pytest.fixture
def fake() -> FakeClaude:
    fake = FakeClaude()
    fake.reply([("You get 27 days", (0, "27 days"))])
    return fake


@pytest.fixture
def worker(fake: FakeClaude, tmp_path: Path) -> Iterator[ClaudeWorker]:
    with serve(fake) as url:
        settings = Settings(
            _env_file=None,
            anthropic_api_key=KEY,
            anthropic_base_url=url,
            anthropic_max_retries=0,
            helpdesk_data_dir=tmp_path,
        )
        started = start_worker(settings)
        assert started is not None
        yield started
        started.close()


def in_process_never_used() -> ClaudeGenerator:
    raise AssertionError("the answer should have come from the helper process")


async def test_the_answer_and_its_citations_come_from_the_helper(
    worker: ClaudeWorker, fake: FakeClaude
) -> None:
    lazy = LazyClaude(in_process_never_used, worker)
    pieces = [p async for p in lazy.stream("How much leave?", [], [passage()])]
    assert "".join(p.text for p in pieces if isinstance(p, TextPiece)) == "You get 27 days"
    assert [p.citations for p in pieces if isinstance(p, CitedPiece)] == [((0, "27 days"),)]
    [request] = fake.streamed_requests
    assert request["messages"][-1]["content"][0]["type"] == "search_result"
    assert request["system"].startswith("You are the internal helpdesk assistant")


async def test_a_follow_up_is_rewritten_through_the_helper(
    worker: ClaudeWorker, fake: FakeClaude
) -> None:
    fake.rewrite = "annual leave days per year\n(the employee asks about leave)"
    lazy = LazyClaude(in_process_never_used, worker)
    history = [Turn("user", "How much leave do I get?"), Turn("assistant", "27 days")]
    assert await lazy.rewrite_query("und im Jahr danach?", history) == "annual leave days per year"


async def test_an_api_error_reaches_the_asker_as_the_in_process_client_says_it(
    worker: ClaudeWorker, fake: FakeClaude
) -> None:
    fake.fail_with = 401
    lazy = LazyClaude(in_process_never_used, worker)
    with pytest.raises(AnswerServiceError) as caught:
        [p async for p in lazy.stream("How much leave?", [], [passage()])]
    assert caught.value.user_message == messages.CLAUDE_AUTH


async def test_a_helper_gone_before_answering_leaves_the_answer_to_this_process(
    worker: ClaudeWorker, fake: FakeClaude
) -> None:
    worker.close()  # it exited (killed, out of memory...) before the question came

    def in_process() -> ClaudeGenerator:
        client = make_client(KEY, None, 10, 0, http_client=fake.client())
        return ClaudeGenerator(client, "claude-test", 512, "Northwind", "#it-help")

    lazy = LazyClaude(in_process, worker)
    pieces = [p async for p in lazy.stream("How much leave?", [], [passage()])]
    assert "".join(p.text for p in pieces if isinstance(p, TextPiece)) == "You get 27 days"
    assert len(fake.streamed_requests) == 1, "asked once, in this process"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_the_key_is_not_in_the_helpers_command_line_or_environment(
    worker: ClaudeWorker,
) -> None:
    pid = worker.pid
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert KEY.encode() not in cmdline and KEY.encode() not in environ


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX scheduling priority")
async def test_the_helper_yields_the_cores_to_the_answering_process(
    worker: ClaudeWorker,
) -> None:
    """The first answer waits on this process's start-up, not on the helper's: the
    helper runs at a lower priority (a higher nice value) than the process it serves."""
    lazy = LazyClaude(in_process_never_used, worker)
    pieces = [p async for p in lazy.stream("How much leave?", [], [passage()])]
    assert pieces, "answered: the helper is up and has set its priority"
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(ours + PRIORITY_STEP, 19)


def test_the_answering_side_does_not_import_the_sdk() -> None:
    code = (
        "import sys, bot.services, bot.cli, bot.answering.claude_lazy;"
        "print('anthropic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
