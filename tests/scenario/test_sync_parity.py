"""`helpdesk sync` runs through the worker's job: for the same Confluence site (a fake at
the HTTP edge only) the real CLI and the worker leave the same run record, serve a
reindex request queued before them the same way and index the same documents, whether
the sync succeeds, Confluence rejects the credentials, or the source cannot even be
built (no credentials at all)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import build_services
from bot.settings import Settings
from connectors import reindex_requests as queue
from connectors.state import StateStore
from tests.fakes.confluence_server import FakeConfluence
from tests.scenario.cli_support import base_env, helpdesk
from tests.scenario.confluence_support import make_site

CASES = {
    "synced": {"email": "bot@example.com", "token": "secret"},
    "credentials rejected": {"email": "bot@example.com", "token": "not-the-token"},
    "cannot be built": {},  # a URL without credentials: the connector refuses to build
}


@pytest.fixture(scope="module")
def site() -> Iterator[FakeConfluence]:
    fake = make_site()
    fake.add_page("IT", "VPN", "<h1>VPN</h1><p>Use GlobalProtect with MFA.</p>")
    fake.add_page("IT", "Printers", "<p>Pick up at any printer with your badge.</p>")
    fake.add_page("HR", "Salary bands", "<p>L5: 90k to 120k.</p>")
    yield fake
    fake.stop()


def queue_a_request(data: Path) -> tuple[StateStore, int]:
    data.mkdir(parents=True, exist_ok=True)
    state = StateStore(f"sqlite:///{data / 'state.sqlite3'}")
    [request] = queue.enqueue(state, ["confluence"], "incremental", "U0ADMIN")
    return state, request.id


def outcome(state: StateStore, request_id: int) -> dict[str, Any]:
    """The run record (without its id and times), the request it served, what it indexed."""
    run = state.last_run("confluence")
    assert run is not None
    record = dataclasses.asdict(run)
    for varying in ("id", "started_at", "finished_at", "heartbeat_at"):
        record.pop(varying)
    request = queue.get_request(state, request_id)
    assert request is not None
    return {
        "run": record,
        "request": (request.status, request.run_id == run.id),
        "documents": state.document_counts(),
        "groups_of_alice": state.groups_of(["user:alice@example.com"]),
    }


@pytest.mark.parametrize("case", list(CASES))
def test_helpdesk_sync_and_the_worker_job_leave_the_same_run_record(
    case: str, site: FakeConfluence, tmp_path: Path
) -> None:
    creds = CASES[case]
    cli_data, worker_data = tmp_path / "cli" / "data", tmp_path / "worker" / "data"

    cli_state, cli_request = queue_a_request(cli_data)
    env = base_env(tmp_path / "cli", tmp_path / "no-files")
    del env["FILES_PATH"]
    env.update(
        {
            "SOURCES": "confluence",
            "EMBEDDER": "hashing",
            "CONFLUENCE_URL": site.url,
            "CONFLUENCE_SPACES": "IT,HR",
        }
    )
    if creds:
        env.update({"CONFLUENCE_EMAIL": creds["email"], "CONFLUENCE_API_TOKEN": creds["token"]})
    cli = helpdesk(["sync", "--json"], env)
    assert cli.returncode == (0 if case == "synced" else 1), cli.stderr
    assert "Traceback" not in cli.stderr

    worker_state, worker_request = queue_a_request(worker_data)
    settings = Settings(
        _env_file=None,
        helpdesk_data_dir=worker_data,
        files_path=None,
        sources=["confluence"],
        embedder="hashing",
        confluence_url=site.url,
        confluence_spaces=["IT", "HR"],
        confluence_email=creds.get("email"),
        confluence_api_token=creds.get("token"),
    )
    services = build_services(settings, answering=False)
    try:
        progress = services.worker(sync_on_start=False).run_once("confluence")
    finally:
        services.close()
    assert progress is not None

    from_cli = outcome(cli_state, cli_request)
    from_worker = outcome(worker_state, worker_request)
    cli_state.dispose()
    worker_state.dispose()
    assert from_cli == from_worker
    run = from_cli["run"]
    if case == "synced":
        assert run["status"] == "succeeded" and run["added"] == 3
        assert from_cli["request"] == (queue.DONE, True)
        assert from_cli["documents"] == {"confluence": 3}
        assert from_cli["groups_of_alice"] == {"group:confluence:hr"}
    else:
        assert run["status"] == "failed" and from_cli["request"] == (queue.FAILED, True)
        assert from_cli["documents"] == {} and from_cli["groups_of_alice"] == frozenset()
    if case == "credentials rejected":
        assert run["error"].startswith("Confluence credentials were rejected")
    if case == "cannot be built":
        assert run["error"].startswith("the source could not be set up: ")
