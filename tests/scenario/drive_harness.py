"""The Drive scenario harness: a corpus on the fake Drive API (tests/fakes/drive_server.py),
settings pointing at it, and helpers to sync through the real client, the real SyncEngine
and the real LanceDB index. Each test module defines thin `fake`/`settings`/`engine`
fixtures from `start_fake`, `make_settings` and `make_engine`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from llama_index.core.embeddings import BaseEmbedding

from bot.answering.engine import Final
from bot.models import Answer, Asker, Question, Surface
from bot.services import Services, build_services
from bot.settings import Settings
from connectors.base import SyncMode, SyncRequest
from connectors.drive import build_drive_connector
from connectors.drive.connector import DriveConnector
from connectors.embedder import HashingEmbedding
from connectors.index import ChunkIndex
from connectors.retry import RetryPolicy
from connectors.state import StateStore
from connectors.sync import SyncEngine, SyncProgress
from tests.fakes.claude import FakeClaude
from tests.fakes.drive_server import (
    FOLDER,
    FakeDrive,
    FakeFile,
    make_docx,
    make_pdf,
    make_pptx,
    make_xlsx,
    service_account_info,
)

REPO = Path(__file__).resolve().parents[2]
DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
SLIDES = "application/vnd.google-apps.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# published (findable in search), as opposed to link-only sharing
ANYONE = [{"type": "anyone", "role": "reader", "allowFileDiscovery": True}]
COMPANY = [
    {"type": "domain", "role": "reader", "domain": "example.com", "allowFileDiscovery": True}
]
FAST = RetryPolicy(base_delay=0.001, max_delay=0.01)


def private(*emails: str) -> list[dict[str, Any]]:
    return [{"type": "user", "role": "reader", "emailAddress": e} for e in emails]


def build_corpus(fake: FakeDrive) -> None:
    fake.add(FakeFile("root", "My Drive", FOLDER, []), record=False)
    fake.folder("it", "IT", "root")
    fake.folder("net", "Network", "it")
    fake.folder("personal", "Personal", "root")
    fake.add_drive("sd1", "Engineering")
    fake.folder("sdrunbooks", "Runbooks", "sd1", drive_id="sd1")
    add = fake.add
    add(
        FakeFile(
            "doc1",
            "VPN setup",
            DOC,
            ["net"],
            permissions=ANYONE,
            exports={"text/markdown": b"# VPN setup\n\nInstall the GlobalProtect client."},
        )
    )
    sheet = make_xlsx(
        {
            "Laptops": [["Model", "Owner"], ["X1 Carbon", "Ana"]],
            "Monitors": [["Model"], ["Dell U2720"]],
        }
    )
    add(
        FakeFile(
            "sheet1",
            "Inventory",
            SHEET,
            ["it"],
            permissions=COMPANY,
            exports={XLSX: sheet, "text/csv": b"Model,Owner\nX1 Carbon,Ana"},
        )
    )
    add(
        FakeFile(
            "slides1",
            "Onboarding deck",
            SLIDES,
            ["it"],
            permissions=COMPANY,
            exports={"text/plain": b"Welcome aboard\nYour first week"},
        )
    )
    add(
        FakeFile(
            "pdf1",
            "Password policy.pdf",
            "application/pdf",
            ["it"],
            permissions=COMPANY,
            content=make_pdf("Password policy\nRotate passwords every year"),
        )
    )
    add(
        FakeFile(
            "docx1",
            "Travel policy.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ["it"],
            permissions=COMPANY,
            content=make_docx("Travel", ["Book trains for trips under four hours."]),
        )
    )
    add(
        FakeFile(
            "pptx1",
            "Security training.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ["it"],
            permissions=COMPANY,
            content=make_pptx([("Phishing", "Report suspicious mail to security")]),
        )
    )
    add(
        FakeFile(
            "xlsx1",
            "Budget.xlsx",
            XLSX,
            ["it"],
            permissions=COMPANY,
            content=make_xlsx({"2024": [["Item", "Cost"], ["Laptops", 1200]]}),
        )
    )
    add(
        FakeFile(
            "txt1",
            "Printer notes.txt",
            "text/plain",
            ["net"],
            permissions=COMPANY,
            content=b"The printer on floor 3 needs a badge.",
        )
    )
    add(
        FakeFile(
            "html1",
            "Holidays.html",
            "text/html",
            ["it"],
            permissions=COMPANY,
            content=b"<html><body><h1>Holidays</h1><p>Office closed on May 1.</p></body></html>",
        )
    )
    add(FakeFile("img1", "Logo.png", "image/png", ["it"], permissions=COMPANY, content=b"\x89PNG"))
    add(
        FakeFile(
            "secret1",
            "Salaries",
            DOC,
            ["it"],
            permissions=[{"type": "group", "role": "reader", "emailAddress": "HR@example.com"}],
            exports={"text/markdown": b"Salary bands are confidential."},
        )
    )
    add(
        FakeFile(
            "sd_doc1",
            "Deploy runbook",
            DOC,
            ["sdrunbooks"],
            drive_id="sd1",
            permissions=[{"type": "group", "role": "organizer", "emailAddress": "eng@example.com"}],
            exports={"text/markdown": b"Deploy with the pipeline."},
        )
    )
    add(
        FakeFile(
            "out1",
            "Diary",
            DOC,
            ["personal"],
            permissions=ANYONE,
            exports={"text/markdown": b"Private diary."},
        )
    )
    fake.groups = {"HR@example.com": ["pat@example.com"], "eng@example.com": ["lee@example.com"]}


INDEXED = {
    "doc1",
    "sheet1",
    "slides1",
    "pdf1",
    "docx1",
    "pptx1",
    "xlsx1",
    "txt1",
    "html1",
    "secret1",
    "sd_doc1",
}


def start_fake() -> FakeDrive:
    server = FakeDrive().start()
    server.require_auth = True
    build_corpus(server)
    return server


def make_settings(fake: FakeDrive, tmp_path: Path, **extra: Any) -> Settings:
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(service_account_info(fake.url + "/token")))
    return Settings(
        _env_file=None,
        google_application_credentials=key,
        google_delegated_user="admin@example.com",
        drive_folder_ids=["it"],
        drive_shared_drive_ids=["sd1"],
        drive_public_domains=["example.com"],
        drive_api_url=fake.url,
        **extra,
    )


def make_engine(index: ChunkIndex, state: StateStore, embedder: HashingEmbedding) -> SyncEngine:
    return SyncEngine(index, state, embedder, batch_docs=4)


def connector(settings: Settings, **kw: Any) -> DriveConnector:
    conn = build_drive_connector(settings.drive_settings(), retry=kw.pop("retry", FAST), **kw)
    assert isinstance(conn, DriveConnector)
    return conn


def sync(
    engine: SyncEngine, settings: Settings, mode: SyncMode = SyncMode.INCREMENTAL, **kw: Any
) -> SyncProgress:
    progress = engine.run(connector(settings, **kw), mode)
    expected = "partial" if progress.failed else "succeeded"  # failures: never "succeeded"
    assert progress.status == expected, (progress.error, progress.failures)
    return progress


def drive_ids(state: StateStore) -> set[str]:
    return {d.split(":", 1)[1] for d in state.known_documents("drive")}


def search_ids(engine: SyncEngine, query: str, principals: frozenset[str]) -> set[str]:
    vector = engine.embedder.get_query_embedding(query)
    hits = engine.index.search(query, vector, principals, 20)
    return {str(h.node.metadata["doc_id"]) for h in hits}


def scan_full(settings: Settings) -> list[Any]:
    return list(connector(settings).scan(SyncRequest(SyncMode.FULL, None, {})))


# ---------------------------------------------------------------- the answer side
def drive_services(
    fake: FakeDrive, tmp_path: Path, embedder: BaseEmbedding, claude: FakeClaude
) -> tuple[Settings, Services]:
    """Settings for the fake Drive plus Claude (the fake), and the services over them."""
    settings = make_settings(
        fake,
        tmp_path,
        helpdesk_data_dir=tmp_path / "data",
        anthropic_api_key="sk-test",
        anthropic_max_retries=0,
    )
    return settings, build_services(
        settings, embedder=embedder, anthropic_http_client=claude.client()
    )


def run_sync(
    services: Services, settings: Settings, mode: SyncMode = SyncMode.INCREMENTAL, **kw: Any
) -> SyncProgress:
    return services.sync_engine().run(connector(settings, **kw), mode)


def ask(services: Services, claude: FakeClaude, text: str, email: str | None = None) -> str:
    """Everything the asker could see of one answer, and everything sent to Claude for it
    (the answer's text, its citations and the requests), as one string."""
    surface = Surface.DM if email else Surface.CHANNEL
    asker = Asker(platform="test", user_id=email or "u-channel", email=email)
    question = Question(text, asker, "conv-drive", (), surface, insider=bool(email))
    claude.requests.clear()

    async def run() -> Answer | None:
        final = None
        async for event in services.engine.stream(question):
            if isinstance(event, Final):
                final = event.answer
        return final

    answer = asyncio.run(run())
    assert answer is not None
    seen = [answer.text, *(f"{c.title} {c.quoted_text}" for c in answer.citations)]
    return "\n".join([*seen, json.dumps(claude.requests)])


def can_retrieve(services: Services, doc_id: str, query: str, emails: list[str]) -> set[str]:
    """Who retrieves `doc_id` for `query`: "public" (a channel) and each email in a DM."""
    vector = services.embedder.get_query_embedding(query)
    out: set[str] = set()
    for email in [None, *emails]:
        surface = Surface.DM if email else Surface.CHANNEL
        asker = Asker(platform="test", user_id=email or "u-channel", email=email)
        scope = services.engine.scope(
            Question(query, asker, "conv-drive", (), surface, insider=bool(email))
        )
        hits = services.index.search(query, vector, scope.principals, 20)
        if any(h.node.metadata["doc_id"] == doc_id for h in hits):
            out.add(email or "public")
    return out
