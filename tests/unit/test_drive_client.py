"""Drive client edge: error parsing, retry policy, endpoints, checkpoint JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httplib2
import pytest
from googleapiclient.errors import HttpError

from connectors.base import SourceError
from connectors.drive.api import DriveApi
from connectors.drive.checkpoint import DriveState, Listing
from connectors.drive.client import DriveApiError, GoogleApi, drive_endpoint, is_loopback
from connectors.drive.groups import GroupDirectory
from connectors.messages import DRIVE_CREDENTIALS_REJECTED as CREDENTIALS_REJECTED
from connectors.retry import RetryPolicy
from tests.fakes.drive_server import FakeDrive


def _http_error(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    return HttpError(resp, json.dumps(body).encode())


def test_rate_limit_reasons_are_retryable() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "User Rate Limit Exceeded",
            "errors": [{"domain": "usageLimits", "reason": "userRateLimitExceeded"}],
        }
    }
    err = DriveApiError.from_http_error(_http_error(403, body))
    assert err.retryable and err.reasons == ("userRateLimitExceeded",)
    forbidden = {"error": {"code": 403, "message": "no", "errors": [{"reason": "forbidden"}]}}
    assert not DriveApiError.from_http_error(_http_error(403, forbidden)).retryable
    assert DriveApiError.from_http_error(_http_error(503, {})).retryable


def test_retry_after_and_export_limit_and_page_token() -> None:
    err = DriveApiError.from_http_error(_http_error(429, {}, {"retry-after": "3"}))
    assert err.retry_after == 3.0
    big = {
        "error": {
            "code": 403,
            "message": "This file is too large to be exported.",
            "errors": [{"reason": "exportSizeLimitExceeded"}],
        }
    }
    assert DriveApiError.from_http_error(_http_error(403, big)).export_too_large
    bad = {
        "error": {
            "code": 400,
            "message": "Invalid Value",
            "errors": [{"reason": "invalid", "location": "pageToken"}],
        }
    }
    assert DriveApiError.from_http_error(_http_error(400, bad)).invalid_page_token


def test_endpoint_override() -> None:
    assert drive_endpoint(None) == "https://www.googleapis.com/drive/v3/"
    assert drive_endpoint("http://127.0.0.1:9000") == "http://127.0.0.1:9000/drive/v3/"
    assert (
        drive_endpoint("https://proxy.corp/google/drive/v3")
        == "https://proxy.corp/google/drive/v3/"
    )
    assert is_loopback("http://localhost:1/") and is_loopback("http://127.0.0.2/")
    assert not is_loopback("https://www.googleapis.com/")


def test_checkpoint_round_trip_and_garbage() -> None:
    when = datetime(2024, 6, 1, tzinfo=UTC)
    state = DriveState(token="42", listing=Listing(["a", "b"], "p2"), sweep_at=when, folders={"a"})
    back = DriveState.load(state.dump())
    assert back == state
    assert DriveState.load("not json") is None and DriveState.load('{"v": 99}') is None


def test_retries_until_success_and_gives_up_when_the_time_budget_is_spent() -> None:
    fake = FakeDrive().start()
    try:
        sleeps: list[float] = []
        policy = RetryPolicy(budget_seconds=3.5, base_delay=0.001)
        api = DriveApi(
            GoogleApi("drive", "v3", None, fake.api_url, retry=policy, sleep=sleeps.append)
        )
        fake.fail(403, "userRateLimitExceeded", "startPageToken", count=3, retry_after=1)
        assert api.start_page_token() == "1"
        assert sleeps == [1.0, 1.0, 1.0], "Retry-After is honoured"
        sleeps.clear()
        fake.fail(503, "backendError", "startPageToken", count=100, retry_after=1)
        with pytest.raises(DriveApiError) as info:
            api.start_page_token()
        assert info.value.status == 503 and sleeps == [1.0, 1.0, 1.0], "3.5 s: three waits"
        fake.faults.clear()
        fake.fail(401, "authError", "startPageToken")
        with pytest.raises(SourceError, match=CREDENTIALS_REJECTED):
            api.start_page_token()
    finally:
        fake.stop()


def test_group_members_only_active_users_and_failures_give_none() -> None:
    fake = FakeDrive().start()
    try:
        fake.groups["team@example.com"] = [
            "Ana@Example.com",
            {"email": "bo@example.com", "type": "USER", "status": "SUSPENDED"},
            {"email": "nested@example.com", "type": "GROUP", "status": "ACTIVE"},
            {"email": "everyone", "type": "CUSTOMER", "status": "ACTIVE"},
            {"email": "not-an-email", "type": "USER", "status": "ACTIVE"},
            {"type": "USER", "status": "ACTIVE"},
            *[f"u{i}@example.com" for i in range(250)],  # a second page
        ]
        api = GoogleApi("admin", "directory_v1", None, fake.url + "/", retry=RetryPolicy())
        directory = GroupDirectory(api)
        gone, team = directory.read_all(["group:drive:team@example.com", "group:drive:gone@x.org"])
        assert team.error is None and len(team.members.members) == 251
        assert "user:ana@example.com" in team.members.members
        assert not {"user:bo@example.com", "user:nested@example.com"} & team.members.members
        assert gone.members.members == frozenset() and gone.error and "404" in gone.error
        fake.fail(200, "", "/groups/team@example.com/members", kind="malformed")
        [broken] = directory.read_all(["group:drive:team@example.com"])
        assert broken.members.members == frozenset() and broken.error
    finally:
        fake.stop()
