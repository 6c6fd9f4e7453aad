"""PostgreSQL for tests: a real server on 127.0.0.1 (tools/ensure_postgres.sh).

`db_url` is parametrised over SQLite and PostgreSQL: each test using it runs twice,
the PostgreSQL run in a fresh database dropped afterwards. When no server can be
installed or started, the PostgreSQL runs are skipped with the script's reason.

`HELPDESK_TEST_DATABASE_URL` (a server URL with a database the tests may create
databases from) skips the script, e.g. in CI with a PostgreSQL service container.

Use from a test module with `from tests.fixtures_pg import db_url  # noqa: F401`
(or add "tests.fixtures_pg" to `pytest_plugins` in the root conftest).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
ENV = "HELPDESK_TEST_DATABASE_URL"


@cache
def pg_server() -> tuple[str | None, str]:
    """(server URL, '') or (None, why there is none). Runs the script once per session."""
    if os.environ.get(ENV):
        return os.environ[ENV], ""
    script = REPO / "tools" / "ensure_postgres.sh"
    try:
        done = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"tools/ensure_postgres.sh could not run: {exc}"
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(f"{ENV}="):
            return line.split("=", 1)[1].strip(), ""
    reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return None, f"PostgreSQL unavailable ({reason})"


def _admin_conninfo(server_url: str) -> str:
    url = make_url(server_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server_url: str) -> str:
    import psycopg

    name = f"helpdesk_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, database_url: str) -> None:
    import psycopg

    name = make_url(database_url).database
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (skipped with the reason when unavailable)."""
    server, reason = pg_server()
    if server is None:
        print(f"\nskipping PostgreSQL: {reason}", file=sys.stderr)
        pytest.skip(reason)
    url = create_database(server)
    try:
        yield url
    finally:
        drop_database(server, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A state-store URL: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite3'}"
        return
    server, reason = pg_server()
    if server is None:
        print(f"\nskipping PostgreSQL: {reason}", file=sys.stderr)
        pytest.skip(reason)
    url = create_database(server)
    try:
        yield url
    finally:
        drop_database(server, url)
