"""Loading of the pattern data files in ``bot/nlp/patterns/`` (no spaCy import)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PATTERNS_DIR = Path(__file__).resolve().parent / "patterns"
ENTITY_PATTERNS_FILE = PATTERNS_DIR / "entities.jsonl"
SAFEGUARDING_FILE = PATTERNS_DIR / "safeguarding.yml"
PURPOSE_FILE = PATTERNS_DIR / "purpose.yml"
REDACTION_FILE = PATTERNS_DIR / "redaction.yml"

ENTITY_LABELS = ("recipient", "information")

_BRACES = re.compile(r"\{([^{}]*)\}")


@cache
def load_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML pattern file (cached)."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def entity_patterns() -> list[dict[str, Any]]:
    """The entity_ruler patterns: one JSON object per non-empty line of entities.jsonl."""
    patterns = []
    with ENTITY_PATTERNS_FILE.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            pattern = json.loads(line)
            if pattern.get("label") not in ENTITY_LABELS:
                raise ValueError(f"{ENTITY_PATTERNS_FILE}:{number}: unknown label")
            patterns.append(pattern)
    return patterns


def expand_phrase(phrase: str) -> list[str]:
    """Expand ``{a,b}`` alternatives: ``"{hit,hits} him"`` -> ``["hit him", "hits him"]``."""
    parts = _BRACES.split(phrase)
    # split() with one group alternates literal text and the group's contents
    choices = [[part] if i % 2 == 0 else part.split(",") for i, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def files_digest(paths: list[Path], *extra: str) -> str:
    """SHA-256 over the given files' bytes and extra strings."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()
