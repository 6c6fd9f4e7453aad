"""Help channels on Teams, end to end through botbuilder and the fake connector: channel
messages received with the RSC permission (no @mention) are auto-answered only when
grounded, in a channel with auto-answer on; settings from chat (admins only); "Ask a
person" posts to the escalation channel or files a Jira ticket — out of band, after
the click's request has ended, so a slow ticket API never holds it; the gap report in a
channel has no DM question. Teams has no ephemeral messages: an ungrounded question
gets no reply."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import messages
from bot.helpchannels.channels import ChannelSettingsRepository, parse_sources, parse_ticket
from bot.helpchannels.rate_limit import AutoAnswerRateLimit
from connectors.embedder import OnnxEmbedding
from connectors.state import StateStore
from tests.fakes.jira_server import FakeJira
from tests.fakes.zendesk_server import FakeZendesk
from tests.scenario.teams_harness import (
    ALICE,
    BOT_ID,
    BOT_NAME,
    HANNAH,
    TEAM_ID,
    TENANT,
    TeamsHarness,
    feedback_invoke,
    make_services,
    mention_entity,
    personal_message,
    synced_samples,
)

GROUNDED = "How many days of annual leave do I get?"
UNGROUNDED = "Does anyone know when the pizza truck comes on Friday?"
SUPPORT = "19:it-support-escalations@thread.tacv2"
_ids = itertools.count(1_900_000_000_001)
_channels = itertools.count(1)


@pytest.fixture(scope="module")
def synced_dir(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedding) -> Path:
    return synced_samples(tmp_path_factory, onnx_embedder)


@pytest.fixture(autouse=True)
def fresh_rate_limit(synced_dir: Path) -> None:
    """The same people post in every test, and the auto-answer limit lives in the
    shared state database: each test starts with nobody's minute used up."""
    state = StateStore(f"sqlite:///{(synced_dir / 'state.sqlite3').resolve()}")
    AutoAnswerRateLimit(state.engine).reset()
    state.dispose()


def new_channel() -> str:
    """Each test its own channel: the Teams tests share one state database."""
    return f"19:helpchannel{next(_channels)}-{next(_ids)}@thread.tacv2"


def channel_post(
    service_url: str,
    channel: str,
    text: str,
    *,
    root_id: str | None = None,
    sender: dict[str, Any] = ALICE,
    mention: bool = False,
) -> dict[str, Any]:
    """A channel message as Teams delivers it with ChannelMessage.Read.Group."""
    activity_id = str(next(_ids))
    root = root_id or activity_id
    body = f"<at>{BOT_NAME}</at> {text}" if mention else text
    entities: list[dict[str, Any]] = [{"type": "clientInfo", "locale": "en-US"}]
    if mention:
        entities.insert(0, mention_entity())
    return {
        "type": "message",
        "id": activity_id,
        "timestamp": "2026-03-02T09:15:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"{channel};messageid={root}",
        },
        "text": body,
        "textFormat": "plain",
        "entities": entities,
        "channelData": {
            "teamsChannelId": channel,
            "teamsTeamId": TEAM_ID,
            "channel": {"id": channel},
            "team": {"id": TEAM_ID},
            "tenant": {"id": TENANT},
        },
        "locale": "en-US",
    }


def configure(teams: TeamsHarness, channel: str, **changes: Any) -> None:
    ChannelSettingsRepository(teams.services.state.engine).update(channel, **changes)


def card_action(answer_id: int, sent: dict[str, Any]) -> dict[str, Any]:
    """The message Teams sends when "Ask a person" (Action.Submit) is clicked."""
    click = dict(sent)
    click.update(
        id=str(next(_ids)), text=None, value={"helpdesk": "handoff", "answer_id": answer_id}
    )
    click["entities"] = []
    return click


def handoff_answer_id(body: dict[str, Any]) -> int:
    for attachment in body.get("attachments") or []:
        for action in attachment["content"].get("actions", []):
            if action.get("title") == messages.ASK_A_PERSON:
                return int(action["data"]["answer_id"])
    raise AssertionError("no Ask a person action")


async def test_a_grounded_channel_message_is_answered_without_a_mention(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True)
        post = channel_post(teams.service_url, channel, GROUNDED)
        await teams.post(post)
        conv = post["conversation"]["id"]
        (reply,) = teams.connector.messages(conv)
        assert "27 days" in reply.text and reply.reply_to_id == post["id"]
        handoff_answer_id(reply.activity)
        # a reply in that chain needs no mention either
        await teams.post(
            channel_post(teams.service_url, channel, "and for contractors?", root_id=post["id"])
        )
        assert len(teams.connector.messages(conv)) == 2


