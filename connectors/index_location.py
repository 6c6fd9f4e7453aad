"""Where the embedded index lives, and whether one was ever written: answered without
importing the index code (the CLI asks before its heavy imports)."""

from __future__ import annotations

from pathlib import Path


def embedded_index_dir(data_dir: Path) -> Path:
    """Where the embedded store keeps its files."""
    return data_dir / "index"


def embedded_index_missing(data_dir: Path, weaviate_url: str | None) -> bool:
    """True for a fresh embedded install (no index written yet); never for Weaviate."""
    return not weaviate_url and not embedded_index_dir(data_dir).exists()
