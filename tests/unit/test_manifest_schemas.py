"""The Slack app manifest and the Teams app package validate against the vendors'
manifest JSON schemas (faithful subsets shipped in tests/schemas/, see their
`$comment`): an install that Slack or Teams would refuse fails here first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot import messages
from tools.teams_package import render_manifest

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "tests" / "schemas"
SLACK_MANIFEST = REPO / "manifests" / "slack.yaml"
TEAMS_MANIFEST = REPO / "manifests" / "teams" / "manifest.json"
APP_ID = "2b4c6d8e-1a3f-4e5d-9c7b-0a1b2c3d4e5f"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(loaded)
    return loaded


def errors(instance: Any, name: str) -> list[str]:
    validator = jsonschema.Draft7Validator(schema(name))
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in validator.iter_errors(instance)
    )


def slack_manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SLACK_MANIFEST.read_text(encoding="utf-8"))
    return loaded


def teams_manifest() -> dict[str, Any]:
    text = render_manifest(APP_ID, "https://helpdesk.northwind.example", "Northwind")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def teams_schema_file(manifest: dict[str, Any]) -> str:
    """The shipped schema for the version the manifest declares in `$schema`."""
    match = re.search(r"/teams/v(\d+\.\d+)/MicrosoftTeams\.schema\.json$", manifest["$schema"])
    assert match, f"unrecognised $schema {manifest['$schema']!r}"
    version = match.group(1)
    assert manifest["manifestVersion"] == version
    name = f"teams-manifest.v{version}.subset.schema.json"
    assert (SCHEMAS / name).exists(), f"no schema shipped for Teams manifest v{version}"
    return name


# ---------------------------------------------------------------------- Slack
def test_slack_manifest_is_valid_for_slack() -> None:
    assert errors(slack_manifest(), "slack-app-manifest.v1.subset.schema.json") == []


def test_slack_manifest_uses_agent_messaging_with_the_bots_prompts() -> None:
    manifest = slack_manifest()
    features = manifest["features"]
    assert "assistant_view" not in features
    agent = features["agent_view"]
    assert agent["agent_description"]
    prompts = [(p["title"], p["message"]) for p in agent["suggested_prompts"]]
    assert prompts == list(messages.SLACK_SUGGESTED_PROMPTS)
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"im:write", "assistant:write", "chat:write"} <= set(scopes)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda m: m["features"].__setitem__("agent_view", {"assistant_description": "x"}),
            [
                "features/agent_view: 'agent_description' is a required property",
                "features/agent_view: Additional properties are not allowed "
                "('assistant_description' was unexpected)",
            ],
        ),
        (
            lambda m: m["display_information"].__setitem__("name", "H" * 36),
            [f"display_information/name: '{'H' * 36}' is too long"],
        ),
        (
            lambda m: m["settings"].__setitem__("socket_mode", True),
            ["settings: Additional properties are not allowed ('socket_mode' was unexpected)"],
        ),
    ],
)
def test_slack_schema_rejects_what_slack_would_refuse(change: Any, expected: list[str]) -> None:
    manifest = slack_manifest()
    change(manifest)
    assert errors(manifest, "slack-app-manifest.v1.subset.schema.json") == expected


# ---------------------------------------------------------------------- Teams
def test_teams_package_manifest_is_valid_for_the_version_it_declares() -> None:
    manifest = teams_manifest()
    assert errors(manifest, teams_schema_file(manifest)) == []


def test_teams_schema_rejects_what_teams_would_refuse() -> None:
    manifest = teams_manifest()
    manifest["name"]["short"] = "Northwind Helpdesk Answers Bot!"  # 31 characters
    manifest["bots"][0]["scopes"].append("meeting")
    manifest["accentColor"] = "blue"
    assert errors(manifest, teams_schema_file(manifest)) == [
        "accentColor: 'blue' does not match '^#[0-9a-fA-F]{6}$'",
        "bots/0/scopes/3: 'meeting' is not one of ['team', 'personal', 'groupChat', 'copilot']",
        "name/short: 'Northwind Helpdesk Answers Bot!' is too long",
    ]
    # the unrendered template is no package: its ids are placeholders, not GUIDs
    template = json.loads(TEAMS_MANIFEST.read_text(encoding="utf-8"))
    assert any(
        e.startswith("id: '{{MICROSOFT_APP_ID}}'")
        for e in errors(template, teams_schema_file(template))
    )
