"""Every user-visible string, in one place (chat, CLI, admin, errors)."""

from __future__ import annotations

# --- answering -------------------------------------------------------------------------
SEARCHING = "Searching Confluence and Drive…"
NO_ANSWER = (
    "I couldn't find anything about that in the documentation I can search, so I won't "
    "guess. Try rephrasing with the name of the tool or policy, or ask in {support_hint}."
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
TODAY = "today"

# --- CLI --------------------------------------------------------------------------------
CLI_SYNC_SUMMARY = (
    "{source}: {added} added, {updated} updated, {deleted} deleted, {unchanged} unchanged, "
    "{failed} failed, {chunks_embedded} chunks embedded in {seconds:.1f}s"
)
CLI_SYNC_FAILED = "{source}: sync failed: {error}"
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
CLI_EMPTY_INDEX = "The index is empty: run `helpdesk sync` first (or `make run`)."
CLI_STATUS_LINE = (
    "{source}: {documents} documents, {chunks} chunks; last sync {last_sync}; {last_error}"
)
CLI_STATUS_NEVER = "never"
CLI_STATUS_NO_ERROR = "no errors"
CLI_STATUS_LAST_ERROR = "last error: {error}"
CLI_STATUS_INDEX = "index: {backend} at {location}, {chunks} chunks{size}"
CLI_EVAL_HEADER = "{queries} queries, k={k}"
CLI_CONFIG_ERROR = "Configuration error: {message}"
CLI_EVAL_MISSING = (
    "{path} is missing: an eval dataset has corpus.jsonl, queries.jsonl and qrels.jsonl."
)

# --- configuration errors (start-up) ------------------------------------------------------
CONFIG_MISSING = "{key} is not set. {fix}"
