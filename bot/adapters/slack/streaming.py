"""Streaming an answer into a thread with Slack's chat streaming API
(chat.startStream / appendStream / stopStream via `AsyncWebClient.chat_stream`).

The SDK's helper flushes by size; here the first text goes out at once (the asker sees
the answer begin) and later text at most every `interval` seconds, which keeps the
number of calls well inside the rate limits. If streaming is refused (an old workspace,
an expired stream), the answer is posted — or the streamed message replaced — with
`chat.postMessage` / `chat.update` instead.

`markdown_text` is standard Markdown (Slack: "Accepts message text formatted in
markdown", like the markdown block), not mrkdwn: the answer's Markdown goes out as it
is, with `&`, `<` and `>` escaped by `render.escape_markdown` — the same escaping as
the mrkdwn fallback, so a document's `<!channel>` is text on both paths.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_chat_stream import AsyncChatStream
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.slack.api import slack_error
from bot.adapters.slack.render import MAX_TEXT, escape, escape_markdown, safe_cut

log = logging.getLogger(__name__)

APPEND_LIMIT = 12_000  # chat.appendStream markdown_text limit
STREAM_TEXT_LIMIT = MAX_TEXT - 2_000  # leaves room for the truncation note and blocks


class AnswerStream:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel: str,
        thread_ts: str,
        recipient_team_id: str | None,
        recipient_user_id: str | None,
        interval: float = 0.5,
        flush_chars: int = 800,
    ) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.recipient_team_id = recipient_team_id
        self.recipient_user_id = recipient_user_id
        self.interval = interval
        self.flush_chars = flush_chars
        self._stream: AsyncChatStream | None = None
        self._pending = ""  # escaped, not sent yet
        self._line = ""  # the raw text of the current (last) line so far
        self._sent = 0
        self._last_flush = 0.0
        self._broken = False  # streaming refused or interrupted: finish with post/update
        self._truncated = False
        self.first_text_at: float | None = None

    @property
    def ts(self) -> str | None:
        return self._stream.ts if self._stream is not None else None

    @property
    def started(self) -> bool:
        return self.ts is not None

    async def add(self, text: str) -> None:
        """Append the answer's Markdown (raw: escaped here)."""
        if self._truncated or not text:
            return
        escaped = escape_markdown(text, after=self._line)
        self._line = (self._line + text).rpartition("\n")[2]
        room = max(STREAM_TEXT_LIMIT - self._sent - len(self._pending), 0)
        if len(escaped) > room:
            escaped = escaped[: safe_cut(escaped, room)]
            self._truncated = True
        self._pending += escaped
        due = (
            not self.started
            or len(self._pending) >= self.flush_chars
            or time.monotonic() - self._last_flush >= self.interval
        )
        if due and not self._broken:
            await self._flush()

    async def _open(self) -> AsyncChatStream:
        if self._stream is None:
            self._stream = await self.client.chat_stream(
                buffer_size=1,
                channel=self.channel,
                thread_ts=self.thread_ts,
                recipient_team_id=self.recipient_team_id,
                recipient_user_id=self.recipient_user_id,
            )
        return self._stream

    async def _flush(self) -> None:
        if not self._pending.strip() and self.started:
            return
        stream = await self._open()
        text, self._pending = self._pending, ""
        try:
            for piece in _pieces(text):
                await stream.append(markdown_text=piece)
        except SlackApiError as exc:
            self._broken = True
            self._pending = text + self._pending
            log.warning(
                "chat stream refused channel=%s thread=%s error=%s; will post instead",
                self.channel,
                self.thread_ts,
                slack_error(exc),
            )
            return
        if self.first_text_at is None:
            self.first_text_at = time.perf_counter()
        self._sent += len(text)
        self._last_flush = time.monotonic()

    async def finish(
        self,
        blocks: Sequence[dict[str, Any]],
        fallback_blocks: Sequence[dict[str, Any]],
        fallback_text: str,
    ) -> str | None:
        """Stop the stream with `blocks` under the text (sources, buttons). When
        streaming failed, post (or replace the streamed message with) `fallback_blocks`,
        the whole answer as one message. Returns the answer message's ts."""
        note = "\n\n" + escape_markdown(messages.SLACK_TRUNCATED) if self._truncated else ""
        tail = self._pending + note
        self._pending = ""
        if not self._broken:
            stream = await self._open()
            try:
                pieces = _pieces(tail)
                for piece in pieces[:-1]:
                    await stream.append(markdown_text=piece)
                await stream.stop(markdown_text=pieces[-1] if pieces else None, blocks=list(blocks))
                return stream.ts
            except SlackApiError as exc:
                log.warning(
                    "chat.stopStream failed channel=%s thread=%s error=%s; posting instead",
                    self.channel,
                    self.thread_ts,
                    slack_error(exc),
                )
        return await self._post_whole(fallback_blocks, fallback_text)

    async def _post_whole(self, blocks: Sequence[dict[str, Any]], text: str) -> str | None:
        if self.started:
            resp = await self.client.chat_update(
                channel=self.channel, ts=str(self.ts), blocks=list(blocks), text=text
            )
        else:
            resp = await self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, blocks=list(blocks), text=text
            )
        ts = resp.get("ts")
        return str(ts) if ts else None

    async def fail(self, text: str) -> None:
        """End with an error message: appended to a started stream, else posted."""
        if self.started and not self._broken and self._stream is not None:
            try:
                await self._stream.stop(markdown_text="\n\n" + escape_markdown(text))
                return
            except SlackApiError:
                log.warning("chat.stopStream failed channel=%s", self.channel)
        if self.started:
            await self.client.chat_update(channel=self.channel, ts=str(self.ts), text=escape(text))
            return
        await self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.thread_ts, text=escape(text)
        )


def _pieces(text: str) -> list[str]:
    """Slices of escaped text within the append limit, never inside an `&…;` entity
    (whitespace between them matters in streamed Markdown, so nothing is trimmed)."""
    pieces: list[str] = []
    while text:
        cut = safe_cut(text, APPEND_LIMIT)
        pieces.append(text[:cut])
        text = text[cut:]
    return pieces
