"""User-visible strings: The `helpdesk` command and start-up configuration errors."""

from __future__ import annotations

# --- CLI --------------------------------------------------------------------------------
CLI_SYNC_SUMMARY = (
    "{source}: {added} added, {updated} updated, {deleted} deleted, {unchanged} unchanged, "
    "{failed} failed, {chunks_embedded} chunks embedded in {seconds:.1f}s"
)
CLI_SYNC_FAILED = "{source}: sync failed: {error}"
CLI_SYNC_STOPPING = (
    "Ctrl-C: stopping the {source} sync once the batch in hand is indexed, keeping what is "
    "indexed so far (press Ctrl-C again to stop at once)…"
)
CLI_SYNC_INTERRUPTED = (
    "{source}: sync interrupted by Ctrl-C after {done}{of_total} documents. What was "
    "indexed is kept and searchable; the next `helpdesk sync` carries on from there "
    "(`helpdesk status` shows this run as interrupted)."
)
CLI_SYNC_INTERRUPTED_AT_ONCE = (
    "{source}: sync stopped at once by a second Ctrl-C. The documents of the batch in hand "
    "are redone by the next `helpdesk sync`; nothing needs cleaning up (`helpdesk status` "
    "shows this run as interrupted)."
)
CLI_SYNC_RUN_CTRL_C = "stopped by Ctrl-C in `helpdesk sync`"
CLI_SYNC_SKIPPED = "Not synced because of the Ctrl-C: {sources}."
CLI_SYNC_FAILURE_LINE = "  ✗ {title}: {reason}"
CLI_UNKNOWN_SOURCE = "Unknown source {source!r}. Configured sources: {configured}."
CLI_NOT_CONFIGURED = "Source {source!r} is not configured. {hint}"
CLI_NO_SOURCES = (
    "No source is configured. Set FILES_PATH, CONFLUENCE_URL or GOOGLE_APPLICATION_CREDENTIALS "
    "(see README, Settings)."
)
CLI_CHAT_BANNER = (
    "Helpdesk chat — answering from {sources} as {who}. Mode: {mode}. "
    "Type a question; 'exit' or Ctrl-D quits."
)
CLI_CHAT_YOU = "you> "
CLI_CHAT_BOT = "bot> "
CLI_CHAT_AS_PUBLIC = "a channel member (public documents only)"
CLI_CHAT_AS_USER = "{email} in a DM (public documents + what they may read)"
CLI_MODE_CLAUDE = "Claude ({model})"
CLI_MODE_EXTRACTIVE = "excerpts only (set ANTHROPIC_API_KEY for written answers)"
CLI_EMPTY_INDEX = (
    "The index is empty, so there is nothing to answer from yet. Run `helpdesk sync` to "
    "index the configured sources (FILES_PATH, Confluence, Drive), then ask again; "
    "`make run` does both."
)
CLI_ASK_EMPTY = (
    'Usage: helpdesk ask "QUESTION" — the question is empty. For example: '
    'helpdesk ask "How do I reset my password?"'
)
CLI_AS_NOT_EMAIL = (
    "--as needs the email address of the user to answer as (e.g. "
    "--as hannah.hr@northwind.example); {value!r} is not an email address."
)
CLI_STATUS_LINE = (
    "{source}: {documents} documents, {chunks} chunks; last sync {last_sync}; {last_error}"
)
CLI_STATUS_NEVER = "never"
CLI_STATUS_NOTHING_SYNCED = (
    "Nothing has been synced yet: {data_dir} holds no index and no sync state. Run "
    "`helpdesk sync` to index the configured sources ({sources}); `helpdesk status` then "
    "shows them."
)
CLI_STATUS_NO_SOURCES = "none is configured: see README, Settings"
CLI_STATUS_NOT_CONFIGURED = (
    "  not configured: {documents} document{s} kept in the index, never answered and no "
    "longer synced; remove them with `helpdesk forget {source}`"
)
CLI_STATUS_NOT_CONFIGURED_EMPTY = (
    "  not configured; nothing of it is indexed (`helpdesk forget {source}` clears its "
    "sync history)"
)
CLI_FORGET_CONFIGURED = (
    "Source {source!r} is configured ({how}): its next sync would index it again. Remove "
    "it from SOURCES (or unset its settings) first, then run `helpdesk forget {source}`."
)
CLI_FORGET_HOW_EXPLICIT = "listed in SOURCES"
CLI_FORGET_HOW_SETTINGS = "its settings are set and SOURCES is empty"
CLI_FORGET_NOTHING = (
    "Nothing is stored for {source!r}. Sources that are not configured and still have "
    "something stored: {stored}."
)
CLI_FORGET_DONE = (
    "{source}: removed {documents} documents ({chunks} chunks) from the index, with its "
    "sync history; nothing else was touched."
)
CLI_STATUS_NO_ERROR = "no errors"
CLI_STATUS_PARTIAL = (
    "last run partial: {failed} document{s} failed (each is readable by no more people "
    "than before, or by nobody, until it reads again):"
)
CLI_STATUS_LAST_ERROR = "last run failed {ago}: {error}"
CLI_STATUS_RUNNING = "running now"
CLI_STATUS_INTERRUPTED = "last run interrupted {ago}: {error}; the next sync carries on"
CLI_STATUS_DOCS_FAILED = "{n} document{s} failed in the last sync ({ago}):"
CLI_STATUS_STOPPED_EARLY = "it stopped before the end"
CLI_STATUS_ENDED = "last run {status} {ago}"
CLI_STATUS_FAILURES_MORE = "  …and {n} more (the worker log has them all)"
CLI_STATUS_ANSWERS = (
    "answers in the last 24 h (Slack, Teams and `helpdesk ask`/`chat`): "
    "{answers} (👍 {up} · 👎 {down})"
)
CLI_STATUS_INDEX = "index: {backend} at {location}, {chunks} chunks{size}"
CLI_STATUS_INDEX_UPGRADE = "  needs attention: {notice}"
CLI_SERVE_NO_PLATFORM = (
    "Neither Slack (SLACK_BOT_TOKEN) nor Teams (MicrosoftAppId) is configured: serving "
    "/healthz and the sync scheduler only. See README, 'Connecting the real services'."
)
CLI_CONFIG_ERROR = "Configuration error: {message}"
# a state database or Weaviate that cannot be reached: {message} comes from
# connectors/messages.py (STATE_DATABASE_UNREACHABLE, WEAVIATE_UNREACHABLE), no credentials
CLI_STORE_UNREACHABLE = "Connection error: {message}."
CLI_EVAL_MISSING_ANSWERS = "{path} is not a file: --answers takes a dev set (YAML)."
CLI_EVAL_NO_DATASET = (
    "Give a data set folder (corpus.jsonl, queries.jsonl, qrels.jsonl), or --answers for "
    "the answer-quality dev set."
)
CLI_EVAL_DATASET_ABSENT = (
    "There is no eval data set at {path}. `make eval` reads samsung-emanual-qa (725 "
    "questions over Samsung TV and Galaxy S10 manual sections, from "
    "github.com/abhi1nandy2/EMNLP-2021-Findings, converted to corpus/queries/qrels.jsonl) "
    "from ../shared/eval/: it is not in this repository because the manual text may not be "
    "republished: ask a maintainer for it. `make eval EVAL_DATA=DIR` reads any folder with "
    "corpus.jsonl, queries.jsonl and qrels.jsonl."
)
CLI_EVAL_FALLBACK = (
    "Scoring the small set shipped in {path} instead (26 chat-style questions over the "
    "public pages of samples/; see its README)."
)
CLI_EVAL_MISSING = (
    "{path} is missing: an eval dataset has corpus.jsonl, queries.jsonl and qrels.jsonl."
)

