"""Answers out of band: the inbound request only decides and acknowledges; the answer is
sent afterwards, proactively, through the adapter's `continue_conversation` with the
stored conversation reference — so no answer depends on the inbound HTTP request's
lifetime (the Bot Framework gives a request about 15 s before it redelivers or drops it).

`Background` (bot/adapters/background.py) tracks those tasks: the server drains them
on shutdown (and tests wait on them). `render` turns the conversation service's events
into Teams activities: 1:1 chats stream (informative update, text updates, final
message), channels and group chats get one final message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, Attachment, ConversationReference

from bot import messages
from bot.adapters.teams.activities import answer_activity, text_activity, typing_activity
from bot.adapters.teams.retry import with_retry
from bot.adapters.teams.streaming import STREAM_MAX_SECONDS, TeamsStream
from bot.adapters.teams.targeted import addressed_to_member, send_targeted
from bot.conversation import inbound as ev
from bot.conversation.service import ConversationService

log = logging.getLogger(__name__)


async def send(ctx: TurnContext, activity: Activity) -> Any:
    return await with_retry(lambda: ctx.send_activity(activity), what=activity.type)


async def proactive(
    adapter: BotAdapter,
    app_id: str,
    reference: ConversationReference,
    logic: Callable[[TurnContext], Awaitable[None]],
) -> None:
    """Run `logic` in a proactive turn of the conversation `reference` names. Replies
    name the original activity (`replyToId`), as an in-request reply would."""

    async def turn(ctx: TurnContext) -> None:
        if reference.activity_id:
            ctx.activity.id = reference.activity_id
        await logic(ctx)

    await adapter.continue_conversation(reference, turn, app_id)


async def render(
    ctx: TurnContext,
    conversation: ConversationService,
    events: AsyncIterator[ev.Event],
    *,
    streamed: bool,
    stream_interval: float,
    stream_max_seconds: float = STREAM_MAX_SECONDS,
    card: Callable[[int], Attachment] | None = None,
    targeted_offers: bool = False,
) -> None:
    """`card(answer_id)`: the attachment under each answer ("Ask a person").
    `targeted_offers`: the private offer after an unanswered help-channel question is
    sent as a targeted message to the asker alone; otherwise nothing is posted."""
    stream = TeamsStream(
        lambda a: send(ctx, a), interval=stream_interval, max_seconds=stream_max_seconds
    )
    async for event in events:
        if isinstance(event, ev.Reply):
            await send(ctx, text_activity(event.text))
        elif isinstance(event, ev.Status):
            if streamed:
                await stream.informative(event.text)
            else:
                await send(ctx, typing_activity())
        elif isinstance(event, ev.TextDelta) and streamed:
            await stream.push(event.text)
        elif isinstance(event, ev.Offer):
            if targeted_offers and card is not None:
                await offer_privately(ctx, event, card)
            else:  # without targeted messages nobody but the asker may see it: nothing
                conv = ctx.activity.conversation.id
                log.info("teams no offer (targeted offers off) conv=%s", conv)
        elif isinstance(event, ev.Final):
            final = answer_activity(
                event.answer,
                notices=event.notices,
                card=card(event.answer_id) if card is not None else None,
            )
            if streamed:
                response = await stream.finish(final)
                message_id = stream.message_id or getattr(response, "id", None) or ""
            else:
                response = await send(ctx, final)
                message_id = getattr(response, "id", None) or ""
            await conversation.delivered(event.answer_id, message_id)
        elif isinstance(event, ev.Failed):
            if streamed:
                await stream.finish(text_activity(event.text))
            else:
                await send(ctx, text_activity(event.text))


async def offer_privately(
    ctx: TurnContext, offer: ev.Offer, card: Callable[[int], Attachment]
) -> None:
    """The offer to ask a person, as a targeted message only the asker sees. Whatever
    goes wrong, nothing is posted instead: the others in the channel never see it."""
    activity = text_activity(offer.text)
    activity.attachments = [card(offer.answer_id)]
    conv = ctx.activity.conversation.id
    try:
        await send_targeted(ctx, addressed_to_member(ctx, activity))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # boundary: a refused private offer ends here, never in public
        log.warning("teams targeted offer not sent conv=%s error=%s", conv, type(exc).__name__)
        return
    log.info("teams targeted offer sent conv=%s answer_id=%d", conv, offer.answer_id)


async def answer_out_of_band(
    adapter: BotAdapter,
    app_id: str,
    reference: ConversationReference,
    conversation: ConversationService,
    events: AsyncIterator[ev.Event],
    *,
    streamed: bool,
    stream_interval: float,
    stream_max_seconds: float = STREAM_MAX_SECONDS,
    card: Callable[[int], Attachment] | None = None,
    targeted_offers: bool = False,
) -> None:
    """The rest of a message's events, sent proactively. Never raises: a failure ends as
    the generic apology in the conversation and one log line."""
    conv = reference.conversation.id if reference.conversation else None

    async def logic(ctx: TurnContext) -> None:
        try:
            await render(
                ctx,
                conversation,
                events,
                streamed=streamed,
                stream_interval=stream_interval,
                stream_max_seconds=stream_max_seconds,
                card=card,
                targeted_offers=targeted_offers,
            )
        except asyncio.CancelledError:
            raise
        except Exception:  # boundary: this answer's rendering (one log line, an apology)
            log.exception("teams answer failed conv=%s id=%s", conv, reference.activity_id)
            await send(ctx, text_activity(messages.GENERIC_APOLOGY))

    try:
        await proactive(adapter, app_id, reference, logic)
    except asyncio.CancelledError:
        log.warning("teams answer cancelled at shutdown conv=%s id=%s", conv, reference.activity_id)
        raise
    except Exception as exc:  # top of the answer's background task: one log line
        log.error(
            "teams answer not delivered conv=%s id=%s error=%s",
            conv,
            reference.activity_id,
            type(exc).__name__,
        )
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
