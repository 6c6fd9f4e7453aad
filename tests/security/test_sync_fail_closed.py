"""Issue 11 points 2 and 5, the engine's contract with every connector, end to end: a
scripted connector (standing in for Confluence or Drive), the real SyncEngine, LanceDB
index and answer engine, and the Claude fake.

- a `DocumentFailure` for an indexed document applies, in the same cycle and without
  re-embedding, the ACL the source reports now but never a wider one than the document
  had; an unknown ACL restricts it to nobody until a read succeeds;
- a complete run replaces the source's whole membership table with the `GroupMembers`
  it yielded; a run ending in `SourceError` or a crash clears it; an interrupted run
  leaves it unchanged;
- a run that fails as a whole restricts to nobody, in that run, every indexed document
  whose current ACL it did not read and commit (public ones included); the next run is
  full and gives them back;
- a new version that cannot even be chunked keeps the old text readable by no more than
  the source reports now."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from llama_index.core.schema import TextNode

from bot.services import Services, build_services
from bot.settings import Settings
from connectors import messages
from connectors.base import (
    Acl,
    Checkpoint,
    DocumentFailure,
    GroupMembers,
    SeenAll,
    SourceDocument,
    SourceError,
    SyncItem,
    SyncMode,
    SyncRequest,
    Unchanged,
    group_principal,
    user_principal,
)
from connectors.chunking import Chunker
from connectors.embedder import OnnxEmbedding
from connectors.sync import SyncEngine, SyncProgress
from connectors.sync_progress import MAX_FAILURES_KEPT
from tests.fakes.claude import FakeClaude
from tests.scenario.drive_harness import ask

SOURCE = "confluence"  # a configured source (`sources` below): only those are answered
SECRET = "The acquisition of Ferngrove closes on 12 March for 41 million euro."
QUESTION = "When does the Ferngrove acquisition close?"
HANNAH, OLIVER = "hannah@acme.example", "oliver@acme.example"
BOARD = group_principal(SOURCE, "board")
DOC_ID = f"{SOURCE}:ma"


def document(acl: Acl) -> SourceDocument:
    return SourceDocument(
        source=SOURCE,
        doc_id=DOC_ID,
        title="M&A: Ferngrove",
        url="https://wiki.example/ma",
        text=f"# Ferngrove\n\n{SECRET} Board only.\n",
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
        acl=acl,
        version="1",
    )


@dataclass
class Scripted:
    """A connector whose next run yields exactly `items` (then raises `error`, if set)."""

    name: str = SOURCE
    items: list[SyncItem] = field(default_factory=list)
    error: Exception | None = None
    modes: list[SyncMode] = field(default_factory=list)  # the mode of every run asked

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        self.modes.append(request.mode)
        yield from self.items
        if self.error is not None:
            raise self.error


@pytest.fixture
def claude() -> FakeClaude:
    fake = FakeClaude()
    fake.reply([("Here is what I found.", None)])
    return fake


@pytest.fixture
def services(
    tmp_path: Path, onnx_embedder: OnnxEmbedding, claude: FakeClaude
) -> Iterator[Services]:
    settings = Settings(
        _env_file=None,
        helpdesk_data_dir=tmp_path / "data",
        files_path=tmp_path / "none",
        sources=[SOURCE],
        anthropic_api_key="sk-test",
        anthropic_max_retries=0,
        retrieval_min_score=0.0,
    )
    built = build_services(settings, embedder=onnx_embedder, anthropic_http_client=claude.client())
    yield built
    built.state.dispose()


def run(services: Services, connector: Scripted, **kw: object) -> SyncProgress:
    return services.sync_engine().run(connector, SyncMode.INCREMENTAL, **kw)  # type: ignore[arg-type]


def readers(services: Services, claude: FakeClaude) -> set[str]:
    out = set()
    for who in (None, HANNAH, OLIVER):
        if SECRET in ask(services, claude, QUESTION, who):
            out.add(who or "channel")
    return out


def board(*emails: str) -> GroupMembers:
    return GroupMembers(BOARD, frozenset(user_principal(e) for e in emails))


def indexed_for_the_board(services: Services, claude: FakeClaude) -> None:
    acl = Acl(public=False, principals=frozenset({BOARD}))
    first = run(services, Scripted(items=[board(HANNAH, OLIVER), document(acl), SeenAll()]))
    assert first.status == "succeeded"
    assert readers(services, claude) == {HANNAH, OLIVER}  # the positive control


# ------------------------------------------------------------------ point 2: failures
@pytest.mark.parametrize(
    ("reported", "expected_readers", "expected_acl"),
    [
        # the source says only Hannah now: applied at once, old text kept
        (
            Acl(public=False, principals=frozenset({user_principal(HANNAH)})),
            set(),  # the intersection with {board} is empty: nobody
            Acl(public=False, principals=frozenset()),
        ),
        (
            Acl(public=False, principals=frozenset({BOARD, user_principal(OLIVER)})),
            {HANNAH, OLIVER},
            Acl(public=False, principals=frozenset({BOARD})),
        ),
        # the source says public now: the old (restricted) text never becomes public
        (Acl(public=True), {HANNAH, OLIVER}, Acl(public=False, principals=frozenset({BOARD}))),
        # the source could not tell: nobody
        (None, set(), Acl(public=False, principals=frozenset())),
    ],
)
def test_a_failed_re_read_never_widens_and_applies_in_the_same_cycle(
    services: Services,
    claude: FakeClaude,
    reported: Acl | None,
    expected_readers: set[str],
    expected_acl: Acl,
) -> None:
    indexed_for_the_board(services, claude)
    failure = DocumentFailure(SOURCE, "body could not be parsed", DOC_ID, "M&A", reported)
    progress = run(services, Scripted(items=[board(HANNAH, OLIVER), failure, SeenAll()]))
    assert (progress.status, progress.failed, progress.chunks_embedded) == ("partial", 1, 0)
    assert readers(services, claude) == expected_readers
    known = services.state.known_documents(SOURCE)[DOC_ID]
    assert known.acl == expected_acl, "the state's known ACL is what the index applies"
    assert known.version is None, "forgotten, so that the next run reads it again"


def test_a_document_restricted_to_nobody_is_readable_again_after_a_good_read(
    services: Services, claude: FakeClaude
) -> None:
    indexed_for_the_board(services, claude)
    failure = DocumentFailure(SOURCE, "HTTP 500", DOC_ID, "M&A", None)
    run(services, Scripted(items=[board(HANNAH, OLIVER), failure, SeenAll()]))
    assert readers(services, claude) == set()
    # an Unchanged with no ACL (not re-read) does not lift the restriction
    run(services, Scripted(items=[board(HANNAH, OLIVER), Unchanged(DOC_ID), SeenAll()]))
    assert readers(services, claude) == set()
    acl = Acl(public=False, principals=frozenset({BOARD}))
    again = run(services, Scripted(items=[board(HANNAH, OLIVER), document(acl), SeenAll()]))
    assert (again.status, again.chunks_embedded) == ("succeeded", 0)
    assert readers(services, claude) == {HANNAH, OLIVER}


# --------------------------------------------------------------- point 5: memberships
def test_a_complete_run_replaces_the_whole_membership_table(
    services: Services, claude: FakeClaude
) -> None:
    indexed_for_the_board(services, claude)
    other = GroupMembers(group_principal(SOURCE, "it"), frozenset({user_principal(HANNAH)}))
    run(services, Scripted(items=[other, Unchanged(DOC_ID), SeenAll()]))  # board not yielded
    assert readers(services, claude) == set()
    assert services.state.source_memberships(SOURCE) == {
        group_principal(SOURCE, "it"): frozenset({user_principal(HANNAH)})
    }
    run(services, Scripted(items=[board(OLIVER), Unchanged(DOC_ID), SeenAll()]))
    assert readers(services, claude) == {OLIVER}


@pytest.mark.parametrize(
    "error", [SourceError("Wiki credentials were rejected"), RuntimeError("boom")]
)
def test_a_failed_run_clears_the_source_s_memberships(
    services: Services, claude: FakeClaude, error: Exception
) -> None:
    indexed_for_the_board(services, claude)
    # the failed run had even yielded the group before failing: still cleared
    progress = run(services, Scripted(items=[board(HANNAH, OLIVER)], error=error))
    assert progress.status == "failed" and progress.error
    assert services.state.source_memberships(SOURCE) == {}
    assert readers(services, claude) == set()


def test_an_interrupted_run_leaves_the_memberships_unchanged(
    services: Services, claude: FakeClaude
) -> None:
    indexed_for_the_board(services, claude)
    progress = run(
        services,
        Scripted(items=[board(OLIVER), Unchanged(DOC_ID), SeenAll()]),
        should_stop=lambda: True,
    )
    assert progress.status == "interrupted"
    assert readers(services, claude) == {HANNAH, OLIVER}


# ------------------------------------------- the invariant: a run that fails as a whole
NOTICE = "The canteen serves breakfast from seven thirty on every weekday."
NOTICE_ID = f"{SOURCE}:canteen"


def notice() -> SourceDocument:
    return SourceDocument(
        source=SOURCE,
        doc_id=NOTICE_ID,
        title="Canteen",
        url="https://wiki.example/canteen",
        text=f"# Canteen\n\n{NOTICE}\n",
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
        acl=Acl.everyone(),
        version="1",
    )


def who_reads(services: Services, claude: FakeClaude, secret: str, question: str) -> set[str]:
    return {
        who or "channel"
        for who in (None, HANNAH, OLIVER)
        if secret in ask(services, claude, question, who)
    }


@pytest.mark.parametrize(
    "error", [SourceError("Wiki answered 503 to every call"), RuntimeError("boom")]
)
def test_a_failed_run_hides_what_it_did_not_read_and_the_next_run_restores_it(
    services: Services, claude: FakeClaude, error: Exception
) -> None:
    hannah_only = Acl(public=False, principals=frozenset({user_principal(HANNAH)}))
    first = run(services, Scripted(items=[document(hannah_only), notice(), SeenAll()]))
    assert first.status == "succeeded"
    canteen = "When does the canteen serve breakfast?"
    assert who_reads(services, claude, NOTICE, canteen) == {"channel", HANNAH, OLIVER}
    assert readers(services, claude) == {HANNAH}

    # the run re-reads the M&A page (committed by a checkpoint), then the source fails
    # before the canteen notice: who may read the notice now is unknown
    broken = Scripted(items=[Unchanged(DOC_ID, acl=hannah_only), Checkpoint("1")], error=error)
    failed = run(services, broken)

    assert failed.status == "failed" and failed.error
    assert who_reads(services, claude, NOTICE, canteen) == set(), "not even in a channel"
    assert readers(services, claude) == {HANNAH}, "read in this run: its current readers"
    assert messages.SYNC_RESTRICTED_AFTER_FAILURE.format(n=1) in failed.notes
    last = services.state.last_run(SOURCE)
    assert last is not None and last.status == "failed"

    good = Scripted(items=[document(hannah_only), notice(), SeenAll()])
    again = run(services, good)  # asked as incremental
    assert good.modes == [SyncMode.FULL] and again.mode == "full"
    assert (again.status, again.chunks_embedded) == ("succeeded", 0)
    assert messages.SYNC_FULL_AFTER_FAILURE in again.notes
    assert who_reads(services, claude, NOTICE, canteen) == {"channel", HANNAH, OLIVER}
    after = Scripted(items=[SeenAll()])
    run(services, after)
    assert after.modes == [SyncMode.INCREMENTAL], "one full run is enough"


def test_a_batch_read_but_not_committed_before_a_crash_is_hidden_too(
    services: Services, claude: FakeClaude
) -> None:
    indexed_for_the_board(services, claude)
    public = Acl.everyone()
    # the source now says public, but the run dies before committing what it read
    crashed = Scripted(items=[Unchanged(DOC_ID, acl=public)], error=RuntimeError("boom"))
    assert run(services, crashed).status == "failed"
    assert readers(services, claude) == set()
    known = services.state.known_documents(SOURCE)[DOC_ID]
    assert known.acl == Acl(public=False, principals=frozenset())


class FailingChunker(Chunker):
    """A chunker that cannot split the revised text (as odd input can break splitters)."""

    def chunk(self, doc: SourceDocument) -> list[TextNode]:
        if "revised" in doc.text:
            raise ValueError("cannot split this text")
        return super().chunk(doc)


def test_a_new_version_that_cannot_be_chunked_keeps_no_wider_acl(
    services: Services, claude: FakeClaude
) -> None:
    engine = SyncEngine(services.index, services.state, services.embedder, FailingChunker())
    both = Acl(public=False, principals=frozenset({user_principal(HANNAH), user_principal(OLIVER)}))
    assert engine.run(Scripted(items=[document(both), SeenAll()])).status == "succeeded"
    assert readers(services, claude) == {HANNAH, OLIVER}
    revised = replace(
        document(Acl(public=False, principals=frozenset({user_principal(HANNAH)}))),
        text=f"# Ferngrove\n\n{SECRET} Board only (revised).\n",
        content_hash="",
        version="2",
    )
    progress = engine.run(Scripted(items=[revised, SeenAll()]))
    assert (progress.status, progress.failed) == ("partial", 1)
    assert readers(services, claude) == {HANNAH}, "Oliver was unshared in this cycle"
    known = services.state.known_documents(SOURCE)[DOC_ID]
    assert known.version is None, "read again by the next run"


def test_more_failures_than_kept_are_all_counted_and_no_good_document_is_lost(
    services: Services,
) -> None:
    """A run with more failed documents than `helpdesk status` lists (MAX_FAILURES_KEPT),
    most of them failing to chunk: the run keeps at most that many reasons, still counts
    every failure, and every document that could be read is indexed."""
    engine = SyncEngine(services.index, services.state, services.embedder, FailingChunker())

    def doc(name: str, text: str) -> SourceDocument:
        return replace(
            document(Acl(public=True)),
            doc_id=f"{SOURCE}:{name}",
            title=name,
            url=f"https://wiki.example/{name}",
            text=text,
            content_hash="",
        )

    good = [doc(f"good{i}", f"# Canteen {i}\n\nFloor {i} canteen opens at 8.\n") for i in range(3)]
    odd = [doc(f"odd{i}", f"# Odd {i}\n\nA revised page.\n") for i in range(MAX_FAILURES_KEPT + 5)]
    unreadable = [
        DocumentFailure(SOURCE, "HTTP 500", doc_id=f"{SOURCE}:gone{i}", title=f"gone{i}")
        for i in range(2)
    ]
    items: list[SyncItem] = [*unreadable, *odd[:20], good[0], *odd[20:], *good[1:], SeenAll()]
    progress = engine.run(Scripted(items=items))

    failed = len(odd) + len(unreadable)
    assert (progress.status, progress.failed) == ("partial", failed)
    assert len(progress.failures) == MAX_FAILURES_KEPT
    assert [f["title"] for f in progress.failures[:3]] == ["gone0", "gone1", "odd0"]
    run = services.state.last_run(SOURCE)
    assert run is not None and run.failed == failed and len(run.failures) == MAX_FAILURES_KEPT
    assert progress.added == len(good)
    for d in good:
        row = services.state.document(d.doc_id)
        assert row is not None and row.chunk_count > 0 and not row.dirty
    assert services.index.count_by_source() == {SOURCE: services.state.chunk_counts()[SOURCE]}
