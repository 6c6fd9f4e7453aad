"""`helpdesk eval --answers`: answer quality on a labelled dev set over samples/.

Each case is a chat message (optionally after earlier messages of the same chat, which
are asked first) with what a right answer must show: the required fact (one of a few
alternatives, case-insensitive, markdown emphasis ignored), the page it must cite, or
"not found"; restricted cases also list facts that must never appear in the answer.
A case passes when every check that applies to it passes. Runs the real pipeline
(chunker, embedder, index, engine) on a scratch index of the corpus folder.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import messages
from bot.models import Answer, Asker, Question, Surface, Turn
from bot.settings import Settings

DEV_SET = Path(__file__).resolve().parents[1] / "eval_data" / "answers-dev.yaml"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
_EMPHASIS = re.compile(r"[*_`]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    question: str
    facts: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    not_found: bool = False
    history: tuple[str, ...] = ()
    as_user: str | None = None
    forbidden: tuple[str, ...] = ()
    lang: str | None = None


@dataclass
class Outcome:
    case: Case
    answer: Answer
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


def _tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def load_cases(path: Path = DEV_SET) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = raw["cases"] if isinstance(raw, dict) else raw
    return [
        Case(
            id=str(r["id"]),
            category=str(r.get("category", "fact")),
            question=str(r["question"]),
            facts=_tuple(r.get("fact")),
            pages=_tuple(r.get("page")),
            not_found=bool(r.get("not_found", False)),
            history=_tuple(r.get("history")),
            as_user=r.get("as"),
            forbidden=_tuple(r.get("forbidden")),
            lang=r.get("lang"),
        )
        for r in rows
    ]


def normalize(text: str) -> str:
    return _SPACE.sub(" ", _EMPHASIS.sub("", text)).lower()


def judge(case: Case, answer: Answer, mode: str) -> dict[str, bool]:
    """The checks that apply to this case, each True when the answer passes it."""
    text = normalize(answer.text)
    cited = {c.doc_id.split(":", 1)[-1] for c in answer.citations}
    checks: dict[str, bool] = {}
    if case.forbidden:
        checks["no_restricted_fact"] = not any(normalize(f) in text for f in case.forbidden)
    if case.lang and mode == "extractive":
        checks["english_only_notice"] = messages.ENGLISH_ONLY_MARK in answer.text
        return checks
    if case.not_found:
        checks["not_found"] = not answer.grounded
    elif case.facts:
        checks["fact"] = answer.grounded and any(normalize(f) in text for f in case.facts)
        if case.pages:
            checks["page_cited"] = bool(cited & set(case.pages))
    return checks


async def _ask(engine: Any, case: Case) -> Answer:
    surface = Surface.DM if case.as_user else Surface.CHANNEL
    asker = Asker(platform="eval", user_id=case.as_user or "eval", email=case.as_user)
    insider = bool(case.as_user)  # the evaluator asks as that user, like `ask --as`
    history: list[Turn] = []
    for earlier in case.history:
        q = Question(earlier, asker, f"eval-{case.id}", tuple(history), surface, insider)
        previous = await engine.answer(q)
        history += [Turn("user", earlier), Turn("assistant", previous.text)]
    question = Question(case.question, asker, f"eval-{case.id}", tuple(history), surface, insider)
    answer: Answer = await engine.answer(question)
    return answer


def run_answer_eval(
    settings: Settings,
    cases: Sequence[Case],
    corpus: Path = SAMPLES,
    *,
    claude: bool = False,
    embedder: Any = None,
) -> list[Outcome]:
    """Sync `corpus` into a scratch index and answer every case (extractive unless
    `claude` and a key is configured)."""
    from bot.services import build_services
    from connectors.files import FilesConnector

    with tempfile.TemporaryDirectory(prefix="helpdesk-answers-") as tmp:
        # a scratch index and state: never the configured database or Weaviate
        update: dict[str, Any] = {
            "helpdesk_data_dir": Path(tmp),
            "files_path": corpus,
            "database_url": None,
            "weaviate_url": None,
            "sources": ["files"],  # the corpus is answered from whatever SOURCES says
        }
        if not claude:
            update["anthropic_api_key"] = None
        scratch = settings.model_copy(update=update)
        services = build_services(scratch, embedder=embedder)
        try:
            run = services.sync_engine().run(FilesConnector(corpus))
            if run.status != "succeeded":
                raise RuntimeError(f"sync of {corpus} failed: {run.status}")
            engine = services.engine

            async def all_cases() -> list[Outcome]:
                out = []
                for case in cases:
                    answer = await _ask(engine, case)
                    out.append(Outcome(case, answer, judge(case, answer, engine.mode)))
                return out

            return asyncio.run(all_cases())
        finally:
            services.state.dispose()


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Pass rates overall, per category and per check."""
    by_cat: dict[str, list[bool]] = {}
    by_check: dict[str, list[bool]] = {}
    for o in outcomes:
        by_cat.setdefault(o.case.category, []).append(o.passed)
        for name, ok in o.checks.items():
            by_check.setdefault(name, []).append(ok)

    def rate(values: list[bool]) -> dict[str, Any]:
        return {"passed": sum(values), "total": len(values), "rate": sum(values) / len(values)}

    return {
        "overall": rate([o.passed for o in outcomes]) if outcomes else rate([False]),
        "categories": {k: rate(v) for k, v in sorted(by_cat.items())},
        "checks": {k: rate(v) for k, v in sorted(by_check.items())},
        "failed": [o.case.id for o in outcomes if not o.passed],
    }


def render_summary(summary: dict[str, Any], mode: str) -> str:
    o = summary["overall"]
    lines = [
        f"answer quality ({mode} mode): {o['passed']}/{o['total']} cases pass = {o['rate']:.1%}",
        f"{'category':<14} {'pass':>9} {'rate':>7}",
    ]
    for name, r in summary["categories"].items():
        lines.append(f"{name:<14} {r['passed']:>4}/{r['total']:<4} {r['rate']:>7.1%}")
    lines.append(f"{'check':<20} {'pass':>9} {'rate':>7}")
    for name, r in summary["checks"].items():
        lines.append(f"{name:<20} {r['passed']:>4}/{r['total']:<4} {r['rate']:>7.1%}")
    if summary["failed"]:
        lines.append("failed: " + ", ".join(summary["failed"]))
    return "\n".join(lines)
