"""The help-channel question detector (issue 14): precision and recall on the labelled
channel messages in `bench/data/channel_messages.jsonl`, and the time it adds to every
channel message (p50/p99, non-questions separately: those are most of the traffic).

    python -m bench.bench_question_detector [--quick]

Targets: precision >= 0.95 on the whole set; p99 per non-question < 0.1 ms (the issue
asks for "far under a millisecond").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.helpchannels.detector import detect

DATA = Path(__file__).resolve().parent / "data" / "channel_messages.jsonl"
PRECISION_TARGET = 0.95
NON_QUESTION_P99_TARGET_MS = 0.1


@dataclass(frozen=True)
class Labelled:
    text: str
    question: bool
    lang: str
    kind: str
    split: str


def load(path: Path = DATA) -> list[Labelled]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(Labelled(r["text"], bool(r["question"]), r["lang"], r["kind"], r["split"]))
    return rows


def scores(rows: list[Labelled]) -> tuple[float, float, int, int, int]:
    tp = fp = fn = 0
    for row in rows:
        said = detect(row.text).is_question
        tp += said and row.question
        fp += said and not row.question
        fn += (not said) and row.question
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def timings_ms(rows: list[Labelled], repeats: int) -> list[float]:
    out = []
    for row in rows:
        for _ in range(repeats):
            t0 = time.perf_counter_ns()
            detect(row.text)
            out.append((time.perf_counter_ns() - t0) / 1e6)
    return out


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args, _ = parser.parse_known_args()
    rows = load()
    print(
        f"labelled messages: {len(rows)} ({sum(r.question for r in rows)} questions; "
        f"languages {', '.join(sorted({r.lang for r in rows}))})"
    )
    groups = {"all": rows} | {
        f"split={s}": [r for r in rows if r.split == s] for s in sorted({r.split for r in rows})
    }
    groups |= {f"lang={lang}": [r for r in rows if r.lang == lang] for lang in ("en", "nl", "de")}
    for name, part in groups.items():
        p, r, tp, fp, fn = scores(part)
        print(
            f"{name:13} n={len(part):3}  precision {p:.3f}  recall {r:.3f}  "
            f"(tp {tp}, fp {fp}, fn {fn})"
        )
    for row in rows:
        said = detect(row.text)
        if said.is_question != row.question:
            kind = "false positive" if said.is_question else "missed"
            print(f"  {kind}: {row.text[:70]!r} ({row.kind}, {said.reason})")
    repeats = 20 if args.quick else 200
    every = timings_ms(rows, repeats)
    non_q = timings_ms([r for r in rows if not r.question], repeats)
    print(
        f"time per message, all:           p50 {pct(every, 50) * 1000:.1f} µs, "
        f"p99 {pct(every, 99) * 1000:.1f} µs"
    )
    print(
        f"time per message, non-questions: p50 {pct(non_q, 50) * 1000:.1f} µs, "
        f"p99 {pct(non_q, 99) * 1000:.1f} µs"
    )
    precision = scores(rows)[0]
    ok = precision >= PRECISION_TARGET and pct(non_q, 99) < NON_QUESTION_P99_TARGET_MS
    print(
        f"targets: precision >= {PRECISION_TARGET} and non-question p99 < "
        f"{NON_QUESTION_P99_TARGET_MS * 1000:.0f} µs: {'met' if ok else 'MISSED'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
