"""Hand-off of an escalated question, platform-neutral: a ticket when the channel has a
ticket project, otherwise (or when the ticket call fails) the channel's escalation
target. Nothing is lost: a failed ticket yields the asker-facing reason *and* the
target to fall back to; the adapter posts to the target and tells the asker."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot import messages
from bot.helpchannels.channels import ChannelSettings, TicketTarget
from bot.helpchannels.jsm import JsmRequests
from bot.helpchannels.tickets import (
    JiraTickets,
    Ticket,
    TicketError,
    TicketRequest,
    TicketSettings,
    TicketSystem,
    ZendeskTickets,
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


def ticket_system(
    target: TicketTarget,
    settings: TicketSettings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TicketSystem:
    """The client for a channel's ticket project; `TicketError` when it is not set up."""
    if target.system == "jira" and target.project:
        if not (settings.jira_base_url and settings.jira_email and settings.jira_api_token):
            raise TicketError(
                "jira", messages.TICKET_NOT_CONFIGURED.format(system="Jira", prefix="JIRA")
            )
        site = (settings.jira_base_url, settings.jira_email)
        token, timeout = settings.jira_api_token.get_secret_value(), settings.ticket_timeout_seconds
        if settings.jira_request_type:
            kind = settings.jira_request_type
            return JsmRequests(*site, token, target.project, kind, timeout, transport)
        kind = settings.jira_issue_type
        return JiraTickets(*site, token, target.project, kind, timeout, transport)
    if target.system == "zendesk":
        if not (
            settings.zendesk_base_url and settings.zendesk_email and settings.zendesk_api_token
        ):
            raise TicketError(
                "zendesk", messages.TICKET_NOT_CONFIGURED.format(system="Zendesk", prefix="ZENDESK")
            )
        return ZendeskTickets(
            settings.zendesk_base_url,
            settings.zendesk_email,
            settings.zendesk_api_token.get_secret_value(),
            settings.ticket_timeout_seconds,
            transport,
        )
    raise TicketError(target.system, messages.TICKET_NOT_CONFIGURED.format(
        system=target.system, prefix=target.system.upper()
    ))  # fmt: skip
