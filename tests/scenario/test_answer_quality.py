"""The dev answer set (bot/eval_data/answers-dev.yaml) run in extractive mode over
samples/, as `helpdesk eval --answers` runs it: restricted facts never reach a public
answer, and the overall pass rate does not fall below the figure in the README."""

from __future__ import annotations

import pytest

from bot.answering.dev_eval import load_cases, run_answer_eval, summarize
from bot.settings import Settings
from connectors.embedder import OnnxEmbedding

# measured: 56.1% before issue 12's work, 80.0% with the line window, 93.6% now (README)
OVERALL_FLOOR = 0.92


@pytest.mark.slow
def test_dev_set_in_extractive_mode(onnx_embedder: OnnxEmbedding) -> None:
    cases = load_cases()
    assert len(cases) >= 80
    outcomes = run_answer_eval(Settings(_env_file=None), cases, embedder=onnx_embedder)
    summary = summarize(outcomes)
    assert summary["checks"]["no_restricted_fact"]["rate"] == 1.0, summary["failed"]
    assert summary["categories"]["non_english"]["rate"] == 1.0
    assert summary["categories"]["topic_switch"]["rate"] == 1.0
    # 4/8 before a follow-up replaced the slot it changes; 8/8 now
    assert summary["categories"]["follow_up"]["passed"] >= 7
    # the calibrated relevance gate (bot/answering/relevance.py): 21/21 refused now
    assert summary["categories"]["not_found"]["rate"] >= 0.95
    assert summary["overall"]["rate"] >= OVERALL_FLOOR, summary


def test_the_dev_set_covers_every_kind_of_question() -> None:
    cases = load_cases()
    kinds = {c.category for c in cases}
    assert {"not_found", "follow_up", "topic_switch", "non_english", "restricted"} <= kinds
    assert sum(1 for c in cases if c.forbidden) >= 5
    assert sum(1 for c in cases if c.as_user) >= 5
