"""Retrieval quality on ../shared/eval/samsung-emanual-qa (skipped when it is absent):
hybrid nDCG@10 must be at least both keyword-only and vector-only, measured in this run.

    python -m bench.bench_eval
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.evaluation import render_eval, run_eval
from bot.settings import Settings

DATASET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "samsung-emanual-qa"


def main() -> None:
    print("== retrieval quality (helpdesk eval) ==")
    if not (DATASET / "corpus.jsonl").is_file():
        print(f"skipped: {DATASET} is not here (it ships beside the repo, not in it)")
        return
    report = run_eval(Settings(_env_file=None), DATASET, k=10)
    print(render_eval(report))
    hybrid = report["hybrid"]["ndcg@10"]
    others = max(report["keyword"]["ndcg@10"], report["vector"]["ndcg@10"])
    verdict = "meets" if hybrid >= others else "MISSES"
    print(
        f"hybrid nDCG@10 {hybrid:.3f} vs best single retriever {others:.3f}: {verdict} the target"
    )


if __name__ == "__main__":
    main()
