"""Teams streaming (1:1 chats only): an informative update, then `typing` activities
carrying the accumulated text, then the final `message` — all tied together by the
`streaminfo` entity (and the same keys in `channelData`, which older clients read).

Rules (Teams "Stream bot messages"): `streamSequence` starts at 1 and increases on every
update; the first update's activity id is the `streamId`; each update carries the whole
text so far; the final message has `streamType: final`, the same `streamId` and no
sequence; nothing follows it. Updates are paced (at least `interval` seconds apart) and
the text generated in between is buffered into the next update.

Teams ends a stream that is not finished within two minutes: every later post on it,
the final message too, is a 403 `ContentStreamNotAllowed` ("Content stream finished due
to exceeded streaming time."). So a stream open `max_seconds` (100 s, a margin for the
final message) sends no more updates, and its final message goes out as an ordinary
new message (no `streaminfo`) — as it also does when Teams answers that 403 anyway.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bot.adapters.teams.activities import MAX_ACTIVITY_BYTES, RawEntity, teams_size
from bot.adapters.teams.render import answer_markdown
from bot.adapters.teams.retry import TEAMS_SEND_ERRORS

log = logging.getLogger(__name__)

SendFn = Callable[[Activity], Awaitable[Any]]
STREAM_MAX_SECONDS = 100.0  # Teams ends a stream after two minutes; leave a margin
STREAM_TIMED_OUT = "exceeded streaming time"  # Teams' 403 ContentStreamNotAllowed message
INFORMATIVE_MAX_CHARS = 1000  # Teams: informative updates are at most 1 KB
STREAMING_MAX_BYTES = MAX_ACTIVITY_BYTES - 4_000  # UTF-16, as Teams counts it


class TeamsStream:
    def __init__(
        self,
        send: SendFn,
        *,
        interval: float = 1.0,
        max_seconds: float = STREAM_MAX_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._send = send
        self.interval = interval
        self.max_seconds = max_seconds
        self._clock = clock
        self._sleep = sleep
        self.stream_id: str | None = None
        self.sequence = 0
        self.text = ""
        self._sent_text = ""
        self._last_send: float | None = None
        self.ended = False
        self.updates_sent = 0
        self._opened_at: float | None = None
        self._timed_out = False  # Teams refused the stream for its age
        self.final_id: str | None = None  # the final message's id when sent on its own

    # ------------------------------------------------------------------ entities
    def _stream_entity(self, stream_type: str) -> dict[str, Any]:
        entity: dict[str, Any] = {"type": "streaminfo", "streamType": stream_type}
        if self.stream_id:
            entity["streamId"] = self.stream_id
        if stream_type != "final":
            entity["streamSequence"] = self.sequence
        return entity

    def _mark(self, activity: Activity, stream_type: str) -> Activity:
        entity = self._stream_entity(stream_type)
        extra = [e for e in (activity.entities or []) if getattr(e, "type", "") != "streaminfo"]
        activity.entities = [RawEntity(entity), *extra]
        channel_data = dict(activity.channel_data or {})
        channel_data.update({k: v for k, v in entity.items() if k != "type"})
        activity.channel_data = channel_data
        return activity

    async def _paced_send(self, activity: Activity) -> Any:
        if self._last_send is not None:
            wait = self.interval - (self._clock() - self._last_send)
            if wait > 0:
                await self._sleep(wait)
        response = await self._send(activity)
        self._last_send = self._clock()
        if self._opened_at is None:
            self._opened_at = self._last_send
        if self.stream_id is None:
            self.stream_id = getattr(response, "id", None) or None
        return response

    def expired(self) -> bool:
        """Open too long to take more posts (or Teams said so)."""
        if self._timed_out:
            return True
        return self._opened_at is not None and self._clock() - self._opened_at >= self.max_seconds

    def _refused_for_age(self, exc: BaseException) -> bool:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 403 and STREAM_TIMED_OUT in str(exc).lower():
            self._timed_out = True
            log.warning("teams stream timed out stream_id=%s", self.stream_id)
            return True
        return False

    # ------------------------------------------------------------------ API
    async def informative(self, text: str) -> None:
        if self.ended:
            raise RuntimeError("stream already ended")
        if self.expired():
            return
        self.sequence += 1
        activity = Activity(type=ActivityTypes.typing, text=text[:INFORMATIVE_MAX_CHARS])
        await self._update(self._mark(activity, "informative"))

    def due(self) -> bool:
        if self._last_send is None:
            return True
        return self._clock() - self._last_send >= self.interval

    async def push(self, delta: str) -> None:
        """Append generated text (the answer's raw Markdown: each update sends the whole
        text so far through `render.answer_markdown`, as the final message does); send an
        update when the pacing interval has passed."""
        if self.ended:
            raise RuntimeError("stream already ended")
        self.text += delta
        if self.due():
            await self.flush()

    async def flush(self) -> None:
        if self.ended or self.text == self._sent_text or not self.text.strip():
            return
        shown = answer_markdown(self.text)  # the answer's Markdown, without HTML or mentions
        if teams_size(shown) > STREAMING_MAX_BYTES or self.expired():
            return  # the final message carries the (shortened) text
        self.sequence += 1
        activity = Activity(type=ActivityTypes.typing, text=shown)
        self._sent_text = self.text
        await self._update(self._mark(activity, "streaming"))

    async def _update(self, activity: Activity) -> None:
        try:
            await self._paced_send(activity)
        except TEAMS_SEND_ERRORS as exc:
            if not self._refused_for_age(exc):
                raise
            return
        self.updates_sent += 1

    async def finish(self, final: Activity) -> Any:
        """Send the final message (built by `answer_activity`/`text_activity`) on this
        stream — or, once the stream is too old, as a message of its own (`final_id`).
        Returns the connector's response."""
        if self.ended:
            raise RuntimeError("stream already ended")
        self.ended = True
        if not self.expired():
            try:
                response = await self._paced_send(self._mark(final, "final"))
            except TEAMS_SEND_ERRORS as exc:
                if not self._refused_for_age(exc):
                    raise
            else:
                log.info(
                    "teams stream ended stream_id=%s updates=%d", self.stream_id, self.updates_sent
                )
                return response
        response = await self._paced_send(self._unmark(final))
        self.final_id = getattr(response, "id", None) or None
        log.warning(
            "teams stream too old stream_id=%s: final sent as message id=%s",
            self.stream_id,
            self.final_id,
        )
        return response

    @property
    def message_id(self) -> str | None:
        """The id of the message that holds the answer."""
        return self.final_id or self.stream_id

    @staticmethod
    def _unmark(activity: Activity) -> Activity:
        activity.entities = [
            e for e in (activity.entities or []) if getattr(e, "type", "") != "streaminfo"
        ] or None
        keys = ("streamType", "streamId", "streamSequence")
        channel_data = {k: v for k, v in (activity.channel_data or {}).items() if k not in keys}
        activity.channel_data = channel_data or None
        return activity
