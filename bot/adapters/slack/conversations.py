"""What kind of conversation a message is in, and who asked: `conversations.info` and
`users.info`, cached (an `app_mention` event does not say whether its channel is
private or shared with another organisation)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.api import slack_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversationInfo:
    channel: str
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    is_ext_shared: bool = False
    known: bool = True  # False: conversations.info failed, the kind was guessed

    @property
    def external(self) -> bool:
        """Shared with another organisation — or not positively known not to be (a
        failed conversations.info counts as external: fail closed)."""
        return self.is_ext_shared or not self.known

    @property
    def kind(self) -> str:
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "private" if self.is_private else "public"


@dataclass(frozen=True)
class Installation:
    """The workspace / Enterprise Grid org the app is installed in (auth.test, as Bolt
    reports it for each request)."""

    team_id: str | None
    enterprise_id: str | None = None


NO_INSTALLATION = Installation(None)


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    email: str | None
    display_name: str | None
    team_id: str | None = None
    enterprise_id: str | None = None
    full_member: bool = False  # not a guest, not a stranger, not deleted, not a bot

    def insider_of(self, installation: Installation) -> bool:
        """Positively a full member of the installing organisation. Anything unknown
        (users.info failed, no team id) is not."""
        if not self.full_member:
            return False
        if installation.enterprise_id and self.enterprise_id == installation.enterprise_id:
            return True
        return bool(installation.team_id) and self.team_id == installation.team_id


class Directory:
    """Cached look-ups. Entries expire so a channel that becomes shared, or a user whose
    email changes, is seen again within `ttl` seconds."""

    def __init__(
        self, client: AsyncWebClient, conversation_ttl: float = 300.0, user_ttl: float = 3600.0
    ) -> None:
        self.client = client
        self.conversation_ttl = conversation_ttl
        self.user_ttl = user_ttl
        self._conversations: dict[str, tuple[float, ConversationInfo]] = {}
        self._users: dict[str, tuple[float, UserInfo]] = {}

    async def conversation(
        self, channel: str, channel_type: str | None = None, *, fresh: bool = False
    ) -> ConversationInfo:
        """`fresh`: ask Slack now, not the cache (a click on an answer: the channel may
        have been shared with another organisation since)."""
        cached = self._conversations.get(channel)
        now = time.monotonic()
        if cached and cached[0] > now and not fresh:
            return cached[1]
        try:
            resp = await self.client.conversations_info(channel=channel)
        except SlackApiError as exc:
            # Fail closed: a conversation whose kind is unknown may be shared with
            # another organisation, so it counts as external (public documents only,
            # or ignored with ALLOW_EXTERNAL_CHANNELS=false).
            log.warning(
                "conversations.info failed channel=%s type=%s error=%s; treating as external",
                channel,
                channel_type,
                slack_error(exc),
            )
            return ConversationInfo(channel=channel, known=False)
        data = resp.get("channel") or {}
        info = ConversationInfo(
            channel=channel,
            is_im=bool(data.get("is_im")),
            is_mpim=bool(data.get("is_mpim")),
            is_private=bool(data.get("is_private")),
            is_ext_shared=bool(data.get("is_ext_shared")),
        )
        self._conversations[channel] = (now + self.conversation_ttl, info)
        return info

    async def user(self, user_id: str) -> UserInfo:
        cached = self._users.get(user_id)
        now = time.monotonic()
        if cached and cached[0] > now:
            return cached[1]
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed user=%s error=%s", user_id, slack_error(exc))
            return UserInfo(user_id=user_id, email=None, display_name=None)
        data = resp.get("user") or {}
        profile = data.get("profile") or {}
        email = profile.get("email") or None
        if email is None:
            log.warning("users.info has no email user=%s (scope users:read.email?)", user_id)
        enterprise = data.get("enterprise_user") or {}
        full_member = not any(
            data.get(flag) is not False
            for flag in ("deleted", "is_restricted", "is_ultra_restricted", "is_bot")
        ) and not data.get("is_stranger")
        info = UserInfo(
            user_id=user_id,
            email=str(email) if email else None,
            display_name=profile.get("display_name") or data.get("real_name") or data.get("name"),
            team_id=data.get("team_id") or None,
            enterprise_id=enterprise.get("enterprise_id") or None,
            full_member=full_member,
        )
        self._users[user_id] = (now + self.user_ttl, info)
        return info
