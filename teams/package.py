"""Build the Microsoft Teams app package: ``results/teams-app.zip``.

    MICROSOFT_APP_ID=<the Azure Bot's app id> [INFOSHARE_BOT_DOMAIN=bot.example.org] \\
        .venv/bin/python teams/package.py [--output results/teams-app.zip] [--version 1.0.0]

Fills the placeholders of ``teams/manifest.json`` and zips it with the two icons, at the root of
the archive as Teams wants them. Upload the zip in the Teams admin centre (Teams apps → Manage
apps → Upload new app) or in Teams (Apps → Manage your apps → Upload an app).

Environment:

* ``MICROSOFT_APP_ID`` (required): the bot's Microsoft App ID, a GUID; the app's id and bot id;
* ``INFOSHARE_BOT_DOMAIN``: the host name the bot is served on (``validDomains``, and the default
  for the developer web site);
* ``INFOSHARE_DEVELOPER_NAME``, ``INFOSHARE_WEBSITE_URL``, ``INFOSHARE_PRIVACY_URL``,
  ``INFOSHARE_TERMS_URL``: what Teams shows under "About" (https URLs). Set the privacy and
  terms pages of your organisation before publishing the app to everyone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
DEFAULT_OUTPUT = PROJECT / "results" / "teams-app.zip"
ICONS = {"color.png": (192, 192), "outline.png": (32, 32)}
GUIDANCE_URL = "https://www.gov.uk/government/publications/safeguarding-practitioners-information-sharing-advice"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


class PackageError(ValueError):
    """A setting the package cannot be built with (the message says which and why)."""


def _https_url(name: str, value: str) -> str:
    if not re.match(r"^https://[^\s/]+", value):
        raise PackageError(f"{name} must be an https:// URL, not {value!r}")
    return value


def values(environ: Mapping[str, str], version: str = "1.0.0") -> tuple[dict[str, str], list[str]]:
    """The placeholder values from the environment, and warnings for the admin."""
    warnings = []
    app_id = environ.get("MICROSOFT_APP_ID", "").strip()
    if not app_id:
        raise PackageError("set MICROSOFT_APP_ID to the Azure Bot's Microsoft App ID")
    if not _GUID.match(app_id):
        raise PackageError(f"MICROSOFT_APP_ID must be a GUID (the Azure Bot's app id): {app_id!r}")
    domain = environ.get("INFOSHARE_BOT_DOMAIN", "").strip().lower()
    domain = re.sub(r"^https?://", "", domain).rstrip("/")
    if domain and not _HOST.match(domain):
        raise PackageError(
            f"INFOSHARE_BOT_DOMAIN must be a host name, such as bot.example.org: {domain!r}"
        )
    if not _VERSION.match(version):
        raise PackageError(f"the version must look like 1.0.0, not {version!r}")
    website = environ.get("INFOSHARE_WEBSITE_URL", "").strip() or (
        f"https://{domain}/" if domain else GUIDANCE_URL
    )
    urls = {"WEBSITE_URL": _https_url("INFOSHARE_WEBSITE_URL", website)}
    for key, variable in (
        ("PRIVACY_URL", "INFOSHARE_PRIVACY_URL"),
        ("TERMS_URL", "INFOSHARE_TERMS_URL"),
    ):
        value = environ.get(variable, "").strip()
        if not value:
            warnings.append(f"{variable} is not set: the app's About page links to {website}")
            value = website
        urls[key] = _https_url(variable, value)
    return {
        "MICROSOFT_APP_ID": app_id,
        "INFOSHARE_BOT_DOMAIN": domain,
        "DEVELOPER_NAME": environ.get("INFOSHARE_DEVELOPER_NAME", "").strip() or "Can I share?",
        "VERSION": version,
        **urls,
    }, warnings


def fill(template: Any, filled: Mapping[str, str]) -> Any:
    """The template with every ``{{NAME}}`` replaced; empty ``validDomains`` entries dropped."""

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return _PLACEHOLDER.sub(lambda m: filled[m.group(1)], node)
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(item) for key, item in node.items()}
        return node

    manifest = walk(template)
    manifest["validDomains"] = [d for d in manifest.get("validDomains", []) if d]
    return manifest


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise PackageError("not a PNG file")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def build(
    output: Path = DEFAULT_OUTPUT,
    environ: Mapping[str, str] | None = None,
    version: str = "1.0.0",
    source: Path = HERE,
) -> tuple[Path, list[str]]:
    """Write the package; return its path and the warnings."""
    filled, warnings = values(os.environ if environ is None else environ, version)
    manifest = fill(json.loads((source / "manifest.json").read_text(encoding="utf-8")), filled)
    icons = {}
    for name, size in ICONS.items():
        path = source / name
        if not path.exists():
            raise PackageError(f"{path} is missing: run teams/make_icons.py")
        icons[name] = path.read_bytes()
        if png_size(icons[name]) != size:
            raise PackageError(f"{name} must be {size[0]}×{size[1]} pixels")
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name, data in icons.items():
            archive.writestr(name, data)
    return output, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Microsoft Teams app package.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--version", default="1.0.0", help="the app's version; raise it for every update"
    )
    args = parser.parse_args(argv)
    try:
        path, warnings = build(args.output, version=args.version)
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"note: {warning}", file=sys.stderr)
    print(f"wrote {path} — upload it in the Teams admin centre or Teams (Upload a custom app)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