async def test_silent_for_ungrounded_non_questions_edits_and_channels_without_auto_answer(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel, quiet = new_channel(), new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True)
        configure(teams, quiet, auto_answer=False)
        url = teams.service_url
        await teams.post(channel_post(url, channel, UNGROUNDED))
        await teams.post(channel_post(url, channel, "Thanks all, the printer works again."))
        edit = channel_post(url, channel, GROUNDED)
        edit.update(
            type="messageUpdate", channelData={**edit["channelData"], "eventType": "editMessage"}
        )
        await teams.post(edit)
        await teams.post(channel_post(url, quiet, GROUNDED))
        root = channel_post(url, channel, "Reminder: the office is closed on Monday.")
        await teams.post(root)
        await teams.post(channel_post(url, channel, GROUNDED, root_id=root["id"]))
        assert teams.connector.sent == []
        # the unanswered question is still counted for the gap report
        rows = [r for r in teams.services.chat.answers() if r["conversation"].startswith(channel)]
        assert [r["question"] for r in rows] == [UNGROUNDED] and not rows[0]["grounded"]


async def test_another_bots_message_and_a_join_are_never_answered(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True)
        url = teams.service_url
        # Teams gives other bots' posts a 28: id and not always a role
        await teams.post(channel_post(url, channel, GROUNDED, sender={"id": "28:other-app"}))
        await teams.post(channel_post(url, channel, GROUNDED, sender={"id": "29:x", "role": "bot"}))
        joined = channel_post(url, channel, "")
        joined.update(type="conversationUpdate", membersAdded=[{"id": "29:aad-new"}], text=None)
        joined["channelData"]["eventType"] = "teamMemberAdded"
        await teams.post(joined)
        assert teams.connector.sent == []
        assert not [r for r in services.chat.answers() if r["conversation"].startswith(channel)]


async def test_an_unanswered_question_gets_a_private_offer_and_one_click_asks_a_person(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    """TEAMS_TARGETED_OFFERS=true: the offer is a targeted message, shown to the asker
    alone (Teams' counterpart of Slack's ephemeral message); its button hands off."""
    services = make_services(synced_dir, onnx_embedder, teams_targeted_offers=True)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, escalate_to=SUPPORT)
        post = channel_post(teams.service_url, channel, UNGROUNDED)
        await teams.post(post)
        conv = post["conversation"]["id"]
        (offer,) = teams.connector.sent
        assert offer.targeted and offer.conversation_id == conv
        assert offer.activity["recipient"]["id"] == ALICE["id"]
        assert offer.text == messages.AUTO_ANSWER_OFFER
        await teams.post(card_action(handoff_answer_id(offer.activity), post))
        (handed,) = teams.connector.messages(SUPPORT)
        assert UNGROUNDED in handed.text and messages.HANDOFF_NO_ANSWER in handed.text
        assert "teams.microsoft.com/l/message/" in handed.text
        told = teams.connector.messages(conv)[-1]
        assert not told.targeted
        assert told.text == messages.HANDOFF_ASKED.format(target=messages.HANDOFF_TEAMS_TARGET)


async def test_a_refused_targeted_offer_posts_nothing_in_its_place(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder, teams_targeted_offers=True)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        teams.connector.refuse_targeted = True  # a tenant without targeted messages
        configure(teams, channel, auto_answer=True)
        await teams.post(channel_post(teams.service_url, channel, UNGROUNDED))
        assert teams.connector.sent == []
        assert [status for status, _ in teams.connector.rejected] == [400]


async def test_channel_sources_restrict_the_answer(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, sources=parse_sources("drive"))
        await teams.post(channel_post(teams.service_url, channel, GROUNDED))
        assert teams.connector.sent == []
        asked = channel_post(teams.service_url, channel, GROUNDED, mention=True)
        await teams.post(asked)
        (reply,) = teams.connector.messages(asked["conversation"]["id"])
        assert "27 days" not in reply.text and reply.entity("https://schema.org/Message") is None


