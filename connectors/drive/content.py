"""File bodies: export Google editor files, download the rest, extract text per type.

- Google Docs → markdown export (plain text when markdown export is refused);
- Google Sheets → the workbook exported as XLSX, then CSV per sheet, first rows up to
  `SHEET_MAX_CHARS` per sheet (the CSV export of a whole spreadsheet only holds its first
  sheet; it stays the fallback);
- Google Slides → plain text export;
- PDF (pypdf), DOCX (python-docx), PPTX (python-pptx), XLSX (openpyxl);
- plain text, markdown, CSV, HTML.
Anything else is unsupported (skipped and counted by the connector).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, Protocol

from connectors import messages
from connectors.drive.client import DriveApiError
from connectors.files import html_to_text

FOLDER = "application/vnd.google-apps.folder"
SHORTCUT = "application/vnd.google-apps.shortcut"
GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
GOOGLE_SLIDES = "application/vnd.google-apps.presentation"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown", "text/csv"}) | HTML_TYPES
GOOGLE_TYPES = frozenset({GOOGLE_DOC, GOOGLE_SHEET, GOOGLE_SLIDES})
BINARY_TYPES = frozenset({PDF, DOCX, PPTX, XLSX})
SUPPORTED_TYPES = GOOGLE_TYPES | BINARY_TYPES | TEXT_TYPES

SHEET_MAX_CHARS = 100_000  # per sheet: the first rows up to this size
SHEET_MAX_SHEETS = 50


class ContentError(Exception):
    """The file's body cannot be turned into text (one document's failure)."""


class FileTooLargeError(ContentError):
    pass


class Downloader(Protocol):
    def export(self, file_id: str, mime_type: str) -> bytes: ...
    def download(self, file_id: str) -> bytes: ...


def is_supported(mime_type: str) -> bool:
    return mime_type in SUPPORTED_TYPES


def size_limit_message(size: int, max_bytes: int) -> str:
    return messages.DRIVE_TOO_LARGE.format(size=size / 1_048_576, limit=max_bytes / 1_048_576)


def fetch_text(api: Downloader, file: dict[str, Any], max_bytes: int) -> str:
    """The text of `file` (a Drive `File` resource with id, mimeType and size)."""
    file_id = str(file["id"])
    mime = str(file.get("mimeType") or "")
    if mime == GOOGLE_DOC:
        try:
            data = api.export(file_id, "text/markdown")
        except DriveApiError as exc:
            if exc.status != 400:
                raise
            data = api.export(file_id, "text/plain")
        return _check(decode(data), data, max_bytes)
    if mime == GOOGLE_SHEET:
        try:
            data = api.export(file_id, XLSX)
            return xlsx_to_text(_check_size(data, max_bytes))
        except DriveApiError as exc:
            if exc.status != 400:
                raise
        data = api.export(file_id, "text/csv")
        return decode(_check_size(data, max_bytes))
    if mime == GOOGLE_SLIDES:
        data = api.export(file_id, "text/plain")
        return decode(_check_size(data, max_bytes))
    if mime not in BINARY_TYPES and mime not in TEXT_TYPES:
        raise ContentError(f"unsupported type {mime}")
    size = int(file.get("size") or 0)
    if size > max_bytes:
        raise FileTooLargeError(size_limit_message(size, max_bytes))
    data = _check_size(api.download(file_id), max_bytes)
    return extract(mime, data)


def extract(mime: str, data: bytes) -> str:
    if mime == PDF:
        return pdf_to_text(data)
    if mime == DOCX:
        return docx_to_text(data)
    if mime == PPTX:
        return pptx_to_text(data)
    if mime == XLSX:
        return xlsx_to_text(data)
    if mime in HTML_TYPES:
        return html_to_text(decode(data))[1]
    return decode(data)


def _check_size(data: bytes, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise FileTooLargeError(size_limit_message(len(data), max_bytes))
    return data


def _check(text: str, data: bytes, max_bytes: int) -> str:
    _check_size(data, max_bytes)
    return text


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def pdf_to_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types for damaged files
        raise ContentError(
            messages.DRIVE_UNREADABLE.format(kind="PDF", error=type(exc).__name__)
        ) from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise ContentError(messages.DRIVE_PDF_NO_TEXT)
    return text


def docx_to_text(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # the parser raises many types for damaged files: this
        # file's boundary, a ContentError that the sync logs as one failed document
        raise ContentError(
            messages.DRIVE_UNREADABLE.format(kind="DOCX", error=type(exc).__name__)
        ) from exc
    lines: list[str] = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if style.startswith("Heading ") and style[8:].isdigit():
            lines.append("#" * min(6, int(style[8:])) + " " + text)
        elif style == "Title":
            lines.append("# " + text)
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append("| " + " | ".join(c.text.strip() for c in row.cells) + " |")
    return "\n\n".join(lines)


def pptx_to_text(data: bytes) -> str:
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as exc:  # the parser raises many types for damaged files: this
        # file's boundary, a ContentError that the sync logs as one failed document
        raise ContentError(
            messages.DRIVE_UNREADABLE.format(kind="PPTX", error=type(exc).__name__)
        ) from exc
    parts: list[str] = []
    for number, slide in enumerate(deck.slides, start=1):
        lines = [f"## Slide {number}"]
        for shape in slide.shapes:
            if getattr(shape, "has_text_frame", False) and shape.text_frame.text.strip():
                lines.append(shape.text_frame.text.strip())
            if getattr(shape, "has_table", False):
                for row in shape.table.rows:
                    lines.append("| " + " | ".join(c.text.strip() for c in row.cells) + " |")
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                lines.append(f"Notes: {notes}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def xlsx_to_text(data: bytes) -> str:
    """CSV per sheet under a `## <sheet>` heading, first rows up to SHEET_MAX_CHARS."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # the parser raises many types for damaged files: this
        # file's boundary, a ContentError that the sync logs as one failed document
        raise ContentError(
            messages.DRIVE_UNREADABLE.format(kind="spreadsheet", error=type(exc).__name__)
        ) from exc
    parts: list[str] = []
    try:
        for sheet in book.worksheets[:SHEET_MAX_SHEETS]:
            body = rows_to_csv(sheet.iter_rows(values_only=True), SHEET_MAX_CHARS)
            if body:
                parts.append(f"## {sheet.title}\n{body}")
    finally:
        book.close()
    return "\n\n".join(parts)


def rows_to_csv(rows: Iterable[Iterable[object]], max_chars: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        before = out.tell()
        writer.writerow(cells)
        if out.tell() > max_chars:
            out.seek(before)
            out.truncate()
            break
    return out.getvalue().strip()
