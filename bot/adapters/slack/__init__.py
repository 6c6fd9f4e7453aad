"""The Slack adapter: Bolt `AsyncApp` listeners that translate Slack events into the
conversation service's `InboundMessage`s, and its events into threaded, streamed Slack
messages."""

from bot.adapters.background import Background
from bot.adapters.slack.app import SlackBot, build_slack_app

__all__ = ["Background", "SlackBot", "build_slack_app"]
