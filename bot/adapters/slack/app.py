"""The Bolt `AsyncApp`: listeners that ack at once and hand the work to a background
task (so Slack gets its 200 in milliseconds while the answer is generated).

`process_before_response=True`: each listener below only parses and schedules, so it
finishes within the request and the ack carries no polling delay; the scheduled task
is tracked (`SlackBot.background`) and drained on shutdown and by tests.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncAssistant, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.background import Background
from bot.adapters.slack import events
from bot.adapters.slack.answer import BotIds, Responder
from bot.adapters.slack.api import slack_error
from bot.adapters.slack.commands import HelpdeskCommand, Respond
from bot.adapters.slack.conversations import Directory, Installation
from bot.adapters.slack.feedback import Feedback, feedback_vote
from bot.adapters.slack.handoff import SlackHandOff
from bot.adapters.slack.render import (
    ACTION_DOWN,
    ACTION_ESCALATE,
    ACTION_FEEDBACK,
    ACTION_HANDOFF,
    ACTION_UP,
)
from bot.admin import AdminCommands
from bot.services import Services

log = logging.getLogger(__name__)

COMMAND = "/helpdesk"


@dataclass
class SlackBot:
    app: AsyncApp
    client: AsyncWebClient
    responder: Responder
    background: Background


def with_rate_limit_retries(client: AsyncWebClient, retries: int = 3) -> AsyncWebClient:
    """Honour Slack's 429 + Retry-After (the SDK sleeps and retries)."""
    if not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=retries))
    return client


def build_slack_app(
    services: Services,
    client: AsyncWebClient,
    *,
    admin: AdminCommands | None = None,
    signing_secret: str | None = None,
) -> SlackBot:
    """`signing_secret` is required over HTTP; in Socket Mode there is none to check."""
    with_rate_limit_retries(client)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=bool(signing_secret),
        process_before_response=True,
        name="helpdesk",
        logger=logging.getLogger("slack_bolt.helpdesk"),
    )
    background = Background()
    directory = Directory(client)
    settings = services.settings
    responder = Responder(services.conversation, client, directory)
    feedback = Feedback(
        services.conversation,
        client,
        directory,
        escalation=settings.slack_escalation_mention,
        support_hint=settings.support_hint,
    )
    handoff = SlackHandOff(
        services.conversation,
        services.handoff,
        client,
        directory,
        support_hint=settings.support_hint,
    )
    command = HelpdeskCommand(client, responder, directory, admin, background.spawn)

    def dispatch(body: dict[str, Any], kind: str, context: AsyncBoltContext) -> None:
        received = time.perf_counter()
        incoming, reason = events.parse(body, kind, context.bot_user_id)
        if incoming is None:
            log.debug("slack ignore %s event=%s reason=%s", kind, body.get("event_id"), reason)
            return
        ids = BotIds(
            user_id=context.bot_user_id,
            bot_id=context.bot_id,
            installation=installation(context),
        )
        background.spawn(
            responder.handle(incoming, ids, received=received),
            f"slack-{kind}-{incoming.channel}-{incoming.ts}",
        )

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], context: AsyncBoltContext) -> None:
        dispatch(body, "mention", context)

    @app.event("message")
    async def on_message(body: dict[str, Any], context: AsyncBoltContext) -> None:
        dispatch(body, "message", context)

    assistant = AsyncAssistant()

    @assistant.thread_started
    async def on_thread_started(payload: dict[str, Any]) -> None:
        thread = payload.get("assistant_thread") or {}
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if channel and thread_ts:
            background.spawn(
                _suggest(client, str(channel), str(thread_ts)), f"slack-suggest-{channel}"
            )

    @assistant.user_message
    async def on_assistant_message(body: dict[str, Any], context: AsyncBoltContext) -> None:
        dispatch(body, "assistant", context)

    app.assistant(assistant)

    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any]) -> None:
        # Agent messaging (`agent_view`): opening the app's DM is `app_home_opened` with
        # tab "messages" (no `assistant_thread_started`, no thread): greet with the
        # suggested prompts for the DM itself.
        event = body.get("event") or {}
        channel = event.get("channel")
        if event.get("tab") == "messages" and channel:
            background.spawn(_suggest(client, str(channel), None), f"slack-suggest-{channel}")

    @app.command(COMMAND)
    async def on_command(
        ack: Any, body: dict[str, Any], respond: Respond, context: AsyncBoltContext
    ) -> None:
        await ack()
        background.spawn(
            command.run(
                text=str(body.get("text") or ""),
                user=str(body.get("user_id")),
                channel=str(body.get("channel_id")),
                respond=respond,
                installation=installation(context),
            ),
            f"slack-command-{body.get('user_id')}",
        )

    def vote(body: dict[str, Any], value: str, rating: int) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        background.spawn(
            feedback.vote(
                value=value,
                rating=rating,
                user=str((body.get("user") or {}).get("id")),
                channel=str((body.get("channel") or {}).get("id")),
                thread_ts=container.get("thread_ts") or message.get("thread_ts"),
            ),
            "slack-feedback",
        )

    @app.action(ACTION_FEEDBACK)
    async def on_feedback(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        # an unreadable value still gets an answer ("no longer on record"), no vote
        rating, answer = feedback_vote(str(action.get("value", ""))) or (1, "")
        vote(body, answer, rating)

    def on_vote(rating: int) -> Any:  # the hand-made buttons of earlier answers
        async def listener(ack: Any, body: dict[str, Any]) -> None:
            await ack()
            action = (body.get("actions") or [{}])[0]
            vote(body, str(action.get("value", "")), rating)

        return listener

    app.action(ACTION_UP)(on_vote(+1))
    app.action(ACTION_DOWN)(on_vote(-1))

    async def on_handoff(ack: Any, body: dict[str, Any]) -> None:
        """ "Ask a person" (on an answer, on the private offer) and "Ask a human" (after
        a 👎): the conversation service's hand-off."""
        await ack()
        action = (body.get("actions") or [{}])[0]
        background.spawn(
            handoff.run(
                value=str(action.get("value", "")),
                user=str((body.get("user") or {}).get("id")),
                channel=str((body.get("channel") or {}).get("id")),
            ),
            "slack-handoff",
        )

    app.action(ACTION_HANDOFF)(on_handoff)
    app.action(ACTION_ESCALATE)(on_handoff)

    return SlackBot(app=app, client=client, responder=responder, background=background)


def installation(context: AsyncBoltContext) -> Installation:
    """The installing workspace / org, from Bolt's authorization (auth.test): an asker
    is an insider only when they belong to it."""
    auth = context.authorize_result
    if auth is None:
        return Installation(None)
    return Installation(team_id=auth.team_id, enterprise_id=auth.enterprise_id)


async def _suggest(client: AsyncWebClient, channel: str, thread_ts: str | None) -> None:
    """Suggested prompts under a greeting title: for an assistant thread (`thread_ts`)
    or, in Agent messaging, for the DM as a whole."""
    prompts = [{"title": t, "message": m} for t, m in messages.SLACK_SUGGESTED_PROMPTS]
    try:
        await client.assistant_threads_setSuggestedPrompts(
            channel_id=channel,
            thread_ts=thread_ts,
            prompts=prompts,
            title=messages.SLACK_SUGGESTED_TITLE,
        )
    except SlackApiError as exc:
        log.warning(
            "slack suggested prompts failed channel=%s error=%s",
            channel,
            slack_error(exc),
        )
