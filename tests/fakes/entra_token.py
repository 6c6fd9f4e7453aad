"""A local stand-in for Microsoft Entra ID's token service as the bot uses it: the
tenant's OpenID configuration and the OAuth 2.0 client-credentials token endpoint
(`POST /{tenant}/oauth2/v2.0/token`), in the shapes login.microsoftonline.com answers
with. MSAL calls it with blocking `requests`, so it runs in its own thread.

`redirecting_session(entra)` is the `requests.Session` handed to MSAL: every request for
`https://login.microsoftonline.com/...` goes to this server instead (the network edge).
`token_requests` counts the tokens issued; `expires_in` sets their lifetime."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import requests
from requests.adapters import HTTPAdapter

LOGIN = "https://login.microsoftonline.com"


@dataclass
class FakeEntra:
    client_id: str
    client_secret: str
    expires_in: int = 3599
    base_url: str = ""
    token_requests: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def openid_configuration(self, tenant: str) -> dict[str, Any]:
        base = f"{LOGIN}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{LOGIN}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{LOGIN}/{tenant}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        token = f"fake-entra-token-{len(self.issued) + 1}"
        self.issued.append(token)
        return 200, {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": token,
        }


def _handler(entra: FakeEntra) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            entra.paths.append(f"GET {path}")
            parts = path.strip("/").split("/")
            if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._reply(200, entra.openid_configuration(parts[0]))
            else:
                self._reply(404, {"error": "not_found"})

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            entra.paths.append(f"POST {path}")
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if path.strip("/").split("/")[1:] != ["oauth2", "v2.0", "token"]:
                self._reply(404, {"error": "not_found"})
                return
            self._reply(*entra.token(form))

    return Handler


@contextmanager
def serve_entra(entra: FakeEntra) -> Iterator[FakeEntra]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(entra))
    entra.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield entra
    finally:
        server.shutdown()
        server.server_close()


class _ToFake(HTTPAdapter):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        assert request.url is not None
        request.url = self.target + request.url[len(LOGIN) :]
        return super().send(request, *args, **kwargs)


def redirecting_session(entra: FakeEntra) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # proxies must not catch loopback
    session.mount(LOGIN + "/", _ToFake(entra.base_url))
    return session
