"""The seams the README promises, checked on the source: adapters translate only (they
reach the answering flow through the conversation, admin and hand-off services, never the
engine, the index or the state store), and SQL lives in the repositories only."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

ADAPTERS = REPO / "bot" / "adapters"

# what an adapter may not import: the engine, the index, the stores, SQL
FORBIDDEN_IN_ADAPTERS = (
    "bot.answering",
    "bot.conversation.store",
    "bot.conversation.tables",
    "connectors.index",
    "connectors.state",
    "connectors.lance_store",
    "connectors.weaviate_store",
    "sqlalchemy",
)

# the repositories: the chat store, the help-channel settings and rate limit, the sync state
REPOSITORIES = {
    "bot/conversation/store.py",
    "bot/conversation/tables.py",
    "bot/conversation/legacy.py",
    "bot/helpchannels/tables.py",
    "bot/helpchannels/channels.py",
    "bot/helpchannels/rate_limit.py",
    "connectors/state.py",
    "connectors/state_tables.py",
    "connectors/memberships.py",
    "connectors/state_coordination.py",
    "connectors/state_removal.py",
}


def imports(path: Path) -> set[str]:
    """Every module `path` imports (the `from X import` module or each `import X`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_adapters_import_neither_the_engine_nor_the_index_nor_the_stores() -> None:
    offending = sorted(
        f"{path.relative_to(REPO)}: {name}"
        for path in ADAPTERS.rglob("*.py")
        for name in imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_ADAPTERS)
    )
    assert offending == []


def test_sql_is_written_in_the_repositories_only() -> None:
    """Only the repositories build statements; elsewhere at most `sqlalchemy.exc` (to
    tell a database outage from a bug) and `sqlalchemy.engine` (the settings check that
    DATABASE_URL parses: no statement)."""
    offending = sorted(
        f"{rel}: {name}"
        for package in ("bot", "connectors")
        for path in (REPO / package).rglob("*.py")
        if (rel := path.relative_to(REPO).as_posix()) not in REPOSITORIES
        for name in imports(path)
        if (name == "sqlalchemy" or name.startswith("sqlalchemy."))
        and not name.startswith(("sqlalchemy.exc", "sqlalchemy.engine"))
    )
    assert offending == []
