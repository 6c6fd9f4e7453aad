"""Shared pieces of the Confluence scenarios: a small fake site (Cloud or Data Center),
the connector against it with fast retries, and a few assertions' helpers.

`DEPLOYMENTS` parametrises the scenario modules: every scenario that takes the `site`
fixture runs against a Cloud site (email + API token, v2 listings, cursors) and a Data
Center site (PAT bearer, v1 only, `start`/`limit`, `/confluence` context path)."""

from __future__ import annotations

from connectors.base import Connector, SyncMode
from connectors.confluence import (
    ConfluenceApi,
    ConfluenceClient,
    ConfluenceConnector,
    ConfluenceOptions,
    RetryPolicy,
)
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.sync import SyncEngine, SyncProgress
from tests.fakes.confluence_server import Content, FakeConfluence

FAST = RetryPolicy(base_delay=0.001, max_delay=0.01, max_retry_after=0.05)
DEPLOYMENTS = ("cloud", "datacenter")


def make_site(deployment: str = "cloud") -> FakeConfluence:
    fake = FakeConfluence(deployment=deployment).start()
    fake.add_user("u1", "alice@example.com", "Alice")
    fake.add_user("u2", "", "Bob (email hidden)")
    fake.add_user("u3", "carol@example.com", "Carol")
    fake.add_group("confluence-users", ["u1", "u2", "u3"])
    fake.add_group("hr", ["u1", "u2"])
    fake.add_space("IT", "IT", read_groups=["confluence-users", "confluence-administrators"])
    fake.add_space("HR", "Human resources", read_groups=["hr"])
    fake.add_space("ARCH", "Archive", read_groups=["confluence-users"])
    return fake


def connector(
    site: FakeConfluence,
    spaces: tuple[str, ...] = ("IT", "HR"),
    token: str = "secret",  # noqa: S107
    retry: RetryPolicy = FAST,
    sleep: object = None,
) -> ConfluenceConnector:
    kwargs: dict[str, object] = {"retry": retry}
    if sleep is not None:
        kwargs["sleep"] = sleep
    if site.dc:  # a PAT alone: Data Center, detected from the settings
        kwargs["pat"] = token
    else:
        kwargs.update(email="bot@example.com", api_token=token)
    client = ConfluenceClient(site.url, **kwargs)  # type: ignore[arg-type]
    return ConfluenceConnector(ConfluenceApi(client), ConfluenceOptions(spaces=spaces))


def it_tree(site: FakeConfluence) -> tuple[Content, Content, Content]:
    home = site.add_page("IT", "IT Home", "<p>Welcome to IT.</p>")
    vpn = site.add_page(
        "IT", "VPN", "<h1>VPN</h1><p>Use GlobalProtect with MFA.</p>", parent=home.id
    )
    mac = site.add_page(
        "IT",
        "VPN on Mac",
        "<p>Install the pkg then approve the kernel extension.</p>",
        parent=vpn.id,
    )
    return home, vpn, mac


def body_path(site: FakeConfluence, c: Content) -> str:
    """The request path fragment of fetching one page's body, as the connector asks it."""
    if site.dc:
        return f"/rest/api/content/{c.id}?"
    kind = "pages" if c.type == "page" else "blogposts"
    return f"/api/v2/{kind}/{c.id}"


def hidden_email_user(site: FakeConfluence, account: str) -> str:
    """The principal of a user whose email the site does not show."""
    return f"user:username:{account}" if site.dc else f"user:accountid:{account}"


def doc(c: Content) -> str:
    return f"confluence:{c.id}"


def hits(index: ChunkIndex, query: str, principals: frozenset[str] = frozenset()) -> set[str]:
    vector = HashingEmbedding().get_query_embedding(query)
    return {n.node.metadata["doc_id"] for n in index.search(query, vector, principals, 10)}


def run(engine: SyncEngine, conn: Connector, mode: SyncMode = SyncMode.INCREMENTAL) -> SyncProgress:
    progress = engine.run(conn, mode)
    expected = "partial" if progress.failed else "succeeded"  # failures: never "succeeded"
    assert progress.status == expected, (progress.error, progress.failures)
    return progress
