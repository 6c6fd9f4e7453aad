"""Google Drive source (`drive`): changes-feed incremental sync of Docs, Sheets, Slides,
PDFs, Office and text files, with permissions, shared drives and resumable checkpoints.

Modules: `client` (auth, the real googleapiclient services, retries, error mapping),
`api` (the Drive calls and fields), `content` (export/download, text per type),
`permissions` (permissions → Acl, strictly), `groups` (group members, every run),
`documents` (one file → one item), `tree` (scope, folder paths, limited access),
`checkpoint` (the stored JSON), `connector` (`DriveConnector.scan`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from connectors.base import Connector
from connectors.drive.api import DriveApi
from connectors.drive.client import DRIVE_SCOPES, GoogleApi, drive_endpoint, load_credentials
from connectors.drive.connector import DriveConnector
from connectors.drive.groups import GroupDirectory
from connectors.retry import DEFAULT_BUDGET_SECONDS, RetryPolicy
from connectors.state import StateStore


def build_drive_connector(
    config: Any,
    state: StateStore | None = None,
    *,
    retry: RetryPolicy | None = None,
    page_size: int = 1000,
    workers: int = 8,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Connector:
    """The Drive connector from the settings (nothing is contacted until a scan starts)."""
    budget = getattr(config, "sync_retry_budget_seconds", None) or DEFAULT_BUDGET_SECONDS
    retry = retry or RetryPolicy(budget_seconds=float(budget))
    key_file = config.google_application_credentials
    subject = config.google_delegated_user or None
    api_url = config.drive_api_url or None
    endpoint = drive_endpoint(api_url)

    def api_factory() -> DriveApi:
        creds = load_credentials(key_file, subject, DRIVE_SCOPES, endpoint)
        api = GoogleApi("drive", "v3", creds, endpoint, retry=retry, timeout=timeout, sleep=sleep)
        return DriveApi(api, page_size)

    return DriveConnector(
        api_factory,
        folder_ids=list(config.drive_folder_ids or []),
        shared_drive_ids=list(config.drive_shared_drive_ids or []),
        public_domains=list(config.drive_public_domains or []),
        max_file_mb=float(config.drive_max_file_mb),
        acl_sweep_hours=float(config.drive_acl_sweep_hours),
        directory=GroupDirectory.from_config(key_file, subject, api_url, retry, timeout, sleep),
        workers=workers,
    )


__all__ = ["DriveConnector", "build_drive_connector"]
