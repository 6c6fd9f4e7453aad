"""Issue 11 for Confluence: whatever the sync fails to read or understand only shrinks who
sees a page, in the same cycle, with a failure admins can see — proven through the fake
Confluence site, the real sync, index and answer engine (world: `confluence_world.py`).
Every scenario runs against Confluence Cloud and Data Center, and checks the restricted
text reaches neither a channel answer nor the request sent to Claude, and that a real
reader in a DM still gets what they may read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.base import Acl, SyncMode
from connectors.embedder import OnnxEmbedding
from tests.security.confluence_world import (
    ALICE,
    BONUS,
    CAROL,
    CHANNEL,
    DAVE,
    EXPECTED,
    LEAVE,
    REORG,
    SALARY,
    WIFI,
    World,
    make_world,
    page_body,
)


@pytest.fixture(params=["cloud", "datacenter"])
def world(
    data_dir: Path, onnx_embedder: OnnxEmbedding, request: pytest.FixtureRequest
) -> Iterator[World]:
    w = make_world(data_dir, onnx_embedder, deployment=request.param)
    first = w.sync(SyncMode.FULL)
    assert first.status == "succeeded" and first.failed == 0, first.failures
    for secret, readers in EXPECTED.items():
        assert w.readers(secret) == readers, secret
    yield w
    w.services.state.dispose()
    w.site.stop()


def reasons(progress: object) -> str:
    return " | ".join(str(f["reason"]) for f in progress.failures)  # type: ignore[attr-defined]


def nobody_gets(world: World, secret: str) -> None:
    assert world.readers(secret) == set()
    for who in (CHANNEL, ALICE, DAVE, CAROL):
        assert not world.leaks_to(secret, who), who


# ---------------------------------------------------------------------- point 4: spaces
def _forbidden(w: World) -> None:
    w.site.spaces["HR"].forbidden = True  # 403 on the space and on its content


def _permissions_404(w: World) -> None:
    w.site.fail("/rest/api/space/HR", 404, times=10_000)


def _listing_404(w: World) -> None:
    w.site.fail("space+%3D+%22HR%22", 404, times=10_000)  # the space's content listing


def _listing_500(w: World) -> None:
    w.site.fail("space+%3D+%22HR%22", 500, times=10_000)


def _deleted(w: World) -> None:
    w.site.spaces["HR"].status = "deleted"


def _archived(w: World) -> None:
    w.site.spaces["HR"].status = "archived"


@pytest.mark.parametrize(
    "break_space",
    [_forbidden, _permissions_404, _listing_404, _listing_500, _deleted, _archived],
    ids=["403", "permissions-404", "listing-404", "listing-500", "deleted", "archived"],
)
def test_a_space_the_bot_can_no_longer_read_is_hidden_in_that_cycle(
    world: World, break_space: Callable[[World], None]
) -> None:
    assert world.leaks_to(LEAVE, DAVE)  # positive control before: an hr member gets it
    break_space(world)

    progress = world.sync()

    nobody_gets(world, LEAVE)
    assert "space HR skipped" in reasons(progress) and "hidden" in reasons(progress)
    assert world.readers(BONUS) == {ALICE, DAVE}  # the readable space is synced as usual
    assert world.leaks_to(BONUS, DAVE)  # positive control: a real member in a DM
    last = world.services.state.last_run("confluence")
    assert last is not None and last.failed >= 1


def test_a_hidden_space_comes_back_as_an_acl_update_without_reembedding(world: World) -> None:
    _forbidden(world)
    world.sync()
    world.site.spaces["HR"].forbidden = False
    progress = world.sync()
    assert progress.failed == 0 and progress.chunks_embedded == 0
    assert world.readers(LEAVE) == {ALICE, DAVE}


@pytest.mark.parametrize("status", [403, 404, 500])
def test_a_failed_ancestor_restriction_lookup_restricts_the_page_to_nobody(
    world: World, status: int
) -> None:
    world.site.fail("/restriction/byOperation/read", status, times=10_000)

    progress = world.sync()

    nobody_gets(world, REORG)  # not "unrestricted": not even carol, whom the page lists
    assert "restrictions of page" in reasons(progress)
    assert world.leaks_to(BONUS, ALICE)  # positive control


def test_restriction_fields_missing_or_not_understood_restrict(world: World) -> None:
    """Listing payloads whose permission fields are missing, unexpanded or of an unknown
    kind: the page's readers shrink to nobody (never to "no restriction")."""
    real = world.site.restriction

    def odd(c):  # type: ignore[no-untyped-def]
        r = real(c)
        if c.id == world.pages[BONUS].id:
            del r["restrictions"]["group"]  # unexpanded: `_expandable: {group: ""}`
            r["restrictions"]["_expandable"] = {"group": ""}
        if c.id == world.pages[LEAVE].id:
            r["restrictions"]["role"] = {"results": [{"type": "role", "name": "x"}]}
        if c.id == world.pages[REORG].id:
            r["operation"] = "read-ish"
        return r

    world.site.restriction = odd  # type: ignore[method-assign]
    world.sync()
    for secret in (BONUS, LEAVE, REORG):
        nobody_gets(world, secret)
    assert world.readers(WIFI) == EXPECTED[WIFI]
    state = world.services.state
    assert state.document(f"confluence:{world.pages[BONUS].id}").acl == Acl(public=False)  # type: ignore[union-attr]


