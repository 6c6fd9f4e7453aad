"""Source name -> connector. The CLI, the worker and the admin commands use this.

`config` is the application's settings object (duck-typed: connectors never import
`bot/`). A source is configured when its required settings are present; `SOURCES`
(a comma-separated list) restricts the set explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import Connector
from connectors.state import StateStore

Builder = Callable[[Any, StateStore], Connector]
IsConfigured = Callable[[Any], bool]


def _files(config: Any, state: StateStore) -> Connector:
    from connectors.files import FilesConnector

    return FilesConnector(config.files_path, base_url=getattr(config, "files_base_url", None))


def _files_configured(config: Any) -> bool:
    return config.files_path is not None and config.files_path.is_dir()


def _confluence(config: Any, state: StateStore) -> Connector:
    from connectors.confluence import build_confluence_connector

    return build_confluence_connector(config, state)


def _drive(config: Any, state: StateStore) -> Connector:
    from connectors.drive import build_drive_connector

    return build_drive_connector(config, state)


SOURCES: dict[str, tuple[Builder, IsConfigured]] = {
    "files": (_files, _files_configured),
    "confluence": (_confluence, lambda c: bool(c.confluence_url)),
    "drive": (_drive, lambda c: bool(c.google_application_credentials or c.drive_api_url)),
}


def known_sources() -> list[str]:
    return list(SOURCES)


def configured_sources(config: Any) -> list[str]:
    explicit = [s for s in getattr(config, "sources", []) if s]
    if explicit:
        return [s for s in explicit if s in SOURCES]
    return [name for name, (_, ok) in SOURCES.items() if ok(config)]


def build_connector(name: str, config: Any, state: StateStore) -> Connector:
    if name not in SOURCES:
        raise KeyError(name)
    builder, _ = SOURCES[name]
    return builder(config, state)
