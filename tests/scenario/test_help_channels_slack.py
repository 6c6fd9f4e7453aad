"""Help channels on Slack, end to end through the fake Slack API: auto-answer only for a
grounded question in a channel with auto-answer on, per-channel sources, channel
settings from chat, "Ask a person" to the escalation target or a Jira/Zendesk ticket
(local fakes), and the gap report in a channel."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot import messages
from bot.adapters.slack.render import ACTION_FEEDBACK
from bot.helpchannels.channels import ChannelSettingsRepository, parse_sources, parse_ticket
from connectors.embedder import OnnxEmbedding
from tests.conftest import SAMPLES
from tests.fakes.claude import FakeClaude
from tests.fakes.jira_server import FakeJira
from tests.fakes.slack_api import BOT_USER
from tests.fakes.zendesk_server import FakeZendesk
from tests.scenario.cli_support import base_env, helpdesk
from tests.scenario.slack_harness import (
    DANA,
    DM_DANA,
    DM_HANNAH,
    HANNAH,
    PUBLIC,
    SlackHarness,
    make_services,
    mention,
    message,
    start_harness,
    stop_harness,
    synced_index,
)

Factory = Callable[..., Awaitable[SlackHarness]]
HELP = "C0ITHELP1"
ONCALL = "C0ONCALL1"
GROUNDED = "How many days of annual leave do I get?"
UNGROUNDED = "Does anyone know when the pizza truck comes on Friday?"
HANDOFF = "helpdesk_handoff"


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return synced_index(tmp_path_factory, onnx_embedder)


@pytest.fixture
async def harness(
    synced_dir: Path, tmp_path: Path, onnx_embedder: OnnxEmbedding
) -> AsyncIterator[Factory]:
    started: list[SlackHarness] = []

    async def make(claude: FakeClaude | None = None, **settings: Any) -> SlackHarness:
        services = make_services(synced_dir, tmp_path, onnx_embedder, claude, **settings)
        h = await start_harness(services)
        h.fake.add_channel(HELP)
        h.fake.add_channel(ONCALL)
        started.append(h)
        return h

    yield make
    for h in started:
        await stop_harness(h)


def configure(h: SlackHarness, channel: str = HELP, **changes: Any) -> None:
    ChannelSettingsRepository(h.services.state.engine).update(channel, **changes)


def ephemerals(h: SlackHarness) -> list[dict[str, Any]]:
    return [c.args for c in h.fake.calls_to("chat.postEphemeral")]


def visible(h: SlackHarness) -> list[str]:
    """Everything the bot did that others in the workspace could see."""
    return [
        m
        for m in h.fake.methods()
        if m.startswith(("chat.post", "chat.start", "chat.append", "reactions."))
        and m != "chat.postEphemeral"
    ]


async def ask(h: SlackHarness, text: str, channel: str = HELP, **extra: Any) -> dict[str, Any]:
    ev = message(channel, DANA[0], text, **extra)
    await h.event(ev)
    await h.settle()
    return ev


def handoff_value(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == HANDOFF:
                return str(element["value"])
    raise AssertionError(f"no Ask a person button in {json.dumps(blocks)}")


# ---------------------------------------------------------------------- auto-answer
async def test_a_grounded_question_in_a_help_channel_is_answered_in_its_thread(
    harness: Factory,
) -> None:
    h = await harness()
    configure(h, auto_answer=True)
    ev = await ask(h, GROUNDED)
    (answer,) = h.fake.answers_in(HELP, ev["ts"])
    assert "27 days" in answer.text
    assert "Annual leave policy" in json.dumps(answer.blocks)
    handoff_value(answer.blocks)  # every answer offers "Ask a person"
    assert not ephemerals(h)
    # a follow-up in that thread needs no @mention
    follow = message(HELP, DANA[0], "and for contractors?", thread_ts=ev["ts"])
    await h.event(follow)
    await h.settle()
    assert len(h.fake.answers_in(HELP, ev["ts"])) == 2


async def test_silent_for_ungrounded_questions_non_questions_bots_edits_and_other_channels(
    harness: Factory,
) -> None:
    h = await harness()
    configure(h, auto_answer=True)
    configure(h, "C0GENERAL", auto_answer=False)
    await ask(h, UNGROUNDED)
    # only the asker is offered a person, privately
    (offer,) = ephemerals(h)
    assert offer["user"] == DANA[0] and offer["text"] == messages.AUTO_ANSWER_OFFER
    handoff_value(offer["blocks"])
    await ask(h, "Thanks everyone, the printer works again.")
    await ask(h, GROUNDED, subtype="bot_message", bot_id="B0OTHER")
    edited = message(HELP, DANA[0], GROUNDED)
    await h.event({**edited, "subtype": "message_changed", "message": dict(edited)})
    await h.event(message(HELP, "USLACKBOT", "joined", subtype="channel_join"))
    await ask(h, GROUNDED, channel=PUBLIC)  # a channel without auto-answer
    await ask(h, GROUNDED, channel="C0NOTSET1")  # a channel without settings
    await h.event(message(HELP, BOT_USER, GROUNDED))  # its own message
    await h.settle()
    assert visible(h) == []
    assert len(ephemerals(h)) == 1


async def test_with_claude_only_an_answer_citing_the_docs_is_posted(harness: Factory) -> None:
    """Passages above the bar are not enough: Claude must judge the question answerable
    from them, which shows as an answer citing them."""
    claude = FakeClaude()
    h = await harness(claude=claude)
    configure(h, auto_answer=True)
    claude.reply([("The documents don't say how much leave you get.", None)])
    await ask(h, GROUNDED)
    assert len(claude.streamed_requests) == 1  # passages were found and sent to Claude
    assert visible(h) == []
    (offer,) = ephemerals(h)
    assert offer["user"] == DANA[0] and offer["text"] == messages.AUTO_ANSWER_OFFER
    claude.reply([("Full-time employees get ", None), ("27 days", (0, "27 days"))])
    ev = await ask(h, GROUNDED)
    (answer,) = h.fake.answers_in(HELP, ev["ts"])
    assert "27 days" in answer.text
    assert len(ephemerals(h)) == 1


async def test_a_thread_reply_not_addressed_to_the_bot_is_left_alone(harness: Factory) -> None:
    h = await harness()
    configure(h, auto_answer=True)
    root = await ask(h, "Weekly reminder: the office is closed on Monday.")
    await ask(h, GROUNDED, thread_ts=root["ts"])
    assert visible(h) == [] and not ephemerals(h)


async def test_no_more_than_three_auto_answers_a_minute_per_person(harness: Factory) -> None:
    h = await harness()
    configure(h, auto_answer=True)
    for _ in range(4):
        await ask(h, GROUNDED)
    answered = [p for p in h.fake.posted if p.channel == HELP]
    assert len(answered) == 3


async def test_a_broken_state_database_never_shows_in_a_channel_nobody_asked_in(
    harness: Factory,
) -> None:
    """The bot reads every message of the channels it is in: when it cannot tell whether
    one is for it (the state database fails), it stays silent — an apology goes only
    to someone who asked."""
    h = await harness()
    configure(h, auto_answer=True)
    with h.services.state.engine.begin() as conn:
        conn.execute(sql("DROP TABLE seen_events"))  # every delivery check now fails
    await ask(h, GROUNDED)
    await ask(h, "Thanks, the printer works again.", channel=PUBLIC)
    assert visible(h) == [] and not ephemerals(h)
    asked = mention(HELP, DANA[0], GROUNDED)
    await h.event(asked)
    await h.settle()
    (apology,) = h.fake.answers_in(HELP, asked["ts"])
    assert apology.text == messages.GENERIC_APOLOGY


async def test_a_change_from_the_cli_is_in_effect_within_five_seconds(
    harness: Factory, synced_dir: Path, tmp_path: Path
) -> None:
    """`helpdesk channels set` in another process, while the bot runs: no restart."""
    h = await harness()
    await ask(h, GROUNDED)  # no settings yet: nothing, and the table has been read
    assert visible(h) == []
    (tmp_path / "cli").mkdir()
    env = base_env(tmp_path / "cli", SAMPLES)
    env.update(
        HELPDESK_DATA_DIR=str(synced_dir), DATABASE_URL=f"sqlite:///{tmp_path / 'state.sqlite3'}"
    )
    done = await asyncio.to_thread(helpdesk, ["channels", "set", HELP, "--auto-answer", "on"], env)
    assert done.returncode == 0, done.stderr
    changed = time.monotonic()
    while True:
        asked_after = time.monotonic() - changed
        assert asked_after < 5.0, "the change was not picked up within 5 seconds"
        ev = await ask(h, GROUNDED)
        if h.fake.answers_in(HELP, ev["ts"]):
            break
        await asyncio.sleep(0.2)
    assert not ephemerals(h)


# ---------------------------------------------------------------------- sources
async def test_a_channels_sources_restrict_its_answers(harness: Factory) -> None:
    h = await harness()
    configure(h, auto_answer=True, sources=parse_sources("confluence"))
    await ask(h, GROUNDED)  # the answer is in `files`: not allowed here
    assert visible(h) == []
    ev = mention(HELP, DANA[0], GROUNDED)
    await h.event(ev)
    await h.settle()
    (reply,) = h.fake.answers_in(HELP, ev["ts"])
    assert "Annual leave policy" not in json.dumps(reply.blocks) + reply.text
    configure(h, sources=parse_sources("files"))
    h.services.conversation.help_channels.lookup.ttl = 0  # type: ignore[union-attr]
    ev = await ask(h, GROUNDED)
    (answer,) = h.fake.answers_in(HELP, ev["ts"])
    assert "Annual leave policy" in json.dumps(answer.blocks)


async def test_a_channels_sources_never_widen_the_permission_scope(harness: Factory) -> None:
    h = await harness()
    configure(h, auto_answer=True, sources=parse_sources("files"))  # where the page lives
    question = "What are the salary bands for an L3 engineer?"
    ev = message(HELP, HANNAH[0], question)  # she may read it, but not in a channel
    await h.event(ev)
    await h.settle()
    asked = mention(HELP, HANNAH[0], question)
    await h.event(asked)
    await h.settle()
    shown = [p.text + json.dumps(p.blocks) for p in h.fake.posted if p.channel == HELP]
    shown += [json.dumps(e) for e in ephemerals(h)]
    assert shown and not [t for t in shown if "Salary bands" in t or "64,000" in t]
    # in her DM the same question is answered from it: the scope, not the index, kept it out
    dm = message(DM_HANNAH, HANNAH[0], question, channel_type="im")
    await h.event(dm)
    await h.settle()
    (answer,) = h.fake.answers_in(DM_HANNAH, dm["ts"])
    assert "Salary bands 2026" in json.dumps(answer.blocks)


# ---------------------------------------------------------------------- commands
async def test_anyone_sees_a_channels_settings_only_admins_change_them(harness: Factory) -> None:
    h = await harness(admin_users=HANNAH[1])
    await h.command("channel set --auto-answer on --escalate-to S0ITSUPPORT", DANA[0], HELP)
    await h.settle()
    assert ephemerals(h)[-1]["text"] == messages.CHANNEL_CHAT_REFUSED
    assert ChannelSettingsRepository(h.services.state.engine).get(HELP) is None
    await h.command(
        "channel set --auto-answer on --sources files --ticket jira:IT", HANNAH[0], HELP
    )
    await h.settle()
    saved = ChannelSettingsRepository(h.services.state.engine).get(HELP)
    assert saved is not None and saved.auto_answer and str(saved.ticket) == "jira:IT"
    assert saved.updated_by == f"slack:{HANNAH[0]}"
    await h.command("channel show", DANA[0], HELP)
    await h.settle()
    shown = ephemerals(h)[-1]["text"]
    assert HELP in shown and "auto-answer: on" in shown and "jira:IT" in shown
    await h.command("channel off", DANA[0], HELP)
    await h.settle()
    assert ephemerals(h)[-1]["text"] == messages.CHANNEL_CHAT_REFUSED
    await h.command("channel off", HANNAH[0], HELP)
    await h.settle()
    after = ChannelSettingsRepository(h.services.state.engine).get(HELP)
    assert after is not None and not after.auto_answer and str(after.ticket) == "jira:IT"


# ---------------------------------------------------------------------- hand-off
async def test_ask_a_person_from_the_private_offer_reaches_the_escalation_channel(
    harness: Factory,
) -> None:
    h = await harness()
    configure(h, auto_answer=True, escalate_to=ONCALL)
    ev = await ask(h, UNGROUNDED)
    (offer,) = ephemerals(h)
    await h.click(
        HANDOFF, handoff_value(offer["blocks"]), user=DANA[0], channel=HELP,
        message_ts="1.1", thread_ts=None,
    )  # fmt: skip
    await h.settle()
    (posted,) = [p for p in h.fake.posted if p.channel == ONCALL]
    assert UNGROUNDED in posted.text and f"<@{DANA[0]}>" in posted.text
    assert f"/archives/{HELP}/p" in posted.text  # the link to the thread
    (told,) = h.fake.answers_in(HELP, ev["ts"])
    assert f"<#{ONCALL}>" in told.text
    # a second click asks nobody twice
    await h.click(
        HANDOFF, handoff_value(offer["blocks"]), user=DANA[0], channel=HELP,
        message_ts="1.1", thread_ts=None,
    )  # fmt: skip
    await h.settle()
    assert len([p for p in h.fake.posted if p.channel == ONCALL]) == 1
    assert ephemerals(h)[-1]["text"] == messages.HANDOFF_ALREADY


async def test_ask_a_person_on_an_answer_mentions_a_user_group_in_the_thread(
    harness: Factory,
) -> None:
    h = await harness(admin_users=HANNAH[1])
    configure(h, escalate_to="S0ITSUPPORT")
    ev = mention(HELP, DANA[0], GROUNDED)
    await h.event(ev)
    await h.settle()
    (answer,) = h.fake.answers_in(HELP, ev["ts"])
    await h.click(
        HANDOFF, handoff_value(answer.blocks), user=DANA[0], channel=HELP,
        message_ts=answer.ts, thread_ts=ev["ts"],
    )  # fmt: skip
    await h.settle()
    (handed,) = [p for p in h.fake.answers_in(HELP, ev["ts"]) if p.ts != answer.ts]
    assert "<!subteam^S0ITSUPPORT>" in handed.text and GROUNDED in handed.text
    assert "27 days" in handed.text  # the bot's answer goes along
    # answered, yet escalated: a gap the docs team should see
    await h.command("gaps", HANNAH[0], HELP)
    await h.settle()
    report = ephemerals(h)[-1]["text"]
    assert GROUNDED in report and HELP in report and DANA[0] not in report


async def test_after_a_hand_off_the_bot_leaves_the_thread_to_the_people(
    harness: Factory,
) -> None:
    """Once a person was asked, the replies in that thread are the helper and the asker
    talking: the bot answers none of them unprompted, only an @mention."""
    h = await harness()
    configure(h, auto_answer=True, escalate_to="S0ITSUPPORT")
    ev = await ask(h, GROUNDED)
    (answer,) = h.fake.answers_in(HELP, ev["ts"])
    await h.click(
        HANDOFF, handoff_value(answer.blocks), user=DANA[0], channel=HELP,
        message_ts=answer.ts, thread_ts=ev["ts"],
    )  # fmt: skip
    await h.settle()
    handed = len(h.fake.answers_in(HELP, ev["ts"]))
    assert handed == 2  # the answer, then the hand-off mentioning the group
    for user, text in [
        (HANNAH[0], "Hi Dana, I'm on it. Which contract are you on?"),
        (DANA[0], "The 32-hour one. How many days do I get then?"),
    ]:
        await h.event(message(HELP, user, text, thread_ts=ev["ts"]))
        await h.settle()
    assert len(h.fake.answers_in(HELP, ev["ts"])) == handed
    asked = mention(HELP, DANA[0], GROUNDED, thread_ts=ev["ts"])  # asked again: answered
    await h.event(asked)
    await h.settle()
    assert len(h.fake.answers_in(HELP, ev["ts"])) == handed + 1


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    site = FakeJira().start()
    monkeypatch.setenv("JIRA_BASE_URL", site.url)
    monkeypatch.setenv("JIRA_EMAIL", site.email)
    monkeypatch.setenv("JIRA_API_TOKEN", site.token)
    yield site
    site.stop()


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    site = FakeZendesk().start()
    monkeypatch.setenv("ZENDESK_BASE_URL", site.url)
    monkeypatch.setenv("ZENDESK_EMAIL", site.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", site.token)
    yield site
    site.stop()


async def offer_and_click(h: SlackHarness) -> dict[str, Any]:
    ev = await ask(h, UNGROUNDED)
    (offer,) = ephemerals(h)
    await h.click(
        HANDOFF, handoff_value(offer["blocks"]), user=DANA[0], channel=HELP,
        message_ts="1.1", thread_ts=None,
    )  # fmt: skip
    await h.settle()
    return ev


async def test_a_jira_ticket_is_created_and_its_key_told_in_the_thread(
    harness: Factory, jira: FakeJira
) -> None:
    h = await harness()
    configure(h, auto_answer=True, escalate_to=ONCALL, ticket=parse_ticket("jira:IT"))
    ev = await offer_and_click(h)
    (issue,) = jira.issues
    fields = issue["fields"]
    assert fields["project"] == {"key": "IT"} and fields["summary"] == UNGROUNDED
    assert "helpdesk-bot" in fields["labels"]
    assert f"/archives/{HELP}/p" in json.dumps(fields["description"])
    (told,) = h.fake.answers_in(HELP, ev["ts"])
    assert "IT-1" in told.text and f"{jira.url}/browse/IT-1" in told.text
    assert not [p for p in h.fake.posted if p.channel == ONCALL]  # a ticket instead


async def test_a_jira_service_management_request_is_filed_in_the_desks_queue(
    harness: Factory, jira: FakeJira, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_REQUEST_TYPE", "Get IT help")
    h = await harness()
    configure(h, auto_answer=True, escalate_to=ONCALL, ticket=parse_ticket("jira:IT"))
    ev = await offer_and_click(h)
    (filed,) = jira.customer_requests
    assert filed["serviceDeskId"] == "4" and filed["requestTypeId"] == "31"
    assert filed["requestFieldValues"]["summary"] == UNGROUNDED
    assert f"/archives/{HELP}/p" in filed["requestFieldValues"]["description"]
    (told,) = h.fake.answers_in(HELP, ev["ts"])
    assert "IT-1" in told.text and f"{jira.url}/browse/IT-1" in told.text
    assert not [p for p in h.fake.posted if p.channel == ONCALL]


async def test_a_zendesk_ticket_names_the_asker_as_requester(
    harness: Factory, zendesk: FakeZendesk
) -> None:
    h = await harness()
    configure(h, auto_answer=True, ticket=parse_ticket("zendesk"))
    ev = await offer_and_click(h)
    (ticket,) = zendesk.tickets
    assert ticket["subject"] == UNGROUNDED and ticket["comment_public"] is False
    assert ticket["requester"]["email"] == DANA[1]
    assert f"/archives/{HELP}/p" in ticket["description"]
    (told,) = h.fake.answers_in(HELP, ev["ts"])
    assert str(ticket["id"]) in told.text


async def test_a_failing_ticket_api_is_said_plainly_and_falls_back_to_the_target(
    harness: Factory, jira: FakeJira
) -> None:
    h = await harness()
    configure(h, auto_answer=True, escalate_to=ONCALL, ticket=parse_ticket("jira:IT"))
    jira.fail(500, times=5)
    ev = await offer_and_click(h)
    assert jira.issues == []
    (told,) = h.fake.answers_in(HELP, ev["ts"])
    assert "couldn't create a Jira ticket" in told.text and f"<#{ONCALL}>" in told.text
    (posted,) = [p for p in h.fake.posted if p.channel == ONCALL]
    assert UNGROUNDED in posted.text  # nothing lost
    (row,) = h.services.chat.escalations()
    assert row["ticket"] is None and row["target"] == ONCALL


async def test_a_ticket_refusal_echoing_text_is_shown_escaped_never_as_a_mention(
    harness: Factory, jira: FakeJira
) -> None:
    """Jira's refusal reason is the vendor's text (it may echo what was sent): Slack shows
    it as written, so a `<!channel>` or `&` in it is escaped, never a mention or an entity."""
    h = await harness()
    configure(h, auto_answer=True, escalate_to=ONCALL, ticket=parse_ticket("jira:IT"))
    jira.fail(400, {"errorMessages": [], "errors": {"summary": "<!channel> R&D only"}})
    ev = await offer_and_click(h)
    assert jira.issues == []
    (told,) = h.fake.answers_in(HELP, ev["ts"])
    assert told.text.startswith(
        "I couldn't create a Jira ticket: Jira rejected it (summary: &lt;!channel&gt; R&amp;D "
        "only). "
    )
    assert "<!channel>" not in told.text and f"<#{ONCALL}>" in told.text


# ---------------------------------------------------------------------- gaps
def feedback_value(blocks: list[dict[str, Any]], which: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "feedback_buttons":
                return str(
                    element[f"{'positive' if which == 'up' else 'negative'}_button"]["value"]
                )
    raise AssertionError(f"no feedback buttons in {json.dumps(blocks)}")


async def test_clicks_in_a_channel_shared_since_the_answer_copy_nothing_and_say_why(
    harness: Factory, jira: FakeJira
) -> None:
    """ALLOW_EXTERNAL_CHANNELS=false: the channel became shared with another organisation
    (Slack Connect) after the bot answered there. 👍/👎 and "Ask a person" on the old
    answer are checked at the click: nothing is recorded, no ticket is filed and nothing
    is posted for the escalation target — the clicker alone is told why."""
    h = await harness(allow_external_channels=False)
    configure(h, auto_answer=True, escalate_to=ONCALL, ticket=parse_ticket("jira:IT"))
    ev = await ask(h, GROUNDED)
    (answer,) = h.fake.answers_in(HELP, ev["ts"])
    assert "27 days" in answer.text

    async def click(action: str, value: str, kind: str = "button") -> None:
        await h.click(
            action, value, user=DANA[0], channel=HELP, message_ts=answer.ts,
            thread_ts=ev["ts"], kind=kind,
        )  # fmt: skip
        await h.settle()

    # control: while the channel is internal, a 👍 is kept
    await click(ACTION_FEEDBACK, feedback_value(answer.blocks, "up"), "feedback_buttons")
    assert [r["rating"] for r in h.services.chat.feedback_rows()] == [1]
    assert ephemerals(h)[-1]["text"] == messages.FEEDBACK_THANKS

    h.fake.add_channel(HELP, is_ext_shared=True)  # now shared with another organisation
    posted_before = len(h.fake.posted)
    await click(ACTION_FEEDBACK, feedback_value(answer.blocks, "down"), "feedback_buttons")
    await click(HANDOFF, handoff_value(answer.blocks))

    assert [r["rating"] for r in h.services.chat.feedback_rows()] == [1]  # the 👎 not kept
    assert jira.issues == [] and jira.customer_requests == []
    assert h.services.chat.escalations() == []
    assert len(h.fake.posted) == posted_before  # nothing posted, in any channel
    refusals = ephemerals(h)[-2:]
    assert [e["text"] for e in refusals] == [messages.CLICK_NOT_HERE] * 2
    assert all(e["user"] == DANA[0] and e["channel"] == HELP for e in refusals)
    assert not any(e.get("blocks") for e in refusals)  # no "Ask a human" offer either


async def test_the_gap_report_in_a_channel_leaks_no_dm_question_or_asker(
    harness: Factory,
) -> None:
    h = await harness(admin_users=HANNAH[1])
    configure(h, auto_answer=True)
    await ask(h, UNGROUNDED)
    secret = "Who won the football match last night?"
    await h.event(message(DM_DANA, DANA[0], secret, channel_type="im"))
    await h.settle()
    await h.command("gaps", DANA[0], HELP)
    await h.settle()
    assert ephemerals(h)[-1]["text"] == messages.GAPS_REFUSED
    await h.command("gaps 7", HANNAH[0], HELP)
    await h.settle()
    report = ephemerals(h)[-1]["text"]
    assert "pizza truck" in report and HELP in report
    assert "football" not in report
    assert DANA[0] not in report and "Dana" not in report
    assert "Salary bands" not in report  # never a restricted title
    # the admin's own DM with the bot shows the DM question, labelled DM
    await h.command("gaps", HANNAH[0], DM_HANNAH)
    await h.settle()
    private = ephemerals(h)[-1]["text"]
    assert "football" in private and DM_DANA not in private
