"""Every user-visible string of the sync side: what admins see in sync summaries,
`helpdesk status`, `/helpdesk status` and reindex progress. (`connectors/` never
imports `bot/`, whose `bot/messages.py` holds the chat side's strings.)"""

from __future__ import annotations

# --- connectors/confluence/client.py ---
CONFLUENCE_CREDENTIALS_REJECTED = (
    "Confluence credentials were rejected: check CONFLUENCE_EMAIL/CONFLUENCE_API_TOKEN"
)
CONFLUENCE_PAT_REJECTED = "Confluence credentials were rejected: check CONFLUENCE_PAT"
CONFLUENCE_CREDENTIALS_MISSING = (
    "Confluence is configured (CONFLUENCE_URL) but has no credentials: set "
    "CONFLUENCE_EMAIL and CONFLUENCE_API_TOKEN (Cloud) or CONFLUENCE_PAT (Data Center)"
)
CONFLUENCE_DEPLOYMENT_INVALID = (
    "CONFLUENCE_DEPLOYMENT={value!r} is not understood: use cloud or datacenter"
)
CONFLUENCE_DEPLOYMENT_UNKNOWN = (
    "could not tell whether CONFLUENCE_URL is Confluence Cloud or Data Center: set "
    "CONFLUENCE_DEPLOYMENT=cloud or CONFLUENCE_DEPLOYMENT=datacenter"
)
CONFLUENCE_UNAVAILABLE = (
    "Confluence did not answer after {attempts} attempts in {seconds} s ({detail}); "
    "the next sync retries (patience: SYNC_RETRY_BUDGET_SECONDS)"
)
CONFLUENCE_FORBIDDEN = (
    "Confluence refused {what} (HTTP 403): grant the sync account permission to read it"
)
CONFLUENCE_SPACE_SKIPPED = (
    "space {key} skipped: {reason}; its pages already indexed are hidden from everyone "
    "until it can be read again"
)
CONFLUENCE_SPACE_PERMISSIONS_UNKNOWN = "its view permissions could not be read"
CONFLUENCE_GROUP_UNREADABLE = (
    "group {group}: its members could not be listed ({reason}); nobody gets access "
    "through it until they can be read again"
)
CONFLUENCE_RESTRICTION_UNREADABLE = (
    "the read restrictions of page {id} could not be read ({reason}); it and the pages "
    "below it are hidden from everyone until they can be read"
)
CONFLUENCE_BODY_UNREADABLE = "the page's content could not be read ({reason})"
CONFLUENCE_BODY_UNPARSABLE = "unreadable body: {error}"
CONFLUENCE_NOT_ALLOWED = "the sync account may not read it (HTTP 403)"
CONFLUENCE_NOT_FOUND = "it does not exist or the sync account cannot see it (HTTP 404)"
CONFLUENCE_SPACE_NOT_LISTED = "it does not exist or the sync account cannot see it"
CONFLUENCE_WINDOW_FAILED = (
    "the search for changed pages failed ({reason}); changed pages were fetched one by one"
)

# --- connectors/drive/client.py ---
DRIVE_CREDENTIALS_REJECTED = (
    "Google credentials were rejected: check GOOGLE_APPLICATION_CREDENTIALS and "
    "domain-wide delegation"
)
DRIVE_CREDENTIALS_MISSING = (
    "Google Drive needs a service-account key: set GOOGLE_APPLICATION_CREDENTIALS to the "
    "key file's path"
)

# --- connectors/drive/connector.py ---
DRIVE_RESYNC_NOTE = (
    "Drive's change token was no longer valid: ran one full resync of the Drive scope"
)
DRIVE_ROOTS_CHANGED = (
    "the synced folders or shared drives changed (DRIVE_FOLDER_IDS, DRIVE_SHARED_DRIVE_IDS): "
    "everything in scope was listed again and files outside it removed"
)
DRIVE_MISSING_ROOTS = "not visible to the Google identity, skipped: {ids}"
DRIVE_NO_ROOTS = (
    "none of DRIVE_FOLDER_IDS / DRIVE_SHARED_DRIVE_IDS is visible to the Google identity: "
    "share the folders with the service account (or GOOGLE_DELEGATED_USER), or add it to "
    "the shared drives"
)

