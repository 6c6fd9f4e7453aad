"""The local ONNX embedder: what a question or a passage means must not depend on what
else was embedded with it (length grouping pads each group only to its own longest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from connectors import onnx_model
from connectors.embedder import OnnxEmbedding, length_groups

TEXTS = [
    "VPN",
    "How do I reset my password?",
    "| Years of service | Vacation days |\n|---|---|\n| 0-2 | 20 |\n| 3-5 | 23 |\n| 6+ | 27 |",
    "Open the Okta dashboard, choose Forgot password, and follow the link we email you "
    "within five minutes; if it does not arrive, check your spam folder and then call the "
    "service desk on extension 4357, which is staffed from 8am to 6pm on weekdays.",
    "Expenses over 500 EUR need your manager's approval.",
    "",
]


def test_a_text_means_the_same_alone_and_in_any_batch(onnx_embedder: OnnxEmbedding) -> None:
    together = np.array(onnx_embedder.get_text_embedding_batch(TEXTS))
    reversed_ = np.array(onnx_embedder.get_text_embedding_batch(TEXTS[::-1]))[::-1]
    for i, text in enumerate(TEXTS):
        alone = np.array(onnx_embedder.get_text_embedding(text))
        assert np.allclose(together[i], alone, atol=1e-5), text
        assert np.allclose(reversed_[i], alone, atol=1e-5), text
    # and it still tells meanings apart: the password question is nearest its answer
    question = together[1]
    assert int(np.argmax(together[2:] @ question)) + 2 == 3


def test_groups_keep_similar_lengths_together_and_cover_every_text() -> None:
    lengths = [5, 128, 6, 7, 120, 30, 5, 33]
    groups = length_groups(lengths, most=64)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        sizes = [lengths[i] for i in group]
        assert max(sizes) <= 1.2 * min(sizes) + 4
    assert [sorted(lengths[i] for i in g) for g in groups] == [[5, 5, 6, 7], [30, 33], [120, 128]]
    assert all(len(g) <= 2 for g in length_groups([5] * 7, most=2))


def test_a_preloaded_model_is_handed_over_once_and_means_the_same() -> None:
    onnx_model.preload(None)
    preloaded = OnnxEmbedding()  # takes the background load
    fresh = OnnxEmbedding()  # nothing pending any more: loads its own
    assert preloaded._session is not fresh._session
    text = "How do I reset my password?"
    assert np.allclose(preloaded.get_text_embedding(text), fresh.get_text_embedding(text))


def test_a_background_load_that_fails_fails_where_the_model_is_needed(tmp_path: Path) -> None:
    missing = tmp_path / "no-model"
    onnx_model.preload(missing)
    with pytest.raises(FileNotFoundError, match="no-model"):
        OnnxEmbedding(model_dir=missing)
