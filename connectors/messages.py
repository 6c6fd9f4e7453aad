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
CONFLUENCE_UNAVAILABLE = (
    "Confluence did not answer after {attempts} attempts in {seconds} s ({detail}); "
    "the next sync retries (patience: SYNC_RETRY_BUDGET_SECONDS)"
)
CONFLUENCE_FORBIDDEN = (
    "Confluence refused {what} (HTTP 403): grant the sync account permission to read it"
)
CONFLUENCE_SPACE_SKIPPED = (
    "space {key} skipped: {reason}; its pages already indexed are kept unchanged "
    "until it can be read again"
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
DRIVE_MISSING_ROOTS = "not visible to the Google identity, skipped: {ids}"
DRIVE_NO_ROOTS = (
    "none of DRIVE_FOLDER_IDS / DRIVE_SHARED_DRIVE_IDS is visible to the Google identity: "
    "share the folders with the service account (or GOOGLE_DELEGATED_USER), or add it to "
    "the shared drives"
)

# --- connectors/drive/documents.py ---
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

# --- connectors/requests.py ---
RUN_INTERRUPTED = (
    "the process running this sync (a worker or `helpdesk sync`) stopped during the run; "
    "the next run resumed it"
)
