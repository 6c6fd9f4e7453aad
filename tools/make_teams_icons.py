"""Draw the Teams app icons (run once; the PNGs are committed):

- manifests/teams/color.png: 192×192, full colour;
- manifests/teams/outline.png: 32×32, white on a transparent background.

Usage: python tools/make_teams_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "manifests" / "teams"
ACCENT = (79, 107, 237, 255)  # #4F6BED, also the manifest's accentColor
WHITE = (255, 255, 255, 255)


def bubble(draw: ImageDraw.ImageDraw, size: int, width: int | None, fill: bool) -> None:
    """A speech bubble holding three 'document' lines, scaled to `size`."""
    s = size / 32
    box = (4 * s, 5 * s, 28 * s, 23 * s)
    tail = [(9 * s, 22 * s), (9 * s, 28 * s), (15 * s, 22 * s)]
    if fill:
        draw.rounded_rectangle(box, radius=5 * s, fill=WHITE)
        draw.polygon(tail, fill=WHITE)
        line = ACCENT
    else:
        draw.rounded_rectangle(box, radius=5 * s, outline=WHITE, width=width or 2)
        draw.line([tail[0], tail[1], tail[2]], fill=WHITE, width=width or 2)
        line = WHITE
    for i, right in enumerate((23, 23, 17)):
        y = (10 + 4 * i) * s
        draw.line([(9 * s, y), (right * s, y)], fill=line, width=max(1, round(2 * s)))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    color = Image.new("RGBA", (192, 192), ACCENT)
    inner = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    bubble(ImageDraw.Draw(inner), 128, None, fill=True)
    color.alpha_composite(inner, (32, 32))
    color.save(OUT / "color.png")

    outline = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    bubble(ImageDraw.Draw(outline), 32, 2, fill=False)
    # Teams wants pure white pixels: keep the alpha, force the colour
    white = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    white.putalpha(outline.getchannel("A"))
    white.save(OUT / "outline.png")
    print(f"wrote {OUT / 'color.png'} and {OUT / 'outline.png'}")


if __name__ == "__main__":
    main()
