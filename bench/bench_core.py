"""Core loop benchmarks (issue 3). Every figure is printed; targets are compared as
ratios or absolute values measured in this one run (the machines are shared and noisy).

    python -m bench.bench_core [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from llama_index.core.schema import TextNode

from connectors.base import (
    Acl,
    Discovered,
    SeenAll,
    SourceDocument,
    SyncItem,
    SyncMode,
    SyncRequest,
)
from connectors.chunking import Chunker
from connectors.embedder import HashingEmbedding, OnnxEmbedding
from connectors.index import ChunkIndex, SearchMode, acl_readers, open_index
from connectors.state import StateStore
from connectors.sync import SyncEngine

REPO = Path(__file__).resolve().parents[1]
WORDS = (
    "leave expenses vpn laptop password reset onboarding security policy on-call benefits "
    "travel receipts approval manager payroll holiday contractor remote office wifi printer "
    "badge access incident phishing report deploy review pension insurance budget equipment "
    "account login token gateway client install update restart ticket request form deadline"
).split()
GROUPS = [f"group:bench:g{i}" for i in range(50)]


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def make_doc(i: int, rng: random.Random, sentences: int, acl: Acl | None = None) -> SourceDocument:
    return SourceDocument(
        source="bench",
        doc_id=f"bench:doc-{i}",
        title=f"Bench page {i}",
        url=f"https://wiki.example/bench/{i}",
        text=" ".join(sentence(rng) for _ in range(sentences)),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        acl=acl or Acl.everyone(),
        version="1",
    )


class ListConnector:
    name = "bench"

    def __init__(self, docs: list[SourceDocument]) -> None:
        self.docs = docs

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        yield Discovered(total=len(self.docs))
        yield from self.docs
        yield SeenAll()


def fresh(tmp: Path, name: str) -> tuple[ChunkIndex, StateStore]:
    d = tmp / name
    d.mkdir()
    return open_index(d), StateStore(f"sqlite:///{d / 'state.sqlite3'}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_full_sync(tmp: Path, embedder: OnnxEmbedding, docs_n: int) -> None:
    rng = random.Random(1)
    docs = [make_doc(i, rng, sentences=6) for i in range(docs_n)]
    chunker = Chunker()
    texts = [n.get_content() for d in docs for n in chunker.chunk(d)]
    t0 = time.perf_counter()
    for start in range(0, len(texts), 64):
        embedder.get_text_embedding_batch(texts[start : start + 64])
    raw = len(texts) / (time.perf_counter() - t0)
    index, state = fresh(tmp, "full")
    t0 = time.perf_counter()
    run = SyncEngine(index, state, embedder).run(ListConnector(docs), SyncMode.FULL)
    seconds = time.perf_counter() - t0
    rate = run.chunks_embedded / seconds
    print(f"full sync, {docs_n} documents / {run.chunks_embedded} chunks: {seconds:.1f} s")
    print(f"  {docs_n / seconds:.1f} documents/s, {rate:.1f} chunks/s")
    print(f"  raw embedder on the same chunks: {raw:.1f} chunks/s")
    print(f"  ratio sync/raw: {rate / raw:.2f}  (target >= 0.8)")


def bench_no_change(tmp: Path, docs_n: int) -> None:
    rng = random.Random(2)
    root = tmp / "kb5000"
    for i in range(docs_n):
        folder = root / f"space{i % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{i}.md").write_text(f"---\ntitle: Page {i}\n---\n{sentence(rng, 40)}\n")
    from connectors.files import FilesConnector

    index, state = fresh(tmp, "nochange")
    engine = SyncEngine(index, state, HashingEmbedding())
    engine.run(FilesConnector(root))
    t0 = time.perf_counter()
    run = engine.run(FilesConnector(root))
    inc = time.perf_counter() - t0
    t0 = time.perf_counter()
    full = engine.run(FilesConnector(root), SyncMode.FULL)
    full_s = time.perf_counter() - t0
    print(f"no-change re-sync of {docs_n} documents (files source):")
    print(f"  incremental {inc:.2f} s, {run.chunks_embedded} chunks embedded (target < 5 s, 0)")
    print(f"  full re-list + re-hash {full_s:.2f} s, {full.chunks_embedded} chunks embedded")

    # ACL-only change of 100 documents (the ONNX model would be needed for any embedding)
    docs = [make_doc(i, random.Random(i), sentences=3) for i in range(docs_n)]
    index2, state2 = fresh(tmp, "acl")
    engine2 = SyncEngine(index2, state2, HashingEmbedding())
    engine2.run(ListConnector(docs))
    changed = [
        SourceDocument(**{**d.__dict__, "acl": Acl(False, frozenset({GROUPS[0]}))})
        if i < 100
        else d
        for i, d in enumerate(docs)
    ]
    t0 = time.perf_counter()
    run2 = engine2.run(ListConnector(changed))
    print(
        f"ACL-only change of 100 of {docs_n} documents: {time.perf_counter() - t0:.2f} s, "
        f"{run2.acl_updated} ACL updates, {run2.chunks_embedded} chunks embedded (target 0)"
    )


def bench_retrieval(tmp: Path, chunks_n: int, embedder: OnnxEmbedding) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    centers = rng.normal(size=(256, 384)).astype(np.float32)
    pyrng = random.Random(3)
    index, _ = fresh(tmp, "retrieval")
    t0 = time.perf_counter()
    batch: list[TextNode] = []
    for i in range(chunks_n):
        vec = centers[i % 256] + 0.35 * rng.normal(size=384).astype(np.float32)
        vec /= np.linalg.norm(vec)
        public = pyrng.random() < 0.5
        acl = Acl(public, frozenset(pyrng.sample(GROUPS, pyrng.randint(1, 3))))
        node = TextNode(
            id_=f"bench:doc-{i // 10}#h#{i % 10}",
            text=" ".join(sentence(pyrng, 20) for _ in range(2)),
            metadata={
                "source": "bench",
                "doc_id": f"bench:doc-{i // 10}",
                "title": f"Bench page {i // 10}",
                "url": "https://wiki.example",
                "updated_at": "2026-01-01T00:00:00+00:00",
                "acl_public": public,
                "acl_principals": acl_readers(acl),
                "content_hash": "h",
                "breadcrumbs": [],
                "chunk_index": i % 10,
            },
        )
        node.embedding = vec.tolist()
        batch.append(node)
        if len(batch) == 5000:
            index.store.add(batch)
            batch = []
    if batch:
        index.store.add(batch)
    insert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.prepare_for_readers()
    print(
        f"index of {chunks_n} chunks: insert {insert_s:.1f} s, "
        f"upkeep (FTS + ANN index) {time.perf_counter() - t0:.1f} s"
    )
    # a reader process opens its own connection, as the bot does
    reader = open_index(Path(index.location).parent)
    queries = [" ".join(pyrng.sample(WORDS, 4)) for _ in range(120)]
    vectors = embedder.get_text_embedding_batch(queries)
    user = frozenset({"user:someone@example.com", *GROUPS[:3]})
    for mode in (SearchMode.HYBRID, SearchMode.VECTOR, SearchMode.KEYWORD):
        times = []
        for q, v in zip(queries, vectors, strict=True):
            t = time.perf_counter()
            hits = reader.search(q, v, user, 6, mode)
            times.append((time.perf_counter() - t) * 1000)
            assert all(
                set(h.node.metadata["acl_principals"]) & ({"everyone"} | user) for h in hits
            ), "permission filter violated"
        times = times[10:]  # warm-up
        print(
            f"  {mode.value:<7} top-6 with permission filter: p50 {pct(times, 50):.1f} ms, "
            f"p95 {pct(times, 95):.1f} ms"
            + ("  (target p95 < 50 ms)" if mode == SearchMode.HYBRID else "")
        )


def bench_query_embedding(embedder: OnnxEmbedding) -> None:
    times = []
    for i in range(200):
        t = time.perf_counter()
        embedder.get_query_embedding(f"how do I reset my password on device {i}")
        times.append((time.perf_counter() - t) * 1000)
    print(f"query embedding: p50 {statistics.median(times[20:]):.1f} ms (target < 10 ms)")


START_TARGET_S = 3.0


def bench_start_to_answer(tmp: Path, runs: int = 3) -> None:
    """`helpdesk ask` from process start to the answer on stdout, extractive and with
    Claude (a local fake answering at once, over HTTP), the two modes alternating so
    both see the same machine load. With Claude, `import anthropic` (~1.5 s of CPU)
    runs in the helper process `claude_worker`, on the other core."""
    data = tmp / "startup"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")},
        "HELPDESK_DATA_DIR": str(data),
        "FILES_PATH": str(REPO / "samples"),
        "PYTHONPATH": str(REPO),
    }
    cmd = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*cmd, "sync"], env=env, check=True, capture_output=True)
    from tests.fakes.claude import FakeClaude
    from tests.fakes.claude_server import serve

    fake = FakeClaude()
    fake.reply([("Reset it in Okta", (0, "Okta"))])
    times: dict[str, list[tuple[float, float]]] = {"extractive": [], "claude": []}
    sdk: list[float] = []
    with serve(fake) as url:
        claude_env = {**env, "ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": url}
        for _ in range(runs):
            times["extractive"].append(_time_ask(cmd, env, '"mode": "extractive"'))
            times["claude"].append(_time_ask(cmd, claude_env, '"mode": "claude"'))
            sdk.append(_time_import("anthropic", env))
    extractive, extractive_exit = _medians(times["extractive"])
    claude, claude_exit = _medians(times["claude"])
    print(
        f"process start to first answer ready (helpdesk ask, median of {runs}, the two "
        f"modes alternating):\n"
        f"  extractive: {extractive:.2f} s (target < {START_TARGET_S:.0f} s: "
        f"{_verdict(extractive)}); process exit after {extractive_exit:.2f} s\n"
        f"  Claude (fake answering at once): {claude:.2f} s (target < "
        f"{START_TARGET_S:.0f} s: {_verdict(claude)}); {claude - extractive:+.2f} s, "
        f"{claude / extractive:.2f}x the extractive {extractive:.2f} s of this run; "
        f"process exit after {claude_exit:.2f} s\n"
        f"  machine speed in this run: `import anthropic` alone {statistics.median(sdk):.2f} s "
        f"(about 1.2 s when the 3 s target was set)"
    )


def _time_import(module: str, env: dict[str, str]) -> float:
    """Seconds a fresh interpreter takes to import `module`: how fast this machine is now."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], env=env, check=True)
    return time.perf_counter() - t


def _verdict(seconds: float) -> str:
    return "met" if seconds < START_TARGET_S else "MISSED"


def _medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r for r, _ in samples), statistics.median(e for _, e in samples)


def _time_ask(cmd: list[str], env: dict[str, str], expect: str) -> tuple[float, float]:
    """(seconds to the answer on stdout, seconds to the process exit) of one run."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "ask", "How do I reset my password?", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()  # the answer is printed: it is ready
    ready = time.perf_counter() - t
    proc.wait()
    assert expect in line, f"not answered in the expected mode: {line[:200]!r}"
    return ready, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    docs_n, nochange_n, chunks_n = (200, 1000, 20_000) if args.quick else (1000, 5000, 100_000)
    embedder = OnnxEmbedding()
    print("== core loop (issue 3) ==")
    with tempfile.TemporaryDirectory(prefix="bench-core-") as tmp_name:
        tmp = Path(tmp_name)
        bench_query_embedding(embedder)
        bench_full_sync(tmp, embedder, docs_n)
        bench_no_change(tmp, nochange_n)
        bench_retrieval(tmp, chunks_n, embedder)
        bench_start_to_answer(tmp)


if __name__ == "__main__":
    main()