# --- connectors/drive/documents.py ---
DRIVE_TOO_LARGE = "larger than DRIVE_MAX_FILE_MB ({size:.1f} MB > {limit:.1f} MB)"
DRIVE_UNREADABLE = "unreadable {kind}: {error}"
DRIVE_PDF_NO_TEXT = "the PDF has no extractable text (scanned?)"
DRIVE_UNSUPPORTED_SKIPPED = "skipped {total} Drive files of unsupported types: {kinds}"
DRIVE_KEY_FILE_MISSING = "GOOGLE_APPLICATION_CREDENTIALS: no file at {path}"
DRIVE_KEY_FILE_INVALID = (
    "GOOGLE_APPLICATION_CREDENTIALS: {path} is not a service-account key ({detail})"
)
DRIVE_UNREACHABLE = "Google API unreachable at {endpoint}: {error} {detail}"
DRIVE_EXPORT_TOO_LARGE = "too large for Google to export (exportSizeLimitExceeded)"
DRIVE_PERMISSIONS_NOT_READ = (
    "its permissions could not be read ({why}): readable by nobody until they can"
)

# --- connectors/drive/groups.py ---
DRIVE_GROUPS_NOT_READ = (
    "Drive: group membership is not read ({why}); members of Drive groups are not "
    "given group-shared files (a DM asker still matches them by email and domain). To "
    "expand groups, set GOOGLE_DELEGATED_USER to an admin and grant the service account "
    "the scope admin.directory.group.member.readonly (domain-wide delegation)."
)
DRIVE_GROUPS_UNREAD_NOTE = (
    "members of {count} Drive group(s) not read, so nobody gets files through them "
    "until a read succeeds: {groups}"
)

# --- connectors/reindex_requests.py ---
RUN_INTERRUPTED = (
    "the process running this sync (a worker or `helpdesk sync`) stopped during the run; "
    "the next run resumed it"
)

# --- connectors/front_matter.py, connectors/files.py -------------------------------------
# Every problem of a file's front matter makes the file readable by nobody (fail closed).
FILES_RESTRICTED = "{problem} — the file is readable by nobody until this is fixed"
FILES_NOT_UTF8 = "not UTF-8 text"
FILES_PDF_NO_TEXT = "the PDF has no extractable text"
FRONT_MATTER_YAML = "invalid YAML front matter ({detail})"
FRONT_MATTER_NOT_MAPPING = "the front matter is not a YAML mapping of keys to values"
FRONT_MATTER_NOT_CLOSED = "the front matter opened with --- is never closed by a --- line"
FRONT_MATTER_TEXT_BEFORE = (
    "something comes before the opening --- of the front matter ({what}): it must be the "
    "very first line of the file"
)
FRONT_MATTER_HIDDEN_BLOCK = (
    "a ---/--- block with {key!r} on line {line} is not at the start of the file, so it is "
    "not front matter: move it to the top (or remove it)"
)
FRONT_MATTER_DUPLICATE_KEY = "the key {key!r} appears twice"
FRONT_MATTER_UNKNOWN_KEY = (
    "unknown front matter key {key!r} (known: {known}); permissions go under acl"
)
FRONT_MATTER_TITLE = "title must be text, not {value}"
ACL_EMPTY = "acl is empty: give public: true or false, and/or groups: [...] and users: [...]"
ACL_NOT_MAPPING = (
    "acl must be a mapping like {{public: false, groups: [...], users: [...]}}, not {value}"
)
ACL_UNKNOWN_KEY = "unknown key {key!r} under acl (known: public, groups, users)"
ACL_PUBLIC_NOT_BOOL = "acl.public must be the YAML boolean true or false, not {value}"
ACL_NOT_A_LIST = "acl.{key} must be a list of {what}, not {value}"
GROUPS_FILE_PROBLEM = "{problem} — every group of groups.yaml has no members until this is fixed"
GROUPS_YAML = "invalid YAML ({detail})"
GROUPS_NOT_MAPPING = "groups.yaml must be a mapping of group name to a list of emails"
GROUP_NOT_A_LIST = (
    "group {group!r} in groups.yaml must be a list of emails, not {value} — the group has "
    "no members until this is fixed"
)

