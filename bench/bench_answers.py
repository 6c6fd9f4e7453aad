"""Answer quality on the dev answer set (bot/eval_data/answers-dev.yaml) over samples/,
in extractive mode: the overall pass rate and the restricted cases (target: no
restricted fact in a public answer, ever).

    python -m bench.bench_answers
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.answering.dev_eval import load_cases, render_summary, run_answer_eval, summarize
from bot.settings import Settings

TARGET = 0.90


def main() -> None:
    print("== answer quality (helpdesk eval --answers) ==")
    summary = summarize(run_answer_eval(Settings(_env_file=None), load_cases()))
    print(render_summary(summary, "extractive"))
    overall = summary["overall"]["rate"]
    leaks = summary["checks"].get("no_restricted_fact", {"rate": 1.0})["rate"]
    print(
        f"overall {overall:.1%} vs target {TARGET:.0%}: "
        f"{'meets' if overall >= TARGET else 'MISSES'} the target; "
        f"no restricted fact in public answers: {leaks:.0%}"
    )


if __name__ == "__main__":
    main()
