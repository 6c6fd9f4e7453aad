"""The web process (`helpdesk serve`): one aiohttp server for Slack and Teams.

- `GET /healthz` — liveness;
- Slack: Socket Mode when SLACK_APP_TOKEN is set (no public URL needed), otherwise
  `POST /slack/events` with Slack's request signature checked by Bolt;
- Teams: `POST /api/messages` when MicrosoftAppId is set (`bot.adapters.teams.routes`);
- RUN_WORKER=true: the sync scheduler runs in this process too.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack import SlackBot, build_slack_app
from bot.adapters.slack.api import SlackClient
from bot.checks import check_teams
from bot.errors import ConfigError
from bot.services import Services, build_services
from bot.settings import Settings

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
SLACK_KEY: web.AppKey[SlackBot] = web.AppKey("slack", SlackBot)
SERVICES_KEY: web.AppKey[Services] = web.AppKey("services", Services)


def slack_api_url(settings: Settings) -> str | None:
    url = settings.slack_api_url
    if not url:
        return None
    return url if url.endswith("/") else url + "/"


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value.get_secret_value())
    return text or None


def check_slack_settings(settings: Settings) -> None:
    """Over HTTP Slack needs the signing secret; fail at start-up naming the key."""
    if not _secret(settings.slack_bot_token):
        return
    if not _secret(settings.slack_app_token) and not _secret(settings.slack_signing_secret):
        raise ConfigError(
            messages.CONFIG_MISSING.format(
                key="SLACK_SIGNING_SECRET",
                fix=messages.CONFIG_SLACK_SIGNING_FIX,
            )
        )


def create_app(
    services: Services,
    *,
    slack_client: AsyncWebClient | None = None,
    extra_routes: Iterable[web.AbstractRouteDef] = (),
) -> web.Application:
    """The aiohttp application. `slack_client` replaces the Web API client built from
    SLACK_BOT_TOKEN / SLACK_API_URL (tests point it at a fake Slack)."""
    settings = services.settings
    check_slack_settings(settings)
    check_teams(settings)
    app = web.Application()
    app[SERVICES_KEY] = services
    admin = services.admin

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "mode": services.engine.mode})

    app.router.add_get("/healthz", healthz)

    bot_token = _secret(settings.slack_bot_token)
    if slack_client is None and bot_token:
        slack_client = SlackClient(
            token=bot_token, base_url=slack_api_url(settings) or AsyncWebClient.BASE_URL
        )
    if slack_client is not None:
        socket_token = _secret(settings.slack_app_token)
        slack = build_slack_app(
            services,
            slack_client,
            admin=admin,
            signing_secret=None if socket_token else _secret(settings.slack_signing_secret),
        )
        app[SLACK_KEY] = slack
        if socket_token:
            app.cleanup_ctx.append(_socket_mode(slack, socket_token))
        else:
            verify = _signature_check(_secret(settings.slack_signing_secret))

            async def slack_events(request: web.Request) -> web.Response:
                if not verify(request.headers, await request.read()):
                    return web.Response(status=401)
                bolt_response = await slack.app.async_dispatch(await to_bolt_request(request))
                return await to_aiohttp_response(bolt_response)

            app.router.add_post(SLACK_PATH, slack_events)

        async def drain_slack(_app: web.Application) -> None:
            await slack.background.close()

        app.on_shutdown.append(drain_slack)
        app.cleanup_ctx.append(_shared_session(slack_client))
    else:
        log.info("Slack is not configured (SLACK_BOT_TOKEN unset)")

    if settings.microsoft_app_id:
        from bot.adapters.teams.routes import add_teams_routes

        add_teams_routes(app, services, admin)
    else:
        log.info("Teams is not configured (MicrosoftAppId unset)")

    if settings.run_worker:
        app.cleanup_ctx.append(_embedded_worker(services))
    app.add_routes(list(extra_routes))
    return app


def _signature_check(secret: str | None) -> Callable[[Mapping[str, str], bytes], bool]:
    """Slack's request signature (v0 HMAC-SHA256 over timestamp and body, at most five
    minutes old), checked before Bolt sees the request, so a forged or replayed request
    is a 401 with one short line (Bolt's own check logs the whole body at INFO).
    Slack's `ssl_check` pings are left to Bolt, as Bolt itself skips them."""
    if not secret:
        return lambda _headers, _body: True
    verifier = SignatureVerifier(secret)

    def check(headers: Mapping[str, str], body: bytes) -> bool:
        if _is_ssl_check(headers, body):
            return True
        ok = verifier.is_valid(
            body,
            headers.get("X-Slack-Request-Timestamp", "0"),
            headers.get("X-Slack-Signature", ""),
        )
        if not ok:
            log.warning("slack request rejected: signature check failed")
        return ok

    return check


def _is_ssl_check(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether Bolt will read the request as an `ssl_check` ping (and answer it without
    dispatching anything): the body parsed as Bolt parses it, not a substring of it — a
    JSON event whose text holds `&ssl_check=1&` is an event to verify."""
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip() or None
    try:
        parsed = parse_body(body.decode("utf-8"), content_type)
    except ValueError:  # not UTF-8, or JSON that does not parse: not a ping
        return False
    return isinstance(parsed, dict) and parsed.get("ssl_check") == "1"


def _shared_session(client: AsyncWebClient) -> Any:
    """One pooled HTTP session for every Web API call (the SDK otherwise opens a new
    session and connection, and a new TLS handshake with Slack, for each call)."""

    async def context(_app: web.Application) -> AsyncIterator[None]:
        own = client.session is None or client.session.closed
        if own:
            client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=client.timeout)
            )
        yield
        if own and client.session is not None:
            await client.session.close()

    return context


def _socket_mode(slack: SlackBot, app_token: str) -> Any:
    async def context(_app: web.Application) -> AsyncIterator[None]:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(slack.app, app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack connected over Socket Mode")
        yield
        await handler.close_async()  # type: ignore[no-untyped-call]

    return context


def _embedded_worker(services: Services) -> Any:
    async def context(_app: web.Application) -> AsyncIterator[None]:
        worker = services.worker()
        await asyncio.to_thread(worker.start)
        try:
            yield
        finally:
            await asyncio.to_thread(worker.shutdown)

    return context


SERVE_SWITCH_INTERVAL_SECONDS = 0.001


def tune_interpreter_for_serving() -> None:
    """`helpdesk serve`'s one interpreter setting: acks must not wait behind answer work
    running in worker threads (retrieval, state writes), so the GIL goes back to the
    event loop's thread after 1 ms instead of Python's default 5 ms. Process-wide: set
    once at start-up, never by building an app."""
    sys.setswitchinterval(SERVE_SWITCH_INTERVAL_SECONDS)


def run_server(settings: Settings) -> None:
    """`helpdesk serve`: build everything once and serve on PORT until stopped."""
    check_slack_settings(settings)
    check_teams(settings)
    tune_interpreter_for_serving()
    services = build_services(settings, connect_index=True)
    app = create_app(services)
    log.info(
        "serving on port %d (slack=%s, teams=%s, worker=%s, answers=%s)",
        settings.port,
        "socket mode"
        if _secret(settings.slack_app_token)
        else (SLACK_PATH if _secret(settings.slack_bot_token) else "off"),
        "/api/messages" if settings.microsoft_app_id else "off",
        "embedded" if settings.run_worker else "separate process",
        services.engine.mode,
    )
    web.run_app(app, port=settings.port, access_log=None, print=None)
