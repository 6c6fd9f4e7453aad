"""The terminal adapter: `helpdesk ask` and `helpdesk chat`.

Translates only: a typed line → `InboundMessage` for the conversation service; its
events → the terminal (streamed text, then a numbered source list: title, path/URL,
"updated N days ago"). `--as EMAIL` is the local operator asking as that user in a DM
(the operator is trusted: they hold the database); without it, a channel.
"""

from __future__ import annotations

import itertools
import json
import sys
import uuid
from typing import TextIO

from bot import messages
from bot.conversation.inbound import Click, Failed, Final, InboundMessage, Notice, Reply, TextDelta
from bot.conversation.service import ConversationService
from bot.formatting import TERMINAL_SCHEMES, link_url, source_name, updated_ago
from bot.models import Answer, Asker

PLATFORM = "terminal"


def render_sources(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = [f"{messages.SOURCES_HEADING}:"]
    for c in answer.citations:
        lines.append(
            f"  [{c.number}] {c.title} — {source_name(c.source)}, {updated_ago(c.updated_at)}"
        )
        url = link_url(c.url, TERMINAL_SCHEMES)
        if url is not None:  # a javascript:/data: URL is not printed as a link
            lines.append(f"      {url}")
    return "\n".join(lines)


def answer_json(answer: Answer) -> str:
    return json.dumps(
        {
            "answer": answer.text,
            "grounded": answer.grounded,
            "citations": [
                {
                    "number": c.number,
                    "title": c.title,
                    "url": link_url(c.url, TERMINAL_SCHEMES) or "",
                    "doc_id": c.doc_id,
                    "quoted_text": c.quoted_text,
                }
                for c in answer.citations
            ],
            "mode": answer.mode,
        },
        ensure_ascii=False,
    )


class TerminalSession:
    """One terminal conversation: every line is a question in the same thread, so
    earlier turns are context for follow-ups. `external` simulates a channel shared
    with another organisation (public documents, the notice)."""

    def __init__(
        self,
        conversation: ConversationService,
        email: str | None = None,
        *,
        external: bool = False,
        out: TextIO = sys.stdout,
        echo: bool = True,
    ) -> None:
        self.conversation = conversation
        self.asker = Asker(platform=PLATFORM, user_id=email or PLATFORM, email=email)
        self.external = external
        self.out = out
        self.echo = echo
        self.thread = f"{PLATFORM}:{uuid.uuid4().hex}"
        self._ids = itertools.count(1)
        self.last_answer_id: int | None = None

    def message(self, text: str) -> InboundMessage:
        number = next(self._ids)
        return InboundMessage(
            asker=self.asker,
            thread=self.thread,
            message_id=str(number),
            text=text,
            is_dm=self.asker.email is not None and not self.external,
            is_external=self.external,
            insider=self.asker.email is not None,
            addressed=True,
            in_thread=number > 1,
        )

    async def ask(self, text: str) -> Answer:
        """Stream one answer to `out`; what went wrong is printed, not raised."""
        out, echo = self.out, self.echo
        self.last_answer_id = None
        async for event in self.conversation.handle(self.message(text)):
            if isinstance(event, Notice) and echo:
                out.write(f"({event.text})\n\n")
            elif isinstance(event, TextDelta) and echo:
                out.write(event.text)
                out.flush()
            elif isinstance(event, Reply | Failed):
                out.write(("\n" if echo else "") + event.text + "\n")
                return Answer(text=event.text, grounded=False, mode=self.conversation.mode)
            elif isinstance(event, Final):
                self.last_answer_id = event.answer_id
                if echo:
                    out.write("\n")
                    sources = render_sources(event.answer)
                    if sources:
                        out.write("\n" + sources + "\n")
                    out.flush()
                return event.answer
        return Answer(text="", grounded=False, mode=self.conversation.mode)

    async def vote(self, rating: int) -> None:
        """👍 (+1) / 👎 (-1) on the last answer (`:+1` / `:-1` in the chat)."""
        if self.last_answer_id is None:
            return
        click = Click(asker=self.asker, thread=self.thread, is_external=self.external)
        await self.conversation.feedback(click, rating, answer_id=self.last_answer_id)


async def chat_loop(
    conversation: ConversationService,
    email: str | None,
    banner: str,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> None:
    session = TerminalSession(conversation, email, out=out)
    out.write(banner + "\n")
    while True:
        out.write("\n" + messages.CLI_CHAT_YOU)
        out.flush()
        line = inp.readline()
        if not line:
            out.write("\n")
            return
        text = line.strip()
        if not text:
            continue
        if text.lower() in {"exit", "quit", ":q"}:
            return
        if text in {":+1", ":-1"}:
            await session.vote(1 if text == ":+1" else -1)
            out.write(messages.FEEDBACK_THANKS + "\n")
            continue
        out.write(messages.CLI_CHAT_BOT)
        await session.ask(text)
