"""POST /api/messages: the Bot Framework endpoint, on the same aiohttp server as Slack.

Every request is authenticated by botbuilder (`CloudAdapter` +
`ConfigurationBotFrameworkAuthentication`, JWT validation against the Bot Framework's
keys). Only with no `MicrosoftAppId` configured does botbuilder skip validation — its own
local-development mode (Bot Framework Emulator, tests); a warning says so at start-up.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ActivityTypes

from bot import messages
from bot.adapters.teams.activities import text_activity
from bot.adapters.teams.bot import TeamsHelpdeskBot
from bot.adapters.teams.credentials import CachedCredentialFactory
from bot.adapters.teams.handoff import TeamsHandOff
from bot.adapters.teams.retry import TEAMS_SEND_ERRORS
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

BOT_KEY: web.AppKey[TeamsHelpdeskBot] = web.AppKey("teams_bot", TeamsHelpdeskBot)


class BotConfig:
    """The attribute names botbuilder's configuration classes read."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id or ""
        self.APP_PASSWORD = (
            settings.microsoft_app_password.get_secret_value()
            if settings.microsoft_app_password
            else ""
        )
        self.APP_TENANTID = settings.microsoft_app_tenant_id or ""
        # SingleTenant/UserAssignedMSI need an app id; with none, botbuilder's anonymous
        # (development) mode is the MultiTenant code path with empty credentials.
        self.APP_TYPE = settings.microsoft_app_type if self.APP_ID else "MultiTenant"


def build_adapter(settings: Settings, *, token_http_client: Any = None) -> tuple[CloudAdapter, str]:
    """`token_http_client`: the HTTP session MSAL uses to reach Entra ID (tests point it at
    a fake token endpoint); None in production."""
    config = BotConfig(settings)
    if not config.APP_ID:
        log.warning(
            "MicrosoftAppId is not set: Teams requests are NOT authenticated "
            "(botbuilder development mode). Set MicrosoftAppId, MicrosoftAppPassword and "
            "MicrosoftAppTenantId before exposing /api/messages."
        )
    credentials = CachedCredentialFactory(
        ConfigurationServiceClientCredentialFactory(config), http_client=token_http_client
    )
    adapter = CloudAdapter(
        ConfigurationBotFrameworkAuthentication(config, credentials_factory=credentials)
    )

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        activity = turn_context.activity
        log.error(
            "teams turn failed conv=%s id=%s type=%s error=%s",
            activity.conversation.id if activity.conversation else None,
            activity.id,
            activity.type,
            type(error).__name__,
            exc_info=error,
        )
        if activity.type == ActivityTypes.message:
            try:
                await turn_context.send_activity(text_activity(messages.GENERIC_APOLOGY))
            except TEAMS_SEND_ERRORS as exc:
                log.warning("teams apology not delivered error=%s", type(exc).__name__)

    adapter.on_turn_error = on_turn_error
    return adapter, config.APP_ID


def add_teams_routes(
    app: web.Application, services: Services, admin: Any, *, token_http_client: Any = None
) -> None:
    adapter, app_id = build_adapter(services.settings, token_http_client=token_http_client)
    tenant_id = services.settings.microsoft_app_tenant_id
    handoff = TeamsHandOff(
        services.conversation,
        services.handoff,
        adapter,
        app_id,
        tenant_id=tenant_id,
        support_hint=services.settings.support_hint,
    )
    bot = TeamsHelpdeskBot(
        services.conversation,
        admin,
        adapter,
        app_id,
        tenant_id=tenant_id,
        handoff=handoff,
        targeted_offers=services.settings.teams_targeted_offers,
    )
    app[BOT_KEY] = bot

    async def messages_endpoint(request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=400)
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "malformed JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "expected an activity object"}, status=400)
        try:
            activity = Activity().deserialize(body)
        except ValueError:  # msrest's DeserializationError
            return web.json_response({"error": "not a Bot Framework activity"}, status=400)
        if not activity.type:
            return web.json_response({"error": "activity without a type"}, status=400)
        auth_header = request.headers.get("Authorization", "")
        try:
            # authentication alone first: whatever botbuilder's JWT validation raises
            # (a disallowed `alg`, an unknown key id, a bad signature, a wrong issuer or
            # audience, unreachable key metadata) is a 401 with one short line, never a
            # 500 with a traceback anyone could use to fill the logs
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except Exception as exc:  # boundary: authentication of this request
            log.warning(
                "teams request rejected: authentication failed id=%s reason=%s",
                activity.id,
                type(exc).__name__,
            )
            return web.Response(status=401)
        invoke_response = await adapter.process_activity(authenticated, activity, bot.on_turn)
        if invoke_response is None:
            # accepted: any answer follows out of band (bot.py, delivery.py)
            return web.Response(status=202)
        if invoke_response.body is None:
            return web.Response(status=invoke_response.status)
        return web.json_response(invoke_response.body, status=invoke_response.status)

    app.router.add_post("/api/messages", messages_endpoint)

    async def close_bot(_app: web.Application) -> None:
        await bot.close()

    app.on_shutdown.append(close_bot)
