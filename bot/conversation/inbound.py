"""What an adapter hands the conversation service, and what it gets back.

`InboundMessage` is one chat message in platform-neutral terms; the service answers
with a stream of `Event`s that the adapter renders (Slack blocks and streaming, Teams
activities and streaming, terminal text). Adapters translate only: every decision
(answer or not, dedupe, scope, history, records, notices, apologies) is the service's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import Answer, Asker, Citation, Surface


@dataclass(frozen=True)
class InboundMessage:
    asker: Asker  # asker.platform is the surface: "slack" | "teams" | "terminal"
    thread: str  # the conversation/thread the answer goes to: the chat store's key
    message_id: str  # this message's id on the platform (deliveries are deduped by it)
    text: str  # the question, without the bot's @mention
    is_dm: bool = False  # 1:1 with the bot (or a private reply only the asker sees)
    is_external: bool = False  # shared with another organisation, or not positively known
    insider: bool = False  # positively confirmed full member of the installing organisation
    addressed: bool = False  # the bot was @mentioned (or asked by command)
    in_thread: bool = False  # a reply inside an existing thread
    delivery_id: str | None = None  # the platform's delivery/event id (retries repeat it)
    # the channel whose help-channel settings apply (Slack channel id, Teams channel id
    # without `;messageid=`); None in DMs and group chats
    channel_id: str | None = None

    @property
    def platform(self) -> str:
        return self.asker.platform

    @property
    def surface(self) -> Surface:
        """The channel kind that decides the scope: shared outside the organisation →
        external; 1:1 → DM; anything else → channel (public documents only)."""
        if self.is_external:
            return Surface.EXTERNAL
        if self.is_dm:
            return Surface.DM
        return Surface.CHANNEL


@dataclass(frozen=True)
class Click:
    """A button pressed on something the bot posted (👍/👎, "Ask a person"), in neutral
    terms: who pressed it, and the conversation it was pressed in as the adapter sees it
    at the click — not as it was when the answer was given (a channel may have been
    shared with another organisation since)."""

    asker: Asker
    thread: str  # the conversation the click came from
    is_external: bool  # shared with another organisation now, or not positively known

    @property
    def platform(self) -> str:
        return self.asker.platform


@dataclass(frozen=True)
class Status:
    """The question was taken: show that the bot is working ("Searching…")."""

    text: str
    first_in_thread: bool = True  # no earlier question in this thread (AI-app titles)


@dataclass(frozen=True)
class Notice:
    """Shown once per thread before the answer (the external-channel notice)."""

    text: str


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Citations:
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Final:
    """The whole answer, recorded as `answer_id` (the 👍/👎 buttons carry it). After the
    adapter has sent it, it reports the platform's message id with
    `ConversationService.delivered`."""

    answer: Answer
    answer_id: int
    notices: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Reply:
    """A plain message instead of an answer (e.g. "ask me a question after the @mention")."""

    text: str


@dataclass(frozen=True)
class Failed:
    """Answering failed: show this apology where the answer would have gone."""

    text: str


@dataclass(frozen=True)
class Offer:
    """An unprompted question in a help channel had no grounded answer: nothing is posted
    that others see; show the asker alone (Slack: ephemeral) `text` with an "Ask a
    person" action for `answer_id` — or nothing where the platform can't show a message
    to one person only (Teams)."""

    text: str
    answer_id: int


Event = Status | Notice | TextDelta | Citations | Final | Reply | Failed | Offer
