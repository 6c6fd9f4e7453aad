"""Issue 11 point 13: no unasked outbound calls.

`helpdesk serve` (Slack over HTTP, Claude, the embedded worker syncing a folder with the
real ONNX embedder) runs as a subprocess in which every connection to anything but
loopback is refused and recorded — a `sitecustomize.py` first on its PYTHONPATH wraps
`socket.getaddrinfo` and `socket.connect`. A question is answered through the Slack and
Claude fakes on 127.0.0.1; afterwards the record is empty. `helpdesk ask` is checked the
same way. Library telemetry is off (connectors/no_telemetry.py)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.state import StateStore
from tests.conftest import REPO
from tests.fakes.claude import FakeClaude
from tests.fakes.claude_server import serve as serve_claude
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackApi, sign
from tests.scenario.slack_harness import DANA, PUBLIC, SECRET, seed_workspace

GUARD = '''
"""Test guard: refuse and record every connection that does not stay on this machine."""
import json, os, socket

_LOG = os.environ["OUTBOUND_ATTEMPTS_FILE"]
_LOCAL_NAMES = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def _record(kind, target):
    with open(_LOG, "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, "target": repr(target), "pid": os.getpid()}) + "\\n")


def _local_host(host):
    if isinstance(host, bytes):
        host = host.decode()
    return host in _LOCAL_NAMES or (isinstance(host, str) and host.startswith("127."))


_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if not _local_host(host):
        _record("getaddrinfo", host)
        raise socket.gaierror(socket.EAI_NONAME, "outbound lookups are refused in this test")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo


def _allowed(sock, address):
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    return isinstance(address, tuple) and _local_host(address[0])


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def connect(self, address):
    if not _allowed(self, address):
        _record("connect", address)
        raise ConnectionRefusedError("outbound connections are refused in this test")
    return _connect(self, address)


def connect_ex(self, address):
    if not _allowed(self, address):
        _record("connect", address)
        return 111
    return _connect_ex(self, address)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
'''

QUESTION = "How do I connect to the VPN?"
LINGER_SECONDS = 20.0


STRACE = shutil.which("strace")
_INET = re.compile(
    r'connect\(\d+, \{sa_family=AF_INET6?, .*?(?:inet_addr|inet_pton)\((?:AF_INET6, )?"([^"]+)"\)'
)


def traced(command: list[str], trace: Path) -> list[str]:
    """`command` under strace (connect syscalls of every thread and child): catches
    connections native code (the ONNX runtime, Rust extensions) would make, which the
    Python-level guard cannot see. Without strace, the guard alone."""
    if STRACE is None:
        return command
    return [STRACE, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect", "-o", str(trace), *command]


def native_connects(trace: Path) -> list[str]:
    """Non-loopback addresses connect() was called with, from the strace output."""
    if not trace.exists():
        return []
    found = _INET.findall(trace.read_text(encoding="utf-8", errors="replace"))
    # 0.0.0.0 and :: are glibc's source-address probes (a UDP connect, no packet sent)
    return [a for a in found if not (a.startswith("127.") or a in ("::1", "0.0.0.0", "::"))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def guarded_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "vpn.md").write_text(
        "# VPN\n\nConnect to the VPN at vpn.northwind.example with the company client; "
        "sign in with your company account and approve the push notification.\n",
        encoding="utf-8",
    )
    (kb / "printer.md").write_text(
        "# Printers\n\nThe office printer is on the second floor; send jobs to print-2.\n",
        encoding="utf-8",
    )
    attempts = tmp_path / "outbound.jsonl"
    attempts.touch()
    # a clean environment: no proxy, no telemetry opt-outs of our own making
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("ANTHROPIC_", "SLACK_", "CONFLUENCE_", "GOOGLE_", "WEAVIATE_", "DRIVE_", "HF_")
        )
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        and k not in ("DO_NOT_TRACK", "ANONYMIZED_TELEMETRY", "SCARF_NO_ANALYTICS", "PYTHONPATH")
        and not k.startswith(("Microsoft", "MICROSOFT"))
    }
    env.update(
        {
            "PYTHONPATH": f"{guard_dir}{os.pathsep}{REPO}",
            "OUTBOUND_ATTEMPTS_FILE": str(attempts),
            "HELPDESK_DATA_DIR": str(tmp_path / "data"),
            "FILES_PATH": str(kb),
            "SOURCES": "files",
            "RETRIEVAL_MIN_SCORE": "0.0",
            "LOG_LEVEL": "INFO",
        }
    )
    yield env


def attempts_of(env: dict[str, str]) -> list[dict[str, Any]]:
    text = Path(env["OUTBOUND_ATTEMPTS_FILE"]).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    await fake.start()
    seed_workspace(fake)
    yield fake
    await fake.stop()


def event_body(text: str, ts: str) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0HELPDESK",
            "event": {
                "type": "app_mention",
                "user": DANA[0],
                "text": f"<@{BOT_USER}> {text}",
                "ts": ts,
                "channel": PUBLIC,
                "event_ts": ts,
                "team": TEAM,
            },
            "type": "event_callback",
            "event_id": "Ev0OUTBOUND1",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
            ],
            "is_ext_shared_channel": False,
        }
    )


async def wait_for(predicate: Any, within: float, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"helpdesk serve exited early: {proc.stderr and proc.stderr.read()}"
            )
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


def start_serve(env: dict[str, str], cwd: Path, trace: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        traced([sys.executable, "-m", "bot.cli", "serve"], trace),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: strace and the server
    )


@pytest.mark.slow
async def test_serve_answers_a_question_with_no_connection_but_the_configured_services(
    guarded_env: dict[str, str], slack_fake: FakeSlackApi, tmp_path: Path
) -> None:
    claude = FakeClaude()
    claude.reply([("Connect with the company VPN client", (0, "vpn.northwind.example"))])
    port = free_port()
    with serve_claude(claude) as claude_url:
        env = {
            **guarded_env,
            "PORT": str(port),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_fake.api_url,
            "ANTHROPIC_API_KEY": "sk-test",
            "ANTHROPIC_BASE_URL": claude_url,
            "ANTHROPIC_MAX_RETRIES": "0",
            "RUN_WORKER": "true",
        }
        trace = tmp_path / "connect.trace"
        started = time.monotonic()
        proc = start_serve(env, tmp_path, trace)
        try:
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as http:

                async def healthy() -> bool:
                    try:
                        async with http.get(f"{base}/healthz") as r:
                            return r.status == 200
                    except aiohttp.ClientError:
                        return False

                await wait_for(healthy, 120, proc)

                async def synced() -> bool:
                    state = StateStore(f"sqlite:///{tmp_path / 'data' / 'state.sqlite3'}")
                    try:
                        run = state.last_run("files")
                        return run is not None and run.status == "succeeded"
                    except Exception:
                        return False
                    finally:
                        state.dispose()

                await wait_for(synced, 180, proc)

                ts = "1700000000.000900"
                body = event_body(QUESTION, ts)
                headers = {"Content-Type": "application/json", **sign(body, SECRET)}
                async with http.post(f"{base}/slack/events", data=body, headers=headers) as r:
                    assert r.status == 200

                async def answered() -> bool:
                    return any(
                        not p.streaming and "VPN" in p.text
                        for p in slack_fake.answers_in(PUBLIC, ts)
                    )

                await wait_for(answered, 120, proc)
                # onnxruntime's telemetry (when on) first uploads ~10 s after start:
                # stay up long enough that it would have been seen
                await asyncio.sleep(max(0.0, LINGER_SECONDS - (time.monotonic() - started)))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this test started
            try:
                _, stderr = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                _, stderr = proc.communicate()

    assert claude.streamed_requests, "the answer came from the Claude fake"
    assert attempts_of(guarded_env) == [], stderr[-3000:]
    assert native_connects(trace) == []
    if STRACE is not None:
        assert '"127.0.0.1"' in trace.read_text(), "the trace saw the fakes' connections"
    assert "Traceback" not in stderr, stderr[-3000:]


@pytest.mark.slow
def test_cli_ask_makes_no_unasked_connection(guarded_env: dict[str, str], tmp_path: Path) -> None:
    env = {**guarded_env, "EMBEDDER": "onnx"}  # the real embedder: onnxruntime loaded
    trace = tmp_path / "cli.trace"
    synced = subprocess.run(
        traced([sys.executable, "-m", "bot.cli", "sync", "files"], trace),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synced.returncode == 0, synced.stderr
    asked = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", QUESTION, "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode == 0, asked.stderr
    assert "vpn.northwind.example" in json.loads(asked.stdout)["answer"]
    assert attempts_of(guarded_env) == [], asked.stderr[-3000:]
    assert native_connects(trace) == []


def test_the_guard_records_and_refuses_an_outbound_connection(
    guarded_env: dict[str, str], tmp_path: Path
) -> None:
    """The guard works: lookups of outside names and addresses are refused and seen
    (urllib resolves even an IP literal through getaddrinfo)."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import socket, urllib.request\n"
            "for target in ('https://browser.events.data.microsoft.com/', 'http://10.1.2.3/'):\n"
            "    try:\n"
            "        urllib.request.urlopen(target, timeout=2)\n"
            "    except OSError as exc:\n"
            "        print('refused', type(exc).__name__)\n",
        ],
        env=guarded_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.count("refused") == 2, probe.stderr
    seen = [(a["kind"], a["target"]) for a in attempts_of(guarded_env)]
    assert seen == [
        ("getaddrinfo", "'browser.events.data.microsoft.com'"),
        ("getaddrinfo", "'10.1.2.3'"),
    ]
