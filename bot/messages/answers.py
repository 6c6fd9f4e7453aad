"""User-visible strings: Answers, Claude errors and relative times."""

from __future__ import annotations

# --- answering -------------------------------------------------------------------------
SEARCHING = "Searching Confluence and Drive…"
NO_ANSWER = (
    "I couldn't find anything about that in the documentation I can search, so I won't "
    "guess. Try rephrasing with the name of the tool or policy, or ask in {support_hint}."
)
NO_ANSWER_NEAREST = "You could look at:"
ENGLISH_ONLY_MARK = "only understand questions in English"
ENGLISH_ONLY = (
    "Sorry — without the AI answer service I only understand questions in English (the "
    "language of the documentation). Please ask again in English, or ask in {support_hint}."
)
EXTRACTIVE_INTRO = "Here are the most relevant excerpts I found (quoted as written, no AI summary):"
SOURCES_HEADING = "Sources"
UPDATED_AGO = "updated {ago}"
EXTERNAL_CHANNEL_NOTICE = (
    "This conversation includes people from outside the organisation, so I only answer "
    "from documents everyone in the company may read."
)
CLICK_NOT_HERE = (
    "I can't do that here: this conversation is shared with people outside the "
    "organisation (or I couldn't confirm that it isn't), so I don't record feedback or "
    "pass questions on to a person from it."
)
GENERIC_APOLOGY = (
    "Sorry, something went wrong on my side while answering. The team has been notified; "
    "please try again in a moment."
)

# --- Claude errors (UserFacingError texts) ----------------------------------------------
CLAUDE_AUTH = (
    "The answer service rejected its credentials. An admin needs to check ANTHROPIC_API_KEY."
)
CLAUDE_PERMISSION = (
    "The answer service refused the request (permission denied). An admin needs to check "
    "the Anthropic account and ANTHROPIC_MODEL."
)
CLAUDE_OVERLOADED = (
    "Claude is overloaded right now and didn't answer after several tries. Please ask "
    "again in a minute."
)
CLAUDE_RATE_LIMITED = (
    "Too many questions are being answered at once (rate limit). Please ask again in a minute."
)
CLAUDE_TIMEOUT = "Claude took too long to answer. Please try again."
CLAUDE_UNAVAILABLE = "The answer service is unavailable right now. Please try again shortly."
CLAUDE_BAD_REQUEST = (
    "The answer service could not handle this question. Try a shorter or simpler question."
)
INDEX_UNAVAILABLE = (
    "I can't read the documentation index right now. An admin can check it with `helpdesk status`."
)

# --- relative time ----------------------------------------------------------------------
JUST_NOW = "just now"
MINUTES_AGO = "{n} minute{s} ago"
HOURS_AGO = "{n} hour{s} ago"
DAYS_AGO = "{n} day{s} ago"
