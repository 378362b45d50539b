#!/usr/bin/env python3
"""The lock files in requirements/ agree with pyproject.toml: ``make check-lock`` (part of
``make lint``, so of ``make test`` and CI) runs ``check``; ``make lock`` runs ``stamp`` after
pip-compile.

``requirements/runtime.txt`` pins, with hashes, everything ``[project] dependencies`` installs;
``requirements/dev.txt`` the same plus the ``dev`` extra (compiled with runtime.txt as its
constraints). Both are pip-compile's output for Python 3.10 on Linux x86_64 (docs/deployment.md
"Reproducible installs"). Their first line records a SHA-256 of the pyproject.toml lists they were
compiled from; ``check`` reads nothing from the network and reports:

* a lock compiled from other lists than pyproject.toml's now (a dependency added, removed or
  changed since the last ``make lock``), or a lock without that line;
* a requirement of pyproject.toml that its lock does not pin, or pins at a version outside the
  requirement's range (a lock edited by hand);
* a pin without a hash (``pip install --require-hashes`` would refuse it);
* a package that dev.txt pins at another version than runtime.txt, or a runtime pin missing from
  dev.txt;
* a build requirement (``[build-system] requires``) the runtime lock does not satisfy: the project
  itself is installed with ``--no-build-isolation``, built by the locked setuptools and wheel;
* an optional-dependencies group no lock covers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli (alembic's and pytest's dependency there)
    import tomli as tomllib

PROJECT = Path(__file__).resolve().parent.parent
# Lock file name → the optional-dependencies groups it holds besides [project] dependencies.
LOCKS: dict[str, tuple[str, ...]] = {"runtime.txt": (), "dev.txt": ("dev",)}
STAMP_PREFIX = "# pyproject.toml inputs sha256:"
STAMP = re.compile(re.escape(STAMP_PREFIX) + r"\s*([0-9a-f]{64})\b")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: int


def load_pyproject(path: Path) -> dict:
    with path.open("rb") as file:
        return tomllib.load(file)


def inputs(pyproject: dict, groups: tuple[str, ...]) -> list[str]:
    """The requirements a lock is compiled from: the dependencies, then each group's."""
    project = pyproject.get("project", {})
    requirements = list(project.get("dependencies", []))
    extras = project.get("optional-dependencies", {})
    for group in groups:
        requirements += extras.get(group, [])
    return requirements


def _normal(requirements: list[str]) -> list[str]:
    """Sorted, spaces dropped: the same under any packaging version (lock runs in .venv-lock)."""
    return sorted(re.sub(r"\s+", "", requirement) for requirement in requirements)


def digest(pyproject: dict, groups: tuple[str, ...]) -> str:
    """SHA-256 of the lock's input lists: order, spacing and comments in pyproject.toml aside."""
    project = pyproject.get("project", {})
    extras = project.get("optional-dependencies", {})
    canonical = {
        "dependencies": _normal(project.get("dependencies", [])),
        "optional-dependencies": {group: _normal(extras.get(group, [])) for group in groups},
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_pins(text: str) -> dict[str, Pin]:
    """Canonical name → pin, from pip-compile's output (continuation lines joined)."""
    pins: dict[str, Pin] = {}
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = Pin(name, match.group(3), line.count("--hash="))
    return pins


def read_stamp(text: str) -> str | None:
    for line in text.splitlines()[:5]:
        match = STAMP.match(line)
        if match:
            return match.group(1)
    return None


def _unsatisfied(requirement: str, pins: dict[str, Pin], lock: str) -> str | None:
    req = Requirement(requirement)
    pin = pins.get(canonicalize_name(req.name))
    if pin is None:
        return f"{lock} does not pin {req.name} ({requirement!r} in pyproject.toml)"
    if req.specifier and not req.specifier.contains(Version(pin.version), prereleases=True):
        return f"{lock} pins {req.name}=={pin.version}, outside {requirement!r} (pyproject.toml)"
    return None


def problems(pyproject_path: Path, lock_dir: Path) -> list[str]:
    """Every way the lock files in lock_dir disagree with pyproject_path (empty: they agree)."""
    pyproject = load_pyproject(pyproject_path)
    found: list[str] = []
    all_pins: dict[str, dict[str, Pin]] = {}
    for lock, groups in LOCKS.items():
        path = lock_dir / lock
        if not path.is_file():
            found.append(f"requirements/{lock} is missing")
            continue
        text = path.read_text(encoding="utf-8")
        pins = all_pins[lock] = read_pins(text)
        stamp = read_stamp(text)
        if stamp is None:
            found.append(f"requirements/{lock} has no '{STAMP_PREFIX}' line (not from make lock)")
        elif stamp != digest(pyproject, groups):
            found.append(
                f"requirements/{lock} was compiled from other dependencies than pyproject.toml's"
                " now (changed since the last make lock)"
            )
        for requirement in inputs(pyproject, groups):
            problem = _unsatisfied(requirement, pins, f"requirements/{lock}")
            if problem:
                found.append(problem)
        for pin in pins.values():
            if pin.hashes == 0:
                found.append(f"requirements/{lock}: {pin.name}=={pin.version} has no --hash")
    runtime, dev = all_pins.get("runtime.txt"), all_pins.get("dev.txt")
    if runtime is not None and dev is not None:
        for name, pin in runtime.items():
            other = dev.get(name)
            if other is None:
                found.append(f"requirements/dev.txt lacks runtime.txt's {name}=={pin.version}")
            elif other.version != pin.version:
                found.append(
                    f"requirements/dev.txt pins {name}=={other.version},"
                    f" runtime.txt {name}=={pin.version}"
                )
    if runtime is not None:
        for requirement in pyproject.get("build-system", {}).get("requires", []):
            problem = _unsatisfied(requirement, runtime, "requirements/runtime.txt")
            if problem:
                found.append(problem.replace("pyproject.toml", "[build-system] requires"))
    covered = {group for groups in LOCKS.values() for group in groups}
    for group in pyproject.get("project", {}).get("optional-dependencies", {}):
        if group not in covered:
            found.append(f"optional-dependencies '{group}' is in no lock (scripts/lock.py LOCKS)")
    return found


def stamp(pyproject_path: Path, lock_dir: Path) -> None:
    """Write (or rewrite) each lock's first line: the digest of the lists it was compiled from."""
    pyproject = load_pyproject(pyproject_path)
    for lock, groups in LOCKS.items():
        path = lock_dir / lock
        lines = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith(STAMP_PREFIX)
        ]
        header = f"{STAMP_PREFIX} {digest(pyproject, groups)} (written by make lock)"
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check", "stamp"])
    parser.add_argument("--pyproject", type=Path, default=PROJECT / "pyproject.toml")
    parser.add_argument("--locks", type=Path, default=PROJECT / "requirements")
    args = parser.parse_args(argv)
    if args.command == "stamp":
        stamp(args.pyproject, args.locks)
        return 0
    found = problems(args.pyproject, args.locks)
    if found:
        print("The lock files disagree with pyproject.toml:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Run `make lock` (it keeps every pin it can; commit requirements/ with"
            " pyproject.toml).",
            file=sys.stderr,
        )
        return 1
    print(f"requirements/ agrees with pyproject.toml ({', '.join(LOCKS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
