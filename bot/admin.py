"""Admin commands, one handler for every chat platform: `reindex`, `status`, `help`,
and the help-channel commands `channel show|set|off` and `gaps [days]`
(`bot.helpchannels.chat_commands`).

Adapters translate only: Slack's `/helpdesk <text>` and a Teams 1:1 text command both
call `AdminCommands.handle(asker, text)` and show `AdminReply.text` to the asker
(ephemeral on Slack). When a reindex was queued, `follow_request_id` is set and the
adapter calls `follow(request_id, post, update)`, which posts one progress message and
edits it in place until the run ends.

The web process never syncs: `reindex` writes rows in `reindex_requests` and a worker
(`helpdesk worker`, or the embedded one with RUN_WORKER=true) picks them up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot import messages
from bot.admin_status import duration, elapsed, plain_error, render_status, running_line
from bot.errors import DeliveryError
from bot.formatting import PLAIN, TextStyle, source_name
from bot.helpchannels.chat_commands import HelpChannelCommands, Place, is_help_channel_command
from bot.models import Asker, PermissionScope, Question, Surface
from bot.services import Services
from connectors import schedule
from connectors.base import Acl, SyncMode
from connectors.registry import known_sources
from connectors.reindex_requests import (
    QUEUED,
    ReindexRequest,
    enqueue,
    get_request,
    requests_by_ids,
)
from connectors.state import StateStore

log = logging.getLogger(__name__)

MAX_FAILURES_SHOWN = 3
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class AdminReply:
    text: str  # shown to the asker (ephemeral on Slack)
    follow_request_id: int | None = None  # set when a reindex was queued: progress follows


class AdminCommands:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.state: StateStore = services.state
        self.help_channels = HelpChannelCommands(
            services.channels, services.chat, services.state, services.embedder
        )

    # ------------------------------------------------------------------ commands
    def is_admin(self, asker: Asker) -> bool:
        admins = {a.strip().lower() for a in self.services.settings.admin_users if a.strip()}
        ids = {asker.user_id.lower()}
        if asker.email:
            ids.add(asker.email.lower())
        return bool(admins & ids)

    def usage(self) -> str:
        sources = ", ".join(f"`{s}`" for s in self.services.sources)
        return messages.ADMIN_USAGE.format(sources=sources or "-")

    async def handle(
        self, asker: Asker, text: str, place: Place | None = None, style: TextStyle = PLAIN
    ) -> AdminReply:
        """`place`: where the command was typed (the channel for `channel …`; the
        admin's own DM for `gaps` with DM questions). None: no channel, not private.
        `style`: how the chat surface shows text we did not write in the reply (what the
        user typed, documents' titles, vendors' errors, others' questions)."""
        raw = text.strip()
        if raw.lower().split(maxsplit=1)[:1] in (["/helpdesk"], ["helpdesk"]):
            raw = raw.split(maxsplit=1)[1] if len(raw.split(maxsplit=1)) > 1 else ""
        if is_help_channel_command(raw):
            reply = await self.help_channels.handle(
                asker, raw, place or Place(), self.is_admin(asker), style
            )
            return AdminReply(reply)
        words = raw.lower().split()
        command, args = (words[0], words[1:]) if words else ("help", [])
        if command == "reindex":
            return await self._reindex(asker, args, style.escape)
        if command == "status" and not args:
            text = await asyncio.to_thread(render_status, self.services, None, style)
            return AdminReply(text)
        if command == "help" and not args:
            return AdminReply(self._help(asker))
        log.info(
            "admin usage shown platform=%s user=%s command=%r",
            asker.platform,
            asker.user_id,
            command,
        )
        return AdminReply(self.usage())

    def _help(self, asker: Asker) -> str:
        admins = (
            messages.ADMIN_HELP_ADMINS_SET
            if self.services.settings.admin_users
            else messages.ADMIN_HELP_NO_ADMINS
        )
        lines = [self.usage(), messages.ADMIN_HELP_WHO.format(admins=admins)]
        if self.is_admin(asker):
            lines.append(messages.ADMIN_HELP_YOU_ARE_ADMIN)
        return "\n".join(lines)

    async def _reindex(
        self, asker: Asker, args: Sequence[str], escape: Callable[[str], str] = str
    ) -> AdminReply:
        if not self.is_admin(asker):
            log.warning(
                "admin reindex refused: not an admin platform=%s user=%s",
                asker.platform,
                asker.user_id,
            )
            return AdminReply(messages.ADMIN_REFUSED)
        configured = self.services.sources
        mode = SyncMode.INCREMENTAL
        target: str | None = None
        for arg in args:
            if arg == "full" and mode == SyncMode.INCREMENTAL:
                mode = SyncMode.FULL
            elif target is None and (arg == "all" or arg in known_sources()):
                target = arg
            elif target is None and arg != "full":
                return AdminReply(
                    messages.ADMIN_UNKNOWN_SOURCE.format(source=escape(arg)) + "\n" + self.usage()
                )
            else:
                return AdminReply(self.usage())
        if target not in (None, "all") and target not in configured:
            return AdminReply(
                messages.ADMIN_SOURCE_NOT_CONFIGURED.format(source=target) + "\n" + self.usage()
            )
        sources = configured if target in (None, "all") else [str(target)]
        if not sources:
            return AdminReply(messages.ADMIN_NO_SOURCES)
        who = f"{asker.platform}:{asker.user_id}"
        created, busy, workers = await asyncio.to_thread(self._enqueue, sources, mode.value, who)
        first = created[0]
        lines = [
            messages.ADMIN_QUEUED.format(
                mode=messages.ADMIN_MODE_FULL if mode == SyncMode.FULL else "",
                sources=", ".join(source_name(s) for s in sources),
                request_id=first.id,
            )
        ]
        lines.extend(messages.ADMIN_QUEUED_BEHIND.format(source=source_name(s)) for s in busy)
        if not workers:
            lines.append(messages.ADMIN_NO_WORKER)
        return AdminReply("\n".join(lines), follow_request_id=first.id)

    def _enqueue(
        self, sources: list[str], mode: str, who: str
    ) -> tuple[list[ReindexRequest], list[str], list[str]]:
        busy = [s for s in sources if self._running_now(s)]
        created = enqueue(self.state, sources, mode, who)
        return created, busy, schedule.live_workers(self.state)

    def _running_now(self, source: str) -> bool:
        last = self.state.last_run(source)
        return last is not None and last.status == "running"

    # ------------------------------------------------------------------ progress
    async def follow(
        self,
        request_id: int,
        post: Callable[[str], Awaitable[str]],
        update: Callable[[str, str], Awaitable[None]],
        interval: float = 3.0,
        *,
        private: bool = False,
        viewer: Asker | None = None,
        give_up_after: float = 6 * 3600,
        style: TextStyle = PLAIN,
    ) -> None:
        """Post the progress of a reindex request (and of the other requests of the same
        command) and edit it at most every `interval` seconds until every one has ended;
        the last edit is the summary.

        Titles of failed documents: anywhere others can read, only those the index/state
        says are public; with `private=True` and `viewer` (a DM with that admin), also the
        ones `viewer` may read. Never the title a failure itself carries: a page just
        restricted and renamed that fails to re-read must not show its new title.
        `style`: how the chat surface shows those titles and the errors."""
        # the scope follows from a question, as for an answer: anywhere others can read,
        # a channel's; in the admin's own DM, theirs when the adapter confirmed who they
        # are (it gives an Asker an email only for a confirmed insider)
        own_dm = private and viewer is not None
        question = Question(
            "",
            viewer or Asker("admin", "admin"),
            "admin",
            surface=Surface.DM if own_dm else Surface.CHANNEL,
            insider=own_dm,
        )
        scope = await asyncio.to_thread(self.services.engine.scope, question)
        head = await asyncio.to_thread(get_request, self.state, request_id)
        if head is None:
            await post(messages.ADMIN_REQUEST_GONE)
            return
        ids = head.batch
        started = time.monotonic()
        message_id: str | None = None
        shown = ""
        last_sent = 0.0
        while True:
            text, finished = await asyncio.to_thread(self._progress_text, ids, scope, style.escape)
            if not finished and time.monotonic() - started > give_up_after:
                text = (
                    text
                    + "\n"
                    + messages.ADMIN_FOLLOW_GAVE_UP.format(duration=duration(give_up_after))
                )
                finished = True
            now = time.monotonic()
            if message_id is None:
                message_id = await post(text)
                shown, last_sent = text, now
            elif text != shown and (finished or now - last_sent >= interval):
                try:
                    await update(message_id, text)
                    shown, last_sent = text, now
                except DeliveryError:
                    log.warning("progress update failed request=%s", request_id, exc_info=True)
                    if finished:
                        raise
            if finished and text == shown:
                log.info("progress followed to the end request=%s", request_id)
                return
            await asyncio.sleep(min(POLL_SECONDS, interval))

    def _progress_text(
        self, ids: Sequence[int], scope: PermissionScope, escape: Callable[[str], str] = str
    ) -> tuple[str, bool]:
        requests = requests_by_ids(self.state, ids)
        if not requests:
            return messages.ADMIN_REQUEST_GONE, True
        lines: list[str] = []
        for req in requests:
            lines.extend(self._request_lines(req, scope, escape))
        return "\n".join(lines), all(r.finished for r in requests)

    def _request_lines(
        self, req: ReindexRequest, scope: PermissionScope, escape: Callable[[str], str] = str
    ) -> list[str]:
        name = source_name(req.source)
        run = self.state.run(req.run_id) if req.run_id is not None else None
        if req.status == QUEUED or (run is None and not req.finished):
            if req.status == QUEUED and self._running_now(req.source):
                return [messages.ADMIN_PROGRESS_QUEUED_BEHIND.format(source=name)]
            if req.status == QUEUED:
                return [messages.ADMIN_PROGRESS_QUEUED.format(source=name)]
            return [messages.ADMIN_PROGRESS_STARTING.format(source=name)]
        if run is None:
            error_text = escape(str(req.error))
            return [messages.ADMIN_SUMMARY_FAILED_NO_RUN.format(source=name, error=error_text)]
        if not req.finished:
            return [messages.ADMIN_PROGRESS_RUNNING.format(source=name, progress=running_line(run))]
        counts = {
            "added": run.added,
            "updated": run.updated,
            "deleted": run.deleted,
            "unchanged": run.unchanged,
            "failed": run.failed,
        }
        took = duration(elapsed(run))
        if req.status == "done" and run.status == "succeeded":
            lines = [messages.ADMIN_SUMMARY_DONE.format(source=name, duration=took, **counts)]
        elif req.status == "done" and run.status == "partial":
            lines = [messages.ADMIN_SUMMARY_PARTIAL.format(source=name, duration=took, **counts)]
        else:
            error = req.error or plain_error(run)
            lines = [
                messages.ADMIN_SUMMARY_FAILED.format(
                    source=name, duration=took, error=escape(error), **counts
                )
            ]
        lines.extend(self._failure_lines(run.failures, scope, escape))
        return lines

    def _failure_lines(
        self,
        failures: Sequence[dict[str, object]],
        scope: PermissionScope,
        escape: Callable[[str], str] = str,
    ) -> list[str]:
        lines = []
        for failure in failures[:MAX_FAILURES_SHOWN]:
            reason = failure.get("reason")
            if failure.get("doc_id"):
                shown = self._readable_title(failure, scope)
            else:  # a source-level file (groups.yaml...), not a document: DMs only
                shown = None if scope.is_public_only else _str(failure.get("title"))
            if shown:
                lines.append(
                    messages.ADMIN_FAILURE_LINE.format(
                        title=escape(shown), reason=escape(str(reason))
                    )
                )
            elif scope.is_public_only:
                lines.append(messages.ADMIN_FAILURE_HIDDEN)
            else:
                lines.append(messages.ADMIN_FAILURE_HIDDEN_DM)
        if len(failures) > MAX_FAILURES_SHOWN:
            lines.append(messages.ADMIN_FAILURES_MORE.format(n=len(failures) - MAX_FAILURES_SHOWN))
        return lines

    def _readable_title(self, failure: dict[str, object], scope: PermissionScope) -> str | None:
        """A failed document's title, only when `scope` may read it according to every
        permission we know — the one stored in the state (what the index serves) and the
        one the source reported with the failure — and at least one is known. The
        failure's own (possibly new) title only when the source's current permissions
        allow it; otherwise the stored title. Nothing known → None."""
        doc_id = str(failure.get("doc_id"))
        doc = self.state.document(doc_id)
        reported = failure.get("acl")
        current = Acl.from_json(reported) if isinstance(reported, dict) else None
        if doc is None and current is None:
            return None
        if doc is not None and not _readable(doc.acl, scope):
            return None
        if current is not None and not _readable(current, scope):
            return None
        if current is not None:
            return _str(failure.get("title")) or (doc.title if doc else None) or doc_id
        assert doc is not None
        return doc.title or doc_id


def _readable(acl: Acl, scope: PermissionScope) -> bool:
    return acl.public or bool(scope.principals & acl.principals)


def _str(value: object) -> str | None:
    return str(value) if value else None
