"""Failure injection (issue 11): 403, 404, 500, a timeout and a malformed body, injected on
the restricted pages' content calls, their restriction (ACL) calls and the group-member
calls of the fake Confluence site. Whatever fails, the set of principals that can
retrieve each restricted page never grows across the cycle, and its text never reaches a
channel answer or the request sent to Claude. Against Confluence Cloud and Data Center."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import SyncMode
from connectors.embedder import OnnxEmbedding
from tests.security.confluence_world import (
    BONUS,
    CHANNEL,
    EXPECTED,
    LEAVE,
    REORG,
    SALARY,
    WIFI,
    World,
    make_world,
    page_body,
)

FAULTS: list[int | str] = [403, 404, 500, "timeout", "malformed"]
DC_CONTENT = ("expand=body.storage",)  # Data Center: every body comes from a v1 expansion
TARGETS = {
    # the bodies: the incremental CQL window, one page at a time, the bulk listings
    "content": ("lastmodified", "/api/v2/pages/", "/api/v2/spaces/"),
    # read restrictions: the listing that expands them, and one ancestor's own
    "acl": ("restrictions.read", "/restriction/byOperation/read"),
    "membership": ("/rest/api/group/",),
}
RESTRICTED = (REORG, BONUS, LEAVE, SALARY)


@pytest.fixture(scope="module")
def embedder(onnx_embedder: OnnxEmbedding) -> OnnxEmbedding:
    return onnx_embedder


@pytest.fixture(params=["cloud", "datacenter"])
def world(
    data_dir: Path, embedder: OnnxEmbedding, request: pytest.FixtureRequest
) -> Iterator[World]:
    w = make_world(data_dir, embedder, budget=0.4, deployment=request.param)
    assert w.sync(SyncMode.FULL).failed == 0
    yield w
    w.services.state.dispose()
    w.site.stop()


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("fault", FAULTS, ids=[str(f) for f in FAULTS])
def test_who_can_retrieve_a_restricted_page_never_grows(
    world: World, fault: int | str, target: str
) -> None:
    before = {secret: world.readers(secret) for secret in RESTRICTED}
    assert before == {s: EXPECTED[s] for s in RESTRICTED}
    for secret in (REORG, BONUS, SALARY):  # new versions: this cycle must read their bodies
        world.site.edit(world.pages[secret].id, body=page_body(secret + " (revised)"))
    for match in DC_CONTENT if (target == "content" and world.site.dc) else TARGETS[target]:
        world.site.fail(match, fault, times=10_000)

    progress = world.sync(SyncMode.INCREMENTAL)

    assert sum(f.seen for f in world.site.faults) > 0, "the fault was never hit"
    for secret in RESTRICTED:
        after = world.readers(secret)
        assert after <= before[secret], (secret, after - before[secret])
        assert not world.leaks_to(secret, CHANNEL)
    assert progress.failed > 0 or progress.status == "failed"  # visible to admins
    assert world.readers(WIFI) <= EXPECTED[WIFI]
