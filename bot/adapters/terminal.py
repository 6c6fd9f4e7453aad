"""The terminal adapter: `helpdesk ask` and `helpdesk chat`.

Translates only: a typed line → `Question`; streamed `TextDelta`s → the terminal;
the final `Answer` → a numbered source list (title, path/URL, "updated N days ago").
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from bot import messages
from bot.answering.engine import AnswerEngine, Final, TextDelta
from bot.errors import UserFacingError
from bot.formatting import TERMINAL_SCHEMES, link_url, source_name, updated_ago
from bot.models import Answer, Asker, PermissionScope, Question, Surface, Turn


def asker_for(email: str | None) -> tuple[Asker, Surface]:
    if email:
        return Asker(platform="terminal", user_id=email, email=email), Surface.DM
    return Asker(platform="terminal", user_id="terminal"), Surface.CHANNEL


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


async def stream_answer(
    engine: AnswerEngine,
    question: Question,
    scope: PermissionScope,
    out: TextIO = sys.stdout,
    echo: bool = True,
) -> Answer:
    """Stream one answer to `out`; errors meant for the user are printed, not raised."""
    final: Answer | None = None
    try:
        async for event in engine.stream(question, scope):
            if isinstance(event, TextDelta) and echo:
                out.write(event.text)
                out.flush()
            elif isinstance(event, Final):
                final = event.answer
    except UserFacingError as exc:
        out.write(("\n" if echo else "") + exc.user_message + "\n")
        return Answer(text=exc.user_message, grounded=False, mode=engine.mode)
    assert final is not None
    if echo:
        out.write("\n")
        sources = render_sources(final)
        if sources:
            out.write("\n" + sources + "\n")
        out.flush()
    return final


async def chat_loop(
    engine: AnswerEngine,
    email: str | None,
    banner: str,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> None:
    asker, surface = asker_for(email)
    scope = engine.scope_for(asker, surface if email else Surface.CHANNEL)
    history: list[Turn] = []
    out.write(banner + "\n")
    while True:
        out.write("\nyou> ")
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
        question = Question(
            text=text,
            asker=asker,
            conversation="terminal",
            thread_history=tuple(history),
            surface=surface,
        )
        out.write("bot> ")
        answer = await stream_answer(engine, question, scope, out)
        history.append(Turn("user", text))
        history.append(Turn("assistant", answer.text))
