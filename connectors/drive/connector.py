"""`DriveConnector`: Google Drive as a stream of `SyncItem`s (see `connectors/base.py`).

A run is one of:
- **full** (first sync, `full` mode, or after the change token expired): take
  `changes.getStartPageToken` and checkpoint it *before* listing, list every folder in
  scope (`files.list`, page by page, a checkpoint after each page), then replay the
  changes made meanwhile, then `SeenAll`;
- **incremental**: finish a listing a killed run left, then `changes.list` from the
  saved token (a checkpoint after every page, `newStartPageToken` last); every
  DRIVE_ACL_SWEEP_HOURS also re-list everything in scope so that ACLs inherited from
  folders and shared drives (which the changes feed does not report per file) are
  re-read, ending with `SeenAll`; the same complete listing runs at once when the
  configured folders and shared drives differ from those the last one covered (one
  taken out of the settings: its files are removed in that run).

Every run that completes ends with the members of every Drive group in any ACL known
before the run or read in it (`GroupMembers`, re-read from the Directory API; a group
that cannot be read gets none), so a member removed from a group loses access within one
cycle, incremental ones included.

A file whose version (modifiedTime + name and folder path) is already indexed is
`Unchanged(acl=...)`: its body is not downloaded and an ACL change only updates chunk
metadata. Bodies and permissions are fetched by a small thread pool, ahead of the
engine, in listing order, so checkpoints always follow the items they cover.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors import messages
from connectors.base import (
    Acl,
    Checkpoint,
    Deleted,
    Discovered,
    KnownDoc,
    Note,
    SeenAll,
    SourceError,
    SyncItem,
    SyncMode,
    SyncRequest,
)
from connectors.drive.api import DriveApi
from connectors.drive.checkpoint import EVERYTHING, DriveState, Listing
from connectors.drive.client import DriveApiError
from connectors.drive.content import FOLDER, is_supported
from connectors.drive.documents import FileReader, FileTask, doc_id_of
from connectors.drive.groups import GroupDirectory
from connectors.drive.permissions import SOURCE
from connectors.drive.tree import FolderTree
from connectors.messages import (
    DRIVE_GROUPS_UNREAD_NOTE as GROUPS_UNREAD,
)
from connectors.messages import (
    DRIVE_MISSING_ROOTS as MISSING_ROOTS,
)
from connectors.messages import (
    DRIVE_NO_ROOTS as NO_ROOTS,
)
from connectors.messages import (
    DRIVE_RESYNC_NOTE as RESYNC_NOTE,
)
from connectors.messages import (
    DRIVE_ROOTS_CHANGED as ROOTS_CHANGED,
)

log = logging.getLogger(__name__)


class TokenExpiredError(Exception):
    pass


_Entry = FileTask | SyncItem


class DriveConnector:
    name = SOURCE

    def __init__(
        self,
        api_factory: Callable[[], DriveApi],
        *,
        folder_ids: list[str] | None = None,
        shared_drive_ids: list[str] | None = None,
        public_domains: list[str] | None = None,
        max_file_mb: float = 20.0,
        acl_sweep_hours: float = 6.0,
        directory: GroupDirectory | None = None,
        workers: int = 8,
        prefetch: int = 64,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._api_factory = api_factory
        self._api: DriveApi | None = None
        self.folder_ids = [f for f in folder_ids or [] if f]
        self.shared_drive_ids = [d for d in shared_drive_ids or [] if d]
        self.public_domains = list(public_domains or [])
        self.max_bytes = int(max_file_mb * 1_048_576)
        self.acl_sweep = timedelta(hours=acl_sweep_hours) if acl_sweep_hours > 0 else None
        self.directory = directory or GroupDirectory(None, "not configured")
        self.workers = max(1, workers)
        self.prefetch = max(self.workers, prefetch)
        self.clock = clock
        self._tree: FolderTree | None = None
        self._known: Mapping[str, KnownDoc] = {}
        self._skipped: Counter[str] = Counter()
        self._groups: set[str] = set()
        self._discovered = 0
        self._missing_roots: set[str] = set()

    @property
    def api(self) -> DriveApi:
        if self._api is None:
            self._api = self._api_factory()
        return self._api

    @property
    def tree(self) -> FolderTree:
        if self._tree is None:
            names: dict[str, str] = {}
            if self.shared_drive_ids:
                names = {str(d["id"]): str(d.get("name") or d["id"]) for d in self.api.drives()}
            self._tree = FolderTree(self.api, [*self.folder_ids, *self.shared_drive_ids], names)
        return self._tree

    # ------------------------------------------------------------------ runs
    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        self._known = request.known
        self._skipped.clear()
        self._groups = {p for k in request.known.values() for p in k.acl.principals}
        self._discovered = 0
        self._missing_roots.clear()
        incremental = request.mode == SyncMode.INCREMENTAL
        state = DriveState.load(request.checkpoint) if incremental else None
        if state is None:
            yield from self._full(previous=None)
        else:
            try:
                yield from self._pipeline(self._incremental(state))
            except TokenExpiredError:
                log.warning("drive change token %s rejected: full resync", state.token)
                yield Note(RESYNC_NOTE)
                yield from self._full(previous=state)
        yield from self._group_members()
        if self._missing_roots:
            yield Note(MISSING_ROOTS.format(ids=", ".join(sorted(self._missing_roots))))
        if self._skipped:
            kinds = ", ".join(f"{m} ({n})" for m, n in self._skipped.most_common(5))
            total = sum(self._skipped.values())
            yield Note(messages.DRIVE_UNSUPPORTED_SKIPPED.format(total=total, kinds=kinds))

    def _full(self, previous: DriveState | None) -> Iterator[SyncItem]:
        state = DriveState(token=self.api.start_page_token())
        state.sweep_at = previous.sweep_at if previous else None
        yield from self._pipeline(self._listing_run(state))

    def _listing_run(self, state: DriveState) -> Iterator[_Entry]:
        """A complete listing (full sync or ACL sweep), then the changes made meanwhile."""
        state.listing = Listing(queue=self._roots())
        state.listing_started = self.clock()
        state.folders = set(state.listing.queue) - {EVERYTHING}
        yield Checkpoint(state.dump())  # the token is safe before the listing starts
        yield from self._listing(state)
        yield from self._changes(state)
        # recorded only now: a listing killed part-way (resumed without `SeenAll`) leaves
        # the old roots, so the next run lists everything again and removes what is out
        state.roots = self._configured_roots()
        yield Checkpoint(state.dump())
        yield SeenAll()

    def _configured_roots(self) -> list[str]:
        return sorted({*self.folder_ids, *self.shared_drive_ids}) or [EVERYTHING]

    def _incremental(self, state: DriveState) -> Iterator[_Entry]:
        if state.listing is not None:  # a killed run's listing: finish it (no SeenAll)
            yield from self._listing(state)
        yield from self._changes(state)
        due = self.acl_sweep is not None and (
            state.sweep_at is None or self.clock() - state.sweep_at >= self.acl_sweep
        )
        roots = self._configured_roots()
        if state.roots != roots:
            log.info("drive roots changed (%s -> %s): listing", state.roots, roots)
            yield Note(ROOTS_CHANGED)
            due = True
        if due:
            log.info("drive acl sweep (last %s)", state.sweep_at)
            yield from self._listing_run(state)

    def _roots(self) -> list[str]:
        roots = [*self.folder_ids, *self.shared_drive_ids]
        if not roots:
            return [EVERYTHING]
        visible = [r for r in roots if r in self.tree.drive_names or self.tree.get(r)]
        self._missing_roots = set(roots) - set(visible)
        for missing in sorted(self._missing_roots):
            log.warning("drive root %s is not visible to the Google identity", missing)
        if not visible:
            raise SourceError(NO_ROOTS)
        return visible

    # ------------------------------------------------------------------ listing
    def _listing(self, state: DriveState) -> Iterator[_Entry]:
        listing = state.listing
        assert listing is not None
        while listing.queue:
            unit = listing.queue[0]
            q = "trashed = false"
            if unit != EVERYTHING:
                q = f"'{unit}' in parents and {q}"
            res = self._list(q, listing.page)
            if res.get("incompleteSearch"):
                log.warning("drive files.list reported an incomplete search for %s", unit)
            entries: list[_Entry] = []
            for file in res.get("files") or []:
                if file.get("mimeType") == FOLDER:
                    self.tree.remember(file)
                    if unit != EVERYTHING:
                        listing.queue.append(str(file["id"]))
                        state.folders.add(str(file["id"]))
                    continue
                entries.extend(self._file_entries(file))
            listing.page = res.get("nextPageToken")
            if not listing.page:
                listing.queue.pop(0)
            self._discovered += sum(1 for e in entries if isinstance(e, FileTask))
            yield from entries
            yield Discovered(total=self._discovered)
            if not listing.queue:
                state.listing = None
                state.sweep_at = state.listing_started
                state.listing_started = None
            yield Checkpoint(state.dump())

    def _subtree(self, folder_id: str, state: DriveState) -> Iterator[_Entry]:
        """Everything under a folder that moved, was renamed or trashed (no checkpoints)."""
        queue = [folder_id]
        while queue:
            current = queue.pop(0)
            page: str | None = None
            while True:
                res = self._list(f"'{current}' in parents", page)
                for file in res.get("files") or []:
                    if file.get("mimeType") == FOLDER:
                        self._folder_seen(file, state)
                        queue.append(str(file["id"]))
                    else:
                        yield from self._file_entries(file)
                page = res.get("nextPageToken")
                if not page:
                    break

    def _list(self, q: str, page: str | None) -> Any:
        try:
            return self.api.list_files(q, page)
        except DriveApiError as exc:
            raise SourceError(f"Google Drive listing failed: {exc.describe()}") from exc

    # ------------------------------------------------------------------ changes
    def _changes(self, state: DriveState) -> Iterator[_Entry]:
        assert state.token is not None
        while True:
            token = state.token
            try:
                res = self.api.changes(token)
            except DriveApiError as exc:
                if exc.invalid_page_token:
                    raise TokenExpiredError(token) from exc
                raise SourceError(f"Google Drive changes feed failed: {exc.describe()}") from exc
            changes = res.get("changes") or []
            self._discovered += len(changes)
            for change in changes:
                yield from self._change_entries(change, state)
            yield Discovered(total=self._discovered)
            if res.get("nextPageToken"):
                state.token = str(res["nextPageToken"])
                yield Checkpoint(state.dump())
                continue
            state.token = str(res.get("newStartPageToken") or token)
            yield Checkpoint(state.dump())
            return

    def _change_entries(self, change: Mapping[str, Any], state: DriveState) -> Iterator[_Entry]:
        if change.get("changeType") == "drive":
            return
        file_id = str(change.get("fileId") or "")
        file = change.get("file")
        if change.get("removed") or not file:
            self.tree.forget(file_id)
            state.folders.discard(file_id)
            yield Deleted(doc_id_of(file_id))
            return
        if file.get("mimeType") == FOLDER:
            # renamed, moved, trashed or re-shared: re-read what is under it (its files'
            # paths, scope and inherited permissions) when it is or was in scope
            was = file_id in state.folders
            old, inside = self._folder_seen(file, state)
            if was or inside or old is not None or not self.tree.scoped:
                yield from self._subtree(file_id, state)
            return
        yield from self._file_entries(file)

    def _folder_seen(self, folder: Mapping[str, Any], state: DriveState) -> tuple[Any, bool]:
        """Cache a folder; track whether it is in scope. Returns (cached before, inside)."""
        old = self.tree.remember(folder)
        inside = not folder.get("trashed") and self.tree.locate(folder) is not None
        if inside and self.tree.scoped:
            state.folders.add(str(folder["id"]))
        else:
            state.folders.discard(str(folder["id"]))
        return old, inside

    def _file_entries(self, file: Mapping[str, Any]) -> Iterator[_Entry]:
        file_id = str(file.get("id") or "")
        doc_id = doc_id_of(file_id)
        mime = str(file.get("mimeType") or "")
        if file.get("trashed"):
            yield Deleted(doc_id)
            return
        place = self.tree.place(file)
        if place is None:  # outside the configured folders and drives
            yield Deleted(doc_id)
            return
        if not is_supported(mime):
            self._skipped[mime or "unknown"] += 1
            if doc_id in self._known:
                yield Deleted(doc_id)
            return
        # over DRIVE_MAX_FILE_MB: the reader reports it with the permissions it reads
        yield FileTask(
            file=file,
            path=place.names,
            limited=self.tree.limited_scope(file),
            ancestor_ids=place.ids,
        )

    # ------------------------------------------------------------------ per file
    def _pipeline(self, entries: Iterator[_Entry]) -> Iterator[SyncItem]:
        """Run tasks on the pool, `prefetch` ahead; yield everything in entry order."""
        window: deque[Future[list[SyncItem]] | SyncItem] = deque()
        reader = FileReader(self.api, self._known, self.public_domains, self.max_bytes)
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="drive")
        try:
            for entry in entries:
                if isinstance(entry, FileTask):
                    window.append(pool.submit(reader.read, entry))
                else:
                    window.append(entry)
                while window and (len(window) > self.prefetch or not isinstance(window[0], Future)):
                    yield from self._emit(window.popleft())
            while window:
                yield from self._emit(window.popleft())
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _emit(self, slot: Future[list[SyncItem]] | SyncItem) -> Iterator[SyncItem]:
        items = slot.result() if isinstance(slot, Future) else [slot]
        for item in items:
            acl = getattr(item, "acl", None)
            if isinstance(acl, Acl):
                self._groups.update(p for p in acl.principals if p.startswith("group:"))
            yield item

    def _group_members(self) -> Iterator[SyncItem]:
        """Every group of every ACL known or read in this run, members re-read now (the
        engine replaces the source's memberships with them); failures get none."""
        unread: list[str] = []
        for read in self.directory.read_all(self._groups):
            yield read.members
            if read.error is not None:
                unread.append(f"{read.members.group.split(':', 2)[2]} ({read.error})")
        if unread:
            shown = "; ".join(unread[:5]) + (
                f"; and {len(unread) - 5} more" if len(unread) > 5 else ""
            )
            yield Note(GROUPS_UNREAD.format(count=len(unread), groups=shown))
