"""All configuration, read once at start-up from the environment and `.env`.

Every setting is documented in README.md ("Settings"). Platform-standard names are
used where a platform has them (SLACK_BOT_TOKEN, MicrosoftAppId, ANTHROPIC_API_KEY...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import messages
from connectors.registry import configured_sources
from connectors.source_settings import ConfluenceSettings, DriveSettings, FilesSettings
from connectors.sync_settings import IndexSettings, WorkerSettings

CsvList = Annotated[list[str], NoDecode]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- storage -------------------------------------------------------------------
    helpdesk_data_dir: Path = Path("data")
    database_url: str | None = None  # default: sqlite in the data dir
    weaviate_url: str | None = None
    weaviate_api_key: SecretStr | None = Field(default=None, validate_default=True)
    weaviate_collection: str = "HelpdeskChunks"
    embedding_model_dir: Path | None = None  # another ONNX sentence-embedding model
    embedder: str = "onnx"  # "onnx" (default) or "hashing" (tests / benchmarks only)

    # --- answering -----------------------------------------------------------------
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-5-5"
    anthropic_max_tokens: int = 2048  # adaptive thinking counts towards it
    anthropic_timeout_seconds: float = 60.0
    anthropic_max_retries: int = 3
    retrieval_top_k: int = 6
    retrieval_min_score: float = 0.3  # cosine similarity a passage needs to count
    # unprompted answers in help channels: a passage must be at least this similar
    auto_answer_min_score: float = 0.4
    company_name: str = "your company"
    support_hint: str = "#it-help"

    # --- local folder source -------------------------------------------------------
    files_path: Path | None = Path("samples")
    files_base_url: str | None = None  # link citations to a web copy of FILES_PATH
    sources: CsvList = Field(default_factory=list)  # explicit list; default: all configured

    # --- Slack ----------------------------------------------------------------------
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    slack_escalation_mention: str | None = None
    allow_external_channels: bool = True
    port: int = 3000

    # --- Teams ----------------------------------------------------------------------
    microsoft_app_id: str | None = Field(
        default=None, validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFT_APP_ID")
    )
    microsoft_app_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD"),
    )
    microsoft_app_tenant_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID"),
    )
    microsoft_app_type: str = Field(
        default="SingleTenant",
        validation_alias=AliasChoices("MicrosoftAppType", "MICROSOFT_APP_TYPE"),
    )
    # an unanswered question in a help channel: offer "Ask a person" to the asker alone
    # as a targeted message (Teams public developer preview); off: nothing is posted
    teams_targeted_offers: bool = False

    # --- Confluence -----------------------------------------------------------------
    confluence_url: str | None = None
    confluence_email: str | None = None
    confluence_api_token: SecretStr | None = None
    confluence_pat: SecretStr | None = None
    confluence_deployment: str | None = None  # cloud | datacenter; unset: detected
    confluence_spaces: CsvList = Field(default_factory=list)
    confluence_public_groups: CsvList = Field(default_factory=lambda: ["confluence-users"])

    # --- Google Drive ---------------------------------------------------------------
    google_application_credentials: Path | None = None
    google_delegated_user: str | None = None
    drive_folder_ids: CsvList = Field(default_factory=list)
    drive_shared_drive_ids: CsvList = Field(default_factory=list)
    drive_public_domains: CsvList = Field(default_factory=list)
    drive_max_file_mb: float = 20.0
    drive_acl_sweep_hours: float = 6.0
    drive_api_url: str | None = None

    # --- worker and admin -----------------------------------------------------------
    run_worker: bool = True
    sync_interval_minutes_confluence: float = 10.0
    sync_interval_minutes_drive: float = 5.0
    sync_interval_minutes_files: float = 5.0
    # how long one vendor call may keep retrying 429/5xx/timeouts (connectors/retry.py)
    sync_retry_budget_seconds: float = Field(default=300.0, gt=0)
    admin_users: CsvList = Field(default_factory=list)
    worker_lease_seconds: float = 60.0  # a dead worker's source lease expires after this
    worker_poll_seconds: float = 2.0  # how often the worker checks for reindex requests (≤ 5)
    retention_days: float = Field(default=90.0, gt=0)  # chat records kept (the worker prunes)

    log_level: str = "INFO"

    @field_validator(
        "sources",
        "confluence_spaces",
        "confluence_public_groups",
        "drive_folder_ids",
        "drive_shared_drive_ids",
        "drive_public_domains",
        "admin_users",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        """A DATABASE_URL SQLAlchemy cannot parse, or of a database it has no dialect for,
        is a configuration error at start-up, not a traceback when the state opens."""
        if not value or not value.strip():
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            url = make_url(value)
        except ArgumentError:
            raise PydanticCustomError("database_url", messages.CONFIG_DATABASE_URL) from None
        try:
            url.get_dialect()
        except NoSuchModuleError:
            raise PydanticCustomError(
                "database_url",
                messages.CONFIG_DATABASE_URL_DIALECT.format(scheme=url.drivername),
            ) from None
        return value

    @field_validator("weaviate_url")
    @classmethod
    def _weaviate_url(cls, value: str | None) -> str | None:
        """A WEAVIATE_URL that cannot be connected to is a configuration error at
        start-up (one line naming the key), not a traceback on first use."""
        if not value or not value.strip():
            return None
        from connectors.weaviate_client import parse_endpoint  # only with Weaviate

        try:
            parse_endpoint(value)
        except ValueError:
            raise PydanticCustomError(
                "weaviate_url", messages.CONFIG_WEAVIATE_URL.format(value=value)
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        """One of Python's logging levels, in any case: a typo (`LOG_LEVEL=loud`) is a
        configuration error at start-up, not silently INFO."""
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise PydanticCustomError(
                "log_level",
                messages.CONFIG_LOG_LEVEL.format(value=value, levels=", ".join(LOG_LEVELS)),
            )
        return level

    @field_validator("weaviate_api_key")
    @classmethod
    def _weaviate_cloud_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        url = info.data.get("weaviate_url")
        if url and not (value and value.get_secret_value()):
            from connectors.weaviate_client import parse_endpoint

            if parse_endpoint(url).cloud:
                raise PydanticCustomError(
                    "weaviate_api_key", messages.CONFIG_WEAVIATE_CLOUD_KEY.format(url=url)
                )
        return value

    # --- derived --------------------------------------------------------------------
    @property
    def state_file(self) -> Path | None:
        """The SQLite state file in the data dir; None when DATABASE_URL is set."""
        if self.database_url:
            return None
        return (self.helpdesk_data_dir / "state.sqlite3").resolve()

    @property
    def state_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_file}"

    def files_settings(self) -> FilesSettings:
        return FilesSettings(path=self.files_path, base_url=self.files_base_url)

    def confluence_settings(self) -> ConfluenceSettings:
        token, pat = self.confluence_api_token, self.confluence_pat
        return ConfluenceSettings(
            url=self.confluence_url,
            email=self.confluence_email,
            api_token=token.get_secret_value() if token else None,
            pat=pat.get_secret_value() if pat else None,
            deployment=self.confluence_deployment,
            spaces=tuple(self.confluence_spaces),
            public_groups=tuple(self.confluence_public_groups),
            retry_budget_seconds=self.sync_retry_budget_seconds,
        )

    def drive_settings(self) -> DriveSettings:
        return DriveSettings(
            credentials_file=self.google_application_credentials,
            delegated_user=self.google_delegated_user,
            api_url=self.drive_api_url,
            folder_ids=tuple(self.drive_folder_ids),
            shared_drive_ids=tuple(self.drive_shared_drive_ids),
            public_domains=tuple(self.drive_public_domains),
            max_file_mb=self.drive_max_file_mb,
            acl_sweep_hours=self.drive_acl_sweep_hours,
            retry_budget_seconds=self.sync_retry_budget_seconds,
        )

    def index_settings(self) -> IndexSettings:
        key = self.weaviate_api_key
        return IndexSettings(
            data_dir=self.helpdesk_data_dir,
            weaviate_url=self.weaviate_url,
            weaviate_api_key=key.get_secret_value() if key else None,
            collection=self.weaviate_collection,
            sources=tuple(configured_sources(self)),
        )

    def worker_settings(self) -> WorkerSettings:
        return WorkerSettings(
            lease_seconds=self.worker_lease_seconds,
            poll_seconds=self.worker_poll_seconds,
            retention_days=self.retention_days,
            interval_minutes={
                "confluence": self.sync_interval_minutes_confluence,
                "drive": self.sync_interval_minutes_drive,
                "files": self.sync_interval_minutes_files,
            },
        )


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; callers pass the object down."""
    return Settings(**overrides)  # type: ignore[arg-type]
