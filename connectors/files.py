"""The local-folder source (`files`): markdown, text, HTML and PDF under FILES_PATH.

- doc ids are `files:<path relative to the root>`;
- a markdown or text file's title and ACL come from YAML front matter
  (`title: ...`, `acl: {public: false, groups: [a, b], users: [x@y.z]}`), parsed strictly
  (`connectors/front_matter.py`): no front matter, or none with `acl`, means public (the
  folder default); front matter that is present but not fully understood makes the file
  a `DocumentFailure` — readable by nobody, reported with the problem; an HTML page's
  front matter, if it has one, is read the same way; PDF is public;
- `groups.yaml` at the root (`group-name: [email, ...]`) gives group membership; the
  engine replaces the source's memberships with the groups yielded by each complete run,
  so a deleted or unparsable `groups.yaml` (reported) leaves every group empty;
- the file's mtime and size are its version: an untouched file is not re-read on an
  incremental sync; every run lists the whole folder, so deletions are seen at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from connectors import messages
from connectors.base import (
    Acl,
    Discovered,
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
from connectors.front_matter import (
    SOURCE,
    FrontMatterError,
    acl_from_front_matter,
    describe,
    split_front_matter,
    strict_yaml,
    title_of,
    yaml_problem,
)

SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
GROUPS_FILE = "groups.yaml"


class FilesConnector:
    name = SOURCE

    def __init__(self, root: Path | None, base_url: str | None = None) -> None:
        self._root = root
        self.base_url = base_url.rstrip("/") + "/" if base_url else None

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        if self._root is None or not self._root.is_dir():
            raise SourceError(messages.FILES_NOT_A_FOLDER.format(path=self._root))
        self.root = self._root
        yield from self._groups()
        paths = sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file()
            and p.suffix.lower() in SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
        )
        yield Discovered(total=len(paths))
        for path in paths:
            rel = path.relative_to(self.root).as_posix()
            doc_id = f"{SOURCE}:{rel}"
            stat = path.stat()
            version = f"{stat.st_mtime_ns}:{stat.st_size}"
            prior = request.known.get(doc_id)
            if (
                request.mode == SyncMode.INCREMENTAL
                and prior is not None
                and prior.version == version
            ):
                yield Unchanged(doc_id=doc_id)
                continue
            try:
                yield self._read(path, rel, doc_id, version, stat.st_mtime)
            except Exception as exc:
                # boundary of one file (pypdf alone raises a dozen types on damaged
                # PDFs): the file becomes readable by nobody, the run goes on
                yield DocumentFailure(source=SOURCE, doc_id=doc_id, title=rel, reason=_reason(exc))
        yield SeenAll()

    # ------------------------------------------------------------------ helpers
    def _groups(self) -> Iterator[SyncItem]:
        """Every well-formed group of groups.yaml; a problem is a reported failure and
        leaves the groups concerned without members (fail closed)."""
        path = self.root / GROUPS_FILE
        if not path.is_file():
            return
        try:
            data = strict_yaml(path.read_text(encoding="utf-8")) or {}
        except UnicodeDecodeError:
            yield _groups_failure(messages.FILES_NOT_UTF8)
            return
        except OSError as exc:
            yield _groups_failure(f"{type(exc).__name__}: {exc}"[:300])
            return
        except yaml.YAMLError as exc:
            yield _groups_failure(messages.GROUPS_YAML.format(detail=yaml_problem(exc)))
            return
        if not isinstance(data, dict):
            yield _groups_failure(messages.GROUPS_NOT_MAPPING)
            return
        for name, members in data.items():
            if not isinstance(members, list) or not all(
                isinstance(m, str) and m.strip() for m in members
            ):
                yield DocumentFailure(
                    source=SOURCE,
                    title=GROUPS_FILE,
                    reason=messages.GROUP_NOT_A_LIST.format(
                        group=str(name), value=describe(members)
                    ),
                )
                continue
            yield GroupMembers(
                group=group_principal(SOURCE, str(name)),
                members=frozenset(user_principal(e) for e in members),
            )

    def _url(self, path: Path, rel: str) -> str:
        if self.base_url:
            return self.base_url + rel
        return path.resolve().as_uri()

    def _read(
        self, path: Path, rel: str, doc_id: str, version: str, mtime: float
    ) -> SourceDocument:
        suffix = path.suffix.lower()
        meta: dict[str, Any] = {}
        acl = Acl.everyone()  # PDF: the folder default
        if suffix == ".pdf":
            title, text = _read_pdf(path)
        else:
            # front matter is read as strictly on an HTML page as on markdown: a page
            # opening with a block that restricts it is not public because it is HTML
            front, body = split_front_matter(path.read_text(encoding="utf-8"))
            acl = acl_from_front_matter(front)
            meta = front or {}
            if suffix in (".html", ".htm"):
                html_title, text = html_to_text(body)
                title = title_of(meta) or html_title
            else:
                text = body
                title = title_of(meta) or _first_heading(text) or ""
        title = title or path.stem.replace("-", " ").replace("_", " ").capitalize()
        breadcrumbs = tuple(_folder_title(part) for part in Path(rel).parent.parts)
        return SourceDocument(
            source=SOURCE,
            doc_id=doc_id,
            title=title,
            url=self._url(path, rel),
            text=text,
            updated_at=datetime.fromtimestamp(mtime, tz=UTC),
            acl=acl,
            author=str(meta["author"]) if meta.get("author") else None,
            breadcrumbs=breadcrumbs,
            version=version,
        )


def _folder_title(name: str) -> str:
    words = name.replace("_", " ").replace("-", " ")
    return words.upper() if len(words) <= 2 else words.capitalize()


def _first_heading(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def html_to_text(raw: str) -> tuple[str, str]:
    """Title and readable text of an HTML page (headings, lists and tables kept as lines)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "noscript"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    if not title and (h1 := soup.find("h1")):
        title = h1.get_text(strip=True)
    body = soup.body or soup
    for level in range(1, 7):
        for h in body.find_all(f"h{level}"):
            h.insert_before("\n" + "#" * level + " ")
            h.insert_after("\n")
    for li in body.find_all("li"):
        li.insert_before("\n- ")
    for table in body.find_all("table"):
        # one line per row, no blank lines between them, a ruler under a header row:
        # the same Markdown table the Confluence converter writes
        rows: list[str] = []
        for row in table.find_all("tr"):
            cells = row.find_all(["td", "th"])
            if not cells:
                continue
            texts = [c.get_text(" ", strip=True).replace("|", "\\|") for c in cells]
            rows.append("| " + " | ".join(texts) + " |")
            if len(rows) == 1 and all(c.name == "th" for c in cells):
                rows.append("|" + "|".join(" --- " for _ in cells) + "|")
        table.replace_with("\n" + "\n".join(rows) + "\n")
    for tag in body.find_all(["p", "div", "br", "pre", "table"]):
        tag.insert_after("\n")
    text = body.get_text()
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return title, cleaned


def _read_pdf(path: Path) -> tuple[str, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    title = ""
    if reader.metadata and reader.metadata.title:
        title = str(reader.metadata.title)
    pages = [page.extract_text() or "" for page in reader.pages]
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise ValueError(messages.FILES_PDF_NO_TEXT)
    return title, text


def _groups_failure(problem: str) -> DocumentFailure:
    return DocumentFailure(
        source=SOURCE,
        title=GROUPS_FILE,
        reason=messages.GROUPS_FILE_PROBLEM.format(problem=problem),
    )


def _reason(exc: Exception) -> str:
    """What the admin reads next to the file's name; the file is readable by nobody."""
    if isinstance(exc, UnicodeDecodeError):
        problem = messages.FILES_NOT_UTF8
    elif isinstance(exc, FrontMatterError):
        problem = str(exc)
    else:
        problem = f"{type(exc).__name__}: {exc}"[:300]
    return messages.FILES_RESTRICTED.format(problem=problem)
