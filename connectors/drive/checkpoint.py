"""The Drive checkpoint, stored as JSON by the SyncEngine after each committed batch.

    {"v": 1,
     "token": "<changes page token>",        # taken before a full listing starts
     "listing": {"queue": [...], "page": "<files.list page token>" | null} | null,
     "listing_started": "<iso time>" | null,  # when the listing in progress began
     "sweep_at": "<iso time>" | null,         # when the last complete listing began
     "folders": ["<folder id>", ...],         # folders in scope (to see one move out)
     "roots": ["<folder or drive id>", ...]}  # the configured roots ("*": everything) the
                                              # last complete listing covered

`roots` differing from the configured folders and shared drives (one taken out of
DRIVE_FOLDER_IDS or DRIVE_SHARED_DRIVE_IDS, or added) makes the next incremental run a
complete listing, so files of a root no longer configured are removed in that run (the
changes feed never mentions them). A checkpoint from before `roots` existed counts as
changed: one complete listing, then recorded.

`listing.queue` holds the folder ids still to list (`"*"` = everything the identity can
read), the first one being listed from `page`. A run killed mid-listing resumes there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VERSION = 1
EVERYTHING = "*"


@dataclass
class Listing:
    queue: list[str]
    page: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"queue": list(self.queue), "page": self.page}


@dataclass
class DriveState:
    token: str | None = None
    listing: Listing | None = None
    listing_started: datetime | None = None
    sweep_at: datetime | None = None
    folders: set[str] = field(default_factory=set)
    roots: list[str] | None = None  # None: not recorded (an older checkpoint)

    def dump(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                "token": self.token,
                "listing": self.listing.to_json() if self.listing else None,
                "listing_started": _iso(self.listing_started),
                "sweep_at": _iso(self.sweep_at),
                "folders": sorted(self.folders),
                "roots": None if self.roots is None else sorted(self.roots),
            },
            sort_keys=True,
        )

    @classmethod
    def load(cls, value: str | None) -> DriveState | None:
        """The stored state, or None when there is none or it cannot be read."""
        if not value:
            return None
        try:
            data = json.loads(value)
            if not isinstance(data, dict) or data.get("v") != VERSION or not data.get("token"):
                return None
            listing = data.get("listing")
            return cls(
                token=str(data["token"]),
                listing=(
                    Listing(queue=[str(q) for q in listing["queue"]], page=listing.get("page"))
                    if isinstance(listing, dict) and listing.get("queue")
                    else None
                ),
                listing_started=_parse(data.get("listing_started")),
                sweep_at=_parse(data.get("sweep_at")),
                folders={str(f) for f in data.get("folders") or []},
                roots=_roots(data.get("roots")),
            )
        except (ValueError, KeyError, TypeError):
            return None


def _roots(value: object) -> list[str] | None:
    return sorted(str(r) for r in value) if isinstance(value, list) else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value)
