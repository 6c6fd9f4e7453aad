"""Hand-off of an escalated question, platform-neutral: a ticket when the channel has a
ticket project, otherwise (or when the ticket call fails) the channel's escalation
target. Nothing is lost: a failed ticket yields the asker-facing reason *and* the
target to fall back to; the adapter posts to the target and tells the asker."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.helpchannels.channels import ChannelSettings
from bot.helpchannels.tickets import (
    Ticket,
    TicketError,
    TicketRequest,
    TicketSettings,
    ticket_system,
)


@dataclass(frozen=True)
class EscalationOutcome:
    ticket: Ticket | None  # created
    escalate_to: str | None  # where to post the hand-off (None: the global default)
    ticket_failure: str | None = None  # the plain reason shown to the asker


async def escalate(
    channel: ChannelSettings | None,
    request: TicketRequest,
    settings: TicketSettings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EscalationOutcome:
    target = channel.escalate_to if channel else None
    if channel is None or channel.ticket is None:
        return EscalationOutcome(None, target)
    try:
        client = ticket_system(channel.ticket, settings, transport)
    except TicketError as exc:
        return EscalationOutcome(None, target, exc.user_message)
    try:
        return EscalationOutcome(await client.create(request), target)
    except TicketError as exc:
        return EscalationOutcome(None, target, exc.user_message)
    finally:
        await client.aclose()
