"""Confluence connector benchmark (issue 6), against the fake Cloud site over real HTTP.

1. Full sync of 2,000 pages with the real ONNX embedder: pages/s, and the ratio of the
   sync's chunk throughput to the raw embedder's throughput on the very same chunk texts,
   measured in the same run (target ≥ 0.8: fetching, conversion, ACLs and index writes
   must cost little next to embedding).
2. An incremental cycle with 10 edited pages out of 2,000, including the ids-only
   listing (deletion check: one page deleted) and the ACL re-check (one parent
   restricted): target < 3 s.

    python -m bench.bench_confluence [--pages 2000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from connectors.base import SourceDocument, SyncMode, SyncRequest
from connectors.chunking import Chunker
from connectors.confluence import (
    ConfluenceApi,
    ConfluenceClient,
    ConfluenceConnector,
    ConfluenceOptions,
)
from connectors.embedder import OnnxEmbedding
from connectors.index import open_index
from connectors.state import StateStore
from connectors.sync import SyncEngine

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fakes.confluence_server import FakeConfluence  # noqa: E402

WORDS = (
    "leave expenses vpn laptop password reset onboarding security policy on-call benefits "
    "travel receipts approval manager payroll holiday contractor remote office wifi printer "
    "badge access incident phishing report deploy review pension insurance budget equipment"
).split()


def _sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _body(rng: random.Random, i: int) -> str:
    paras = "".join(f"<p>{_sentence(rng)} {_sentence(rng)}</p>" for _ in range(rng.randint(2, 5)))
    table = (
        "<table><tbody><tr><th>Item</th><th>Owner</th></tr>"
        f"<tr><td>{rng.choice(WORDS)}</td><td>team {i % 7}</td></tr></tbody></table>"
    )
    code = (
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash'
        f"</ac:parameter><ac:plain-text-body><![CDATA[helpdesk run --page {i}]]>"
        "</ac:plain-text-body></ac:structured-macro>"
    )
    note = (
        '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>'
        f"{_sentence(rng)}</p></ac:rich-text-body></ac:structured-macro>"
    )
    return f"<h2>Section {i}</h2>{paras}{table}{code if i % 3 == 0 else note}"


def populate(site: FakeConfluence, pages: int, seed: int = 7) -> tuple[list[str], str]:
    """2,000 pages last edited a month ago; returns their ids and a parent with 1-5 children."""
    rng = random.Random(seed)
    site.add_user("u1", "alice@example.com", "Alice")
    site.add_group("confluence-users", ["u1"])
    site.add_group("hr", ["u1"])
    site.add_space("IT", "IT", read_groups=["confluence-users"])
    ids: list[str] = []
    for i in range(pages):
        parent = ids[rng.randrange(len(ids))] if ids and i % 4 else None
        kind = "blogpost" if i % 50 == 49 else "page"
        page = site.add_page(
            "IT", f"Page {i}", _body(rng, i), parent=parent if kind == "page" else None, kind=kind
        )
        page.when = datetime.now(UTC) - timedelta(days=30, minutes=i)
        ids.append(page.id)
    children: dict[str, int] = {}
    for c in site.content.values():
        if c.parent_id:
            children[c.parent_id] = children.get(c.parent_id, 0) + 1
    parent = next(p for p, n in sorted(children.items()) if 1 <= n <= 5)
    return ids, parent


def _serve(pages: int, pipe: Connection) -> None:
    """The fake site in its own process (a real site is remote: its CPU is not ours)."""
    site = FakeConfluence().start()
    ids, parent = populate(site, pages)
    pipe.send((site.url, ids, parent))
    while True:
        op, args = pipe.recv()
        if op == "stop":
            site.stop()
            pipe.send(None)
            return
        if op == "requests":
            pipe.send(len(site.requests))
        elif op == "pop":
            site.content.pop(args[0])
            pipe.send(None)
        else:
            pipe.send(getattr(site, op)(*args))


class Site:
    def __init__(self, pages: int) -> None:
        self.pipe, child = multiprocessing.Pipe()
        self.proc = multiprocessing.Process(target=_serve, args=(pages, child), daemon=True)
        self.proc.start()
        self.url, self.ids, self.parent = self.pipe.recv()

    def call(self, op: str, *args: Any) -> Any:
        self.pipe.send((op, args))
        return self.pipe.recv()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args(argv)

    site = Site(args.pages)
    ids = site.ids
    embedder = OnnxEmbedding()
    embedder.get_text_embedding_batch(["warm up"] * 8)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        state = StateStore(f"sqlite:///{data / 'state.sqlite3'}")
        index = open_index(data)
        client = ConfluenceClient(site.url, email="bot@example.com", api_token="secret")
        conn = ConfluenceConnector(ConfluenceApi(client), ConfluenceOptions(spaces=("IT",)))
        engine = SyncEngine(index, state, embedder)

        # the very same chunk texts the sync will embed (an untimed scan)
        docs = [
            i
            for i in conn.scan(SyncRequest(SyncMode.FULL, None, {}))
            if isinstance(i, SourceDocument)
        ]
        chunker = Chunker()
        texts = [n.get_content() for d in docs for n in chunker.chunk(d)]
        half = len(texts) // 2

        def raw(part: list[str]) -> float:
            t = time.perf_counter()
            for start in range(0, len(part), engine.embed_batch):
                embedder.get_text_embedding_batch(part[start : start + engine.embed_batch])
            return time.perf_counter() - t

        # raw embedder before and after the sync: machine-load drift cancels out
        raw_s = raw(texts[:half])
        t0 = time.perf_counter()
        full = engine.run(conn, SyncMode.FULL)
        full_s = time.perf_counter() - t0
        assert full.status == "succeeded", full.error
        chunks = full.chunks_embedded
        raw_s += raw(texts[half:])

        rng = random.Random(11)
        for cid in rng.sample(ids, 10):
            site.call("edit", cid, _body(rng, 10_000 + int(cid)))
        site.call("pop", ids[-1])
        site.call("restrict", site.parent, [], ["hr"])
        requests_before = site.call("requests")
        t0 = time.perf_counter()
        inc = engine.run(conn, SyncMode.INCREMENTAL)
        inc_s = time.perf_counter() - t0
        assert inc.status == "succeeded", inc.error
        inc_requests = site.call("requests") - requests_before
        state.dispose()
    site.call("stop")

    sync_rate = chunks / full_s
    raw_rate = len(texts) / raw_s
    ratio = sync_rate / raw_rate
    print(f"confluence full sync: {args.pages} pages, {chunks} chunks in {full_s:.1f} s")
    print(f"  pages/s                       {args.pages / full_s:8.1f}")
    print(f"  sync chunks/s                 {sync_rate:8.1f}")
    print(f"  raw embedder chunks/s         {raw_rate:8.1f}  ({len(texts)} chunks, {raw_s:.1f} s)")
    print(
        f"  ratio sync/raw                {ratio:8.2f}  (target >= 0.8) "
        f"{'OK' if ratio >= 0.8 else 'BELOW TARGET'}"
    )
    print(
        f"confluence incremental: 10 edits, 1 deletion, 1 restricted parent of {args.pages}: "
        f"{inc_s:.2f} s, {inc_requests} requests (target < 3 s) {'OK' if inc_s < 3 else 'SLOW'}"
    )
    print(
        f"  updated={inc.updated} deleted={inc.deleted} acl_updated={inc.acl_updated} "
        f"chunks_embedded={inc.chunks_embedded} unchanged={inc.unchanged}"
    )


if __name__ == "__main__":
    main()
