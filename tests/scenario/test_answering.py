"""Answering end to end: the real index over samples/, the real ONNX embedder, the real
`anthropic` client talking to a fake Messages API (httpx2.MockTransport)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answering.engine import AnswerEngine, Final, TextDelta
from bot.errors import AnswerServiceError
from bot.models import Answer, Asker, PermissionScope, Question, Surface, Turn
from bot.services import Services, build_services
from bot.settings import Settings
from connectors.embedder import OnnxEmbedding
from connectors.files import FilesConnector
from tests.conftest import SAMPLES
from tests.fakes.claude import FakeClaude

HANNAH = "hannah.hr@northwind.example"
DANA = "dana.dev@northwind.example"


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    data = tmp_path_factory.mktemp("answering")
    services = build_services(settings_for(data), embedder=onnx_embedder)
    run = services.sync_engine().run(FilesConnector(SAMPLES))
    assert run.status == "succeeded" and run.failed == 0
    services.state.dispose()
    return data


def settings_for(data: Path, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        helpdesk_data_dir=data,
        files_path=SAMPLES,
        **extra,
    )


@pytest.fixture
def claude() -> FakeClaude:
    return FakeClaude()


@pytest.fixture
def with_claude(
    synced_dir: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude
) -> Iterator[Services]:
    services = build_services(
        settings_for(synced_dir, anthropic_api_key="sk-test", anthropic_max_retries=0),
        embedder=onnx_embedder,
        anthropic_http_client=claude.client(),
    )
    yield services
    services.state.dispose()


@pytest.fixture
def extractive(synced_dir: Path, onnx_embedder: OnnxEmbedding) -> Iterator[Services]:
    services = build_services(settings_for(synced_dir), embedder=onnx_embedder)
    yield services
    services.state.dispose()


def ask(
    engine: AnswerEngine, text: str, email: str | None = None, history: tuple[Turn, ...] = ()
) -> tuple[Answer, list[str]]:
    import asyncio

    surface = Surface.DM if email else Surface.CHANNEL
    asker = Asker(platform="test", user_id=email or "u1", email=email)
    question = Question(text, asker, "conv-1", history, surface, insider=bool(email))

    async def run() -> tuple[Answer, list[str]]:
        deltas: list[str] = []
        final = None
        async for event in engine.stream(question):
            if isinstance(event, TextDelta):
                deltas.append(event.text)
            elif isinstance(event, Final):
                final = event.answer
        assert final is not None
        return final, deltas

    return asyncio.run(run())


def titles_sent(request: dict[str, Any]) -> list[str]:
    content = request["messages"][-1]["content"]
    return [b["title"] for b in content if b.get("type") == "search_result"]


def test_claude_answer_is_streamed_with_citations_from_the_api(
    with_claude: Services, claude: FakeClaude
) -> None:
    claude.thinking = "The user asks about leave; the first result answers it."
    claude.reply(
        [
            ("You get ", None),
            ("27 days of annual leave plus public holidays", (0, "27 days of annual leave")),
            (". Book it in the HR system.", None),
        ]
    )
    answer, deltas = ask(with_claude.engine, "How many days of annual leave do I get?")
    assert len(deltas) > 3, "the answer arrives in pieces"
    assert answer.mode == "claude" and answer.grounded
    assert answer.text.startswith("You get 27 days of annual leave plus public holidays [1]")
    assert "first result answers" not in answer.text, "thinking is never shown"
    [citation] = answer.citations
    sent = claude.streamed_requests[0]
    first = sent["messages"][-1]["content"][0]
    assert first["type"] == "search_result" and first["citations"] == {"enabled": True}
    assert citation.title in first["title"] and citation.url == first["source"]
    assert citation.quoted_text == "27 days of annual leave"
    assert citation.doc_id.startswith("files:") and citation.updated_at is not None
    assert any(t.startswith("Annual leave policy") for t in titles_sent(sent))


def test_restricted_pages_never_reach_claude_without_permission(
    with_claude: Services, claude: FakeClaude
) -> None:
    claude.reply([("Sorry, I can't see that.", None)])
    ask(with_claude.engine, "What is the salary band for an L5 Staff Engineer?")
    ask(with_claude.engine, "What is the salary band for an L5 Staff Engineer?", email=DANA)
    for request in claude.streamed_requests:
        assert not any("Salary bands" in t for t in titles_sent(request))
        assert "98,000" not in str(request)
    claude.requests.clear()
    ask(with_claude.engine, "What is the salary band for an L5 Staff Engineer?", email=HANNAH)
    assert any("Salary bands" in t for t in titles_sent(claude.streamed_requests[0]))


def test_an_answer_without_citations_is_not_grounded(
    with_claude: Services, claude: FakeClaude
) -> None:
    claude.reply([("The documentation I can search does not cover that.", None)])
    answer, _ = ask(with_claude.engine, "How do I request a standing desk for home?")
    assert not answer.grounded and answer.citations == ()


def test_nothing_relevant_says_so_without_calling_claude(
    with_claude: Services, claude: FakeClaude
) -> None:
    answer, _ = ask(with_claude.engine, "What is the capital of Peru?")
    assert not answer.grounded
    assert "couldn't find anything" in answer.text and "guess" in answer.text
    assert claude.streamed_requests == []


def test_follow_up_is_rewritten_into_a_standalone_query(
    with_claude: Services, claude: FakeClaude
) -> None:
    claude.rewrite = "annual leave for contractors"
    claude.reply([("Contractors get no paid leave", (0, "no paid leave"))])
    history = (
        Turn("user", "How many days of annual leave do I get?"),
        Turn("assistant", "You get 27 days [1]."),
    )
    answer, _ = ask(with_claude.engine, "and for contractors?", history=history)
    assert answer.search_query == "annual leave for contractors"
    streamed = claude.streamed_requests[0]
    roles = [m["role"] for m in streamed["messages"]]
    assert roles == ["user", "assistant", "user"], "the thread is passed as context"
    sent = titles_sent(streamed)
    assert any(t.startswith("Contractor") for t in sent), sent
    assert sent[0].startswith(answer.citations[0].title), "citation 0 maps to passage 0"


def test_a_question_in_another_language_is_searched_in_english_and_answered_by_claude(
    with_claude: Services, claude: FakeClaude
) -> None:
    claude.rewrite = "how many days of annual leave do I get"
    claude.reply([("Je krijgt 27 vakantiedagen", (0, "27 days"))])
    answer, _ = ask(with_claude.engine, "Hoeveel vakantiedagen krijg ik per jaar?")
    assert answer.search_query == "how many days of annual leave do I get"
    assert answer.text.startswith("Je krijgt 27 vakantiedagen")
    assert titles_sent(claude.streamed_requests[0])[0].startswith("Annual leave policy")
    assert "in the language the employee wrote" in claude.streamed_requests[0]["system"]


def test_off_topic_questions_get_not_found_with_pages_to_look_at(extractive: Services) -> None:
    for question in ("what's the weather in Amsterdam tomorrow?", "when is the IPO date?"):
        answer, _ = ask(extractive.engine, question)
        assert answer.text.startswith("I couldn't find anything"), answer.text
        assert not answer.grounded and not answer.citations
        assert ">" not in answer.text, "nothing is quoted as if it answered"
    weather, _ = ask(extractive.engine, "what's the weather in Amsterdam tomorrow?")
    assert "You could look at:\n• " in weather.text
    answered, _ = ask(extractive.engine, "how many vacation days do I get per year?")
    assert answered.grounded and "27 days" in answered.text


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        # few words in common with the page, but close in meaning: the calibrated gate
        # answers (the fixed "2 shared words" gate refused both)
        ("how much is the wellness budget?", "€600"),
        ("how much does the company put into my pension?", "8%"),
    ],
)
def test_the_relevance_gate_answers_a_short_question_the_pages_answer(
    extractive: Services, question: str, fact: str
) -> None:
    answer, _ = ask(extractive.engine, question)
    assert answer.grounded and fact in answer.text
    assert "files:hr/benefits-overview.md" in [c.doc_id for c in answer.citations]


def test_the_relevance_gate_refuses_a_near_miss_of_a_policy_page(extractive: Services) -> None:
    # words of real pages (Christmas is a public holiday, budgets abound), no answer
    for question in ("where is the christmas party this year?", "can I get paid in bitcoin?"):
        answer, _ = ask(extractive.engine, question)
        assert answer.text.startswith("I couldn't find anything"), answer.text
        assert not answer.grounded and not answer.citations
        assert ">" not in answer.text, "nothing is quoted as if it answered"


def test_extractive_how_to_shows_the_steps_even_across_a_chunk_boundary(
    extractive: Services,
) -> None:
    answer, _ = ask(extractive.engine, "How do I reset my password?")
    assert "Forgot password" in answer.text and "Sign in again on your laptop" in answer.text
    assert answer.citations[0].doc_id == "files:it/password-reset.md"


def test_extractive_mode_says_it_only_understands_english(extractive: Services) -> None:
    answer, _ = ask(extractive.engine, "Wie viele Urlaubstage habe ich im Jahr?")
    assert "only understand questions in English" in answer.text
    assert not answer.grounded and not answer.citations


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "ANTHROPIC_API_KEY"),
        (429, "rate limit"),
        (529, "overloaded"),
        (500, "unavailable"),
    ],
)
def test_claude_errors_become_clear_messages(
    with_claude: Services, claude: FakeClaude, status: int, expected: str
) -> None:
    claude.fail_with = status
    with pytest.raises(AnswerServiceError) as err:
        ask(with_claude.engine, "How do I set up the VPN on Linux?")
    assert expected in err.value.user_message
    assert "Traceback" not in err.value.user_message


def test_overloaded_claude_is_retried_before_giving_up(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    claude = FakeClaude(fail_with=529, fail_times=2)
    claude.reply([("Use the Northwind Connect client", (0, "Northwind Connect"))])
    services = build_services(
        settings_for(synced_dir, anthropic_api_key="sk-test", anthropic_max_retries=2),
        embedder=onnx_embedder,
        anthropic_http_client=claude.client(),
    )
    answer, _ = ask(services.engine, "How do I set up the VPN on Linux?")
    assert answer.grounded and len(claude.requests) == 3


def test_timeout_becomes_a_clear_message(synced_dir: Path, onnx_embedder: OnnxEmbedding) -> None:
    import httpx2

    def slow(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    services = build_services(
        settings_for(synced_dir, anthropic_api_key="sk-test", anthropic_max_retries=0),
        embedder=onnx_embedder,
        anthropic_http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(slow)),
    )
    with pytest.raises(AnswerServiceError) as err:
        ask(services.engine, "How do I set up the VPN on Linux?")
    assert "took too long" in err.value.user_message


def test_extractive_mode_quotes_passages_with_the_same_citations(extractive: Services) -> None:
    answer, _ = ask(extractive.engine, "What is the VPN gateway for Linux?")
    assert answer.mode == "extractive" and answer.grounded
    assert answer.text.startswith("Here are the most relevant excerpts")
    assert "vpn.northwind.example" in answer.text
    assert answer.citations and answer.citations[0].number == 1
    for c in answer.citations:
        assert c.quoted_text and c.quoted_text[:40] in answer.text.replace("\n> ", "\n")
        assert f"[{c.number}]" in answer.text


def test_extractive_follow_up_uses_the_previous_question(extractive: Services) -> None:
    history = (Turn("user", "How many days of annual leave do I get?"), Turn("assistant", "…"))
    answer, _ = ask(extractive.engine, "and for contractors?", history=history)
    assert "files:hr/contractor-policy.md" in [c.doc_id for c in answer.citations]


@pytest.mark.parametrize(
    ("previous", "follow_up", "searched", "shown", "page"),
    [
        (
            "who approves an expense claim of 800 euros?",
            "and above 5000?",
            "who approves an expense claim above 5,000?",
            "Financial Controller",
            "files:finance/expenses-policy.md",
        ),
        (
            "can I work from another country for a while?",
            "what if it's outside the EU?",
            "can I work outside the EU for a while?",
            "**4 weeks**",
            "files:hr/remote-work-policy.md",
        ),
        (
            "how do I set up the VPN on Windows?",
            "what about linux?",
            "how do I set up the VPN on linux?",
            "nwconnect",
            "files:it/vpn-setup-linux.md",
        ),
    ],
)
def test_extractive_follow_up_changes_one_slot_of_the_previous_question(
    extractive: Services, previous: str, follow_up: str, searched: str, shown: str, page: str
) -> None:
    first, _ = ask(extractive.engine, previous)
    history = (Turn("user", previous), Turn("assistant", first.text))
    answer, _ = ask(extractive.engine, follow_up, history=history)
    assert answer.grounded and answer.search_query == searched
    assert shown in answer.text
    assert page in [c.doc_id for c in answer.citations]


def test_dm_scope_includes_the_askers_groups_and_channel_scope_does_not(
    extractive: Services,
) -> None:
    engine = extractive.engine
    hannah = Asker("slack", "U1", email=HANNAH)

    def scope(surface: Surface, insider: bool = True) -> PermissionScope:
        return engine.scope(Question("q", hannah, "c", (), surface, insider=insider))

    dm = scope(Surface.DM)
    assert "group:files:hr-team" in dm.principals and f"user:{HANNAH}" in dm.principals
    # a DM of an asker not confirmed as an insider (guest, stranger, other tenant)
    assert scope(Surface.CHANNEL) == scope(Surface.EXTERNAL) == PermissionScope.public_only()
    assert scope(Surface.DM, insider=False) == PermissionScope.public_only()
    secret = "What is the salary band for an L5 Staff Engineer?"
    in_channel, _ = ask(engine, secret)
    in_dm, _ = ask(engine, secret, email=HANNAH)
    assert "files:hr/salary-bands-2026.md" not in [c.doc_id for c in in_channel.citations]
    assert "98,000" not in in_channel.text
    assert "files:hr/salary-bands-2026.md" in [c.doc_id for c in in_dm.citations]


def test_the_pipeline_is_a_llamaindex_query_engine(
    with_claude: Services, claude: FakeClaude
) -> None:
    from bot.answering.query_engine import HelpdeskQueryEngine

    claude.reply([("Call the IT hotline", (0, "IT hotline"))])
    engine = HelpdeskQueryEngine(engine=with_claude.engine)
    response = engine.query("I lost my phone and can't do MFA. What do I do?")
    assert str(response).startswith("Call the IT hotline [1]")
    [node] = response.source_nodes
    assert node.node.metadata["number"] == 1 and node.node.get_content() == "IT hotline"
    assert response.metadata is not None and response.metadata["answer"].grounded
