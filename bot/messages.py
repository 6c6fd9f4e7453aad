"""Every user-visible string, in one place (chat, CLI, admin, errors)."""

from __future__ import annotations

# --- answering -------------------------------------------------------------------------
SEARCHING = "Searching Confluence and Drive…"
NO_ANSWER = (
    "I couldn't find anything about that in the documentation I can search, so I won't "
    "guess. Try rephrasing with the name of the tool or policy, or ask in {support_hint}."
)
NO_ANSWER_NEAREST = "You could look at:"
ENGLISH_ONLY_MARK = "only understand questions in English"
ENGLISH_ONLY = (
    "Sorry — without the AI answer service I only understand questions in English (the "
    "language of the documentation). Please ask again in English, or ask in {support_hint}."
)
EXTRACTIVE_INTRO = "Here are the most relevant excerpts I found (quoted as written, no AI summary):"
SOURCES_HEADING = "Sources"
UPDATED_AGO = "updated {ago}"
EXTERNAL_CHANNEL_NOTICE = (
    "This conversation includes people from outside the organisation, so I only answer "
    "from documents everyone in the company may read."
)
GENERIC_APOLOGY = (
    "Sorry, something went wrong on my side while answering. The team has been notified; "
    "please try again in a moment."
)

# --- Claude errors (UserFacingError texts) ----------------------------------------------
CLAUDE_AUTH = (
    "The answer service rejected its credentials. An admin needs to check ANTHROPIC_API_KEY."
)
CLAUDE_PERMISSION = (
    "The answer service refused the request (permission denied). An admin needs to check "
    "the Anthropic account and ANTHROPIC_MODEL."
)
CLAUDE_OVERLOADED = (
    "Claude is overloaded right now and didn't answer after several tries. Please ask "
    "again in a minute."
)
CLAUDE_RATE_LIMITED = (
    "Too many questions are being answered at once (rate limit). Please ask again in a minute."
)
CLAUDE_TIMEOUT = "Claude took too long to answer. Please try again."
CLAUDE_UNAVAILABLE = "The answer service is unavailable right now. Please try again shortly."
CLAUDE_BAD_REQUEST = (
    "The answer service could not handle this question. Try a shorter or simpler question."
)
INDEX_UNAVAILABLE = (
    "I can't read the documentation index right now. An admin can check it with `helpdesk status`."
)

# --- relative time ----------------------------------------------------------------------
JUST_NOW = "just now"
MINUTES_AGO = "{n} minute{s} ago"
HOURS_AGO = "{n} hour{s} ago"
DAYS_AGO = "{n} day{s} ago"
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
    "chat answers in the last 24 h (Slack and Teams; `helpdesk ask`/`chat` are not counted): "
    "{answers} (👍 {up} · 👎 {down})"
)
CLI_STATUS_INDEX = "index: {backend} at {location}, {chunks} chunks{size}"
CLI_STATUS_INDEX_UPGRADE = "  needs attention: {notice}"
CLI_SERVE_NO_PLATFORM = (
    "Neither Slack (SLACK_BOT_TOKEN) nor Teams (MicrosoftAppId) is configured: serving "
    "/healthz and the sync scheduler only. See README, 'Connecting the real services'."
)
CLI_CONFIG_ERROR = "Configuration error: {message}"
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

