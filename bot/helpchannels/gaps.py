"""The knowledge-gap report: the questions of a period that got no grounded answer,
were escalated, or got a 👎, grouped by meaning, largest group first — what the docs
team reads each week.

Input is a plain list of `AskedQuestion` records (see `gap_records.py` for reading
them from the state store), so where the chat store lives is not this module's concern.

Privacy, by construction:
- asker ids and names never appear: groups carry counts, wordings and channel ids; a
  wording has the asker's own name, @mentions and email addresses blanked;
- a question asked in a DM (or anywhere not known to be a channel) is left out unless
  `include_dms` is set — only for a report delivered to an admin's own DM — and even
  then its conversation id is shown as "DM", never the id;
- `best_source` is only ever a public document.

Grouping: each question's embedding (the project's embedder) joins the group whose
centroid is most similar if the cosine is at least `threshold`, else starts a group.
The bundled MiniLM is an English model: paraphrases in one language group well,
the same question in two languages usually does not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding

from bot import messages
from bot.formatting import PLAIN, TextStyle

DEFAULT_THRESHOLD = 0.6
MAX_EXAMPLES = 3

_MENTION = re.compile(r"<[@!][^>]*>")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class SourceRef:
    title: str
    url: str
    public: bool


@dataclass(frozen=True)
class AskedQuestion:
    question: str
    channel_id: str
    is_dm: bool
    asker_id: str
    asked_at: datetime
    grounded: bool
    escalated: bool = False
    feedback: int | None = None  # +1 / -1 / None
    best_source: SourceRef | None = None
    asker_name: str | None = None  # only to blank it out of the wording

    @property
    def is_gap(self) -> bool:
        return not self.grounded or self.escalated or (self.feedback or 0) < 0


@dataclass
class GapGroup:
    count: int  # distinct askers
    examples: list[str]
    channels: list[str]
    best_source: dict[str, str] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "examples": self.examples,
            "channels": self.channels,
            "best_source": self.best_source,
        }


@dataclass
class GapReport:
    days: int
    groups: list[GapGroup] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"days": self.days, "groups": [g.as_json() for g in self.groups]}


def scrub(text: str, asker_name: str | None) -> str:
    """The wording without the asker's name, @mentions or email addresses."""
    out = _MENTION.sub("@someone", text)
    out = _EMAIL.sub("[email]", out)
    if asker_name:
        names = {asker_name.strip(), *asker_name.split()}
        for name in sorted((n for n in names if len(n) >= 2), key=len, reverse=True):
            out = re.sub(rf"\b{re.escape(name)}\b", "…", out, flags=re.I)
    return " ".join(out.split())


def _unit(vectors: Sequence[Sequence[float]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    arr = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: np.ndarray[Any, np.dtype[np.float64]] = arr / norms
    return unit


def _cluster(vectors: np.ndarray[Any, np.dtype[np.float64]], threshold: float) -> list[list[int]]:
    groups: list[list[int]] = []
    sums: list[np.ndarray[Any, np.dtype[np.float64]]] = []
    for i, vec in enumerate(vectors):
        best, best_sim = -1, threshold
        for g, total in enumerate(sums):
            centroid = total / (np.linalg.norm(total) or 1.0)
            sim = float(vec @ centroid)
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            groups.append([i])
            sums.append(vec.copy())
        else:
            groups[best].append(i)
            sums[best] = sums[best] + vec
    return groups


def _group(records: Sequence[AskedQuestion]) -> GapGroup:
    wordings: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for r in records:
        text = scrub(r.question, r.asker_name)
        if not text:
            continue
        key = text.lower().rstrip("?!. ")
        wordings[key] += 1
        shown.setdefault(key, text)
    examples = [shown[k] for k, _ in wordings.most_common(MAX_EXAMPLES)]
    channels = list(
        dict.fromkeys(messages.GAPS_DM_LABEL if r.is_dm else r.channel_id for r in records)
    )
    public = Counter(
        (r.best_source.title, r.best_source.url)
        for r in records
        if r.best_source is not None and r.best_source.public
    )
    best = None
    if public:
        (title, url), _ = public.most_common(1)[0]
        best = {"title": title, "url": url}
    return GapGroup(len({r.asker_id for r in records}), examples, channels, best)


def gap_report(
    records: Iterable[AskedQuestion],
    embedder: BaseEmbedding,
    days: int,
    now: datetime,
    *,
    include_dms: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
) -> GapReport:
    since = now - timedelta(days=days)
    gaps = [
        r
        for r in records
        if r.is_gap and r.asked_at >= since and r.question.strip() and (include_dms or not r.is_dm)
    ]
    if not gaps:
        return GapReport(days)
    vectors = _unit(embedder.get_text_embedding_batch([r.question for r in gaps]))
    groups = [_group([gaps[i] for i in members]) for members in _cluster(vectors, threshold)]
    groups.sort(key=lambda g: (-g.count, -len(g.examples)))
    return GapReport(days, groups)


def render_gaps(report: GapReport, style: TextStyle = PLAIN) -> str:
    """The report as text; `style`: the chat surface's way of showing the questions,
    channel names and page titles (text people and documents wrote) and the links."""
    esc = style.escape
    if not report.groups:
        return messages.GAPS_NONE.format(days=report.days)
    lines = [messages.GAPS_HEADER.format(days=report.days, groups=len(report.groups))]
    for n, group in enumerate(report.groups, 1):
        lines.append(
            messages.GAPS_GROUP.format(
                n=n,
                count=group.count,
                people=messages.GAPS_PERSON if group.count == 1 else messages.GAPS_PEOPLE,
                channels=esc(", ".join(group.channels)) or "-",
            )
        )
        lines += [messages.GAPS_EXAMPLE.format(text=esc(e)) for e in group.examples]
        best = group.best_source
        if best and style.link is not None:
            link = style.link(best["url"], best["title"])
            lines.append(messages.GAPS_BEST_SOURCE_LINK.format(link=link))
        elif best:
            title = esc(best["title"])
            lines.append(messages.GAPS_BEST_SOURCE.format(title=title, url=best["url"]))
    return "\n".join(lines)
