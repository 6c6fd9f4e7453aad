"""The sync side's own typed settings: where the index lives and how the worker runs.

The application's settings build them (`bot.settings.Settings.index_settings()`,
`.worker_settings()`), as they build each connector's (connectors/source_settings.py);
nothing in `connectors/` reads the application's settings object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_INTERVAL_MINUTES = 10.0


@dataclass(frozen=True)
class IndexSettings:
    data_dir: Path  # the embedded store keeps its files under `data_dir / "index"`
    weaviate_url: str | None = None  # set: Weaviate instead of the embedded store
    weaviate_api_key: str | None = None
    collection: str = "HelpdeskChunks"
    # the sources answered from (the configured ones); chunks of any other are hidden
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkerSettings:
    lease_seconds: float = 60.0  # a dead worker's source lease expires after this
    poll_seconds: float = 2.0  # how often reindex requests are polled (at most 5 s)
    retention_days: float = 90.0  # chat records kept (the worker prunes)
    interval_minutes: Mapping[str, float] = field(default_factory=dict)  # per source

    def interval(self, source: str) -> float:
        """Minutes between two scheduled syncs of `source`."""
        return float(self.interval_minutes.get(source, DEFAULT_INTERVAL_MINUTES))
