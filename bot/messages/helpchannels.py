"""User-visible strings: help channels, tickets, gaps, hand-off."""

from __future__ import annotations

# --- Help channels (bot/helpchannels, bot/channels_command.py) -------------------------------
CHANNEL_BAD_ID = (
    "'{value}' is not a channel id. Use the channel's id (Slack: C0123ABCD, from the channel's "
    "details; Teams: 19:…@thread.tacv2), not its name: names change, ids do not."
)
CHANNEL_UNKNOWN_SOURCE = (
    "Unknown source '{spec}'. Use files, confluence or drive, optionally narrowed as "
    "confluence:SPACEKEY or drive:FOLDER_OR_DRIVE_ID (or 'all' for every source)."
)
CHANNEL_FILES_NOT_NARROWED = "'{spec}': the files source cannot be narrowed; use plain 'files'."
CHANNEL_BAD_NARROWING = (
    "'{spec}' is not a valid narrowing: use confluence:SPACEKEY (the space key, e.g. HR) or "
    "drive:FOLDER_OR_DRIVE_ID (the id from the folder's or shared drive's URL)."
)
CHANNEL_NO_SOURCES = "--sources needs at least one source, e.g. files,confluence:HR (or 'all')."
CHANNEL_BAD_TICKET = (
    "'{value}' is not a ticket project. Use jira:PROJECT_KEY (e.g. jira:IT, the project key in "
    "capitals), zendesk, or none."
)
CHANNEL_BAD_ON_OFF = "--auto-answer must be on or off, not '{value}'."
CHANNEL_BAD_ESCALATION = (
    "--escalate-to needs a target: a Slack user group (S0…), user (U0…) or channel (C0…) id, "
    "a Teams channel id, or none."
)
CHANNEL_NOTHING_TO_SET = (
    "Nothing to change: give at least one of --auto-answer, --sources, --escalate-to, --ticket."
)
CHANNEL_NOT_CONFIGURED = "Channel {channel_id} has no settings (auto-answer is off)."
CHANNEL_NONE_CONFIGURED = "No channel has settings yet. Add one with `helpdesk channels set`."
CHANNEL_SHOW = (
    "Channel {channel_id}\n"
    "  auto-answer: {auto_answer}\n"
    "  sources:     {sources}\n"
    "  escalate to: {escalate_to}\n"
    "  ticket:      {ticket}\n"
    "  updated:     {updated}"
)
CHANNEL_ALL_SOURCES = "all sources"
CHANNEL_UNSET = "-"
CHANNEL_LIST_HEADER = "channel                          auto-answer  sources / escalation / ticket"
CHANNEL_LIST_ROW = "{channel_id:<32} {auto_answer:<12} {sources} / {escalate_to} / {ticket}"
CHANNEL_SAVED = "Saved. A running `helpdesk serve` uses the new settings within 5 seconds."
CHANNEL_TURNED_OFF = "Auto-answer is off in {channel_id} (its other settings are kept)."
CHANNEL_DRIVE_NARROWING_NOTE = "Note: {notice}."
# tickets (bot/helpchannels/tickets.py): shown to the asker; the caller then falls back to
# the channel's escalation target
TICKET_AUTH = (
    "I couldn't create a {system} ticket: {system} refused the bot's credentials (check "
    "{prefix}_EMAIL and {prefix}_API_TOKEN, and that the account may create tickets there)."
)
TICKET_NOT_FOUND = "I couldn't create a {system} ticket: the project or address was not found."
TICKET_RATE_LIMITED = "I couldn't create a {system} ticket: {system} is rate-limiting requests."
TICKET_UNAVAILABLE = "I couldn't create a {system} ticket: {system} had an error ({status})."
TICKET_REJECTED = "I couldn't create a {system} ticket: {system} rejected it ({reason})."
TICKET_TIMEOUT = "I couldn't create a {system} ticket: {system} took too long to answer."
TICKET_UNREACHABLE = "I couldn't create a {system} ticket: {system} could not be reached."
TICKET_NOT_CONFIGURED = (
    "I couldn't create a {system} ticket: tickets are not set up ({prefix}_BASE_URL, "
    "{prefix}_EMAIL and {prefix}_API_TOKEN)."
)
TICKET_NO_REQUEST_TYPE = "no request type named '{name}' in service desk {project}"
TICKET_QUESTION = "Question:"
TICKET_BOT_ANSWER = "Bot's answer:"
TICKET_NO_ANSWER = "(none: the bot found nothing relevant)"
TICKET_ANSWER_PRIVATE = "(given privately; not copied here, it may quote restricted documents)"
TICKET_THREAD = "Thread:"
TICKET_ASKED_BY = "Asked by:"
TICKET_TRANSCRIPT = "Transcript"
# knowledge-gap report (bot/helpchannels/gaps.py, `helpdesk gaps`)
GAPS_DM_LABEL = "DM"
GAPS_NONE = "No unanswered, escalated or 👎 questions in the last {days} days."
GAPS_HEADER = (
    "Questions without a good answer in the last {days} days ({groups} topics, most asked first):"
)
GAPS_GROUP = "\n{n}. asked by {count} {people}, in {channels}"
GAPS_PERSON = "person"
GAPS_PEOPLE = "people"
GAPS_EXAMPLE = "   • {text}"
GAPS_BEST_SOURCE = "   closest page: {title} <{url}>"
GAPS_BEST_SOURCE_LINK = "   closest page: {link}"

