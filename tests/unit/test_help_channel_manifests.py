"""The app manifests ask for what help channels need: Slack delivers every message of
public and private channels the bot is in (and may post a hand-off into a public
channel it has not joined); Teams grants the resource-specific consent permission to
receive every channel message without an @mention."""

from __future__ import annotations

import json

import yaml

from tests.conftest import REPO


def test_slack_subscribes_to_channel_messages_and_may_post_hand_offs() -> None:
    manifest = yaml.safe_load((REPO / "manifests" / "slack.yaml").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.groups"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"channels:history", "groups:history", "chat:write", "chat:write.public"} <= scopes
    (command,) = manifest["features"]["slash_commands"]
    assert "channel show" in command["usage_hint"] and "gaps" in command["usage_hint"]


def test_teams_asks_for_channel_messages_through_resource_specific_consent() -> None:
    manifest = json.loads((REPO / "manifests" / "teams" / "manifest.json").read_text())
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc
    # Teams grants RSC permissions to the Entra app named here (the bot's own app id,
    # filled in by `make teams-package`); without it the consent is never asked for
    app = manifest["webApplicationInfo"]
    assert app["id"] == manifest["bots"][0]["botId"] == "{{MICROSOFT_APP_ID}}"
    assert app["resource"]  # no meaning for RSC, but Teams refuses an empty one
    assert "team" in manifest["bots"][0]["scopes"]
    team_commands = [
        c["title"]
        for group in manifest["bots"][0]["commandLists"]
        if "team" in group["scopes"]
        for c in group["commands"]
    ]
    assert "channel show" in team_commands and "gaps" in team_commands
