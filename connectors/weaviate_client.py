"""Connecting to Weaviate: `WEAVIATE_URL` (+ `WEAVIATE_API_KEY`) to a weaviate client.

`WEAVIATE_URL` is `http(s)://host[:port]`; gRPC defaults to the same host on port 50051
(TLS when the URL is https), overridable with `?grpc=host:port` (the Helm chart serves
gRPC as a separate `weaviate-grpc` service). Weaviate Cloud hosts use the cloud's fixed
endpoints and need an API key. The client is built exactly as `connect_to_custom` /
`connect_to_weaviate_cloud` build it, through the documented `WeaviateClient(...)`
constructor, so that the one init check that talks to the internet, the PyPI "newer
client available" lookup, can be switched off on that instance: offline it costs a DNS
timeout, and behind a proxy that answers with an HTML page it raises and aborts the
connection. The real init checks (server version, gRPC health, OIDC discovery) still
run; `skip_init_checks` stays False.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import weaviate
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.connect.base import ConnectionParams

log = logging.getLogger(__name__)

DEFAULT_GRPC_PORT = 50051
CLOUD_DOMAINS = (".weaviate.cloud", ".weaviate.network", ".weaviate.io")


# --------------------------------------------------------------------------- connection
@dataclass(frozen=True)
class Endpoint:
    http_host: str
    http_port: int
    http_secure: bool
    grpc_host: str
    grpc_port: int
    grpc_secure: bool
    cloud: bool = False

    def params(self) -> ConnectionParams:
        return ConnectionParams.from_params(
            http_host=self.http_host,
            http_port=self.http_port,
            http_secure=self.http_secure,
            grpc_host=self.grpc_host,
            grpc_port=self.grpc_port,
            grpc_secure=self.grpc_secure,
        )


def is_weaviate_cloud(host: str) -> bool:
    return host.endswith(CLOUD_DOMAINS)


def parse_endpoint(url: str) -> Endpoint:
    """`http(s)://host[:port][?grpc=host:port]` (or a bare Weaviate Cloud host)."""
    if "://" not in url and is_weaviate_cloud(url.strip().rstrip("/")):
        url = "https://" + url.strip()
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"WEAVIATE_URL must look like http://host:8080, got {url!r}")
    host, secure = parts.hostname, parts.scheme == "https"
    if is_weaviate_cloud(host):
        # as connect_to_weaviate_cloud: REST and gRPC on 443, gRPC on its own host
        if host.endswith(".weaviate.network"):
            ident, domain = host.split(".", 1)
            grpc_host = f"{ident}.grpc.{domain}"
        else:
            grpc_host = f"grpc-{host}"
        return Endpoint(host, 443, True, grpc_host, 443, True, cloud=True)
    port = parts.port or (443 if secure else 80)
    grpc_host, grpc_port = host, DEFAULT_GRPC_PORT
    grpc = parse_qs(parts.query).get("grpc")
    if grpc:
        target = urlsplit("//" + grpc[-1])
        if not target.hostname:
            raise ValueError(f"WEAVIATE_URL grpc= must be host:port, got {grpc[-1]!r}")
        grpc_host, grpc_port = target.hostname, target.port or DEFAULT_GRPC_PORT
    return Endpoint(host, port, secure, grpc_host, grpc_port, secure)


def _no_pypi_check(colour: Any) -> None:
    return None


def build_client(
    url: str, api_key: str | None, timeout: Timeout | None = None
) -> weaviate.WeaviateClient:
    """An unconnected client for `url`, init checks on, minus the PyPI lookup."""
    endpoint = parse_endpoint(url)
    if endpoint.cloud and not api_key:
        raise ValueError("Weaviate Cloud needs an API key: set WEAVIATE_API_KEY")
    client = weaviate.WeaviateClient(
        connection_params=endpoint.params(),
        auth_client_secret=Auth.api_key(api_key) if api_key else None,
        additional_config=AdditionalConfig(
            timeout=timeout or Timeout(init=10, query=30, insert=120)
        ),
        skip_init_checks=False,
    )
    connection = client._connection
    if hasattr(connection, "_check_package_version"):
        connection._check_package_version = _no_pypi_check  # type: ignore[method-assign]
    else:  # pragma: no cover - a client upgrade renamed it; the unit test flags this
        log.warning("weaviate client: PyPI version check hook not found")
    return client
