"""A state database or a Weaviate that is well configured but not reachable (here: a
closed local port): every command that opens it says so in one line naming the store and
its URL without credentials, exits 1 (as a failed sync does; a malformed URL is a
configuration error, exit 2), shows no traceback, and writes nothing. A real subprocess,
as a user runs it."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from bot import messages
from connectors import messages as sync_messages
from tests.conftest import SAMPLES
from tests.scenario.cli_support import base_env, helpdesk

PASSWORD = "s3cret-pw"
API_KEY = "s3cret-weaviate-key"

COMMANDS = {
    "sync": (["sync"], None),
    "ask": (["ask", "How do I reset my password?"], None),
    "chat": (["chat"], "How do I reset my password?\nexit\n"),
    "status": (["status"], None),
    "serve": (["serve"], None),
    "worker": (["worker"], None),
}


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on: bound to get a free one, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def expected_line(template: str, url: str) -> tuple[str, str]:
    """The start and the end of the one line: the reason in between is the driver's."""
    line = messages.CLI_STORE_UNREACHABLE.format(message=template.format(url=url, reason="\0"))
    start, end = line.split("\0")
    return start, end


def assert_one_clear_line(
    out: subprocess.CompletedProcess[str], command: str, start: str, end: str
) -> None:
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    for secret in (PASSWORD, API_KEY):
        assert secret not in out.stderr + out.stdout, "no credentials in the output"
    lines = out.stderr.splitlines()
    # serve first says that no chat platform is configured, as it always does
    before = [messages.CLI_SERVE_NO_PLATFORM] if command == "serve" else []
    assert lines[:-1] == before, out.stderr
    assert lines[-1].startswith(start) and lines[-1].endswith(end), lines[-1]
    assert len(lines[-1]) > len(start) + len(end), "the reason is given"
    assert out.stdout == ""


def contents(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unreachable_state_database_is_one_line_and_nothing_is_written(
    tmp_path: Path, closed_port: int, command: str
) -> None:
    env = {
        **base_env(tmp_path, SAMPLES),
        "DATABASE_URL": f"postgresql+psycopg://helpdesk:{PASSWORD}@127.0.0.1:{closed_port}"
        f"/helpdesk?sslpassword={PASSWORD}&sslmode=disable",
    }
    data = Path(env["HELPDESK_DATA_DIR"])
    if command in ("ask", "chat"):
        # an embedded index exists (else they say the index is empty before connecting)
        (data / "index").mkdir(parents=True)
    before = contents(data)
    args, stdin = COMMANDS[command]
    out = helpdesk(args, env, stdin=stdin, timeout=120)
    start, end = expected_line(
        sync_messages.STATE_DATABASE_UNREACHABLE,
        f"postgresql+psycopg://127.0.0.1:{closed_port}/helpdesk?sslpassword=***&sslmode=disable",
    )
    assert_one_clear_line(out, command, start, end)
    assert contents(data) == before, "nothing is written"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unreachable_weaviate_is_one_line_and_nothing_is_written(
    tmp_path: Path, closed_port: int, command: str
) -> None:
    env = {
        **base_env(tmp_path, SAMPLES),
        "WEAVIATE_URL": f"http://admin:{PASSWORD}@127.0.0.1:{closed_port}",
        "WEAVIATE_API_KEY": API_KEY,
    }
    args, stdin = COMMANDS[command]
    out = helpdesk(args, env, stdin=stdin, timeout=120)
    start, end = expected_line(
        sync_messages.WEAVIATE_UNREACHABLE, f"http://127.0.0.1:{closed_port}"
    )
    assert_one_clear_line(out, command, start, end)
    assert not Path(env["HELPDESK_DATA_DIR"]).exists(), "no state file, no index folder"