# --- admin commands: /helpdesk reindex | status | help (bot/admin.py, bot/admin_status.py) --
ADMIN_USAGE = (
    "Usage:\n"
    "• `reindex [SOURCE|all] [full]` — sync a source now (admins only). SOURCE is one of: "
    "{sources}. `full` re-lists everything (only changed text is re-embedded).\n"
    "• `status` — sources, last and next sync, what is running now, index size, answers today.\n"
    "• `help` — this text.\n"
    "• `channel show` — this channel's help-channel settings; `channel set …` / `channel off` "
    "(admins) change them.\n"
    "• `gaps [days]` — questions the docs did not answer (admins)."
)
ADMIN_HELP_WHO = "`status` and `help` are open to everyone; `reindex` is for admins ({admins})."
ADMIN_HELP_YOU_ARE_ADMIN = "You are an admin."
ADMIN_HELP_NO_ADMINS = "no admin is configured yet: set ADMIN_USERS"
ADMIN_HELP_ADMINS_SET = "set in ADMIN_USERS"
ADMIN_UNKNOWN_SOURCE = "I don't know the source `{source}`."
ADMIN_SOURCE_NOT_CONFIGURED = "The source `{source}` is not configured on this bot."
ADMIN_NO_SOURCES = "No source is configured, so there is nothing to reindex."
ADMIN_REFUSED = (
    "Sorry, only helpdesk admins can start a reindex. `status` and `help` are open to "
    "everyone; ask an admin if the index looks out of date."
)
ADMIN_QUEUED = "Queued a {mode}reindex of {sources} (request #{request_id}). Progress follows here."
ADMIN_QUEUED_BEHIND = "{source} is syncing right now; your reindex starts as soon as that run ends."
ADMIN_NO_WORKER = (
    "Note: no sync worker has checked in during the last minute, so the request waits "
    "until `helpdesk worker` (or `helpdesk serve` with RUN_WORKER=true) is running."
)
ADMIN_MODE_FULL = "full "
ADMIN_PROGRESS_QUEUED = "🕒 {source}: queued, waiting for the sync worker…"
ADMIN_PROGRESS_QUEUED_BEHIND = "🕒 {source}: waiting for the sync that is running now to end…"
ADMIN_PROGRESS_STARTING = "⏳ {source}: starting…"
ADMIN_PROGRESS_RUNNING = "⏳ {source}: {progress}"
ADMIN_PROGRESS_COUNTS = "{done}{of_total} documents{rate}{eta}{failed}"
ADMIN_PROGRESS_OF_TOTAL = " / {total}"
ADMIN_PROGRESS_RATE = " · {rate:.1f} docs/s"
ADMIN_PROGRESS_ETA = " · about {eta} left"
ADMIN_PROGRESS_FAILED_SO_FAR = " · {failed} failed so far"
ADMIN_SUMMARY_DONE = (
    "✅ {source}: done in {duration} — {added} added, {updated} updated, {deleted} deleted, "
    "{unchanged} unchanged, {failed} failed."
)
ADMIN_SUMMARY_FAILED = (
    "❌ {source}: failed after {duration}: {error} ({added} added, {updated} updated, "
    "{deleted} deleted, {unchanged} unchanged, {failed} failed before it stopped)."
)
ADMIN_SUMMARY_PARTIAL = (
    "⚠️ {source}: partial, done in {duration} — {added} added, {updated} updated, "
    "{deleted} deleted, {unchanged} unchanged, {failed} failed (readable by no more people "
    "than before, or by nobody, until they read again)."
)
ADMIN_SUMMARY_FAILED_NO_RUN = "❌ {source}: could not start: {error}"
ADMIN_FAILURE_LINE = "   • {title}: {reason}"
ADMIN_FAILURE_HIDDEN = (
    "   • a document that is not public, or not indexed yet (details in the worker log)"
)
ADMIN_FAILURE_HIDDEN_DM = (
    "   • a document you may not read, or not indexed yet (details in the worker log)"
)
ADMIN_FAILURES_MORE = "   …and {n} more"
ADMIN_FOLLOW_GAVE_UP = (
    "⌛ Stopped following after {duration}; `/helpdesk status` shows how it is going."
)
ADMIN_REQUEST_GONE = "I can't find that reindex request any more."
ADMIN_DURATION_SECONDS = "{n} s"
ADMIN_DURATION_MINUTES = "{m} min {s} s"
ADMIN_DURATION_HOURS = "{h} h {m} min"
# status
ADMIN_STATUS_HEADER = "*Helpdesk status*"
ADMIN_STATUS_SOURCE = "*{name}* (`{source}`): {documents} documents, {chunks} chunks"
ADMIN_STATUS_LAST_OK = "   last successful sync {ago}"
ADMIN_STATUS_NEVER_SYNCED = "   never synced successfully yet"
ADMIN_STATUS_NEXT = "   next scheduled sync {when}"
ADMIN_STATUS_NEXT_NONE = "   no scheduled sync (no worker running)"
ADMIN_STATUS_IN = "in {duration}"
ADMIN_STATUS_DUE = "due now"
ADMIN_STATUS_RUNNING = "   running now ({mode}): {progress}"
ADMIN_STATUS_QUEUED = "   {n} reindex request{s} queued"
ADMIN_STATUS_LAST_ERROR = "   ⚠️ last run {ago} failed: {error}"
ADMIN_STATUS_LAST_PARTIAL = (
    "   ⚠️ last run {ago} was partial: {failed} document{s} could not be read (each is "
    "readable by no more people than before, or by nobody, until it reads again)"
)
ADMIN_STATUS_NOT_CONFIGURED = "   (no longer configured)"
ADMIN_STATUS_INDEX = "Index: {backend}, {chunks} chunks{size}"
ADMIN_STATUS_INDEX_SIZE = ", {mb:.1f} MB"
ADMIN_STATUS_INDEX_UNAVAILABLE = "Index: {backend}, unavailable right now"
ADMIN_STATUS_ANSWERS = (
    "Chat answers in the last 24 h (Slack and Teams): {answers} (👍 {up} · 👎 {down})"
)
ADMIN_STATUS_DOCS_FAILED = "   {n} document{s} failed in the last sync:"
ADMIN_STATUS_WORKERS = "Sync workers running: {n}"
ADMIN_STATUS_NO_WORKER = (
    "⚠️ No sync worker has checked in during the last minute: scheduled syncs and "
    "reindex requests wait until `helpdesk worker` runs."
)
ADMIN_STATUS_NO_SOURCES = "No source is configured."
ADMIN_ERROR_INTERRUPTED = "the worker stopped during the run (it resumes on the next run)"

