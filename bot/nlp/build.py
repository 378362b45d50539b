"""Build, package and install the project's spaCy pipeline ``en_infoshare``.

``python -m bot.nlp.build [--force] [--output-dir DIR]``

The pipeline is ``spacy.blank("en")`` plus the stock ``entity_ruler`` loaded with
``patterns/entities.jsonl`` (labels ``recipient`` and ``information``). It is saved to
``models/spacy/pipeline``, packaged with spaCy's Python API into ``models/spacy/package``,
built into a wheel under ``models/spacy/dist`` and pip-installed (offline, no dependencies)
into the running interpreter's environment, so that ``spacy.load("en_infoshare")`` works in
every process of this environment (Rasa's ``SpacyNLP`` loads it by that name).

The package version is ``PIPELINE_VERSION`` plus a local label made from a hash of the
entity patterns and the ruler settings (``0.1.0+p1a2b3c4d5e6f``): when the installed
package already has that version the build does nothing, unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.nlp.patterns import ENTITY_PATTERNS_FILE, entity_patterns, files_digest

if TYPE_CHECKING:
    from spacy.language import Language

META_NAME = "infoshare"
PACKAGE_NAME = f"en_{META_NAME}"
PIPELINE_VERSION = "0.1.0"
# Stored in the pipeline's config; part of the fingerprint, so a change triggers a rebuild.
RULER_CONFIG: dict[str, Any] = {
    "phrase_matcher_attr": "LOWER",
    "validate": True,
    "overwrite_ents": True,
}

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_output_dir() -> Path:
    """``models/spacy`` in the project checkout (or in the working directory if installed)."""
    root = _PROJECT_ROOT if (_PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd()
    return root / "models" / "spacy"


def fingerprint() -> str:
    """Hash of everything that goes into the packaged pipeline."""
    settings = json.dumps(RULER_CONFIG, sort_keys=True)
    return files_digest([ENTITY_PATTERNS_FILE], settings, PIPELINE_VERSION)


def expected_version() -> str:
    """The package version that the current patterns produce, e.g. ``0.1.0+p1a2b3c4d5e6f``."""
    # "p" keeps the local label non-numeric, so pip never normalises it (leading zeros).
    return f"{PIPELINE_VERSION}+p{fingerprint()[:12]}"


def installed_version() -> str | None:
    """Version of the installed ``en_infoshare`` distribution, or None (no spaCy import)."""
    try:
        return importlib.metadata.version(PACKAGE_NAME)
    except importlib.metadata.PackageNotFoundError:
        return None


def is_up_to_date(output_dir: Path | None = None) -> bool:
    """True when the installed package and the saved pipeline match the current patterns."""
    expected = expected_version()
    if installed_version() != expected:
        return False
    meta_path = (output_dir or default_output_dir()) / "pipeline" / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("version") == expected


def build_pipeline() -> Language:
    """A blank English pipeline with the entity ruler loaded from the pattern data."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config=RULER_CONFIG)
    ruler.add_patterns(entity_patterns())  # type: ignore[attr-defined]
    nlp.meta.update(
        {
            "name": META_NAME,
            "version": expected_version(),
            "description": (
                "Rule-based entities (recipient, information) for the 'Can I share?' assistant"
            ),
            "author": "Can I share? project",
            "license": "MIT",
            "infoshare_patterns_sha256": fingerprint(),
        }
    )
    return nlp


@contextmanager
def _build_lock(output_dir: Path) -> Iterator[None]:
    """Serialise concurrent builds (parallel test runs, make targets)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with (output_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"]
    subprocess.run(command, check=True)


def build(output_dir: Path | None = None, *, force: bool = False) -> bool:
    """Build, package and install ``en_infoshare``; False when it was already up to date."""
    output_dir = (output_dir or default_output_dir()).resolve()
    pipeline_dir = output_dir / "pipeline"
    package_parent = output_dir / "package"
    dist_dir = output_dir / "dist"
    with _build_lock(output_dir):
        if not force and is_up_to_date(output_dir):
            return False
        from spacy.cli.package import package  # slow import (spaCy pulls in TensorFlow)

        for stale in (pipeline_dir, package_parent, dist_dir):
            shutil.rmtree(stale, ignore_errors=True)
        build_pipeline().to_disk(pipeline_dir)
        package_parent.mkdir()
        package(
            pipeline_dir,
            package_parent,
            name=META_NAME,
            version=expected_version(),
            create_sdist=False,
            create_wheel=False,
            force=True,
            silent=True,
        )
        (package_dir,) = package_parent.iterdir()
        # Offline: no index, no build isolation (uses the environment's setuptools).
        wheel_args = ["--no-deps", "--no-index", "--no-build-isolation", "-w", str(dist_dir)]
        _pip("wheel", *wheel_args, str(package_dir))
        (wheel,) = dist_dir.glob(f"{PACKAGE_NAME}-*.whl")
        _pip("install", "--no-deps", "--no-index", "--force-reinstall", str(wheel))
        importlib.invalidate_caches()
        if installed_version() != expected_version():
            raise RuntimeError(f"{PACKAGE_NAME} was not installed into {sys.prefix}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.nlp.build", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--output-dir", type=Path, default=None, help="default: models/spacy in the project"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    built = build(args.output_dir, force=args.force)
    elapsed = time.perf_counter() - started
    state = "built and installed" if built else "already up to date"
    print(f"{PACKAGE_NAME} {expected_version()}: {state} ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
