"""Teams message shapes: what Teams receives once botbuilder has serialised the activity."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botbuilder.core import serializer_helper
from botbuilder.schema import Activity

from bot import messages
from bot.adapters.teams.activities import (
    MAX_ACTIVITY_BYTES,
    answer_activity,
    snippet,
)
from bot.adapters.teams.streaming import TeamsStream
from bot.models import Answer, Citation
from tests.conftest import REPO


def wire(activity: Activity) -> dict[str, Any]:
    return dict(serializer_helper(activity))


def cite(
    n: int, quote: str = "Employees get 27 days of annual leave per calendar year."
) -> Citation:
    return Citation(
        number=n,
        title=f"Annual leave policy part {n}",
        url=f"https://wiki.northwind.example/hr/leave-{n}",
        quoted_text=quote,
        updated_at=datetime.now(UTC) - timedelta(days=3),
        source="confluence",
        doc_id=f"confluence:{n}",
    )


def test_citation_claims_survive_serialisation_with_limits() -> None:
    long_quote = "word " * 200
    answer = Answer(
        text="You get 27 days [1], carried over until March [2].",
        citations=(cite(1), cite(2, long_quote)),
        grounded=True,
        mode="claude",
    )
    body = wire(answer_activity(answer))
    (entity,) = body["entities"]
    assert entity["type"] == "https://schema.org/Message"
    assert entity["@context"] == "https://schema.org" and entity["@id"] == ""
    assert entity["additionalType"] == ["AIGeneratedContent"]
    first, second = entity["citation"]
    assert first["position"] == 1 and second["position"] == 2
    assert (
        first["appearance"]["abstract"]
        == "Employees get 27 days of annual leave per calendar year."
    )
    assert first["appearance"]["keywords"] == ["Confluence", "updated 3 days ago"]
    assert len(second["appearance"]["abstract"]) <= 160
    assert second["appearance"]["abstract"].endswith("…")
    assert body["channelData"] == {"feedbackLoop": {"type": "default"}}


def test_a_huge_answer_is_shortened_under_the_size_limit_and_keeps_valid_citations() -> None:
    paragraphs = [f"Paragraph {i} about leave rules [{1 + i % 2}]. " + "x" * 900 for i in range(60)]
    answer = Answer(
        text="\n\n".join(paragraphs) + " final point [3].",
        citations=(cite(1), cite(2), cite(3)),
        grounded=True,
        mode="claude",
    )
    body = wire(answer_activity(answer))
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-16-le"))  # as Teams counts
    assert size < MAX_ACTIVITY_BYTES - 1_000
    assert body["text"].endswith(messages.TEAMS_TRUNCATED)
    positions = [c["position"] for c in body["entities"][0]["citation"]]
    assert positions == [1, 2], "the claim whose marker was cut is dropped"


def test_at_most_twenty_citations_are_sent() -> None:
    markers = " ".join(f"[{n}]" for n in range(1, 26))
    answer = Answer(
        text=f"Rules from many pages {markers}.",
        citations=tuple(cite(n) for n in range(1, 26)),
        grounded=True,
        mode="claude",
    )
    (entity,) = wire(answer_activity(answer))["entities"]
    assert [c["position"] for c in entity["citation"]] == list(range(1, 21))


def test_size_is_counted_as_teams_counts_it_in_utf16() -> None:
    # 11,000 CJK characters: 33 KB in UTF-8 but 22 KB in UTF-16; 10,000 emoji: 40 KB in
    # both. Teams counts UTF-16, so the first fits whole and the second is shortened.
    cjk = Answer(text="年" * 11_000 + " [1]", citations=(cite(1),), grounded=True, mode="claude")
    assert wire(answer_activity(cjk))["text"] == cjk.text
    emoji = Answer(text="🙂" * 10_000 + " [1]", citations=(cite(1),), grounded=True, mode="claude")
    body = wire(answer_activity(emoji))
    assert body["text"].endswith(messages.TEAMS_TRUNCATED)
    assert len(json.dumps(body, ensure_ascii=False).encode("utf-16-le")) < MAX_ACTIVITY_BYTES


def test_extractive_answer_has_citations_but_no_ai_label() -> None:
    answer = Answer(text="> quote [1]", citations=(cite(1),), grounded=True, mode="extractive")
    (entity,) = wire(answer_activity(answer))["entities"]
    assert "additionalType" not in entity and entity["citation"]


def test_snippet_cuts_at_a_word() -> None:
    assert snippet("short text", 160) == "short text"
    cut = snippet("alpha beta gamma delta epsilon", 16)
    assert cut == "alpha beta…" and len(cut) <= 16


async def test_stream_is_paced_and_buffers_text_between_updates() -> None:
    now = [0.0]
    sent: list[dict[str, Any]] = []
    slept: list[float] = []

    class Response:
        id = "stream-1"

    async def send(activity: Activity) -> Response:
        sent.append(wire(activity))
        return Response()

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    stream = TeamsStream(send, interval=1.0, clock=lambda: now[0], sleep=fake_sleep)
    await stream.informative("Searching…")
    for i in range(10):  # ten tokens 0.25 s apart
        now[0] += 0.25
        await stream.push(f"t{i} ")
    await stream.finish(Activity(type="message", text=stream.text.strip()))

    kinds = [e["streamType"] for e in (b["entities"][0] for b in sent)]
    assert kinds[0] == "informative" and kinds[-1] == "final"
    assert 2 <= kinds.count("streaming") <= 3, "about one update per second, not one per token"
    assert sent[-1]["text"] == "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9"
    assert all(b["entities"][0].get("streamId") == "stream-1" for b in sent[1:])
    assert all(b["channelData"]["streamType"] == e for b, e in zip(sent, kinds, strict=True))
    assert slept and all(0 < s <= 1.0 for s in slept)


async def test_a_stream_open_too_long_ends_with_the_final_as_a_message_of_its_own() -> None:
    now = [0.0]
    sent: list[dict[str, Any]] = []
    ids = iter(["stream-1", None, "final-9"])

    class Response:
        def __init__(self) -> None:
            self.id = next(ids)

    async def send(activity: Activity) -> Response:
        sent.append(wire(activity))
        return Response()

    async def no_sleep(seconds: float) -> None:
        now[0] += seconds

    stream = TeamsStream(send, interval=1.0, max_seconds=100.0, clock=lambda: now[0],
                         sleep=no_sleep)  # fmt: skip
    await stream.informative("Searching…")
    now[0] = 50.0
    await stream.push("The first half ")
    now[0] = 100.0  # Teams ends a stream at 120 s: no more updates after 100 s
    await stream.push("and the rest.")
    final = Activity(type="message", text="The first half and the rest.")
    final.channel_data = {"feedbackLoop": {"type": "default"}}
    await stream.finish(final)
    assert [b["type"] for b in sent] == ["typing", "typing", "message"]
    last = sent[-1]
    assert last["text"] == "The first half and the rest."
    assert "entities" not in last and last["channelData"] == {"feedbackLoop": {"type": "default"}}
    assert stream.message_id == "final-9" and stream.stream_id == "stream-1"


def test_package_has_the_app_id_and_the_icons(tmp_path: Path) -> None:
    out = tmp_path / "helpdesk.zip"
    app_id = "0f2c1d7e-1111-2222-3333-444444444444"
    result = subprocess.run(
        [sys.executable, "tools/teams_package.py", "--app-id", app_id, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    assert manifest["bots"][0]["scopes"] == ["personal", "team", "groupChat"]
    commands = manifest["bots"][0]["commandLists"][0]
    assert commands["scopes"] == ["personal"]
    assert [c["title"] for c in commands["commands"]] == ["reindex", "status", "help"]
    assert "{{" not in json.dumps(manifest)


def test_package_refuses_a_missing_or_malformed_app_id(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "tools/teams_package.py",
            "--app-id",
            "my-bot",
            "--out",
            str(tmp_path / "x.zip"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "not a GUID" in result.stderr
    assert not (tmp_path / "x.zip").exists()