# --- Microsoft Teams adapter (bot/adapters/teams) -----------------------------------------
TEAMS_WELCOME = (
    "Hi! I answer questions from the company's Confluence and Google Drive documentation, "
    "with sources. Ask me anything here, or @mention me in a channel or group chat."
)
TEAMS_TRUNCATED = "(Answer shortened to fit Teams' message size limit — see the sources.)"

# --- Slack adapter (bot/adapters/slack) ---------------------------------------------------
EMPTY_QUESTION = "What would you like to know? Ask me a question after the @mention."
SLACK_TRUNCATED = "_(Answer shortened to fit Slack's message size limit — see the sources.)_"
SLACK_SOURCES_LINE = "[{number}] {title} — {source}, {updated}"
SLACK_FEEDBACK_UP = "👍 Helpful"
SLACK_FEEDBACK_DOWN = "👎 Not helpful"
FEEDBACK_THANKS = "Thanks for the feedback!"
SLACK_FEEDBACK_SORRY = (
    "Thanks for telling me. If you still need an answer, a person from support can help."
)
SLACK_FEEDBACK_SORRY_NO_ESCALATION = (
    "Thanks for telling me. If you still need an answer, ask in {support_hint}."
)
SLACK_ASK_HUMAN = "Ask a human"
SLACK_ANSWER_GONE = "That answer is no longer on record, so I couldn't save the feedback."
SLACK_ASK_USAGE = "Usage: `/helpdesk ask <question>`, e.g. `/helpdesk ask how do I reset my VPN?`"
SLACK_ADMIN_UNAVAILABLE = "Admin commands are not available in this deployment yet."
SLACK_SUGGESTED_TITLE = "Ask about IT, HR, facilities or engineering docs:"
SLACK_SUGGESTED_PROMPTS = (
    ("Reset my password", "How do I reset my password?"),
    ("Set up the VPN", "How do I set up the VPN on my laptop?"),
    ("Annual leave", "How many days of annual leave do I get?"),
)
ADMIN_STATUS_STALLED = (
    "   ⚠️ no progress reported for {ago_plain}: its worker may have stopped; the next run "
    "resumes from the last checkpoint"
)

