"""The `helpdesk` CLI contract, run as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot import messages
from tests.conftest import SAMPLES
from tests.scenario.cli_support import base_env, helpdesk


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    kb = root / "kb"
    shutil.copytree(SAMPLES, kb)
    env = base_env(root, kb)
    first = helpdesk(["sync", "--json"], env)
    assert first.returncode == 0, first.stderr
    return env


def test_every_subcommand_has_help(cli_env: dict[str, str]) -> None:
    for cmd in ["sync", "forget", "ask", "chat", "status", "eval", "serve", "worker"]:
        out = helpdesk([cmd, "--help"], cli_env)
        assert out.returncode == 0, out.stderr
        assert "Usage" in out.stdout


def test_sync_json_has_the_contract_keys_and_a_second_sync_embeds_nothing(
    cli_env: dict[str, str],
) -> None:
    out = helpdesk(["sync", "files", "--json"], cli_env)
    assert out.returncode == 0, out.stderr
    [row] = [json.loads(line) for line in out.stdout.splitlines()]
    assert set(row) == {
        "source",
        "status",
        "added",
        "updated",
        "deleted",
        "unchanged",
        "failed",
        "chunks_embedded",
        "seconds",
    }
    assert row["source"] == "files" and row["chunks_embedded"] == 0 and row["unchanged"] >= 40
    assert row["status"] == "succeeded"


@pytest.mark.timeout(900)  # four CLI runs: slow on a loaded machine
def test_sync_summary_line_and_failures(cli_env: dict[str, str]) -> None:
    kb = Path(cli_env["FILES_PATH"])
    (kb / "broken.md").write_text("---\ntitle: [oops\n---\n")
    try:
        out = helpdesk(["sync"], cli_env)
        assert out.returncode == 0, out.stderr
        assert "files: 0 added, 0 updated, 0 deleted" in out.stdout
        assert "1 failed" in out.stdout and "broken.md: invalid YAML front matter" in out.stdout
        # `status` lists what failed in that sync, not "no errors"
        text = helpdesk(["status"], cli_env).stdout.splitlines()
        first = text.index(next(line for line in text if line.startswith("files: ")))
        partial = messages.CLI_STATUS_PARTIAL.format(failed=1, s="")
        assert text[first].endswith("; last sync just now; " + partial)
        assert text[first + 1].startswith("  ✗ broken.md: invalid YAML front matter")
        [files] = json.loads(helpdesk(["status", "--json"], cli_env).stdout)["sources"]
        assert files["last_run"]["status"] == "partial"
        [failure] = files["last_run"]["failures"]
        assert failure["title"] == "broken.md"
        assert failure["reason"].startswith("invalid YAML front matter")
    finally:
        (kb / "broken.md").unlink()
        helpdesk(["sync"], cli_env)


def test_sync_of_an_unknown_or_unconfigured_source_exits_with_a_clear_message(
    cli_env: dict[str, str],
) -> None:
    out = helpdesk(["sync", "sharepoint"], cli_env)
    assert out.returncode == 2 and "Unknown source 'sharepoint'" in out.stderr
    out = helpdesk(["sync", "confluence"], cli_env)
    assert out.returncode == 2 and "CONFLUENCE_URL" in out.stderr


def test_failed_sync_exits_1(cli_env: dict[str, str]) -> None:
    from tests.fakes.confluence_server import FakeConfluence

    site = FakeConfluence().start()
    env = {
        **cli_env,
        "SOURCES": "confluence",
        "CONFLUENCE_URL": site.url,
        "CONFLUENCE_EMAIL": "bot@example.com",
        "CONFLUENCE_API_TOKEN": "not-the-token",
        "HELPDESK_DATA_DIR": str(Path(cli_env["CWD"]) / "data-confluence"),
    }
    try:
        out = helpdesk(["sync", "--json"], env)
    finally:
        site.stop()
    assert out.returncode == 1, out.stderr
    row = json.loads(out.stdout.splitlines()[0])
    assert row["error"].startswith("Confluence credentials were rejected")
    status = helpdesk(["status"], env).stdout
    assert "confluence: 0 documents, 0 chunks; last sync never; last run failed just now: " in (
        status
    )


def test_a_failed_files_run_leaves_its_groups_without_members(cli_env: dict[str, str]) -> None:
    # fail closed: a failed run leaves the source's groups without members until it syncs
    # (in process: `helpdesk sync` refuses a missing FILES_PATH before anything runs)
    from bot.services import build_services
    from bot.settings import load_settings
    from connectors.embedder import HashingEmbedding
    from connectors.files import FilesConnector

    settings = load_settings(helpdesk_data_dir=Path(cli_env["HELPDESK_DATA_DIR"]))
    services = build_services(settings, embedder=HashingEmbedding())
    state = services.state
    try:
        missing = Path(cli_env["CWD"]) / "missing"
        progress = services.sync_engine().run(FilesConnector(missing))
        assert progress.status == "failed" and "is not a folder" in (progress.error or "")
        assert state.groups_of(["user:hannah.hr@northwind.example"]) == frozenset()
        assert helpdesk(["sync"], cli_env).returncode == 0
        assert state.groups_of(["user:hannah.hr@northwind.example"]) == {"group:files:hr-team"}
    finally:
        state.dispose()


def test_ask_json_contract_and_permission_scope(cli_env: dict[str, str]) -> None:
    q = "What is the salary band for an L5 Staff Engineer?"
    public = helpdesk(["ask", q, "--json"], cli_env)
    assert public.returncode == 0, public.stderr
    body = json.loads(public.stdout)
    assert set(body) == {"answer", "grounded", "citations", "mode"}
    assert body["mode"] == "extractive"
    assert "files:hr/salary-bands-2026.md" not in [c["doc_id"] for c in body["citations"]]
    assert "98,000" not in body["answer"]

    allowed = json.loads(
        helpdesk(["ask", q, "--json", "--as", "hannah.hr@northwind.example"], cli_env).stdout
    )
    cited = {c["doc_id"]: c for c in allowed["citations"]}
    assert "files:hr/salary-bands-2026.md" in cited
    assert set(cited["files:hr/salary-bands-2026.md"]) == {
        "number",
        "title",
        "url",
        "doc_id",
        "quoted_text",
    }
    other = json.loads(
        helpdesk(["ask", q, "--json", "--as", "dana.dev@northwind.example"], cli_env).stdout
    )
    assert "files:hr/salary-bands-2026.md" not in [c["doc_id"] for c in other["citations"]]


def test_ask_prints_the_answer_and_the_sources(cli_env: dict[str, str]) -> None:
    out = helpdesk(["ask", "What does VPN error NWC-309 mean?"], cli_env)
    assert out.returncode == 0, out.stderr
    assert "Sources:" in out.stdout and "[1]" in out.stdout
    assert "VPN troubleshooting" in out.stdout and "updated" in out.stdout


def test_status_counts_cli_answers_and_says_so(cli_env: dict[str, str]) -> None:
    """`helpdesk ask` goes through the conversation service like Slack and Teams, so its
    answer is counted in the last 24 h, and the status line says the CLI is counted."""

    def counted() -> dict[str, int]:
        out = helpdesk(["status", "--json"], cli_env)
        assert out.returncode == 0, out.stderr
        answers: dict[str, int] = json.loads(out.stdout)["chat_answers_24h"]
        return answers

    before = counted()
    asked = helpdesk(["ask", "How do I reset my password?"], cli_env)
    assert asked.returncode == 0, asked.stderr
    after = counted()
    assert after == {**before, "answers": before["answers"] + 1}
    text = helpdesk(["status"], cli_env).stdout
    assert messages.CLI_STATUS_ANSWERS.format(**after) in text.splitlines()
    assert "`helpdesk ask`/`chat`" in messages.CLI_STATUS_ANSWERS


def test_chat_keeps_the_conversation_for_follow_ups(cli_env: dict[str, str]) -> None:
    out = helpdesk(
        ["chat"],
        cli_env,
        stdin="How many days of annual leave do I get?\nand for contractors?\nexit\n",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("bot> ") == 2
    second = out.stdout.split("bot> ")[2]
    assert "Contractor" in second


def test_status_reports_documents_chunks_and_last_sync(cli_env: dict[str, str]) -> None:
    out = helpdesk(["status", "--json"], cli_env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    [files] = [s for s in report["sources"] if s["source"] == "files"]
    assert files["documents"] >= 40 and files["chunks"] > files["documents"]
    assert files["last_sync"] is not None
    assert report["index"]["backend"] == "lancedb"
    text = helpdesk(["status"], cli_env).stdout
    assert re.search(
        r"files: \d+ documents, \d+ chunks; last sync (just now|\d+ minutes? ago)", text
    )


def test_eval_reports_three_retrievers(cli_env: dict[str, str], tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    corpus = [
        {
            "id": "a",
            "title": "Reset sound settings",
            "text": "To reset sound, open Settings > Sound > Reset.",
        },
        {
            "id": "b",
            "title": "Network problems",
            "text": "If you cannot connect to Wi-Fi, restart the router.",
        },
        {
            "id": "c",
            "title": "Picture mode",
            "text": "Choose Movie mode for films and Vivid for sports.",
        },
    ]
    queries = [
        {"id": "q1", "question": "How do I reset the sound settings?"},
        {"id": "q2", "question": "I am unable to connect to the network"},
    ]
    qrels = [{"query_id": "q1", "doc_id": "a"}, {"query_id": "q2", "doc_id": "b"}]
    for name, rows in [("corpus", corpus), ("queries", queries), ("qrels", qrels)]:
        (ds / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = helpdesk(["eval", str(ds), "--json", "--k", "2"], cli_env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["queries"] == 2
    for mode in ("hybrid", "keyword", "vector"):
        assert set(report[mode]) == {"recall@2", "mrr@10", "ndcg@10"}
        assert report[mode]["recall@2"] == 1.0
    (tmp_path / "nothing").mkdir()
    missing = helpdesk(["eval", str(tmp_path / "nothing")], cli_env)
    assert missing.returncode == 2 and "corpus.jsonl is missing" in missing.stderr


def test_sync_refuses_to_run_while_another_sync_holds_the_source(cli_env: dict[str, str]) -> None:
    from connectors.leases import Lease
    from connectors.state import StateStore
    from connectors.sync_job import lease_name

    state = StateStore(f"sqlite:///{Path(cli_env['HELPDESK_DATA_DIR']) / 'state.sqlite3'}")
    lease = Lease(state, lease_name("files"), "other-worker:1", 60)
    assert lease.acquire()
    try:
        out = helpdesk(["sync", "files"], cli_env)
        assert out.returncode == 1
        assert "another sync of this source is running" in out.stderr
    finally:
        lease.release()
        state.dispose()
    assert helpdesk(["sync", "files"], cli_env).returncode == 0


def test_serve_with_slack_half_configured_names_the_missing_key(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "SLACK_BOT_TOKEN": "xoxb-test", "RUN_WORKER": "false"}
    out = helpdesk(["serve"], env, timeout=60)
    assert out.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in out.stderr and "Traceback" not in out.stderr
    assert "xoxb-test" not in out.stderr + out.stdout, "secrets stay out of the output"


def test_worker_without_any_source_says_what_to_set(cli_env: dict[str, str]) -> None:
    env = {**cli_env}
    del env["FILES_PATH"]  # and no samples/ folder where it runs
    out = helpdesk(["worker"], env, timeout=60)
    assert out.returncode == 2 and out.stderr == messages.CLI_NO_SOURCES + "\n"


def test_ask_with_claude_through_anthropic_base_url(cli_env: dict[str, str]) -> None:
    from tests.fakes.claude import FakeClaude
    from tests.fakes.claude_server import serve

    fake = FakeClaude()
    fake.reply([("Call the IT hotline on +31 20 555 0142", (0, "+31 20 555 0142"))])
    with serve(fake) as url:
        env = {**cli_env, "ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": url}
        out = helpdesk(["ask", "I lost my phone and can't do MFA", "--json"], env)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["mode"] == "claude" and body["grounded"]
    assert body["answer"] == "Call the IT hotline on +31 20 555 0142 [1]"
    assert body["citations"][0]["quoted_text"] == "+31 20 555 0142"
    [request] = fake.streamed_requests
    assert request["messages"][-1]["content"][0]["type"] == "search_result"
    assert "sk-test" not in out.stderr + out.stdout


def test_sync_marks_a_run_left_running_by_a_dead_process_as_interrupted(
    cli_env: dict[str, str],
) -> None:
    from connectors.state import StateStore

    state = StateStore(f"sqlite:///{Path(cli_env['HELPDESK_DATA_DIR']) / 'state.sqlite3'}")
    dead = state.start_run("files", "incremental")  # a process killed mid-run left this
    try:
        assert helpdesk(["sync", "files"], cli_env).returncode == 0
        run = state.run(dead)
        assert run is not None and run.status == "interrupted"
        assert run.finished_at is not None and "stopped during the run" in (run.error or "")
    finally:
        state.dispose()


def test_chat_searches_a_new_question_on_its_own_after_another_topic(
    cli_env: dict[str, str],
) -> None:
    out = helpdesk(
        ["chat"],
        cli_env,
        stdin=(
            "How do I set up the VPN on my Mac?\n"
            "I lost my phone with Okta Verify, how do I log in?\n"
            "Hoeveel vakantiedagen krijg ik?\n"
            "exit\n"
        ),
    )
    assert out.returncode == 0, out.stderr
    turns = out.stdout.split("bot> ")
    assert len(turns) == 4
    switch = turns[2]
    assert "MFA, Okta Verify and what to do if you lose your phone" in switch
    assert "VPN setup on macOS" not in switch, "the VPN question leaked into the new one"
    assert "only understand questions in English" in turns[3]
    assert "Sources:" not in turns[3]