async def test_channel_settings_from_chat_admins_only_and_show_for_anyone(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder, admin_users="hannah.hr@northwind.example")
    from bot.admin import AdminCommands

    channel = new_channel()
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        url = teams.service_url
        refused = channel_post(url, channel, "channel set --auto-answer on", mention=True)
        await teams.post(refused)
        (reply,) = teams.connector.messages(refused["conversation"]["id"])
        assert reply.text == messages.CHANNEL_CHAT_REFUSED
        assert ChannelSettingsRepository(services.state.engine).get(channel) is None
        done = channel_post(
            url, channel, f"channel set --auto-answer on --escalate-to {SUPPORT}",
            mention=True, sender=HANNAH,
        )  # fmt: skip
        await teams.post(done)
        saved = ChannelSettingsRepository(services.state.engine).get(channel)
        assert saved is not None and saved.auto_answer and saved.escalate_to == SUPPORT
        shown = channel_post(url, channel, "channel show", mention=True)
        await teams.post(shown)
        (reply,) = teams.connector.messages(shown["conversation"]["id"])
        assert channel in reply.text and "auto-answer: on" in reply.text
        await teams.post(channel_post(url, channel, "channel off", mention=True))
        still = ChannelSettingsRepository(services.state.engine).get(channel)
        assert still is not None and still.auto_answer  # refused: not an admin
        await teams.post(channel_post(url, channel, "channel off", mention=True, sender=HANNAH))
        after = ChannelSettingsRepository(services.state.engine).get(channel)
        assert after is not None and not after.auto_answer and after.escalate_to == SUPPORT


async def test_ask_a_person_posts_to_the_escalation_channel_and_tells_the_asker(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, escalate_to=SUPPORT)
        post = channel_post(teams.service_url, channel, GROUNDED)
        await teams.post(post)
        conv = post["conversation"]["id"]
        (answer,) = teams.connector.messages(conv)
        answer_id = handoff_answer_id(answer.activity)
        await teams.post(card_action(answer_id, post))
        (handed,) = teams.connector.messages(SUPPORT)
        assert GROUNDED in handed.text and "27 days" in handed.text
        assert "teams.microsoft.com/l/message/" in handed.text
        told = teams.connector.messages(conv)[-1]
        assert told.text == messages.HANDOFF_ASKED.format(target=messages.HANDOFF_TEAMS_TARGET)
        (row,) = [r for r in services.chat.escalations() if r["answer_id"] == answer_id]
        assert row["target"] == SUPPORT
        assert row["ticket"] is None


async def test_an_escalated_malicious_question_arrives_escaped_in_the_support_channel(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    """Text we did not write — the question and the asker's name — reaches the support
    channel as text: not bold, not a mention of everyone, not a link we did not make."""
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    typed = "**URGENT** <at>Everyone</at> [click](https://evil.example) " + GROUNDED
    mallory = {**ALICE, "name": "Alice <at>Admins</at> __boss__"}
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, escalate_to=SUPPORT)
        post = channel_post(teams.service_url, channel, "", sender=mallory, mention=True)
        # Teams delivers what a person typed HTML-encoded: their `<at>` is text, not a tag
        post["text"] = f"<at>{BOT_NAME}</at> " + html.escape(typed, quote=False)
        await teams.post(post)
        conv = post["conversation"]["id"]
        (answer,) = teams.connector.messages(conv)
        await teams.post(card_action(handoff_answer_id(answer.activity), post))
        (handed,) = teams.connector.messages(SUPPORT)
        lines = handed.text.split("\n\n")
        assert lines[0] == messages.HANDOFF_REQUEST.format(
            who="Alice &lt;at&gt;Admins&lt;/at&gt; &#95;&#95;boss&#95;&#95;"
        )
        assert lines[1] == messages.HANDOFF_QUESTION.format(
            question="&#42;&#42;URGENT&#42;&#42; &lt;at&gt;Everyone&lt;/at&gt; "
            "&#91;click&#93;(https://evil.example) " + GROUNDED
        )
        assert handed.activity["textFormat"] == "markdown"
        assert "<at>" not in handed.text and "**" not in handed.text
        assert "[click]" not in handed.text
        assert not [e for e in handed.activity.get("entities") or [] if e["type"] == "mention"]


OTHER_TENANT = "0b0b0b0b-1111-2222-3333-444444444444"


def from_tenant(activity: dict[str, Any], tenant: str) -> dict[str, Any]:
    """`activity` as it arrives from a conversation now in another organisation's tenant."""
    moved: dict[str, Any] = json.loads(json.dumps(activity))
    moved["conversation"]["tenantId"] = tenant
    moved["channelData"]["tenant"] = {"id": tenant}
    return moved