# --- configuration errors (start-up) ------------------------------------------------------
CONFIG_MISSING = "{key} is not set. {fix}"
CONFIG_SLACK_SIGNING_FIX = (
    "Copy it from your Slack app's Basic Information page, or set SLACK_APP_TOKEN to use "
    "Socket Mode instead (see docs/slack.md)."
)
# after "Configuration error: DATABASE_URL: "
# (the value itself is never shown: it may hold a password)
_DATABASE_URL_FIX = (
    "Use postgresql://USER:PASSWORD@HOST:5432/DATABASE, or unset DATABASE_URL to keep the "
    "state in SQLite under HELPDESK_DATA_DIR."
)
CONFIG_DATABASE_URL = "not a database URL. " + _DATABASE_URL_FIX
CONFIG_DATABASE_URL_DIALECT = (
    "{scheme}:// is not a database this bot can open. " + _DATABASE_URL_FIX
)
# after "Configuration error: WEAVIATE_URL: " (the settings' own validation names the key)
CONFIG_WEAVIATE_URL = (
    "{value!r} is not a Weaviate address. Use http://HOST:8080 for a self-hosted Weaviate "
    "(with ?grpc=HOST:PORT when gRPC listens elsewhere) or your Weaviate Cloud cluster's "
    "URL, or unset WEAVIATE_URL to use the embedded index."
)
# after "Configuration error: WEAVIATE_API_KEY: "
CONFIG_WEAVIATE_CLOUD_KEY = (
    "not set, but WEAVIATE_URL {url} is a Weaviate Cloud cluster, which needs one: create "
    "an API key in the Weaviate Cloud console and set WEAVIATE_API_KEY, or unset "
    "WEAVIATE_URL to use the embedded index."
)
# after "Configuration error: LOG_LEVEL: "
CONFIG_LOG_LEVEL = (
    "{value!r} is not a log level. Use one of {levels} (any case), or unset LOG_LEVEL for INFO."
)
_DATA_DIR_FIX = (
    "Point HELPDESK_DATA_DIR at a folder this user may write (it is created if missing), "
    "e.g. HELPDESK_DATA_DIR=./data."
)
CONFIG_DATA_DIR_NOT_A_FOLDER = "HELPDESK_DATA_DIR is {path}, which is a file, not a folder. " + (
    _DATA_DIR_FIX
)
CONFIG_DATA_DIR_BLOCKED = (
    "HELPDESK_DATA_DIR is {path}, but {blocker} is a file, so the folder cannot be created. "
    + _DATA_DIR_FIX
)
CONFIG_DATA_DIR_NOT_WRITABLE = (
    "HELPDESK_DATA_DIR is {path}, but {blocker} is not writable by this user. "
    + _DATA_DIR_FIX
    + " Or give this user write permission there."
)
CONFIG_EMBEDDER = (
    "EMBEDDER is {value!r}, which is not an embedder. Unset it to use the bundled model "
    "(EMBEDDER=onnx); EMBEDDER=hashing is for tests and benchmarks only."
)
CONFIG_EMBEDDING_MODEL_DIR = (
    "EMBEDDING_MODEL_DIR is {path}, which has no {missing}. Point it at a folder with an "
    "ONNX sentence-embedding model (model.onnx + tokenizer.json), or unset it to use the "
    "bundled model."
)
CONFIG_NOT_A_SOURCE = "is not a source"
CONFIG_NOT_SOURCES = "are not sources"
CONFIG_UNKNOWN_SOURCES = (
    "SOURCES lists {names}, which {is_are}. Use a comma-separated subset of {known}, or "
    "unset SOURCES to sync every configured source."
)
CONFIG_FILES_PATH_MISSING = (
    "FILES_PATH is {path}, which does not exist (relative paths are read from {cwd}). "
    "Point FILES_PATH at a folder of markdown, text, HTML or PDF files, or unset it."
)
CONFIG_FILES_PATH_NOT_A_FOLDER = (
    "FILES_PATH is {path}, which is a file, not a folder. Point FILES_PATH at the folder "
    "that holds your markdown, text, HTML or PDF files."
)
CONFIG_SOURCE_INCOMPLETE = "SOURCES includes {source}, but {hint} Or remove {source} from SOURCES."
CONFIG_HINT_FILES = "FILES_PATH is empty: set FILES_PATH to a folder of documents."
CONFIG_HINT_CONFLUENCE = (
    "CONFLUENCE_URL is not set: set it to your site (https://YOUR-SITE.atlassian.net/wiki) "
    "with CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN (or CONFLUENCE_PAT on Data Center)."
)
CONFIG_HINT_DRIVE = (
    "GOOGLE_APPLICATION_CREDENTIALS is not set: set it to the service-account key file's path."
)
CONFIG_TEAMS_APP_TYPE = (
    "MicrosoftAppType is {value!r}: use SingleTenant (the default), MultiTenant or "
    "UserAssignedMSI, as chosen when the Azure Bot was created."
)
CONFIG_TEAMS_CLIENT_FIX = (
    "MicrosoftAppId is set, and a {app_type} bot also needs its client secret: copy the "
    "secret's value from the app registration (Certificates & secrets) into "
    "MicrosoftAppPassword (docs/teams.md), or unset MicrosoftAppId to turn Teams off."
)
CONFIG_TEAMS_TENANT_FIX = (
    "MicrosoftAppId is set, and a {app_type} bot also needs its tenant: copy the Directory "
    "(tenant) ID from the Azure Bot's Configuration page into MicrosoftAppTenantId "
    "(docs/teams.md), or set MicrosoftAppType=MultiTenant if the bot was created multi-tenant."
)
