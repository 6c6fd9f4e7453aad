"""The help-channel tables of the State store (SQLAlchemy Core), created on the state
store's engine the way `connectors.state_tables` creates its own (`create_all` is
idempotent). Chat-side data, so they live in `bot/`; `connectors/` never reads them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# keyed by the platform's channel id (Slack `C0…`/`G0…`, Teams `19:…@thread.tacv2`),
# never by name: names change, ids do not
channel_settings = Table(
    "channel_settings",
    metadata,
    Column("channel_id", String(512), primary_key=True),
    Column("auto_answer", Boolean, nullable=False, default=False),
    Column("sources", JSON, nullable=False, default=list),  # source specs; [] = every source
    Column("escalate_to", Text),
    Column("ticket", String(256)),  # "jira:PROJECT_KEY" | "zendesk" | NULL
    Column("updated_by", String(256), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# the auto-answer rate limit, shared by every `serve` replica: each person has
# `per_minute` slots; a slot is free again a minute after it was taken
auto_answer_slots = Table(
    "auto_answer_slots",
    metadata,
    Column("user_key", String(512), primary_key=True),  # the platform's user id
    Column("slot", Integer, primary_key=True),
    Column("taken_at", Float, nullable=False, index=True),  # epoch seconds
)


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)
