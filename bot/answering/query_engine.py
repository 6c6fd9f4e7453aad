"""The answering pipeline as a LlamaIndex query engine (`CustomQueryEngine`).

`HelpdeskQueryEngine(engine=..., email=None).query("...")` returns a `Response` whose
`source_nodes` are the cited passages and whose `metadata["answer"]` is the `Answer`.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore, TextNode

from bot.answering.engine import AnswerEngine
from bot.models import Asker, Question, Surface, Turn


class HelpdeskQueryEngine(CustomQueryEngine):
    """Without `email` the public scope (as in a channel); with it, the scope of that
    user as the local operator asks for it (like `helpdesk ask --as`)."""

    engine: Any
    email: str | None = None
    history: tuple[Turn, ...] = ()

    def custom_query(self, query_str: str) -> Response:
        import asyncio

        return asyncio.run(self.acustom_query(query_str))

    async def acustom_query(self, query_str: str) -> Response:
        engine: AnswerEngine = self.engine
        question = Question(
            text=query_str,
            asker=Asker(platform="terminal", user_id=self.email or "cli", email=self.email),
            conversation="cli",
            thread_history=self.history,
            surface=Surface.DM if self.email else Surface.CHANNEL,
            insider=bool(self.email),
        )
        answer = await engine.answer(question)
        nodes = [
            NodeWithScore(
                node=TextNode(
                    id_=f"{c.doc_id}#cited",
                    text=c.quoted_text,
                    metadata={
                        "doc_id": c.doc_id,
                        "title": c.title,
                        "url": c.url,
                        "number": c.number,
                    },
                ),
                score=1.0,
            )
            for c in answer.citations
        ]
        return Response(response=answer.text, source_nodes=nodes, metadata={"answer": answer})
