"""The local-folder source (`files`): markdown, text, HTML and PDF under FILES_PATH.

- doc ids are `files:<path relative to the root>`;
- a markdown file's title and ACL come from YAML front matter
  (`title: ...`, `acl: {public: false, groups: [a, b], users: [x@y.z]}`); no `acl`
  means public; other formats are public;
- `groups.yaml` at the root (`group-name: [email, ...]`) gives group membership;
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

SOURCE = "files"
SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".pdf"}
GROUPS_FILE = "groups.yaml"
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


class FilesConnector:
    name = SOURCE

    def __init__(self, root: Path, base_url: str | None = None) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/") + "/" if base_url else None

    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        if not self.root.is_dir():
            raise SourceError(f"FILES_PATH {self.root} is not a folder")
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
                yield DocumentFailure(source=SOURCE, doc_id=doc_id, title=rel, reason=_reason(exc))
        yield SeenAll()

    # ------------------------------------------------------------------ helpers
    def _groups(self) -> Iterator[SyncItem]:
        path = self.root / GROUPS_FILE
        if not path.is_file():
            return
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            yield DocumentFailure(source=SOURCE, title=GROUPS_FILE, reason=f"invalid YAML: {exc}")
            return
        if not isinstance(data, dict):
            yield DocumentFailure(
                source=SOURCE, title=GROUPS_FILE, reason="expected a mapping group -> [emails]"
            )
            return
        for name, members in data.items():
            emails = members if isinstance(members, list) else []
            yield GroupMembers(
                group=group_principal(SOURCE, str(name)),
                members=frozenset(user_principal(str(e)) for e in emails),
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
        if suffix == ".pdf":
            title, text = _read_pdf(path)
        else:
            raw = path.read_text(encoding="utf-8")
            if suffix in (".html", ".htm"):
                title, text = html_to_text(raw)
            else:
                meta, text = split_front_matter(raw)
                title = str(meta.get("title") or _first_heading(text) or "")
        title = title or path.stem.replace("-", " ").replace("_", " ").capitalize()
        breadcrumbs = tuple(_folder_title(part) for part in Path(rel).parent.parts)
        return SourceDocument(
            source=SOURCE,
            doc_id=doc_id,
            title=title,
            url=self._url(path, rel),
            text=text,
            updated_at=datetime.fromtimestamp(mtime, tz=UTC),
            acl=acl_from_front_matter(meta.get("acl")),
            author=str(meta["author"]) if meta.get("author") else None,
            breadcrumbs=breadcrumbs,
            version=version,
        )


def _folder_title(name: str) -> str:
    words = name.replace("_", " ").replace("-", " ")
    return words.upper() if len(words) <= 2 else words.capitalize()


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    data = yaml.safe_load(match.group(1)) or {}
    if not isinstance(data, dict):
        raise ValueError("front matter must be a YAML mapping")
    return data, raw[match.end() :]


def acl_from_front_matter(value: object) -> Acl:
    if value is None:
        return Acl.everyone()
    if not isinstance(value, dict):
        raise ValueError("acl must be a mapping: {public: false, groups: [...], users: [...]}")
    groups = value.get("groups") or []
    users = value.get("users") or []
    if not isinstance(groups, list) or not isinstance(users, list):
        raise ValueError("acl groups and users must be lists")
    principals = {group_principal(SOURCE, str(g)) for g in groups}
    principals |= {user_principal(str(u)) for u in users}
    public = bool(value.get("public", not principals))
    return Acl(public=public, principals=frozenset(principals))


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
    for row in body.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in row.find_all(["td", "th"])]
        row.replace_with("\n| " + " | ".join(cells) + " |")
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
        raise ValueError("the PDF has no extractable text")
    return title, text


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, yaml.YAMLError):
        return "invalid YAML front matter"
    return f"{type(exc).__name__}: {exc}"[:300]
