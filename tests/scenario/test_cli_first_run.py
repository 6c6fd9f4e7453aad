"""A new user's first commands, as a real subprocess: every configuration mistake is one
line naming the setting and the fix (exit 2, no traceback, nothing written), and asking
before any sync or with bad arguments says what to do instead."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bot import messages
from tests.conftest import REPO, SAMPLES
from tests.scenario.cli_support import base_env, helpdesk


@pytest.fixture
def fresh(tmp_path: Path) -> dict[str, str]:
    """A fresh install: no data folder yet."""
    return base_env(tmp_path, SAMPLES)


def data_dir(env: dict[str, str]) -> Path:
    return Path(env["HELPDESK_DATA_DIR"])


def config_error(text: str) -> str:
    return messages.CLI_CONFIG_ERROR.format(message=text) + "\n"


def assert_refused(
    out: subprocess.CompletedProcess[str], code: int, stderr: str, env: dict[str, str]
) -> None:
    assert out.returncode == code, out.stderr
    assert out.stderr == stderr
    assert out.stdout == ""
    assert not data_dir(env).exists(), "nothing is written on failure"


TEAMS_ID = {"MicrosoftAppId": "00000000-1111-2222-3333-444444444444", "RUN_WORKER": "false"}

CASES = {
    "teams id without its password": (
        TEAMS_ID,
        ["serve"],
        messages.CONFIG_MISSING.format(
            key="MicrosoftAppPassword",
            fix=messages.CONFIG_TEAMS_CLIENT_FIX.format(app_type="SingleTenant"),
        ),
    ),
    "teams id and password without the tenant": (
        {**TEAMS_ID, "MicrosoftAppPassword": "s3cret-value"},
        ["serve"],
        messages.CONFIG_MISSING.format(
            key="MicrosoftAppTenantId",
            fix=messages.CONFIG_TEAMS_TENANT_FIX.format(app_type="SingleTenant"),
        ),
    ),
    "teams app type misspelt": (
        {**TEAMS_ID, "MicrosoftAppPassword": "s3cret-value", "MicrosoftAppType": "Single"},
        ["serve"],
        messages.CONFIG_TEAMS_APP_TYPE.format(value="Single"),
    ),
    "unknown embedder": (
        {"EMBEDDER": "bogus"},
        ["ask", "How do I reset my password?"],
        messages.CONFIG_EMBEDDER.format(value="bogus"),
    ),
    "unknown source in SOURCES": (
        {"SOURCES": "files,sharepoint"},
        ["sync"],
        messages.CONFIG_UNKNOWN_SOURCES.format(
            names="sharepoint", is_are="is not a source", known="files, confluence, drive"
        ),
    ),
    "DATABASE_URL that is not a database URL": (
        {"DATABASE_URL": "my-postgres-server"},
        ["status"],
        "DATABASE_URL: " + messages.CONFIG_DATABASE_URL,
    ),
    "DATABASE_URL of a database without a dialect": (
        {"DATABASE_URL": "postgress://helpdesk:s3cret-value@db/helpdesk"},
        ["sync"],
        "DATABASE_URL: " + messages.CONFIG_DATABASE_URL_DIALECT.format(scheme="postgress"),
    ),
    "WEAVIATE_URL that is not an address": (
        {"WEAVIATE_URL": "weaviate-on-my-laptop"},
        ["status"],
        "WEAVIATE_URL: " + messages.CONFIG_WEAVIATE_URL.format(value="weaviate-on-my-laptop"),
    ),
    "Weaviate Cloud without WEAVIATE_API_KEY": (
        {"WEAVIATE_URL": "https://abc123.c0.europe-west3.gcp.weaviate.cloud"},
        ["ask", "How do I reset my password?"],
        "WEAVIATE_API_KEY: "
        + messages.CONFIG_WEAVIATE_CLOUD_KEY.format(
            url="https://abc123.c0.europe-west3.gcp.weaviate.cloud"
        ),
    ),
    "LOG_LEVEL that is not a level": (
        {"LOG_LEVEL": "loud"},
        ["status"],
        "LOG_LEVEL: "
        + messages.CONFIG_LOG_LEVEL.format(
            value="loud", levels="DEBUG, INFO, WARNING, ERROR, CRITICAL"
        ),
    ),
    "confluence in SOURCES without CONFLUENCE_URL": (
        {"SOURCES": "confluence"},
        ["sync"],
        messages.CONFIG_SOURCE_INCOMPLETE.format(
            source="confluence", hint=messages.CONFIG_HINT_CONFLUENCE
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_configuration_mistake_names_the_setting_and_the_fix(
    fresh: dict[str, str], case: str
) -> None:
    overrides, args, text = CASES[case]
    out = helpdesk(args, {**fresh, **overrides}, timeout=60)
    assert_refused(out, 2, config_error(text), fresh)
    assert "s3cret-value" not in out.stderr


def test_files_path_pointing_at_a_missing_folder_says_so(fresh: dict[str, str]) -> None:
    env = {**fresh, "FILES_PATH": "docs-that-are-not-here"}
    out = helpdesk(["sync"], env)
    expected = messages.CONFIG_FILES_PATH_MISSING.format(
        path="docs-that-are-not-here", cwd=env["CWD"]
    )
    assert_refused(out, 2, config_error(expected), env)
    # the worker refuses the same way rather than running with no source
    assert_refused(helpdesk(["worker"], env, timeout=60), 2, config_error(expected), env)


def test_a_data_dir_that_is_a_file_or_inside_one_is_refused(fresh: dict[str, str]) -> None:
    blocker = Path(fresh["CWD"]) / "data.txt"
    blocker.write_text("my notes\n")
    env = {**fresh, "HELPDESK_DATA_DIR": str(blocker)}
    out = helpdesk(["status"], env)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr == config_error(
        messages.CONFIG_DATA_DIR_NOT_A_FOLDER.format(path=str(blocker))
    )
    inside = {**fresh, "HELPDESK_DATA_DIR": str(blocker / "data")}
    out = helpdesk(["sync"], inside)
    assert out.stderr == config_error(
        messages.CONFIG_DATA_DIR_BLOCKED.format(path=str(blocker / "data"), blocker=str(blocker))
    )
    assert out.returncode == 2
    assert blocker.read_text() == "my notes\n", "the file is left as it was"


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write into any folder"
)
def test_a_data_dir_this_user_may_not_write_is_refused(fresh: dict[str, str]) -> None:
    locked = Path(fresh["CWD"]) / "locked"
    locked.mkdir(mode=0o555)
    env = {**fresh, "HELPDESK_DATA_DIR": str(locked / "data")}
    try:
        out = helpdesk(["sync"], env)
    finally:
        locked.chmod(0o755)
    assert_refused(
        out,
        2,
        config_error(
            messages.CONFIG_DATA_DIR_NOT_WRITABLE.format(
                path=str(locked / "data"), blocker=str(locked)
            )
        ),
        env,
    )


def test_asking_before_any_sync_says_how_to_fill_the_index(fresh: dict[str, str]) -> None:
    out = helpdesk(["ask", "How do I reset my password?"], fresh)
    assert_refused(out, 1, messages.CLI_EMPTY_INDEX + "\n", fresh)
    out = helpdesk(["chat"], fresh, stdin="How do I reset my password?\nexit\n")
    assert_refused(out, 1, messages.CLI_EMPTY_INDEX + "\n", fresh)


def test_status_before_any_sync_says_so_and_creates_nothing(fresh: dict[str, str]) -> None:
    env = {**fresh, "LOG_LEVEL": "Warning"}  # a level in any case is accepted
    expected = messages.CLI_STATUS_NOTHING_SYNCED.format(
        data_dir=env["HELPDESK_DATA_DIR"], sources="files"
    )
    out = helpdesk(["status"], env)
    assert (out.returncode, out.stdout, out.stderr) == (0, expected + "\n", "")
    assert not data_dir(env).exists(), "no data folder, state file or index is created"
    out = helpdesk(["status", "--json"], env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [(s["source"], s["documents"], s["last_sync"]) for s in report["sources"]] == [
        ("files", 0, None)
    ]
    assert report["index"]["chunks"] == 0
    data_dir(env).mkdir()  # an empty folder made beforehand stays empty
    assert helpdesk(["status"], env).stdout == expected + "\n"
    assert list(data_dir(env).iterdir()) == []


def test_an_empty_question_gets_the_usage(fresh: dict[str, str]) -> None:
    for question in ("", "   "):
        out = helpdesk(["ask", question], fresh)
        assert_refused(out, 2, messages.CLI_ASK_EMPTY + "\n", fresh)


def test_as_must_be_an_email_address(fresh: dict[str, str]) -> None:
    expected = messages.CLI_AS_NOT_EMAIL.format(value="hannah") + "\n"
    out = helpdesk(["ask", "What is my salary band?", "--as", "hannah"], fresh)
    assert_refused(out, 2, expected, fresh)
    out = helpdesk(["chat", "--as", "hannah"], fresh, stdin="exit\n")
    assert_refused(out, 2, expected, fresh)


def test_eval_without_the_data_set_explains_where_it_comes_from(fresh: dict[str, str]) -> None:
    out = helpdesk(["eval", "../shared/eval/samsung-emanual-qa"], fresh)
    assert_refused(
        out,
        2,
        messages.CLI_EVAL_DATASET_ABSENT.format(path="../shared/eval/samsung-emanual-qa") + "\n",
        fresh,
    )
    # `make eval` passes the small set shipped in the repo as the fallback
    tiny = Path(fresh["CWD"]) / "tiny"
    tiny.mkdir()
    rows = {
        "corpus": [
            {"id": "a", "title": "VPN", "text": "Install the VPN client from the portal."},
            {"id": "b", "title": "Leave", "text": "You get 27 days of annual leave."},
        ],
        "queries": [{"id": "q1", "question": "how many holidays do I get"}],
        "qrels": [{"query_id": "q1", "doc_id": "b"}],
    }
    for name, lines in rows.items():
        (tiny / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    out = helpdesk(
        ["eval", "../shared/eval/samsung-emanual-qa", "--fallback", "tiny", "--json"], fresh
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == (
        messages.CLI_EVAL_DATASET_ABSENT.format(path="../shared/eval/samsung-emanual-qa")
        + "\n"
        + messages.CLI_EVAL_FALLBACK.format(path="tiny")
        + "\n"
    )
    assert json.loads(out.stdout)["queries"] == 1


def test_make_eval_falls_back_to_the_set_shipped_in_the_repo() -> None:
    assert "--fallback bench/eval-samples" in (REPO / "Makefile").read_text()
    shipped = REPO / "bench" / "eval-samples"
    corpus = {json.loads(line)["id"] for line in (shipped / "corpus.jsonl").open()}
    queries = {json.loads(line)["id"] for line in (shipped / "queries.jsonl").open()}
    qrels = [json.loads(line) for line in (shipped / "qrels.jsonl").open()]
    assert len(queries) >= 20 and {q["query_id"] for q in qrels} == queries
    assert {q["doc_id"] for q in qrels} <= corpus
    assert "hr/salary-bands-2026.md" not in corpus, "restricted pages are left out"


def test_a_usable_weaviate_url_is_accepted() -> None:
    """The start-up check refuses only what cannot be a Weaviate address: a self-hosted
    one, one with its own gRPC port, and a cloud cluster with its key all load."""
    from bot.settings import Settings

    for url, key in (
        ("http://localhost:8080", None),
        ("http://weaviate:8080?grpc=weaviate-grpc:50051", None),
        ("abc123.c0.europe-west3.gcp.weaviate.cloud", "wcd-key"),
    ):
        settings = Settings(weaviate_url=url, weaviate_api_key=key, _env_file=None)
        assert settings.index_settings().weaviate_url == url