# --- Help channels (bot/helpchannels, bot/channels_command.py) -------------------------------
CHANNEL_BAD_ID = (
    "'{value}' is not a channel id. Use the channel's id (Slack: C0123ABCD, from the channel's "
    "details; Teams: 19:…@thread.tacv2), not its name: names change, ids do not."
)
CHANNEL_UNKNOWN_SOURCE = (
    "Unknown source '{spec}'. Use files, confluence or drive, optionally narrowed as "
    "confluence:SPACEKEY or drive:FOLDER_OR_DRIVE_ID (or 'all' for every source)."
)
CHANNEL_FILES_NOT_NARROWED = "'{spec}': the files source cannot be narrowed; use plain 'files'."
CHANNEL_BAD_NARROWING = (
    "'{spec}' is not a valid narrowing: use confluence:SPACEKEY (the space key, e.g. HR) or "
    "drive:FOLDER_OR_DRIVE_ID (the id from the folder's or shared drive's URL)."
)
CHANNEL_NO_SOURCES = "--sources needs at least one source, e.g. files,confluence:HR (or 'all')."
CHANNEL_BAD_TICKET = (
    "'{value}' is not a ticket project. Use jira:PROJECT_KEY (e.g. jira:IT, the project key in "
    "capitals), zendesk, or none."
)
CHANNEL_BAD_ON_OFF = "--auto-answer must be on or off, not '{value}'."
CHANNEL_BAD_ESCALATION = (
    "--escalate-to needs a target: a Slack user group (S0…), user (U0…) or channel (C0…) id, "
    "a Teams channel id, or none."
)
CHANNEL_NOTHING_TO_SET = (
    "Nothing to change: give at least one of --auto-answer, --sources, --escalate-to, --ticket."
)
CHANNEL_NOT_CONFIGURED = "Channel {channel_id} has no settings (auto-answer is off)."
CHANNEL_NONE_CONFIGURED = "No channel has settings yet. Add one with `helpdesk channels set`."
CHANNEL_SHOW = (
    "Channel {channel_id}\n"
    "  auto-answer: {auto_answer}\n"
    "  sources:     {sources}\n"
    "  escalate to: {escalate_to}\n"
    "  ticket:      {ticket}\n"
    "  updated:     {updated}"
)
CHANNEL_ALL_SOURCES = "all sources"
CHANNEL_UNSET = "-"
CHANNEL_LIST_HEADER = "channel                          auto-answer  sources / escalation / ticket"
CHANNEL_LIST_ROW = "{channel_id:<32} {auto_answer:<12} {sources} / {escalate_to} / {ticket}"
CHANNEL_SAVED = "Saved. A running `helpdesk serve` uses the new settings within 5 seconds."
CHANNEL_TURNED_OFF = "Auto-answer is off in {channel_id} (its other settings are kept)."
CHANNEL_DRIVE_NARROWING_NOTE = "Note: {notice}."
# tickets (bot/helpchannels/tickets.py): shown to the asker; the caller then falls back to
# the channel's escalation target
TICKET_AUTH = (
    "I couldn't create a {system} ticket: {system} refused the bot's credentials (check "
    "{prefix}_EMAIL and {prefix}_API_TOKEN, and that the account may create tickets there)."
)
TICKET_NOT_FOUND = "I couldn't create a {system} ticket: the project or address was not found."
TICKET_RATE_LIMITED = "I couldn't create a {system} ticket: {system} is rate-limiting requests."
TICKET_UNAVAILABLE = "I couldn't create a {system} ticket: {system} had an error ({status})."
TICKET_REJECTED = "I couldn't create a {system} ticket: {system} rejected it ({reason})."
TICKET_TIMEOUT = "I couldn't create a {system} ticket: {system} took too long to answer."
TICKET_UNREACHABLE = "I couldn't create a {system} ticket: {system} could not be reached."
TICKET_NOT_CONFIGURED = (
    "I couldn't create a {system} ticket: tickets are not set up ({prefix}_BASE_URL, "
    "{prefix}_EMAIL and {prefix}_API_TOKEN)."
)
TICKET_NO_REQUEST_TYPE = "no request type named '{name}' in service desk {project}"
TICKET_QUESTION = "Question:"
TICKET_BOT_ANSWER = "Bot's answer:"
TICKET_NO_ANSWER = "(none: the bot found nothing relevant)"
TICKET_THREAD = "Thread:"
TICKET_ASKED_BY = "Asked by:"
TICKET_TRANSCRIPT = "Transcript"
# knowledge-gap report (bot/helpchannels/gaps.py, `helpdesk gaps`)
GAPS_DM_LABEL = "DM"
GAPS_NONE = "No unanswered, escalated or 👎 questions in the last {days} days."
GAPS_HEADER = (
    "Questions without a good answer in the last {days} days ({groups} topics, most asked first):"
)
GAPS_GROUP = "\n{n}. asked by {count} {people}, in {channels}"
GAPS_PERSON = "person"
GAPS_PEOPLE = "people"
GAPS_EXAMPLE = "   • {text}"
GAPS_BEST_SOURCE = "   closest page: {title} <{url}>"

