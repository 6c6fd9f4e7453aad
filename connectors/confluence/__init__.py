"""The Confluence source (`confluence`): pages and blog posts of Confluence Cloud (email +
API token, basic auth) or Data Center / Server (`CONFLUENCE_PAT`, bearer).

Modules: `client` (HTTP, retries, error mapping), `endpoints` (the calls, Cloud vs Data
Center), `storage` (storage XHTML → text), `permissions` (space permission ∩ restrictions
→ `Acl`), `connector` (the `Connector` itself; its docstring describes a run).
"""

from __future__ import annotations

from typing import Any

from connectors.base import Connector
from connectors.confluence.client import ConfluenceClient
from connectors.confluence.connector import ConfluenceConnector, ConfluenceOptions
from connectors.confluence.endpoints import ConfluenceApi
from connectors.retry import DEFAULT_BUDGET_SECONDS, RetryPolicy
from connectors.state import StateStore

__all__ = [
    "ConfluenceApi",
    "ConfluenceClient",
    "ConfluenceConnector",
    "ConfluenceOptions",
    "RetryPolicy",
    "build_confluence_connector",
]


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if callable(getter) else value) or None


def build_confluence_connector(config: Any, state: StateStore) -> Connector:
    """The connector for the application's settings (duck-typed, see `bot/settings.py`)."""
    budget = float(getattr(config, "sync_retry_budget_seconds", None) or DEFAULT_BUDGET_SECONDS)
    client = ConfluenceClient(
        str(config.confluence_url),
        email=getattr(config, "confluence_email", None) or None,
        api_token=_secret(getattr(config, "confluence_api_token", None)),
        pat=_secret(getattr(config, "confluence_pat", None)),
        deployment=getattr(config, "confluence_deployment", None) or None,
        retry=RetryPolicy(budget_seconds=budget),
        timeout=min(30.0, budget),  # one request never outlasts the whole budget
    )
    public = getattr(config, "confluence_public_groups", None) or ["confluence-users"]
    options = ConfluenceOptions(
        spaces=tuple(getattr(config, "confluence_spaces", None) or ()),
        public_groups=frozenset(g.strip().lower() for g in public if g.strip()),
    )
    return ConfluenceConnector(ConfluenceApi(client), options, state)
