"""The Confluence source (`confluence`): pages and blog posts of Confluence Cloud (email +
API token, basic auth) or Data Center / Server (`CONFLUENCE_PAT`, bearer).

Modules: `client` (HTTP, retries, error mapping), `endpoints` (the calls, Cloud vs Data
Center), `storage` (storage XHTML → text), `permissions` (space permission ∩ restrictions
→ `Acl`), `connector` (the `Connector` itself; its docstring describes a run).
"""

from __future__ import annotations

from connectors.base import Connector
from connectors.confluence.client import ConfluenceClient
from connectors.confluence.connector import ConfluenceConnector, ConfluenceOptions
from connectors.confluence.endpoints import ConfluenceApi
from connectors.retry import RetryPolicy
from connectors.source_settings import ConfluenceSettings

__all__ = [
    "ConfluenceApi",
    "ConfluenceClient",
    "ConfluenceConnector",
    "ConfluenceOptions",
    "ConfluenceSettings",
    "RetryPolicy",
    "build_confluence_connector",
]


def build_confluence_connector(config: ConfluenceSettings) -> Connector:
    """The connector for its typed settings (`Settings.confluence_settings()`)."""
    budget = config.retry_budget_seconds
    client = ConfluenceClient(
        str(config.url),
        email=config.email or None,
        api_token=config.api_token or None,
        pat=config.pat or None,
        deployment=config.deployment or None,
        retry=RetryPolicy(budget_seconds=budget),
        timeout=min(30.0, budget),  # one request never outlasts the whole budget
    )
    public = config.public_groups or ("confluence-users",)
    options = ConfluenceOptions(
        spaces=tuple(config.spaces),
        public_groups=frozenset(g.strip().lower() for g in public if g.strip()),
    )
    return ConfluenceConnector(ConfluenceApi(client), options)
