"""User-visible strings: admin commands and the status text."""

from __future__ import annotations

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
ADMIN_STATUS_NOT_CONFIGURED = (
    "   ⚠️ not configured: {documents} document{s} kept in the index, never answered and "
    "no longer synced; an operator removes them with `helpdesk forget {source}`"
)
ADMIN_STATUS_NOT_CONFIGURED_EMPTY = (
    "   not configured; nothing of it is indexed (`helpdesk forget {source}` clears its "
    "sync history)"
)
ADMIN_STATUS_INDEX = "Index: {backend}, {chunks} chunks{size}"
ADMIN_STATUS_INDEX_SIZE = ", {mb:.1f} MB"
ADMIN_STATUS_INDEX_UNAVAILABLE = "Index: {backend}, unavailable right now"
ADMIN_STATUS_ANSWERS = (
    "Answers in the last 24 h (Slack, Teams and `helpdesk ask`/`chat`): {answers} "
    "(👍 {up} · 👎 {down})"
)
ADMIN_STATUS_DOCS_FAILED = "   {n} document{s} failed in the last sync:"
ADMIN_STATUS_WORKERS = "Sync workers running: {n}"
ADMIN_STATUS_NO_WORKER = (
    "⚠️ No sync worker has checked in during the last minute: scheduled syncs and "
    "reindex requests wait until `helpdesk worker` runs."
)
ADMIN_STATUS_NO_SOURCES = "No source is configured."
ADMIN_ERROR_INTERRUPTED = "the worker stopped during the run (it resumes on the next run)"
