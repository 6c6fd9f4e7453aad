"""Every user-visible string of the chat side, in one package (`from bot import messages`;
`messages.NAME`), one module per surface. The sync side's are in connectors/messages.py."""

from __future__ import annotations

from bot.messages.admin import *  # noqa: F403
from bot.messages.answers import *  # noqa: F403
from bot.messages.cli import *  # noqa: F403
from bot.messages.helpchannels import *  # noqa: F403
from bot.messages.platforms import *  # noqa: F403
