"""Each connector's own typed settings. The application's settings build them
(`bot.settings.Settings.files_settings()`, `.drive_settings()`, `.confluence_settings()`);
connectors never read the application's settings object (and never import `bot/`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connectors.retry import DEFAULT_BUDGET_SECONDS


@dataclass(frozen=True)
class FilesSettings:
    path: Path | None
    base_url: str | None = None  # link citations to a web copy of `path`

    @property
    def configured(self) -> bool:
        return self.path is not None and self.path.is_dir()


@dataclass(frozen=True)
class DriveSettings:
    credentials_file: Path | None = None  # service account key (GOOGLE_APPLICATION_CREDENTIALS)
    delegated_user: str | None = None
    api_url: str | None = None  # a Drive-compatible endpoint (tests, proxies)
    folder_ids: tuple[str, ...] = field(default_factory=tuple)
    shared_drive_ids: tuple[str, ...] = field(default_factory=tuple)
    public_domains: tuple[str, ...] = field(default_factory=tuple)
    max_file_mb: float = 20.0
    acl_sweep_hours: float = 6.0
    retry_budget_seconds: float = DEFAULT_BUDGET_SECONDS

    @property
    def configured(self) -> bool:
        return bool(self.credentials_file or self.api_url)


@dataclass(frozen=True)
class ConfluenceSettings:
    url: str | None = None
    email: str | None = None  # Cloud: email + API token (basic auth)
    api_token: str | None = None
    pat: str | None = None  # Data Center / Server: personal access token (bearer)
    deployment: str | None = None  # cloud | datacenter; None: detected
    spaces: tuple[str, ...] = field(default_factory=tuple)
    public_groups: tuple[str, ...] = ("confluence-users",)
    retry_budget_seconds: float = DEFAULT_BUDGET_SECONDS

    @property
    def configured(self) -> bool:
        return bool(self.url)
