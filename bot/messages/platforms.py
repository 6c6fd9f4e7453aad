"""User-visible strings: The Teams and Slack adapters."""

from __future__ import annotations

# --- Microsoft Teams adapter (bot/adapters/teams) -----------------------------------------
TEAMS_WELCOME = (
    "Hi! I answer questions from the company's Confluence and Google Drive documentation, "
    "with sources. Ask me anything here, or @mention me in a channel or group chat."
)
TEAMS_TRUNCATED = "(Answer shortened to fit Teams' message size limit — see the sources.)"

# --- Slack adapter (bot/adapters/slack) ---------------------------------------------------
EMPTY_QUESTION = "What would you like to know? Ask me a question after the @mention."
SLACK_TRUNCATED = "_(Answer shortened to fit Slack's message size limit — see the sources.)_"
SLACK_SOURCES_LINE = "[{number}] {title} — {source}, {updated}"
SLACK_FEEDBACK_UP = "👍 Helpful"
SLACK_FEEDBACK_DOWN = "👎 Not helpful"
FEEDBACK_THANKS = "Thanks for the feedback!"
SLACK_FEEDBACK_SORRY = (
    "Thanks for telling me. If you still need an answer, a person from support can help."
)
SLACK_FEEDBACK_SORRY_NO_ESCALATION = (
    "Thanks for telling me. If you still need an answer, ask in {support_hint}."
)
SLACK_ASK_HUMAN = "Ask a human"
SLACK_ANSWER_GONE = "That answer is no longer on record, so I couldn't save the feedback."
SLACK_ASK_USAGE = "Usage: `/helpdesk ask <question>`, e.g. `/helpdesk ask how do I reset my VPN?`"
SLACK_ADMIN_UNAVAILABLE = "Admin commands are not available in this deployment yet."
SLACK_SUGGESTED_TITLE = "Ask about IT, HR, facilities or engineering docs:"
SLACK_SUGGESTED_PROMPTS = (
    ("Reset my password", "How do I reset my password?"),
    ("Set up the VPN", "How do I set up the VPN on my laptop?"),
    ("Annual leave", "How many days of annual leave do I get?"),
)
ADMIN_STATUS_STALLED = (
    "   ⚠️ no progress reported for {ago_plain}: its worker may have stopped; the next run "
    "resumes from the last checkpoint"
)
