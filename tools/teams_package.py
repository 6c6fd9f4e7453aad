"""Build the Teams app package to upload (sideload) in Teams or the Teams admin centre:
manifests/teams/helpdesk-teams.zip = manifest.json (app id filled in) + the two icons.

Usage: python tools/teams_package.py [--app-id GUID] [--website-url URL] [--out ZIP]
(`make teams-package`). The app id defaults to MicrosoftAppId from the environment/.env.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.settings import Settings  # noqa: E402

TEAMS_DIR = REPO / "manifests" / "teams"
DEFAULT_OUT = TEAMS_DIR / "helpdesk-teams.zip"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ICONS = {"color.png": (192, 192), "outline.png": (32, 32)}


def render_manifest(app_id: str, website_url: str, company: str) -> str:
    values = {
        "MICROSOFT_APP_ID": app_id,
        "WEBSITE_URL": website_url.rstrip("/"),
        "COMPANY_NAME": company,
    }
    text = (TEAMS_DIR / "manifest.json").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", json.dumps(value)[1:-1])
    left = re.findall(r"\{\{[A-Z_]+\}\}", text)
    if left:
        raise SystemExit(f"manifest.json still has placeholders: {', '.join(sorted(set(left)))}")
    json.loads(text)  # valid JSON after substitution
    return text


def icon_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (no imaging library needed)."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def build(app_id: str, website_url: str, company: str, out: Path) -> Path:
    if not GUID.match(app_id):
        raise SystemExit(
            f"MicrosoftAppId {app_id!r} is not a GUID: copy the Microsoft App ID from the "
            "Azure Bot's Configuration page (see docs/teams.md)."
        )
    if not website_url.startswith("https://"):
        raise SystemExit("--website-url must be an https:// URL (Teams requires it).")
    manifest = render_manifest(app_id, website_url, company)
    for name, size in ICONS.items():
        if icon_size(TEAMS_DIR / name) != size:
            raise SystemExit(f"{name} must be {size[0]}×{size[1]} pixels")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", manifest)
        for name in ICONS:
            zf.write(TEAMS_DIR / name, name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--app-id", help="the bot's Microsoft App ID (default: MicrosoftAppId)")
    parser.add_argument(
        "--website-url",
        default="https://www.example.com/helpdesk",
        help="developer website; /privacy and /terms are appended for the other links",
    )
    parser.add_argument("--company", help="developer name (default: COMPANY_NAME)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    settings = Settings()
    app_id = args.app_id or settings.microsoft_app_id
    if not app_id:
        print(
            "MicrosoftAppId is not set. Register the Azure Bot (docs/teams.md), then set "
            "MicrosoftAppId in .env or pass --app-id.",
            file=sys.stderr,
        )
        return 2
    company = args.company or settings.company_name
    out = build(app_id, args.website_url, company, args.out)
    print(f"wrote {out} — upload it in Teams: Apps › Manage your apps › Upload an app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