async def test_clicks_from_a_conversation_now_of_another_tenant_copy_nothing_and_say_why(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    """ALLOW_EXTERNAL_CHANNELS=false: 👍/👎 and "Ask a person" on an answer, clicked from
    a conversation that is now another organisation's: the vote is not kept, nothing is
    posted to the escalation channel, and the clicker is told why in the conversation."""
    services = make_services(synced_dir, onnx_embedder, allow_external_channels=False)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, escalate_to=SUPPORT)
        post = channel_post(teams.service_url, channel, GROUNDED)
        await teams.post(post)
        conv = post["conversation"]["id"]
        (answer,) = teams.connector.messages(conv)
        assert "27 days" in answer.text
        answer_id = handoff_answer_id(answer.activity)

        def votes() -> list[int]:  # the Teams tests share one state database
            return [r["rating"] for r in services.chat.feedback_rows() if r["conversation"] == conv]

        vote = feedback_invoke(
            teams.service_url, post["conversation"], str(answer.activity_id), "dislike", "old"
        )
        vote["channelData"] = post["channelData"]
        response = await teams.post(from_tenant(vote, OTHER_TENANT))
        assert response.status == 200 and await response.json() == {}
        await teams.post(from_tenant(card_action(answer_id, post), OTHER_TENANT))
        assert votes() == []
        assert teams.connector.messages(SUPPORT) == []
        assert [r for r in services.chat.escalations() if r["answer_id"] == answer_id] == []
        told = [m.text for m in teams.connector.messages(conv)[1:]]
        assert told == [messages.CLICK_NOT_HERE] * 2
        # control: the same vote from our own tenant is kept
        await teams.post(vote)
        assert votes() == [-1]


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJira]:
    site = FakeJira().start()
    monkeypatch.setenv("JIRA_BASE_URL", site.url)
    monkeypatch.setenv("JIRA_EMAIL", site.email)
    monkeypatch.setenv("JIRA_API_TOKEN", site.token)
    yield site
    if site.hold is not None:
        site.hold.set()
    site.stop()


async def answered(teams: TeamsHarness, channel: str) -> tuple[dict[str, Any], int]:
    """A grounded question auto-answered in `channel`: the post and the answer's id."""
    post = channel_post(teams.service_url, channel, GROUNDED)
    await teams.post(post)
    (answer,) = teams.connector.messages(post["conversation"]["id"])
    return post, handoff_answer_id(answer.activity)


async def test_a_slow_ticket_api_is_called_after_the_click_was_acknowledged_once(
    synced_dir: Path, onnx_embedder: OnnxEmbedding, jira: FakeJira
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, escalate_to=SUPPORT,
                  ticket=parse_ticket("jira:IT"))  # fmt: skip
        post, answer_id = await answered(teams, channel)
        conv = post["conversation"]["id"]
        jira.hold = threading.Event()  # Jira answers only when the test lets it
        click = card_action(answer_id, post)
        response = await teams.post(click, settle=False)
        # the click's request is over: acknowledged (typing, empty 202), no ticket yet
        assert response.status == 202 and await response.read() == b""
        assert [s.type for s in teams.connector.in_conversation(conv)] == ["message", "typing"]
        # the Bot Framework redelivers the click while Jira is still slow
        again = await teams.post(click, settle=False)
        assert again.status == 202
        for _ in range(200):  # the ticket call is in flight, after both requests ended
            if jira.requests:
                break
            await asyncio.sleep(0.05)
        assert len(jira.requests) == 1 and jira.issues == []
        jira.hold.set()
        assert await teams.bot.drain(wait=60.0)
        (issue,) = jira.issues
        assert issue["fields"]["summary"] == GROUNDED
        _answer, told = teams.connector.messages(conv)
        issue_url = f"{jira.url}/browse/IT-1"
        assert told.text == messages.HANDOFF_TICKET.format(
            system="Jira", key="IT-1", url=f"[{issue_url}]({issue_url})"
        )
        assert told.reply_to_id == click["id"]  # in the question's reply chain
        assert teams.connector.messages(SUPPORT) == []  # a ticket instead
        # a second click (a new activity) files nothing more and says so
        await teams.post(card_action(answer_id, post))
        assert len(jira.issues) == 1 and len(jira.requests) == 1
        assert teams.connector.messages(conv)[-1].text == messages.HANDOFF_ALREADY
        (row,) = [r for r in services.chat.escalations() if r["ticket"] == "IT-1"]
        assert row["answer_id"] == answer_id


