"""Calibrate the relevance gate on the labelled dev answer set (`bot/answering/relevance.py`).

    python -m bot.answering.gate_calibration

Syncs samples/ into a scratch index, retrieves every single-turn English question of the
dev set in the public scope (as `helpdesk eval --answers` asks them), measures the
gate's Evidence, splits the cases in two halves — alternating cases of each label
(answerable / not found), in file order — fits a class-balanced logistic regression on
the first half and prints the weights and how both halves are decided. The constants in
relevance.py are this fit, rounded.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.answering.dev_eval import SAMPLES, Case, load_cases
from bot.answering.relevance import Evidence
from bot.models import PermissionScope
from bot.settings import Settings

L2 = 0.003


def gate_cases(cases: Sequence[Case]) -> list[Case]:
    """The single-turn English questions asked in a channel: answerable or not found."""
    return [
        c
        for c in cases
        if not (c.history or c.lang or c.as_user or c.forbidden) and (c.facts or c.not_found)
    ]


def split(cases: Sequence[Case]) -> tuple[list[Case], list[Case]]:
    """Alternating cases of each label: (fitting half, held-out half)."""
    answerable = [c for c in cases if not c.not_found]
    unanswerable = [c for c in cases if c.not_found]
    return answerable[0::2] + unanswerable[0::2], answerable[1::2] + unanswerable[1::2]


def features(found: Evidence) -> list[float]:
    return [found.similarity or 0.0, found.found, found.meaning]


def fit(rows: Sequence[tuple[Case, Evidence]], l2: float = L2) -> np.ndarray[Any, Any]:
    """[bias, w_similarity, w_found, w_meaning] of a class-balanced, L2-regularised logistic fit."""
    x = np.array([[1.0, *features(e)] for _, e in rows])
    y = np.array([0.0 if c.not_found else 1.0 for c, _ in rows])
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w = np.zeros(x.shape[1])
    for _ in range(50_000):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= 2.0 * (x.T @ ((p - y) * weight) / len(y) + l2 * np.r_[0.0, w[1:]])
    return w


def report(name: str, rows: Sequence[tuple[Case, Evidence]], w: np.ndarray[Any, Any]) -> str:
    passed = [c for c, e in rows if not c.not_found and w @ [1.0, *features(e)] >= 0]
    refused = [c for c, e in rows if c.not_found and w @ [1.0, *features(e)] < 0]
    answerable = [c for c, _ in rows if not c.not_found]
    unanswerable = [c for c, _ in rows if c.not_found]
    wrong = [c.id for c, _ in rows if c not in passed and c not in refused]
    return (
        f"{name}: answerable passed {len(passed)}/{len(answerable)}, "
        f"not found refused {len(refused)}/{len(unanswerable)}; wrong: {', '.join(wrong)}"
    )


def measure(cases: Sequence[Case], corpus: Path = SAMPLES) -> list[tuple[Case, Evidence]]:
    from bot.services import build_services
    from connectors.files import FilesConnector

    with tempfile.TemporaryDirectory(prefix="helpdesk-gate-") as tmp:
        settings = Settings(_env_file=None).model_copy(
            update={
                "helpdesk_data_dir": Path(tmp),
                "files_path": corpus,
                "database_url": None,
                "weaviate_url": None,
            }
        )
        services = build_services(settings)
        try:
            services.sync_engine().run(FilesConnector(corpus))
            engine = services.engine
            scope = PermissionScope.public_only()

            async def run() -> list[tuple[Case, Evidence]]:
                out = []
                for case in cases:
                    passages = await engine.retrieve(case.question, scope)
                    weighed = await engine.weigh(case.question, passages, scope)
                    out.append((case, weighed.evidence))
                return out

            return asyncio.run(run())
        finally:
            services.state.dispose()


def main() -> None:
    rows = measure(gate_cases(load_cases()))
    by_id = {c.id: (c, e) for c, e in rows}
    fitting, held_out = split([c for c, _ in rows])
    w = fit([by_id[c.id] for c in fitting])
    print(
        f"bias {w[0]:.2f}  w_similarity {w[1]:.2f}  w_found {w[2]:.2f}  "
        f"w_meaning {w[3]:.2f}  (L2 {L2})"
    )
    print(report("fitting half ", [by_id[c.id] for c in fitting], w))
    print(report("held-out half", [by_id[c.id] for c in held_out], w))


if __name__ == "__main__":
    main()
