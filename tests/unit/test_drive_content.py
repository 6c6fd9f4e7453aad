"""Text extraction per Drive mime type (no HTTP: a stub downloader)."""

from __future__ import annotations

import pytest

from connectors.drive.client import DriveApiError
from connectors.drive.content import (
    GOOGLE_DOC,
    GOOGLE_SHEET,
    XLSX,
    ContentError,
    FileTooLargeError,
    fetch_text,
    is_supported,
    rows_to_csv,
)
from tests.fakes.drive_server import make_docx, make_pptx, make_xlsx


class Stub:
    def __init__(self, exports: dict[str, bytes], body: bytes = b"") -> None:
        self.exports = exports
        self.body = body
        self.calls: list[str] = []

    def export(self, file_id: str, mime_type: str) -> bytes:
        self.calls.append(mime_type)
        if mime_type not in self.exports:
            raise DriveApiError(400, "The requested conversion is not supported.", ["badRequest"])
        return self.exports[mime_type]

    def download(self, file_id: str) -> bytes:
        self.calls.append("media")
        return self.body


def test_doc_markdown_with_plain_text_fallback() -> None:
    stub = Stub({"text/plain": b"plain body"})
    assert fetch_text(stub, {"id": "d", "mimeType": GOOGLE_DOC}, 10_000) == "plain body"
    assert stub.calls == ["text/markdown", "text/plain"]


def test_sheet_is_csv_per_sheet() -> None:
    book = make_xlsx({"A": [["x", "y"], [1, None, None]], "B": [["only"]]})
    text = fetch_text(Stub({XLSX: book}), {"id": "s", "mimeType": GOOGLE_SHEET}, 10**6)
    assert text == "## A\nx,y\n1\n\n## B\nonly"


def test_sheet_rows_are_capped() -> None:
    rows = [[f"row{i}", "v" * 10] for i in range(1000)]
    csv = rows_to_csv(rows, 200)
    assert csv.startswith("row0,") and len(csv) <= 200 and csv.endswith("v" * 10)


def test_docx_headings_and_tables() -> None:
    body = make_docx("Travel", ["Trains under four hours."])
    text = fetch_text(
        Stub({}, body),
        {
            "id": "x",
            "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        },
        10**6,
    )
    assert text.startswith("# Travel") and "Trains under four hours." in text


def test_pptx_slides() -> None:
    body = make_pptx([("One", "first"), ("Two", "second")])
    mime = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    text = fetch_text(Stub({}, body), {"id": "p", "mimeType": mime}, 10**6)
    assert "## Slide 1\nOne\nfirst" in text and "## Slide 2" in text


def test_too_large_is_refused_before_download() -> None:
    stub = Stub({}, b"x" * 10)
    with pytest.raises(FileTooLargeError, match="DRIVE_MAX_FILE_MB"):
        fetch_text(stub, {"id": "t", "mimeType": "text/plain", "size": "5000"}, 1000)
    assert stub.calls == []


def test_damaged_pdf_is_a_content_error() -> None:
    with pytest.raises(ContentError, match="PDF"):
        fetch_text(Stub({}, b"not a pdf"), {"id": "p", "mimeType": "application/pdf"}, 10**6)


def test_html_and_text_decoding() -> None:
    html = b"<html><body><h2>Title</h2><p>caf\xc3\xa9</p></body></html>"
    assert "café" in fetch_text(Stub({}, html), {"id": "h", "mimeType": "text/html"}, 10**6)
    latin = fetch_text(Stub({}, b"caf\xe9"), {"id": "t", "mimeType": "text/plain"}, 10**6)
    assert latin == "café"


def test_supported_types() -> None:
    assert is_supported(GOOGLE_DOC) and is_supported("text/markdown")
    assert not is_supported("image/png") and not is_supported("application/zip")