# --- connectors/files.py ---
FILES_NOT_A_FOLDER = "FILES_PATH {path} is not a folder"

# --- connectors/worker.py (a reindex request's error, shown by the admin commands) ---
WORKER_SOURCE_NOT_CONFIGURED = "the source {source!r} is not configured"

# --- connectors/sync_job.py (one sync run: the worker's job and `helpdesk sync`) ---
# a run's error, shown by `helpdesk sync`, `helpdesk status` and the admin commands
SYNC_SOURCE_SETUP_FAILED = "the source could not be set up: {error}"
# a run that failed as a whole, and the run after it (notes of `helpdesk sync`)
SYNC_RESTRICTED_AFTER_FAILURE = (
    "{n} indexed documents are readable by nobody until a sync of this source succeeds"
)
SYNC_FULL_AFTER_FAILURE = (
    "the last sync of this source failed: this one re-reads every document (full)"
)
SYNC_STOPPED_EARLY = "stopped before the end; the next run resumes"
SYNC_CHUNKING_FAILED = "chunking: {error}"
SYNC_STOPPED_AT_ONCE = "stopped at once; the batch in hand is redone by the next run"
# the source's lease is held by another run (`helpdesk sync` prints it)
SYNC_BUSY = (
    "{source}: another sync of this source is running (a worker or another `helpdesk sync`); "
    "nothing was changed. Try again when it has finished (`helpdesk status`)."
)
SYNC_BUSY_HOLDER = (
    "{source}: another sync of this source is running ({holder}, lease held until "
    "{until} UTC); nothing was changed. Try again when it has finished (`helpdesk status`)."
)
SYNC_HOLDER_PROCESS = "process {pid} on {host}"
SYNC_HOLDER_OWNER = "held by {owner}"

# --- connectors/lance_store.py, connectors/weaviate_store.py (an index from before a key) ---
INDEX_LACKS_ANCESTOR_IDS = (
    "the index was built before Drive folder ids were recorded: help channels limited to "
    "drive:FOLDER_OR_DRIVE_ID get nothing from Drive until `helpdesk sync drive --full` "
    "rewrites its documents"
)
INDEX_DRIVE_CHUNKS_WITHOUT_ANCESTOR_IDS = (
    "{count} Drive chunk(s) were indexed before Drive folder ids were recorded: help "
    "channels limited to drive:FOLDER_OR_DRIVE_ID get nothing from them until "
    "`helpdesk sync drive --full` rewrites them"
)

# --- connectors/state.py, connectors/weaviate_store.py (a store that cannot be reached) ---
# {url} is always the URL without credentials (connectors/store_errors.redact_url)
STATE_DATABASE_UNREACHABLE = (
    "cannot connect to the state database at {url} (DATABASE_URL): {reason}. Check that "
    "the database server is running and that DATABASE_URL names it, or unset DATABASE_URL "
    "to keep the state in SQLite under HELPDESK_DATA_DIR"
)
WEAVIATE_UNREACHABLE = (
    "cannot connect to Weaviate at {url} (WEAVIATE_URL): {reason}. Check that Weaviate is "
    "running (`docker compose up -d weaviate`) and that WEAVIATE_URL (and WEAVIATE_API_KEY) "
    "name it, or unset WEAVIATE_URL to use the embedded index"
)