async def test_a_failing_ticket_api_falls_back_to_the_escalation_channel(
    synced_dir: Path, onnx_embedder: OnnxEmbedding, jira: FakeJira
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, escalate_to=SUPPORT,
                  ticket=parse_ticket("jira:IT"))  # fmt: skip
        post, answer_id = await answered(teams, channel)
        jira.fail(500, times=5)
        await teams.post(card_action(answer_id, post))
        assert jira.issues == []
        told = teams.connector.messages(post["conversation"]["id"])[-1]
        assert told.text == (
            messages.TICKET_UNAVAILABLE.format(system="Jira", status=500)
            + " "
            + messages.HANDOFF_ASKED.format(target=messages.HANDOFF_TEAMS_TARGET)
        )
        (handed,) = teams.connector.messages(SUPPORT)
        assert GROUNDED in handed.text and "27 days" in handed.text  # nothing lost


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZendesk]:
    site = FakeZendesk().start()
    monkeypatch.setenv("ZENDESK_BASE_URL", site.url)
    monkeypatch.setenv("ZENDESK_EMAIL", site.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", site.token)
    yield site
    site.stop()


async def test_a_zendesk_ticket_names_the_teams_asker_as_requester(
    synced_dir: Path, onnx_embedder: OnnxEmbedding, zendesk: FakeZendesk
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True, ticket=parse_ticket("zendesk"))
        post, answer_id = await answered(teams, channel)
        await teams.post(card_action(answer_id, post))
        (ticket,) = zendesk.tickets
        assert ticket["subject"] == GROUNDED and ticket["comment_public"] is False
        # the member lookup of the click's sender, in our tenant
        assert ticket["requester"]["email"] == "alice@northwind.example"
        assert "teams.microsoft.com/l/message/" in ticket["description"]
        told = teams.connector.messages(post["conversation"]["id"])[-1]
        ticket_url = f"{zendesk.url}/agent/tickets/{ticket['id']}"
        assert told.text == messages.HANDOFF_TICKET.format(
            system="Zendesk", key=str(ticket["id"]), url=f"[{ticket_url}]({ticket_url})"
        )


async def test_no_more_than_three_auto_answers_a_minute_per_person(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder)
    channel = new_channel()
    async with TeamsHarness(services) as teams:
        configure(teams, channel, auto_answer=True)
        for _ in range(4):
            await teams.post(channel_post(teams.service_url, channel, GROUNDED))
        answers = [m for m in teams.connector.messages() if m.conversation_id.startswith(channel)]
        assert len(answers) == 3


async def test_gaps_in_a_channel_leave_out_dm_and_other_channels_questions(
    synced_dir: Path, onnx_embedder: OnnxEmbedding
) -> None:
    services = make_services(synced_dir, onnx_embedder, admin_users="hannah.hr@northwind.example")
    from bot.admin import AdminCommands

    channel, private_channel = new_channel(), new_channel()
    async with TeamsHarness(services, AdminCommands(services)) as teams:
        url = teams.service_url
        configure(teams, channel, auto_answer=True)
        configure(teams, private_channel, auto_answer=True)
        await teams.post(channel_post(url, channel, UNGROUNDED))
        elsewhere = "Does anyone know who is handling the layoffs in the Berlin office?"
        await teams.post(channel_post(url, private_channel, elsewhere))
        secret = "Who won the football match last night?"
        await teams.post(personal_message(url, secret, ALICE, "a:1dm-alice-gaps"))
        refused = channel_post(url, channel, "gaps 7", mention=True)  # Alice: no admin
        await teams.post(refused)
        (reply,) = teams.connector.messages(refused["conversation"]["id"])
        assert reply.text == messages.GAPS_REFUSED
        asked = channel_post(url, channel, "gaps 7", mention=True, sender=HANNAH)
        await teams.post(asked)
        report = teams.connector.messages(asked["conversation"]["id"])[-1].text
        assert "pizza truck" in report
        assert "football" not in report and "Alice" not in report
        # everyone in the channel reads the reply: no other (perhaps private) channel's
        assert "layoffs" not in report and report.endswith(messages.GAPS_THIS_CHANNEL_ONLY)
        private = personal_message(url, "gaps 7", HANNAH, "a:1dm-hannah-gaps")
        await teams.post(private)
        full = teams.connector.messages("a:1dm-hannah-gaps")[-1].text
        assert "football" in full and "layoffs" in full and "pizza truck" in full
