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

from connectors.base import Connector
from connectors.drive.api import DriveApi
from connectors.drive.client import DRIVE_SCOPES, GoogleApi, drive_endpoint, load_credentials
from connectors.drive.connector import DriveConnector
from connectors.drive.groups import GroupDirectory
from connectors.retry import RetryPolicy
from connectors.source_settings import DriveSettings


def build_drive_connector(
    config: DriveSettings,
    *,
    retry: RetryPolicy | None = None,
    page_size: int = 1000,
    workers: int = 8,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Connector:
    """The Drive connector from the settings (nothing is contacted until a scan starts)."""
    retry = retry or RetryPolicy(budget_seconds=config.retry_budget_seconds)
    key_file = config.credentials_file
    subject = config.delegated_user or None
    api_url = config.api_url or None
    endpoint = drive_endpoint(api_url)

    def api_factory() -> DriveApi:
        creds = load_credentials(key_file, subject, DRIVE_SCOPES, endpoint)
        api = GoogleApi("drive", "v3", creds, endpoint, retry=retry, timeout=timeout, sleep=sleep)
        return DriveApi(api, page_size)

    return DriveConnector(
        api_factory,
        folder_ids=list(config.folder_ids),
        shared_drive_ids=list(config.shared_drive_ids),
        public_domains=list(config.public_domains),
        max_file_mb=config.max_file_mb,
        acl_sweep_hours=config.acl_sweep_hours,
        directory=GroupDirectory.from_config(key_file, subject, api_url, retry, timeout, sleep),
        workers=workers,
    )


__all__ = ["DriveConnector", "DriveSettings", "build_drive_connector"]
