"""Service-account keys for the fake's token endpoint, and real file bodies (PDF, DOCX,
PPTX, XLSX) for the fake Drive to serve."""

from __future__ import annotations

from collections.abc import Iterator


def service_account_info(
    token_uri: str, email: str = "helpdesk@fake-project.iam.gserviceaccount.com"
) -> dict[str, str]:
    """A service-account key whose token endpoint is the fake (a fresh RSA key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "fake-project",
        "private_key_id": "fake-key-1",
        "private_key": pem,
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


def iter_ids(prefix: str, n: int) -> Iterator[str]:
    for i in range(n):
        yield f"{prefix}{i:05d}"


# ---------------------------------------------------------------- file bodies
def make_pdf(text: str) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    y = 800
    for line in text.splitlines():
        c.drawString(50, y, line)
        y -= 16
    c.save()
    return buf.getvalue()


def make_docx(heading: str, paragraphs: list[str]) -> bytes:
    import io

    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for para in paragraphs:
        document.add_paragraph(para)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_pptx(slides: list[tuple[str, str]]) -> bytes:
    import io

    from pptx import Presentation

    deck = Presentation()
    for title, body in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
