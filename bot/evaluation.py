"""`helpdesk eval`: retrieval quality on a question-answering data set.

Indexes `corpus.jsonl` into a scratch embedded index (the real chunker, embedder and
store), then ranks documents for every query in `queries.jsonl` with the hybrid,
keyword-only and vector-only retrievers of that one index, and scores them against
`qrels.jsonl`: recall@k, MRR@10 and nDCG@10 (binary relevance).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from connectors.base import Acl, Discovered, SeenAll, SourceDocument, SyncItem, SyncRequest
from connectors.chunk_metadata import ChunkMetadata
from connectors.index import SearchMode

SOURCE = "eval"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class CorpusConnector:
    name = SOURCE

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        yield Discovered(total=len(self.rows))
        now = datetime.now(UTC)
        for row in self.rows:
            yield SourceDocument(
                source=SOURCE,
                doc_id=f"{SOURCE}:{row['id']}",
                title=str(row.get("title") or row["id"]),
                url=str(row.get("url") or ""),
                text=str(row.get("text") or ""),
                updated_at=now,
                acl=Acl.everyone(),
            )
        yield SeenAll()


def _scores(ranked: list[str], relevant: set[str], k: int) -> tuple[float, float, float]:
    recall = len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0
    rr = 0.0
    for i, doc in enumerate(ranked[:10]):
        if doc in relevant:
            rr = 1.0 / (i + 1)
            break
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return recall, rr, (dcg / ideal if ideal else 0.0)


def run_eval(
    settings: Settings, dataset: Path, k: int = 10, progress: bool = False
) -> dict[str, Any]:
    corpus = _jsonl(dataset / "corpus.jsonl")
    queries = _jsonl(dataset / "queries.jsonl")
    qrels: dict[str, set[str]] = {}
    for row in _jsonl(dataset / "qrels.jsonl"):
        qrels.setdefault(str(row["query_id"]), set()).add(f"{SOURCE}:{row['doc_id']}")
    queries = [q for q in queries if str(q["id"]) in qrels]
    from bot.services import build_services

    with tempfile.TemporaryDirectory(prefix="helpdesk-eval-") as tmp:
        # a scratch embedded index and SQLite state, whatever the configured ones are
        scratch = settings.model_copy(
            update={"helpdesk_data_dir": Path(tmp), "database_url": None, "weaviate_url": None}
        )
        services = build_services(scratch, answering=False)
        index, embedder = services.index, services.embedder
        index.sources = frozenset({SOURCE})  # the scratch index answers from its corpus
        services.sync_engine().run(CorpusConnector(corpus))
        depth = max(k, 10) * 4
        vectors = embedder.get_text_embedding_batch([str(q["question"]) for q in queries])
        report: dict[str, Any] = {"queries": len(queries), "k": k}
        for mode in (SearchMode.HYBRID, SearchMode.KEYWORD, SearchMode.VECTOR):
            totals = [0.0, 0.0, 0.0]
            for q, vector in zip(queries, vectors, strict=True):
                hits = index.search(str(q["question"]), vector, frozenset(), depth, mode)
                ranked: list[str] = []
                for hit in hits:
                    doc = ChunkMetadata.of(hit.node).doc_id
                    if doc not in ranked:
                        ranked.append(doc)
                for i, value in enumerate(_scores(ranked, qrels[str(q["id"])], k)):
                    totals[i] += value
            n = max(len(queries), 1)
            report[mode.value] = {
                f"recall@{k}": round(totals[0] / n, 4),
                "mrr@10": round(totals[1] / n, 4),
                "ndcg@10": round(totals[2] / n, 4),
            }
        services.close()
    return report


def render_eval(report: dict[str, Any]) -> str:
    k = report["k"]
    lines = [
        f"{report['queries']} queries, k={k}",
        f"{'retriever':<10} {'recall@' + str(k):>10} {'MRR@10':>8} {'nDCG@10':>8}",
    ]
    for mode in ("hybrid", "keyword", "vector"):
        m = report[mode]
        lines.append(
            f"{mode:<10} {m[f'recall@{k}']:>10.3f} {m['mrr@10']:>8.3f} {m['ndcg@10']:>8.3f}"
        )
    return "\n".join(lines)
