"""A local stand-in for the Bot Framework's token signing keys: the OpenID metadata
document (`https://login.botframework.com/v1/.well-known/openidconfiguration`) and the
JWKS it points to, on 127.0.0.1, in the shapes the real service publishes (each key with
its `endorsements`, the channels it may sign for). botbuilder fetches them with blocking
`requests`, so this server runs in its own thread.

`keys.sign(claims)` issues a token the bot must accept (RS256 with a published key id);
tests forge the others."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KEY_ID = "fake-botframework-key-1"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class BotFrameworkKeys:
    private_key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)
    kid: str = KEY_ID
    endorsements: tuple[str, ...] = ("msteams", "webchat")
    base_url: str = ""
    fetches: list[str] = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(
            {"kid": self.kid, "use": "sig", "alg": "RS256", "endorsements": list(self.endorsements)}
        )
        return {"keys": [jwk]}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    def claims(self, app_id: str, service_url: str, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": ISSUER,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + 3600,
            **extra,
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _handler(keys: BotFrameworkKeys) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            keys.fetches.append(self.path)
            if self.path == "/v1/.well-known/openidconfiguration":
                payload = keys.openid_configuration()
            elif self.path == "/v1/.well-known/keys":
                payload = keys.jwks()
            else:
                self.send_response(404)
                self.end_headers()
                return
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_keys(keys: BotFrameworkKeys) -> Iterator[BotFrameworkKeys]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(keys))
    keys.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield keys
    finally:
        server.shutdown()
        server.server_close()