# --- `helpdesk sync`: how to configure a source it was asked for --------------------
CLI_NOT_CONFIGURED_HINTS = {
    "files": "Set FILES_PATH to a folder of markdown/HTML/PDF files.",
    "confluence": (
        "Set CONFLUENCE_URL and CONFLUENCE_EMAIL/CONFLUENCE_API_TOKEN (or CONFLUENCE_PAT)."
    ),
    "drive": "Set GOOGLE_APPLICATION_CREDENTIALS (and DRIVE_FOLDER_IDS to limit the scope).",
}

# --- help channels in chat: auto-answer, hand-off, channel commands (bot/conversation/,
# bot/helpchannels/chat_commands.py, the adapters' hand-off rendering) ------------------
AUTO_ANSWER_OFFER = (
    "I couldn't find this in the docs, so I haven't answered in the channel. "
    "Want me to ask a person?"
)
ASK_A_PERSON = "Ask a person"
HANDOFF_CARD_TEXT = "Not what you needed?"
HANDOFF_GONE = "That question is no longer on record, so I couldn't hand it to a person."
HANDOFF_ALREADY = "A person has already been asked to help with this question."
HANDOFF_TICKET = (
    "I've opened {system} ticket {key} for this: {url}. The support team follows up there."
)
HANDOFF_ASKED = "I've asked {target} to help with this; they'll follow up here."
HANDOFF_NOBODY = "There is nobody set up to hand questions to here. Please ask in {support_hint}."
HANDOFF_TARGET_UNREACHABLE = "I couldn't post to {target}. Please ask in {support_hint}."
HANDOFF_REQUEST = "{who} would like a person to help with a question."
HANDOFF_QUESTION = "Question: {question}"
HANDOFF_ANSWER = "Bot's answer: {answer}"
HANDOFF_NO_ANSWER = "Bot's answer: (none, the docs had nothing relevant)"
HANDOFF_ANSWER_PRIVATE = (
    "Bot's answer: (given privately; not copied here, it may quote documents only the"
    " asker may read)"
)
HANDOFF_THREAD = "Thread: {url}"
HANDOFF_TEAMS_TARGET = "the support channel"
TICKET_SPEAKER_ASKER = "Asker"
TICKET_SPEAKER_BOT = "Bot"
CHANNEL_CHAT_USAGE = (
    "Usage: `channel show` | `channel set [--auto-answer on|off] [--sources SPEC,…] "
    "[--escalate-to TARGET] [--ticket jira:PROJECT_KEY|zendesk|none]` | `channel off` "
    "(typed in the channel), `gaps [days]`."
)
CHANNEL_CHAT_NOT_A_CHANNEL = (
    "`channel` commands are about the channel they are typed in: use them in the help "
    "channel itself, or `helpdesk channels` on the command line."
)
CHANNEL_CHAT_REFUSED = (
    "Sorry, only helpdesk admins can change a channel's settings. `channel show` is open "
    "to everyone."
)
CHANNEL_CHAT_SAVED = "Saved: in effect within 5 seconds."
CHANNEL_CHAT_BAD_OPTION = (
    "I don't know the option `{option}`: use --auto-answer, --sources, --escalate-to or --ticket."
)
CHANNEL_CHAT_MISSING_VALUE = "`{option}` needs a value."
GAPS_THIS_CHANNEL_ONLY = (
    "Only this channel's questions are listed, since everyone here sees this reply. "
    "Send me `gaps` in our 1:1 chat for the report of every channel."
)
GAPS_REFUSED = "Sorry, only helpdesk admins can see the knowledge-gap report."
GAPS_USAGE = "Usage: `gaps [days]`, days from 1 to 365 (default 7)."
HANDOFF_SOMEONE = "Someone"
