"""The auto-answer rate limit is shared through the state store: two `serve` replicas
(two conversation services on one database) give the same person no more than three
unprompted answers a minute between them."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from bot.conversation.inbound import Final, InboundMessage, Offer
from bot.helpchannels.channels import ChannelSettingsLookup, ChannelSettingsRepository
from bot.helpchannels.gate import AutoAnswerGate, ChannelMessage
from bot.helpchannels.rate_limit import AutoAnswerRateLimit
from bot.helpchannels.tables import auto_answer_slots
from bot.models import Asker
from bot.services import Services, build_services
from bot.settings import Settings
from connectors.embedder import HashingEmbedding
from connectors.files import FilesConnector
from connectors.state import StateStore

HELP = "C0HELPDESK"
QUESTION = "How many days of annual leave do I get?"


def replicas(tmp_path: Path) -> tuple[Services, Services]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "leave.md").write_text("# Annual leave\n\nEveryone gets 25 days of annual leave.\n")
    settings = Settings(
        _env_file=None,
        helpdesk_data_dir=tmp_path / "data",
        files_path=docs,
        run_worker=False,
    )
    first = build_services(settings, embedder=HashingEmbedding())
    assert first.sync_engine().run(FilesConnector(docs)).status == "succeeded"
    first.channels.update(HELP, auto_answer=True)
    return first, build_services(settings, embedder=HashingEmbedding())


def post(services: Services, user: str, n: int) -> list[object]:
    """A new top-level message in the help channel, not addressed to the bot."""
    msg = InboundMessage(
        asker=Asker(platform="slack", user_id=user, email=f"{user.lower()}@example.com"),
        thread=f"{HELP}:{user}:{n}",
        message_id=f"{user}-{n}",
        text=QUESTION,
        insider=True,
        channel_id=HELP,
    )

    async def run() -> list[object]:
        return [event async for event in services.conversation.handle(msg)]

    return asyncio.run(run())


def tried(events: list[object]) -> bool:
    """The bot took the message up (an answer, or the asker's private offer)."""
    return any(isinstance(e, Final | Offer) for e in events)


def test_two_replicas_share_one_persons_limit(tmp_path: Path) -> None:
    a, b = replicas(tmp_path)
    try:
        assert tried(post(a, "U0ANA", 1))
        assert tried(post(b, "U0ANA", 2))
        assert tried(post(a, "U0ANA", 3))
        # the fourth in the same minute, on either replica: nothing at all
        assert post(b, "U0ANA", 4) == []
        assert post(a, "U0ANA", 5) == []
        assert tried(post(b, "U0BEN", 1))  # someone else is not held back
    finally:
        a.state.dispose()
        b.state.dispose()


def test_slots_free_up_after_a_minute_and_concurrent_takes_never_exceed_it(db_url: str) -> None:
    """On SQLite and PostgreSQL (`db_url`): claims are single statements one replica wins."""
    state = StateStore(db_url)
    now = [1_000_000.0]
    one = AutoAnswerRateLimit(state.engine, 3, clock=lambda: now[0])
    two = AutoAnswerRateLimit(state.engine, 3, clock=lambda: now[0])
    assert [one.take("U0ANA"), two.take("U0ANA"), one.take("U0ANA")] == [True] * 3
    assert not two.take("U0ANA") and not one.take("U0ANA")
    now[0] += 30
    assert not two.take("U0ANA")
    now[0] += 31  # a minute after the first three
    assert two.take("U0ANA")
    assert one.take("U0ANA") and one.take("U0ANA")
    assert not two.take("U0ANA")

    # eight threads on two limiters racing for one person's three slots
    results: list[bool] = []
    lock = threading.Lock()

    def race(limiter: AutoAnswerRateLimit) -> None:
        ok = limiter.take("U0CAS")
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=race, args=(one if i % 2 else two,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True] * 3
    state.dispose()


def test_without_the_shared_count_nothing_is_answered_unprompted(state: StateStore) -> None:
    repo = ChannelSettingsRepository(state.engine)
    repo.update(HELP, auto_answer=True)
    gate = AutoAnswerGate(ChannelSettingsLookup(repo))
    message = ChannelMessage(HELP, "U0ANA", QUESTION, False, True, True)
    assert gate.decide(message).answer
    auto_answer_slots.drop(state.engine)  # the shared count cannot be read
    decision = gate.decide(message)
    assert (decision.answer, decision.reason) == (False, "rate limited")
