"""Confluence Data Center / Server specifics (issue 15, point 4): how the deployment is
chosen, the space-permission calls Data Center serves (and older servers' fallback), users
named by username, group names in paths — against the fake site in its Data Center mode
over real HTTP, through the connector as `helpdesk sync` builds it. The scenarios both
deployments share run in `test_confluence_sync.py` / `test_confluence_retries.py`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from connectors.base import Acl, SourceError
from connectors.confluence import ConfluenceClient
from connectors.confluence.permissions import NOBODY, Readers, space_readers
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.messages import CONFLUENCE_DEPLOYMENT_INVALID
from connectors.registry import build_connector
from connectors.state import StateStore
from connectors.sync import SyncEngine
from tests.fakes.confluence_server import FakeConfluence
from tests.scenario.confluence_support import connector, doc, hits, it_tree, make_site, run

PUBLIC = frozenset({"confluence-users"})


@pytest.fixture
def site() -> Iterator[FakeConfluence]:
    fake = make_site("datacenter")
    yield fake
    fake.stop()


@pytest.fixture
def fast_engine(
    index: ChunkIndex, state: StateStore, hashing_embedder: HashingEmbedding
) -> SyncEngine:
    return SyncEngine(index, state, hashing_embedder)


def settings(site: FakeConfluence, data_dir: Path, **kw: Any) -> Settings:
    return Settings(
        _env_file=None,
        helpdesk_data_dir=data_dir,
        files_path=None,
        confluence_url=site.url,
        confluence_spaces=["IT", "HR"],
        **kw,
    )


# ---------------------------------------------------------------------- deployment
def test_a_pat_alone_means_data_center_and_nothing_asks_for_the_v2_api(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine, data_dir: Path
) -> None:
    _, _, mac = it_tree(site)
    conf = settings(site, data_dir, confluence_pat=site.token)

    progress = run(fast_engine, build_connector("confluence", conf))

    assert progress.added == 3 and progress.failed == 0
    assert not [r for r in site.requests if "/api/v2" in r]
    assert all(r.startswith("/confluence/rest/api/") for r in site.requests)
    assert site.count("/rest/api/space/IT/permissions") == 1  # DC's space-permission call
    row = state.document(doc(mac))
    assert row is not None and row.url == f"{site.url}/display/IT/VPN+on+Mac"


def test_an_ambiguous_setup_is_probed_once_and_an_explicit_one_never(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine, data_dir: Path
) -> None:
    it_tree(site)
    # a PAT next to an email could be either: one probe of the v2 API, a 404, so DC
    ambiguous = settings(site, data_dir, confluence_pat=site.token, confluence_email="x@y.z")
    run(fast_engine, build_connector("confluence", ambiguous))
    assert [r for r in site.requests if "/api/v2" in r] == ["/confluence/api/v2/spaces?limit=1"]

    site.requests.clear()
    explicit = settings(
        site, data_dir, confluence_pat=site.token, confluence_email="x@y.z",
        confluence_deployment="datacenter",
    )  # fmt: skip
    run(fast_engine, build_connector("confluence", explicit))
    assert site.requests and not [r for r in site.requests if "/api/v2" in r]


def test_an_atlassian_net_host_is_cloud_without_asking() -> None:
    client = ConfluenceClient("https://acme.atlassian.net", email="a@b.c", api_token="t")
    assert client.cloud and client.base == "https://acme.atlassian.net/wiki"
    assert client.requests_made == 0
    dc = ConfluenceClient("https://wiki.acme.internal/confluence", pat="p")
    assert not dc.cloud and dc.base == "https://wiki.acme.internal/confluence"
    assert dc.requests_made == 0


def test_a_deployment_setting_not_understood_is_refused_with_its_message(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine, data_dir: Path
) -> None:
    page = site.add_page("IT", "Kept", "<p>kept text</p>")
    run(fast_engine, connector(site))
    conf = settings(site, data_dir, confluence_pat=site.token, confluence_deployment="onprem")

    with pytest.raises(SourceError) as caught:
        fast_engine.run(build_connector("confluence", conf))

    assert str(caught.value) == CONFLUENCE_DEPLOYMENT_INVALID.format(value="onprem")
    assert "cloud or datacenter" in str(caught.value)
    assert set(state.known_documents("confluence")) == {doc(page)}  # nothing lost


# ---------------------------------------------------------------------- permissions
def test_an_older_server_without_the_permissions_resource_reads_the_expansion(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    site.legacy_permissions = True  # `space/{key}/permissions` answers 404
    leave = site.add_page("HR", "Leave policy", "<p>25 days.</p>")

    progress = run(fast_engine, connector(site))

    assert progress.failed == 0
    assert site.count("/rest/api/space/HR?expand=permissions") == 1
    assert state.document(doc(leave)).acl == Acl(  # type: ignore[union-attr]
        public=False, principals=frozenset({"group:confluence:hr"})
    )


def test_space_permissions_that_cannot_be_read_hide_the_space(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    leave = site.add_page("HR", "Leave policy", "<p>25 days of leave.</p>")
    run(fast_engine, connector(site))
    hr = frozenset({"group:confluence:hr"})
    assert doc(leave) in hits(index, "25 days of leave", hr)
    site.fail("/rest/api/space/HR/permissions", "malformed", times=10_000)

    progress = fast_engine.run(connector(site))

    assert progress.status == "partial"
    reasons = " ".join(f["reason"] for f in progress.failures)
    assert "space HR skipped: its view permissions could not be read" in reasons
    assert doc(leave) not in hits(index, "25 days of leave", hr)  # hidden, text kept
    assert doc(leave) in state.known_documents("confluence")


def _grant(subject: dict[str, Any], op: str = "read", target: str = "space") -> dict[str, Any]:
    return {"operation": {"operationKey": op, "targetType": target}, "subject": subject}


def test_data_center_space_grants_not_understood_grant_nothing() -> None:
    def level(*perms: object) -> Readers:
        return space_readers({"dc_permissions": list(perms)}, PUBLIC)[0]

    group = {"type": "group", "name": "HR"}
    assert level(_grant(group)) == Readers(False, groups=frozenset({"hr"}))
    assert level(_grant({"type": "group", "name": "confluence-users"})) == Readers.anyone()
    hr_by_display_name = _grant({"type": "group", "displayName": "HR"})  # as DC documents it
    assert level(hr_by_display_name) == Readers(False, groups=frozenset({"hr"}))
    assert level(_grant({"type": "anonymous"})) == Readers.anyone()
    assert level(_grant({"type": "user", "username": "Alice"})) == Readers(
        False, users=frozenset({"user:username:alice"})
    )
    assert level(_grant({"type": "user", "userKey": "8a7f80"})) == Readers(
        False, users=frozenset({"user:userkey:8a7f80"})
    )
    # another operation, an unknown subject kind, a nameless subject: nothing granted
    assert level(_grant(group, op="administer")) == NOBODY
    assert level(_grant({"type": "role", "name": "everyone"})) == NOBODY
    assert level(_grant({"type": "group"}), _grant({"type": "user"}), "junk") == NOBODY
    assert level(_grant({"type": "user", "displayName": "Alice"})) == NOBODY  # not unique
    with pytest.raises(ValueError, match="not a list"):
        space_readers({"dc_permissions": {"results": []}}, PUBLIC)


# ---------------------------------------------------------------------- users and groups
def test_users_without_a_shown_email_are_named_by_username_and_never_widen(
    site: FakeConfluence, state: StateStore, index: ChunkIndex, fast_engine: SyncEngine
) -> None:
    site.expose_emails = False  # this server shows no emails in its REST API
    secret = site.add_page("HR", "Investigations", "<p>Only two people know.</p>")
    site.restrict(secret.id, users=["u1", "u3"])  # carol is not in hr
    site.add_page("HR", "Leave policy", "<p>25 days.</p>")  # the hr group's own page

    run(fast_engine, connector(site))

    assert state.document(doc(secret)).acl == Acl(  # type: ignore[union-attr]
        public=False, principals=frozenset({"user:username:u1"})
    )
    assert "group:confluence:hr" in state.groups_of(["user:username:u2"])
    # an asker known only by email matches nobody here: fewer readers, never more
    assert doc(secret) not in hits(
        index, "Only two people know", frozenset({"user:alice@example.com"})
    )
    assert doc(secret) in hits(index, "Only two people know", frozenset({"user:username:u1"}))


def test_a_group_name_with_spaces_is_listed_through_its_encoded_path(
    site: FakeConfluence, state: StateStore, fast_engine: SyncEngine
) -> None:
    site.add_group("IT Support EMEA", ["u3"])
    page = site.add_page("IT", "Runbook", "<p>Escalate to tier two.</p>")
    site.restrict(page.id, groups=["IT Support EMEA"])

    progress = run(fast_engine, connector(site))

    assert progress.failed == 0
    assert site.count("/rest/api/group/it%20support%20emea/member") == 1
    assert state.document(doc(page)).acl == Acl(  # type: ignore[union-attr]
        public=False, principals=frozenset({"group:confluence:it support emea"})
    )
    assert "group:confluence:it support emea" in state.groups_of(["user:carol@example.com"])
