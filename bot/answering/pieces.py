"""What a generator streams: text, and the citations of a finished text block."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextPiece:
    text: str


@dataclass(frozen=True)
class CitedPiece:
    """A finished text block's citations: (passage index, quoted text) pairs."""

    citations: tuple[tuple[int, str], ...]
