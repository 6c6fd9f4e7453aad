"""Platform-neutral chat model: what adapters build and what answering returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from connectors.base import domain_principal, user_principal


class Surface(StrEnum):
    CHANNEL = "channel"  # public or private channel, group DM / group chat
    DM = "dm"  # 1:1 with the bot
    EXTERNAL = "external"  # Slack Connect / shared with another organisation
    TERMINAL = "terminal"


@dataclass(frozen=True)
class Asker:
    platform: str  # "slack" | "teams" | "terminal"
    user_id: str
    email: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation (a thread or a chat)."""

    role: str  # "user" | "assistant"
    text: str


@dataclass(frozen=True)
class Question:
    text: str
    asker: Asker
    conversation: str  # a stable id of the thread / chat, for logs and feedback
    thread_history: tuple[Turn, ...] = ()
    surface: Surface = Surface.CHANNEL
    # the adapter positively confirmed the asker is a full member of the installing
    # organisation (Slack: users.info; Teams: msteams, personal chat, our tenant; the
    # terminal: the local operator's --as). Without it a DM gets the public scope.
    insider: bool = False


@dataclass(frozen=True)
class PermissionScope:
    """What an answer may be built from.

    Channels see only public documents. A DM sees public documents plus those whose
    principals include one of `principals` (the asker's email, groups and domain).
    """

    principals: frozenset[str] = frozenset()

    @classmethod
    def public_only(cls) -> PermissionScope:
        return cls()

    @classmethod
    def for_user(cls, email: str, groups: frozenset[str] = frozenset()) -> PermissionScope:
        principals = {user_principal(email), *groups}
        if "@" in email:
            principals.add(domain_principal(email.rsplit("@", 1)[1]))
        return cls(principals=frozenset(principals))

    @property
    def is_public_only(self) -> bool:
        return not self.principals


@dataclass(frozen=True)
class Citation:
    number: int
    title: str
    url: str
    quoted_text: str
    updated_at: datetime | None
    source: str
    doc_id: str


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...] = ()
    grounded: bool = False
    mode: str = "extractive"  # "claude" | "extractive"
    search_query: str = ""
