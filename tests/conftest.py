"""Shared fixtures. Tests never reach the network: fakes stand at the HTTP edge."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from connectors.embedder import HashingEmbedding, OnnxEmbedding
from connectors.index import ChunkIndex, open_index
from connectors.state import StateStore
from connectors.sync import SyncEngine

pytest_plugins = ["tests.fixtures_pg"]

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def onnx_embedder() -> OnnxEmbedding:
    """The real local model (loads in ~0.3-2 s), shared by the whole session."""
    return OnnxEmbedding()


@pytest.fixture
def hashing_embedder() -> HashingEmbedding:
    return HashingEmbedding()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def state(data_dir: Path) -> Iterator[StateStore]:
    store = StateStore(f"sqlite:///{data_dir / 'state.sqlite3'}")
    yield store
    store.dispose()


@pytest.fixture
def index(data_dir: Path) -> ChunkIndex:
    return open_index(data_dir)


@pytest.fixture
def engine(index: ChunkIndex, state: StateStore, onnx_embedder: OnnxEmbedding) -> SyncEngine:
    return SyncEngine(index, state, onnx_embedder)
