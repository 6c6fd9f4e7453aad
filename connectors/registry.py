"""Source name -> connector. The composition root (bot/services.py) hands the worker and
`helpdesk sync` one factory per configured source (`connector_factories`).

`config` is the application's settings object, seen through `SourceConfig` (connectors
never import `bot/`): it hands each connector its own typed settings
(connectors/source_settings.py). A source is configured when its required settings are
present; `SOURCES` (a comma-separated list) restricts the set explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from connectors.base import Connector
from connectors.source_settings import ConfluenceSettings, DriveSettings, FilesSettings


class SourceConfig(Protocol):
    @property
    def sources(self) -> list[str]: ...

    def files_settings(self) -> FilesSettings: ...

    def drive_settings(self) -> DriveSettings: ...

    def confluence_settings(self) -> ConfluenceSettings: ...


Builder = Callable[[SourceConfig], Connector]
IsConfigured = Callable[[SourceConfig], bool]


def _files(config: SourceConfig) -> Connector:
    from connectors.files import FilesConnector

    files = config.files_settings()
    return FilesConnector(files.path, base_url=files.base_url)


def _confluence(config: SourceConfig) -> Connector:
    from connectors.confluence import build_confluence_connector

    return build_confluence_connector(config.confluence_settings())


def _drive(config: SourceConfig) -> Connector:
    from connectors.drive import build_drive_connector

    return build_drive_connector(config.drive_settings())


SOURCES: dict[str, tuple[Builder, IsConfigured]] = {
    "files": (_files, lambda c: c.files_settings().configured),
    "confluence": (_confluence, lambda c: c.confluence_settings().configured),
    "drive": (_drive, lambda c: c.drive_settings().configured),
}


def known_sources() -> list[str]:
    return list(SOURCES)


def configured_sources(config: SourceConfig) -> list[str]:
    explicit = [s for s in config.sources if s]
    if explicit:
        return [s for s in explicit if s in SOURCES]
    return [name for name, (_, ok) in SOURCES.items() if ok(config)]


def build_connector(name: str, config: SourceConfig) -> Connector:
    if name not in SOURCES:
        raise KeyError(name)
    builder, _ = SOURCES[name]
    return builder(config)


def connector_factories(
    config: SourceConfig, names: list[str] | None = None
) -> dict[str, Callable[[], Connector]]:
    """One factory per source (`names`, default: the configured ones): a connector is
    built when its run starts, so a source that cannot be built fails that run only."""

    def factory(name: str) -> Callable[[], Connector]:
        return lambda: build_connector(name, config)

    return {
        name: factory(name) for name in (configured_sources(config) if names is None else names)
    }