# --- `helpdesk sync`: how to configure a source it was asked for --------------------
CLI_NOT_CONFIGURED_HINTS = {
    "files": "Set FILES_PATH to a folder of markdown/HTML/PDF files.",
    "confluence": (
        "Set CONFLUENCE_URL and CONFLUENCE_EMAIL/CONFLUENCE_API_TOKEN (or CONFLUENCE_PAT)."
    ),
    "drive": "Set GOOGLE_APPLICATION_CREDENTIALS (and DRIVE_FOLDER_IDS to limit the scope).",
}

# --- help channels in chat: auto-answer, hand-off, channel commands (bot/conversation/,
# bot/helpchannels/chat_commands.py, the adapters' hand-off rendering) ------------------
AUTO_ANSWER_OFFER = (
    "I couldn't find this in the docs, so I haven't answered in the channel. "
    "Want me to ask a person?"
)
ASK_A_PERSON = "Ask a person"
HANDOFF_CARD_TEXT = "Not what you needed?"
HANDOFF_GONE = "That question is no longer on record, so I couldn't hand it to a person."
HANDOFF_ALREADY = "A person has already been asked to help with this question."
HANDOFF_TICKET = (
    "I've opened {system} ticket {key} for this: {url}. The support team follows up there."
)
HANDOFF_ASKED = "I've asked {target} to help with this; they'll follow up here."
HANDOFF_NOBODY = "There is nobody set up to hand questions to here. Please ask in {support_hint}."
HANDOFF_TARGET_UNREACHABLE = "I couldn't post to {target}. Please ask in {support_hint}."
HANDOFF_REQUEST = "{who} would like a person to help with a question."
HANDOFF_QUESTION = "Question: {question}"
HANDOFF_ANSWER = "Bot's answer: {answer}"
HANDOFF_NO_ANSWER = "Bot's answer: (none, the docs had nothing relevant)"
HANDOFF_THREAD = "Thread: {url}"
HANDOFF_TEAMS_TARGET = "the support channel"
TICKET_SPEAKER_ASKER = "Asker"
TICKET_SPEAKER_BOT = "Bot"
CHANNEL_CHAT_USAGE = (
    "Usage: `channel show` | `channel set [--auto-answer on|off] [--sources SPEC,…] "
    "[--escalate-to TARGET] [--ticket jira:PROJECT_KEY|zendesk|none]` | `channel off` "
    "(typed in the channel), `gaps [days]`."
)
CHANNEL_CHAT_NOT_A_CHANNEL = (
    "`channel` commands are about the channel they are typed in: use them in the help "
    "channel itself, or `helpdesk channels` on the command line."
)
CHANNEL_CHAT_REFUSED = (
    "Sorry, only helpdesk admins can change a channel's settings. `channel show` is open "
    "to everyone."
)
CHANNEL_CHAT_SAVED = "Saved: in effect within 5 seconds."
CHANNEL_CHAT_BAD_OPTION = (
    "I don't know the option `{option}`: use --auto-answer, --sources, --escalate-to or --ticket."
)
CHANNEL_CHAT_MISSING_VALUE = "`{option}` needs a value."
GAPS_THIS_CHANNEL_ONLY = (
    "Only this channel's questions are listed, since everyone here sees this reply. "
    "Send me `gaps` in our 1:1 chat for the report of every channel."
)
GAPS_REFUSED = "Sorry, only helpdesk admins can see the knowledge-gap report."
GAPS_USAGE = "Usage: `gaps [days]`, days from 1 to 365 (default 7)."
HANDOFF_SOMEONE = "Someone"
