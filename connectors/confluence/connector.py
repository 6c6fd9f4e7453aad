"""`ConfluenceConnector`: pages and blog posts of the synced spaces, with their ACLs.

One run (both modes):

1. **Spaces** in scope (`CONFLUENCE_SPACES`, or every current space the credentials
   can read) and each space's view permission.
2. **Ids-only listing** of every space (v1 CQL, no bodies, cursor-paged) with versions,
   ancestors and read restrictions expanded: the run's picture of what exists and who
   may read it. ACLs of *all* pages are recomputed from it every cycle (restriction
   changes do not bump `lastmodified`); a page whose version is already indexed is
   yielded as `Unchanged(acl=...)`, so an ACL-only change updates metadata and never
   re-embeds.
3. **Bodies** of what changed. Full sync (and a first sync): the v2 bulk listings with
   `body-format=storage`, `limit=250`. Incremental: CQL `lastmodified >= <checkpoint -
   overlap>` in the sync account's time zone (or padded by 12 h when unknown), oldest
   first, `Checkpoint` after each page of results; then every listed page whose version
   is still not indexed (missed by the window, a killed run, a new space) is fetched one
   by one, or in bulk when a space has many. Correctness never rests on the CQL window:
   the version comparison against the listing catches anything it missed.
4. **Deletions**: `SeenAll` ends the run, so whatever is indexed and was not listed —
   deleted, trashed, archived, moved out of the synced spaces, newly unreadable — is
   removed in the same cycle.

Fail closed — what the run cannot read only ever shrinks who sees a page, in that cycle:

- A skipped space (403/404 on the space, its permissions or its listing; a configured
  space that is gone or archived; still failing after retries; permissions we cannot
  read) is one failure with a clear message, the rest is synced. Its indexed pages
  (recognised by the space key in their stored URL, or with no recognisable key) are
  yielded `Unchanged` with an ACL of *nobody*: hidden from everyone, text kept, so a
  space that comes back is an ACL update, not a re-embedding. A space removed from
  `CONFLUENCE_SPACES`, or no longer listed when syncing every space, is not "skipped":
  its documents go.
- Missing or not understood permission data (see `permissions` and `acl`) restricts.
- A body that cannot be fetched or parsed is a `DocumentFailure` carrying the page's
  current ACL (from the listing), or none (→ nobody) on a 403/404 for the page itself.
- If the run dies part-way, the pages it had not reached still get their current ACLs
  (`Unchanged`) before the error is raised.
- Group members: every run yields the members of every group named in a known or new
  ACL (the engine replaces the table); an unreadable group is yielded empty plus a
  failure.

`version` is `<version number>:<8 hex of space key + breadcrumbs>` rather than the bare
number: moving a page or renaming an ancestor changes its breadcrumbs (embedded with
every chunk) and URL without bumping the page version, and must re-index it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from connectors.base import (
    Acl,
    Checkpoint,
    Discovered,
    DocumentFailure,
    KnownDoc,
    Note,
    SeenAll,
    SourceDocument,
    SourceError,
    SyncItem,
    SyncMode,
    SyncRequest,
    Unchanged,
)
from connectors.confluence.acl import AclResolver
from connectors.confluence.client import (
    ConfluenceError,
    ForbiddenError,
    NotFoundError,
    prefetch,
    refusal_reason,
)
from connectors.confluence.endpoints import (
    Body,
    ConfluenceApi,
    Entry,
    Space,
    page_url,
    parse_body_v1,
    parse_entry,
)
from connectors.confluence.permissions import Readers, UnknownPermissionsError
from connectors.confluence.storage import storage_to_text
from connectors.confluence.timing import (
    checkpoint_since,
    checkpoint_value,
    cql_time,
    parse_time,
    server_time,
)
from connectors.messages import CONFLUENCE_BODY_UNPARSABLE as BODY_UNPARSABLE
from connectors.messages import CONFLUENCE_BODY_UNREADABLE as BODY_UNREADABLE
from connectors.messages import CONFLUENCE_GROUP_UNREADABLE as GROUP_UNREADABLE
from connectors.messages import CONFLUENCE_RESTRICTION_UNREADABLE as RESTRICTION_UNREADABLE
from connectors.messages import CONFLUENCE_SPACE_NOT_LISTED as SPACE_NOT_LISTED
from connectors.messages import CONFLUENCE_SPACE_PERMISSIONS_UNKNOWN as PERMISSIONS_UNKNOWN
from connectors.messages import CONFLUENCE_SPACE_SKIPPED as SPACE_SKIPPED
from connectors.messages import CONFLUENCE_WINDOW_FAILED as WINDOW_FAILED

log = logging.getLogger(__name__)

SOURCE = "confluence"
_SPACE_IN_URL = re.compile(r"/spaces/([^/?#]+)|/display/([^/?#]+)|[?&]spaceKey=([^&#]+)")


@dataclass(frozen=True)
class ConfluenceOptions:
    spaces: tuple[str, ...] = ()  # empty: every space the credentials can read
    public_groups: frozenset[str] = frozenset({"confluence-users"})
    window_overlap: timedelta = timedelta(minutes=15)
    unknown_tz_pad: timedelta = timedelta(hours=12)  # UTC-12 is the furthest behind
    bulk_threshold: int = 50  # per space: more stale pages than this → bulk listing


def space_key_of_url(url: str) -> str | None:
    match = _SPACE_IN_URL.search(url)
    if not match:
        return None
    return next(g for g in match.groups() if g)


@dataclass
class _Run:
    request: SyncRequest
    entries: dict[str, Entry] = field(default_factory=dict)
    acls: dict[str, Acl] = field(default_factory=dict)
    crumbs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spaces: dict[str, Space] = field(default_factory=dict)  # complete spaces by key
    skipped: dict[str, str] = field(default_factory=dict)  # key -> reason
    handled: set[str] = field(default_factory=set)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    since: datetime | None = None


class ConfluenceConnector:
    name = SOURCE
    # every run yields the current ACL of every indexed page (or deletes it), so the run
    # after a failed one need not be full to lift the restrictions the failure left
    reads_every_acl = True

    def __init__(self, api: ConfluenceApi, options: ConfluenceOptions) -> None:
        self.api = api
        self.options = options
        self.acls = AclResolver(api, options.public_groups)

    # ------------------------------------------------------------------ the run
    def scan(self, request: SyncRequest) -> Iterator[SyncItem]:
        self.acls.reset()
        run = _Run(request=request, since=checkpoint_since(request.checkpoint))
        try:
            yield from self._discover(run)
            yield from self._hide_skipped(run)
            yield from self._contents(run)
        except (ConfluenceError, SourceError) as exc:
            yield from self._current_acls(run)  # what the run did not reach: ACLs now
            if isinstance(exc, SourceError):
                raise
            raise SourceError(exc.message) from exc
        yield Checkpoint(checkpoint_value(run.started))
        yield SeenAll()

    def _discover(self, run: _Run) -> Iterator[SyncItem]:
        try:
            spaces = self.api.spaces(list(self.options.spaces))
        except ForbiddenError as exc:
            raise SourceError(exc.message) from exc
        run.started = server_time(self.api.client.server_date) or run.started
        listed = {s.key for s in spaces}
        for key in self.options.spaces:
            if key not in listed:
                yield self._skip(run, key, SPACE_NOT_LISTED)
        space_levels: dict[str, Readers] = {}
        for space in spaces:
            try:
                level = self.acls.space_level(self.api.space_permissions(space.key))
            except UnknownPermissionsError:
                yield self._skip(run, space.key, PERMISSIONS_UNKNOWN)
                continue
            except (ForbiddenError, NotFoundError) as exc:
                yield self._skip(run, space.key, refusal_reason(exc))
                continue
            except ConfluenceError as exc:  # retries exhausted, 5xx, bad JSON
                yield self._skip(run, space.key, exc.message)
                continue
            try:
                entries = [
                    e
                    for page in self.api.listing(space.key)
                    for item in page
                    if (e := parse_entry(item)) is not None
                ]
            except (ForbiddenError, NotFoundError) as exc:
                yield self._skip(run, space.key, refusal_reason(exc))
                continue
            except ConfluenceError as exc:  # retries exhausted, 5xx, bad JSON
                yield self._skip(run, space.key, exc.message)
                continue
            space_levels[space.key] = level
            run.spaces[space.key] = space
            for entry in entries:
                if entry.space_key != space.key:
                    entry = replace(entry, space_key=space.key)
                run.entries.setdefault(entry.id, entry)
        self.acls.index(run.entries.values())
        for entry in run.entries.values():
            run.acls[entry.id] = self.acls.acl(space_levels[entry.space_key], entry)
            home = run.spaces.get(entry.space_key)
            crumbs = tuple(title for _, title in entry.ancestors)
            if not crumbs and entry.type == "blogpost" and home is not None and home.name:
                crumbs = (home.name,)
            run.crumbs[entry.id] = crumbs
        yield Discovered(total=len(run.entries))
        known_acls = [k.acl for k in run.request.known.values()]
        yield from list(self.acls.group_members([*run.acls.values(), *known_acls]))
        for name, why in sorted(self.acls.unreadable_groups.items()):
            message = GROUP_UNREADABLE.format(group=name, reason=why)
            yield DocumentFailure(SOURCE, message, None, f"group {name}")
        for content_id, why in sorted(self.acls.unreadable_restrictions.items()):
            message = RESTRICTION_UNREADABLE.format(id=content_id, reason=why)
            yield DocumentFailure(SOURCE, message, None, f"page {content_id}")

    def _contents(self, run: _Run) -> Iterator[SyncItem]:
        known = run.request.known
        incremental = run.request.mode == SyncMode.INCREMENTAL and run.since is not None
        if incremental:
            try:
                yield from self._window(run)
            except ConfluenceError as exc:  # the per-page fetches below take over
                log.warning("confluence changed-pages search failed: %s", exc.message)
                yield Note(WINDOW_FAILED.format(reason=exc.message))
        for key, space in run.spaces.items():
            stale = [
                e
                for e in run.entries.values()
                if e.space_key == key
                and e.id not in run.handled
                and not self._is_current(run, e, known.get(_doc_id(e.id)))
            ]
            if not incremental or len(stale) > self.options.bulk_threshold:
                yield from self._bulk(run, space)
            else:
                for entry in stale:
                    yield self._fetch_one(run, entry)
        for entry in run.entries.values():  # everything else: indexed at its version
            if entry.id not in run.handled:
                run.handled.add(entry.id)
                doc_id = _doc_id(entry.id)
                if doc_id in known:
                    yield Unchanged(doc_id, acl=run.acls[entry.id])

    # ------------------------------------------------------------------ bodies
    def _window(self, run: _Run) -> Iterator[SyncItem]:
        assert run.since is not None
        keys = sorted(run.spaces)
        if not keys:
            return
        since = self._cql_time(run.since - self.options.window_overlap)
        high = run.since
        for page in prefetch(self.api.changed_since(keys, since)):
            for item in page:
                entry = run.entries.get(str(item.get("id")))
                if entry is None or entry.id in run.handled:
                    continue
                body = parse_body_v1(item)
                if body.version is not None and body.version < entry.version:
                    continue  # a stale search hit: the per-page fetch below gets it
                yield self._item(run, entry, body)
                when = parse_time(body.when or entry.when)
                if when is not None and high < when <= run.started:
                    high = when
            yield Checkpoint(checkpoint_value(high))

    def _bulk(self, run: _Run, space: Space) -> Iterator[SyncItem]:
        try:
            for batch in prefetch(self.api.bodies(space)):
                for body in batch:
                    entry = run.entries.get(body.id)
                    if entry is None or entry.id in run.handled:
                        continue  # created after the listing: the next cycle takes it
                    yield self._item(run, entry, body)
                yield Checkpoint(checkpoint_value(run.since or run.started))
        except ConfluenceError as exc:
            # the bodies of this space could not be listed: its pages keep their text
            # and get the ACLs read now; those whose newer version was missed fail
            reason = refusal_reason(exc)
            yield DocumentFailure(
                SOURCE, BODY_UNREADABLE.format(reason=reason), None, f"space {space.key}"
            )
            for entry in run.entries.values():
                if entry.space_key != space.key or entry.id in run.handled:
                    continue
                run.handled.add(entry.id)
                doc_id = _doc_id(entry.id)
                acl = run.acls[entry.id]
                if self._is_current(run, entry, run.request.known.get(doc_id)):
                    yield Unchanged(doc_id, acl=acl)
                else:
                    yield DocumentFailure(SOURCE, reason, doc_id, entry.title, acl)

    def _fetch_one(self, run: _Run, entry: Entry) -> SyncItem:
        run.handled.add(entry.id)
        doc_id = _doc_id(entry.id)
        try:
            body = self.api.body(entry.id, entry.type)
        except (NotFoundError, ForbiddenError) as exc:
            # the page itself refuses us although the listing showed it: nobody
            return DocumentFailure(SOURCE, refusal_reason(exc), doc_id, entry.title, None)
        except ConfluenceError as exc:
            reason = BODY_UNREADABLE.format(reason=exc.message)
            return DocumentFailure(SOURCE, reason, doc_id, entry.title, run.acls[entry.id])
        return self._document(run, entry, body)

    def _item(self, run: _Run, entry: Entry, body: Body) -> SyncItem:
        run.handled.add(entry.id)
        doc_id = _doc_id(entry.id)
        prior = run.request.known.get(doc_id)
        if run.request.mode == SyncMode.INCREMENTAL and self._is_current(run, entry, prior):
            return Unchanged(doc_id, acl=run.acls[entry.id])
        return self._document(run, entry, body)

    def _document(self, run: _Run, entry: Entry, body: Body) -> SyncItem:
        doc_id = _doc_id(entry.id)
        try:
            text = storage_to_text(body.storage)
        except Exception as exc:
            # boundary of one page's body (BeautifulSoup and the recursive renderer on
            # arbitrary XHTML): a failure is this page's, under its current permissions;
            # crashing the run instead would leave its old, perhaps wider, ACL in place
            return DocumentFailure(
                SOURCE,
                BODY_UNPARSABLE.format(error=exc)[:300],
                doc_id,
                entry.title,  # the listing's title: a failed body's own is not trusted
                run.acls[entry.id],
            )
        number = body.version if body.version is not None else entry.version
        crumbs = run.crumbs[entry.id]
        return SourceDocument(
            source=SOURCE,
            doc_id=doc_id,
            title=body.title or entry.title,
            url=page_url(self.api.client.base, entry),
            text=text,
            updated_at=parse_time(body.when or entry.when) or run.started,
            acl=run.acls[entry.id],
            author=entry.author,
            breadcrumbs=crumbs,
            version=_version(number, entry.space_key, crumbs),
        )

    # ------------------------------------------------------------------ helpers
    def _is_current(self, run: _Run, entry: Entry, prior: KnownDoc | None) -> bool:
        if prior is None or prior.version is None:
            return False
        return bool(prior.version == _version(entry.version, entry.space_key, run.crumbs[entry.id]))

    def _cql_time(self, instant: datetime) -> str:
        try:
            zone_name = self.api.time_zone()
        except (ForbiddenError, ConfluenceError):
            zone_name = None
        return cql_time(instant, zone_name, self.options.unknown_tz_pad)

    def _skip(self, run: _Run, key: str, reason: str) -> DocumentFailure:
        run.skipped[key] = reason
        message = SPACE_SKIPPED.format(key=key, reason=reason)
        log.warning("confluence %s", message)
        return DocumentFailure(SOURCE, message, None, f"space {key}")

    def _hide_skipped(self, run: _Run) -> Iterator[SyncItem]:
        """Indexed pages of skipped spaces: readable by nobody (see module doc)."""
        if not run.skipped:
            return
        nobody = Acl(public=False)
        for doc_id, known in run.request.known.items():
            url = known.url
            native = str(doc_id).split(":", 1)[-1]
            if native in run.entries:
                continue
            key = space_key_of_url(str(url or ""))
            if key is None or key in run.skipped:
                yield Unchanged(str(doc_id), acl=nobody)

    def _current_acls(self, run: _Run) -> Iterator[SyncItem]:
        """Before a fatal error ends the run: the current ACL of every indexed page it
        had not reached, so a restriction made since the last run still applies."""
        for entry in run.entries.values():
            doc_id = _doc_id(entry.id)
            if entry.id not in run.handled and doc_id in run.request.known:
                run.handled.add(entry.id)
                yield Unchanged(doc_id, acl=run.acls[entry.id])


def _doc_id(native: str) -> str:
    return f"{SOURCE}:{native}"


def _version(number: int, space_key: str, crumbs: tuple[str, ...]) -> str:
    digest = hashlib.sha256("\x1f".join((space_key, *crumbs)).encode()).hexdigest()[:8]
    return f"{number}:{digest}"
