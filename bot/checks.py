"""Start-up configuration checks: each names the setting and the fix (`ConfigError`).

They only look (stat, access); none of them writes anything, so a command that fails a
check leaves no data folder, state file or index behind. The CLI turns a `ConfigError`
into one line on stderr and exit status 2 (no traceback).
"""

from __future__ import annotations

import os
from pathlib import Path

from bot import messages
from bot.errors import ConfigError
from bot.settings import Settings
from connectors.registry import known_sources

EMBEDDERS = ("onnx", "hashing")
TEAMS_APP_TYPES = {"singletenant": "SingleTenant", "multitenant": "MultiTenant"}
TEAMS_APP_TYPES["userassignedmsi"] = "UserAssignedMSI"


def check_data_dir(settings: Settings) -> None:
    """HELPDESK_DATA_DIR must be a folder we may write, or creatable as one."""
    if settings.database_url and settings.weaviate_url:
        return  # neither the state nor the index lives there
    path = settings.helpdesk_data_dir
    shown = str(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(messages.CONFIG_DATA_DIR_NOT_A_FOLDER.format(path=shown))
    existing = path
    while not existing.exists():
        parent = existing.parent
        if parent == existing:
            break
        existing = parent
    if existing.exists() and not existing.is_dir():
        raise ConfigError(
            messages.CONFIG_DATA_DIR_BLOCKED.format(path=shown, blocker=str(existing))
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            messages.CONFIG_DATA_DIR_NOT_WRITABLE.format(path=shown, blocker=str(existing))
        )


def check_embedder(settings: Settings) -> None:
    if settings.embedder not in EMBEDDERS:
        raise ConfigError(messages.CONFIG_EMBEDDER.format(value=settings.embedder))
    model_dir = settings.embedding_model_dir
    if settings.embedder == "onnx" and model_dir is not None:
        missing = [n for n in ("model.onnx", "tokenizer.json") if not (model_dir / n).is_file()]
        if missing:
            raise ConfigError(
                messages.CONFIG_EMBEDDING_MODEL_DIR.format(
                    path=str(model_dir), missing=" and ".join(missing)
                )
            )


def check_source_names(settings: Settings) -> None:
    """Every name in SOURCES is a source we know."""
    unknown = [s for s in settings.sources if s not in known_sources()]
    if unknown:
        raise ConfigError(
            messages.CONFIG_UNKNOWN_SOURCES.format(
                names=", ".join(unknown),
                is_are=messages.CONFIG_NOT_A_SOURCE
                if len(unknown) == 1
                else messages.CONFIG_NOT_SOURCES,
                known=", ".join(known_sources()),
            )
        )


def _files_path_problem(path: Path) -> str | None:
    shown = str(path)
    if not path.exists():
        return messages.CONFIG_FILES_PATH_MISSING.format(path=shown, cwd=str(Path.cwd()))
    if not path.is_dir():
        return messages.CONFIG_FILES_PATH_NOT_A_FOLDER.format(path=shown)
    return None


def check_sources(settings: Settings) -> None:
    """Before a sync: what the user asked for (SOURCES, an explicit FILES_PATH) can run."""
    check_source_names(settings)
    files_explicit = "files_path" in settings.model_fields_set or "files" in settings.sources
    if settings.files_path is not None and files_explicit:
        problem = _files_path_problem(settings.files_path)
        if problem:
            raise ConfigError(problem)
    if "files" in settings.sources and settings.files_path is None:
        raise ConfigError(
            messages.CONFIG_SOURCE_INCOMPLETE.format(
                source="files", hint=messages.CONFIG_HINT_FILES
            )
        )
    if "confluence" in settings.sources and not settings.confluence_url:
        raise ConfigError(
            messages.CONFIG_SOURCE_INCOMPLETE.format(
                source="confluence", hint=messages.CONFIG_HINT_CONFLUENCE
            )
        )
    if "drive" in settings.sources and not (
        settings.google_application_credentials or settings.drive_api_url
    ):
        raise ConfigError(
            messages.CONFIG_SOURCE_INCOMPLETE.format(
                source="drive", hint=messages.CONFIG_HINT_DRIVE
            )
        )


def check_teams(settings: Settings) -> None:
    """With MicrosoftAppId set, the credentials botbuilder needs for MicrosoftAppType."""
    if not settings.microsoft_app_id:
        return
    app_type = TEAMS_APP_TYPES.get(settings.microsoft_app_type.lower())
    if app_type is None:
        raise ConfigError(messages.CONFIG_TEAMS_APP_TYPE.format(value=settings.microsoft_app_type))
    password = settings.microsoft_app_password
    if app_type != "UserAssignedMSI" and not (password and password.get_secret_value()):
        raise ConfigError(
            messages.CONFIG_MISSING.format(
                key="MicrosoftAppPassword",
                fix=messages.CONFIG_TEAMS_CLIENT_FIX.format(app_type=app_type),
            )
        )
    if app_type != "MultiTenant" and not settings.microsoft_app_tenant_id:
        raise ConfigError(
            messages.CONFIG_MISSING.format(
                key="MicrosoftAppTenantId",
                fix=messages.CONFIG_TEAMS_TENANT_FIX.format(app_type=app_type),
            )
        )
