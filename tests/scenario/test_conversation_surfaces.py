"""One conversation script through every surface — Slack (signed requests into the real
Bolt app, fake Web API), Teams (the real /api/messages route, fake connector) and the
terminal — with the same neutral outcomes: the same answers and citations, the same
records in the chat store, the same notice and the same apology.

The script: a mention in a channel; a follow-up in its thread; 👍 on the first answer and
👎 on the second; a mention in a channel shared with another organisation; a mention
while Claude is overloaded."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot import messages
from bot.adapters.slack.render import ACTION_FEEDBACK
from bot.adapters.terminal import TerminalSession
from bot.conversation.inbound import Click
from bot.services import Services
from connectors.embedder import OnnxEmbedding
from tests.fakes.claude import FakeClaude
from tests.scenario import slack_harness as slack
from tests.scenario import teams_harness as teams

FIRST = "How do I reset my password?"
FOLLOW_UP = "and on a mac?"
EXTERNAL = "How do I reset my password from a partner laptop?"
FAILING = "How do I report a phishing email?"
ANSWER = "Use the self-service portal to reset your password"
OTHER_TENANT = "0b0b0b0b-1111-2222-3333-444444444444"


class Surface(Protocol):
    services: Services

    async def ask(self, text: str) -> str: ...  # a mention in a channel: what is shown
    async def follow_up(self, text: str) -> str: ...  # in the thread of the last ask
    async def vote(self, which: int, rating: int) -> None: ...  # on the which-th answer
    async def ask_external(self, text: str) -> str: ...  # in an external channel


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return slack.synced_index(tmp_path_factory, onnx_embedder)


@pytest.fixture
def claude() -> FakeClaude:
    fake = FakeClaude(rewrite="how do I reset my password on a mac")
    fake.reply([(ANSWER, (0, "reset")), (". It takes about five minutes.", None)])
    return fake


# ---------------------------------------------------------------------- Slack
@dataclass
class SlackSurface:
    h: slack.SlackHarness
    services: Services
    threads: list[str]
    answer_ids: list[str]

    async def _shown(self, channel: str, thread_ts: str) -> str:
        await self.h.settle()
        posted = self.h.fake.answers_in(channel, thread_ts)[-1]
        for block in posted.blocks:
            if block["type"] == "context_actions":
                value = str(block["elements"][0]["positive_button"]["value"])
                self.answer_ids.append(value.removeprefix("up:"))
        return posted.text

    async def ask(self, text: str) -> str:
        ev = slack.mention(slack.PUBLIC, slack.DANA[0], text)
        self.threads.append(ev["ts"])
        await self.h.event(ev)
        return await self._shown(slack.PUBLIC, ev["ts"])

    async def follow_up(self, text: str) -> str:
        thread = self.threads[-1]
        await self.h.event(slack.message(slack.PUBLIC, slack.DANA[0], text, thread_ts=thread))
        return await self._shown(slack.PUBLIC, thread)

    async def vote(self, which: int, rating: int) -> None:
        await self.h.click(
            ACTION_FEEDBACK,
            f"{'up' if rating > 0 else 'down'}:{self.answer_ids[which]}",
            user=slack.DANA[0],
            channel=slack.PUBLIC,
            message_ts=self.threads[0],
            thread_ts=self.threads[0],
            kind="feedback_buttons",
        )
        await self.h.settle()

    async def ask_external(self, text: str) -> str:
        ev = slack.mention(slack.SHARED, slack.DANA[0], text)
        await self.h.event(ev)
        return await self._shown(slack.SHARED, ev["ts"])


# ---------------------------------------------------------------------- Teams
@dataclass
class TeamsSurface:
    t: teams.TeamsHarness
    services: Services
    roots: list[dict[str, Any]]
    replies: list[tuple[dict[str, Any], str]]

    async def _send(self, activity: dict[str, Any]) -> str:
        response = await self.t.post(activity)  # acknowledged, then answered out of band
        assert response.status == 202
        reply = self.t.connector.messages(activity["conversation"]["id"])[-1]
        self.replies.append((activity["conversation"], str(reply.activity_id)))
        return reply.text

    async def ask(self, text: str) -> str:
        activity = teams.channel_mention(self.t.service_url, text)
        self.roots.append(activity)
        return await self._send(activity)

    async def follow_up(self, text: str) -> str:
        root = self.roots[-1]["id"]
        return await self._send(teams.channel_mention(self.t.service_url, text, root_id=root))

    async def vote(self, which: int, rating: int) -> None:
        conversation, message_id = self.replies[which]
        reaction = "like" if rating > 0 else "dislike"
        invoke = teams.feedback_invoke(self.t.service_url, conversation, message_id, reaction)
        assert (await self.t.post(invoke)).status == 200

    async def ask_external(self, text: str) -> str:
        """A channel of a team hosted by another organisation (Teams shared channel)."""
        activity = teams.channel_mention(self.t.service_url, text)
        activity["conversation"]["tenantId"] = OTHER_TENANT
        activity["conversation"]["id"] = activity["conversation"]["id"].replace("general", "ext")
        activity["channelData"]["tenant"] = {"id": OTHER_TENANT}
        return await self._send(activity)


# ---------------------------------------------------------------------- terminal
@dataclass
class TerminalSurface:
    services: Services
    session: TerminalSession | None = None
    answer_ids: list[int | None] | None = None

    async def _run(self, session: TerminalSession, text: str) -> str:
        out = io.StringIO()
        session.out = out
        await session.ask(text)
        assert self.answer_ids is not None
        self.answer_ids.append(session.last_answer_id)
        return out.getvalue()

    async def ask(self, text: str) -> str:
        self.session = TerminalSession(self.services.conversation)
        return await self._run(self.session, text)

    async def follow_up(self, text: str) -> str:
        assert self.session is not None
        return await self._run(self.session, text)

    async def vote(self, which: int, rating: int) -> None:
        assert self.answer_ids is not None and self.session is not None
        answer_id = self.answer_ids[which]
        assert answer_id is not None
        click = Click(asker=self.session.asker, thread=self.session.thread, is_external=False)
        await self.services.conversation.feedback(click, rating, answer_id=answer_id)

    async def ask_external(self, text: str) -> str:
        return await self._run(TerminalSession(self.services.conversation, external=True), text)


# ---------------------------------------------------------------------- the script
@pytest.fixture(params=["slack", "teams", "terminal"])
async def surface(
    request: pytest.FixtureRequest,
    synced_dir: Path,
    tmp_path: Path,
    onnx_embedder: OnnxEmbedding,
    claude: FakeClaude,
) -> AsyncIterator[Surface]:
    services = slack.make_services(
        synced_dir, tmp_path, onnx_embedder, claude, microsoft_app_tenant_id=teams.TENANT
    )
    if request.param == "slack":
        h = await slack.start_harness(services)
        yield SlackSurface(h, services, [], [])
        await slack.stop_harness(h)
    elif request.param == "teams":
        async with teams.TeamsHarness(services) as t:
            yield TeamsSurface(t, services, [], [])
        services.state.dispose()
    else:
        yield TerminalSurface(services, answer_ids=[])
        services.state.dispose()


async def test_one_conversation_has_the_same_outcomes_on_every_surface(
    surface: Surface, claude: FakeClaude
) -> None:
    first = await surface.ask(FIRST)
    assert ANSWER in first and "[1]" in first

    follow = await surface.follow_up(FOLLOW_UP)
    assert ANSWER in follow
    # the thread's earlier turns were the context of the follow-up
    rewrite = next(r for r in claude.requests if not r.get("stream"))
    context = rewrite["messages"][0]["content"]
    assert f"user: {FIRST}" in context and f"assistant: {ANSWER}" in context

    await surface.vote(0, +1)
    await surface.vote(1, -1)

    external = await surface.ask_external(EXTERNAL)
    assert messages.EXTERNAL_CHANNEL_NOTICE in external and ANSWER in external

    claude.fail_with = 529
    failed = await surface.ask(FAILING)
    assert messages.CLAUDE_OVERLOADED in failed and ANSWER not in failed

    chat = surface.services.chat
    records = [(a["question"], a["answer"], a["doc_ids"], a["grounded"]) for a in chat.answers()]
    answer_text = f"{ANSWER} [1]. It takes about five minutes."
    assert [(q, a, g) for q, a, _, g in records] == [
        (FIRST, answer_text, True),
        (FOLLOW_UP, answer_text, True),
        (EXTERNAL, answer_text, True),
    ]
    assert len({tuple(d) for _, _, d, _ in records}) == 1 and records[0][2]
    votes = [(f["question"], f["rating"]) for f in chat.feedback_rows()]
    assert votes == [(FIRST, 1), (FOLLOW_UP, -1)]
    stats = chat.answer_stats(min(a["created_at"] for a in chat.answers()))
    assert stats == {"answers": 3, "up": 1, "down": 1}
