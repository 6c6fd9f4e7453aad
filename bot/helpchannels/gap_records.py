"""`AskedQuestion` records for the gap report, read through the chat store's repository
(`ChatStore.answers_for_review`: answers, with the 👎 and hand-offs on them).

Today's records carry no "is this a DM" flag, so:
- the kind of conversation is read from its id, failing closed: only a Slack channel
  id (`C…`) or a Teams channel conversation (`19:…@thread.tacv2` / `@thread.skype`)
  counts as a channel; DMs (`D…`), group DMs (`G…`), Teams personal and group chats
  and anything unknown count as DMs (shown only in an admin's own DM);
- a question is `escalated` when someone asked a person about its answer
  (`escalations`, written by the conversation service's hand-off).
The best source is the answer's first cited document, as the state store knows it now
(title, URL and whether it is public).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.conversation.store import ChatStore
from bot.helpchannels.gaps import AskedQuestion, SourceRef
from connectors.state import StateStore


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the chat store writes UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def channel_of(platform: str, conversation: str) -> tuple[str, bool]:
    """(channel id, is_dm) from a stored conversation key."""
    if platform == "slack":
        channel = conversation.split(":", 1)[0]
        return channel, not channel.startswith("C")
    if platform == "teams":
        channel = conversation.split(";", 1)[0]
        is_channel = channel.startswith("19:") and channel.endswith(
            ("@thread.tacv2", "@thread.skype")
        )
        return channel, not is_channel
    return conversation, True


def asked_questions(chat: ChatStore, state: StateStore, since: datetime) -> list[AskedQuestion]:
    """Answers given since `since`, and older answers that got a 👎 or were escalated
    since then; the best source as the state store knows the document now."""
    answer_rows = chat.answers_for_review(since)
    sources: dict[str, SourceRef | None] = {}

    def best_source(doc_ids: Sequence[str]) -> SourceRef | None:
        if not doc_ids:
            return None
        doc_id = str(doc_ids[0])
        if doc_id not in sources:
            row = state.document(doc_id)
            sources[doc_id] = (
                SourceRef(row.title, row.url, bool(row.acl.public)) if row is not None else None
            )
        return sources[doc_id]

    out = []
    for r in answer_rows:
        channel, is_dm = channel_of(r["platform"], r["conversation"])
        out.append(
            AskedQuestion(
                question=r["question"],
                channel_id=channel,
                is_dm=is_dm,
                asker_id=f"{r['platform']}:{r['user_id']}",
                asked_at=_utc(r["created_at"]) or since,
                grounded=bool(r["grounded"]),
                escalated=r["escalated"],
                feedback=-1 if r["disliked"] else None,
                best_source=best_source(r["doc_ids"] or []),
            )
        )
    return out
