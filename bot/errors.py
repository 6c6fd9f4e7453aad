"""One error tree. `UserFacingError` carries text that may be shown to the asker;
anything else is logged with its traceback and the user sees `messages.GENERIC_APOLOGY`."""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base of the project's own errors."""


class UserFacingError(HelpdeskError):
    """An error whose `user_message` is safe and useful to show in chat."""

    def __init__(self, user_message: str, *, log_detail: str | None = None) -> None:
        super().__init__(log_detail or user_message)
        self.user_message = user_message


class ConfigError(UserFacingError):
    """A missing or invalid setting, found at start-up. Names the key and the fix."""


class AnswerServiceError(UserFacingError):
    """Claude could not produce an answer (overloaded, rate limited, bad key...)."""


class IndexUnavailableError(UserFacingError):
    """The index cannot be read."""


class SyncFailedError(UserFacingError):
    """A sync of a whole source failed."""


class DeliveryError(HelpdeskError):
    """A chat platform did not take a message (post, update): the adapter raises it from
    the platform's own errors so the platform-neutral code can catch it by name."""