# ---------------------------------------------------------------------- point 2: bodies
def test_an_unparsable_body_keeps_no_wider_acl_than_the_page_has_now(world: World) -> None:
    salary = world.pages[SALARY]
    world.site.edit(salary.id, body="<p>new version</p>")
    world.site.content[salary.id].body = None  # the new version's body is not storage XHTML
    world.site.restrict(salary.id, users=["u4"])  # and only dave may read it now

    progress = world.sync()

    assert progress.failed == 1 and "unreadable body" in reasons(progress)
    assert world.readers(SALARY) == {DAVE}  # the current ACL, old text kept
    assert not world.leaks_to(SALARY, ALICE) and not world.leaks_to(SALARY, CHANNEL)
    assert world.leaks_to(SALARY, DAVE)  # positive control


@pytest.mark.parametrize("fault", [500, "timeout", "malformed"])
def test_a_body_that_cannot_be_fetched_keeps_no_wider_acl(world: World, fault: object) -> None:
    salary = world.pages[SALARY]
    world.site.edit(salary.id, body=page_body(SALARY + " Updated."))
    world.site.restrict(salary.id, users=["u4"])
    world.site.fail("lastmodified", fault, times=10_000)  # type: ignore[arg-type]
    world.site.fail(world.body_path(salary), fault, times=10_000)  # type: ignore[arg-type]

    progress = world.sync()

    assert any(f["doc_id"] == f"confluence:{salary.id}" for f in progress.failures)
    assert world.readers(SALARY) == {DAVE}
    assert not world.leaks_to(SALARY, ALICE) and not world.leaks_to(SALARY, CHANNEL)
    assert world.leaks_to(SALARY, DAVE)


@pytest.mark.parametrize("status", [403, 404])
def test_a_page_that_refuses_its_body_is_hidden_from_everyone(world: World, status: int) -> None:
    salary = world.pages[SALARY]
    world.site.edit(salary.id, body=page_body(SALARY + " Updated."))
    world.site.fail("lastmodified", 500, times=10_000)
    world.site.fail(world.body_path(salary), status, times=10_000)

    progress = world.sync()

    assert any(f["doc_id"] == f"confluence:{salary.id}" for f in progress.failures)
    nobody_gets(world, SALARY)
    assert world.leaks_to(BONUS, DAVE)  # positive control


# ---------------------------------------------------------------------- point 5: groups
def test_a_removed_member_loses_access_within_one_incremental_cycle(world: World) -> None:
    world.site.add_group("hr", ["u1"])  # dave leaves hr

    progress = world.sync(SyncMode.INCREMENTAL)

    assert progress.status == "succeeded"
    for secret in (LEAVE, BONUS):
        assert not world.leaks_to(secret, DAVE)
        assert world.leaks_to(secret, ALICE)  # positive control
        assert world.readers(secret) == {ALICE}


@pytest.mark.parametrize("fault", [403, 404, 500, "timeout", "malformed"])
def test_a_group_that_cannot_be_listed_grants_nobody_and_is_reported(
    world: World, fault: object
) -> None:
    world.site.fail("/rest/api/group/", fault, times=10_000)  # type: ignore[arg-type]

    progress = world.sync(SyncMode.INCREMENTAL)

    assert "group hr" in reasons(progress) and "could not be listed" in reasons(progress)
    for secret in (LEAVE, BONUS):
        assert world.readers(secret) == set()
        assert not world.leaks_to(secret, DAVE)
    assert world.readers(WIFI) == EXPECTED[WIFI]  # public pages stay public
