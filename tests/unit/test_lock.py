"""The lock files (requirements/) agree with pyproject.toml, and scripts/lock.py sees when not.

The committed locks pass the check; copies of pyproject.toml and of the locks, broken one way at a
time (a dependency added, a pin moved outside its range or edited by hand, a hash dropped, dev.txt
drifting from runtime.txt, an extra no lock covers), each fail it. The Makefile installs from the
locks with hashes required. Nothing here reaches the network.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT / "scripts"))

import lock  # noqa: E402  (scripts/lock.py)


@pytest.fixture
def copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of pyproject.toml and of requirements/ to break."""
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(PROJECT / "requirements", tmp_path / "requirements")
    return tmp_path / "pyproject.toml", tmp_path / "requirements"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_committed_locks_agree_with_pyproject() -> None:
    assert lock.problems(PROJECT / "pyproject.toml", PROJECT / "requirements") == []
    assert lock.main(["check"]) == 0


def test_the_locks_pin_every_requirement_with_hashes() -> None:
    for name, groups in lock.LOCKS.items():
        pins = lock.read_pins((PROJECT / "requirements" / name).read_text(encoding="utf-8"))
        pyproject = lock.load_pyproject(PROJECT / "pyproject.toml")
        for requirement in lock.inputs(pyproject, groups):
            assert lock._unsatisfied(requirement, pins, name) is None
        assert all(pin.hashes > 0 for pin in pins.values())
        # Rasa 3.6's own pins and the build tools the project is installed with.
        assert pins["rasa"].version == "3.6.21"
        assert {"setuptools", "wheel", "tensorflow", "spacy"} <= set(pins)
    dev = lock.read_pins((PROJECT / "requirements" / "dev.txt").read_text(encoding="utf-8"))
    assert {"pytest", "ruff", "playwright", "schemathesis"} <= set(dev)


def test_a_dependency_added_to_pyproject_fails_the_check(copy: tuple[Path, Path]) -> None:
    pyproject, locks = copy
    _edit(pyproject, '"rasa-sdk==3.6.2",', '"rasa-sdk==3.6.2",\n    "humanize>=4.0",')
    found = lock.problems(pyproject, locks)
    assert any("runtime.txt was compiled from other dependencies" in p for p in found), found
    assert any("dev.txt was compiled from other dependencies" in p for p in found), found
    assert any("does not pin humanize" in p for p in found), found
    assert lock.main(["check", "--pyproject", str(pyproject), "--locks", str(locks)]) == 1


def test_a_dev_dependency_added_fails_only_the_dev_lock(copy: tuple[Path, Path]) -> None:
    pyproject, locks = copy
    _edit(pyproject, '"pytest>=7.4",', '"pytest>=7.4",\n    "freezegun>=1.2",')
    found = lock.problems(pyproject, locks)
    assert not any("runtime.txt" in p for p in found), found
    assert any("dev.txt was compiled from other dependencies" in p for p in found), found
    assert any("requirements/dev.txt does not pin freezegun" in p for p in found), found


def test_make_lock_stamps_what_the_check_reads(copy: tuple[Path, Path]) -> None:
    """After the stamp (make lock's last step) only what pip-compile must pin is left."""
    pyproject, locks = copy
    _edit(pyproject, '"rasa-sdk==3.6.2",', '"rasa-sdk==3.6.2",\n    "humanize>=4.0",')
    lock.stamp(pyproject, locks)
    assert lock.problems(pyproject, locks) == [
        "requirements/runtime.txt does not pin humanize ('humanize>=4.0' in pyproject.toml)",
        "requirements/dev.txt does not pin humanize ('humanize>=4.0' in pyproject.toml)",
    ]
    # One stamp line per file, however often it is written.
    lock.stamp(pyproject, locks)
    text = (locks / "runtime.txt").read_text(encoding="utf-8")
    assert text.count(lock.STAMP_PREFIX) == 1 and text.startswith(lock.STAMP_PREFIX)


def test_order_spacing_and_comments_do_not_change_the_digest(copy: tuple[Path, Path]) -> None:
    pyproject, locks = copy
    _edit(pyproject, '"alembic>=1.10",', '# The migrations.\n    "alembic >= 1.10",')
    text = pyproject.read_text(encoding="utf-8")
    text = text.replace('    "PyYAML>=5.4",\n', "").replace(
        '"rasa-sdk==3.6.2",', '"PyYAML>=5.4",\n    "rasa-sdk==3.6.2",'
    )
    pyproject.write_text(text, encoding="utf-8")
    assert lock.problems(pyproject, locks) == []


def test_a_range_narrowed_in_pyproject_fails_the_check(copy: tuple[Path, Path]) -> None:
    pyproject, locks = copy
    _edit(pyproject, '"names-dataset>=3.3,<4",', '"names-dataset>=3.3,<3.3.1",')
    lock.stamp(pyproject, locks)  # even with the digest rewritten by hand
    found = lock.problems(pyproject, locks)
    assert any(re.search(r"pins names-dataset==[\d.]+, outside", p) for p in found), found


def test_a_lock_edited_by_hand_fails_the_check(copy: tuple[Path, Path]) -> None:
    _, locks = copy
    runtime = locks / "runtime.txt"
    _edit(runtime, "\nrasa==3.6.21 \\", "\nrasa==3.6.20 \\")
    found = lock.problems(copy[0], locks)
    assert "requirements/runtime.txt pins rasa==3.6.20, outside 'rasa[spacy]==3.6.21'" in " ".join(
        found
    ).replace(" (pyproject.toml)", "")
    assert "requirements/dev.txt pins rasa==3.6.21, runtime.txt rasa==3.6.20" in found


def test_a_pin_without_hash_and_a_missing_stamp_fail_the_check(copy: tuple[Path, Path]) -> None:
    pyproject, locks = copy
    dev = locks / "dev.txt"
    text = dev.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(lock.STAMP_PREFIX))
    text = re.sub(
        r"(\nruff==[\d.]+) \\\n(\s+--hash=sha256:[0-9a-f]+ \\\n)*\s+--hash=\S+", r"\1", text
    )
    dev.write_text(text, encoding="utf-8")
    found = lock.problems(pyproject, locks)
    assert any(p.startswith("requirements/dev.txt has no '# pyproject.toml") for p in found), found
    assert any(re.match(r"requirements/dev.txt: ruff==[\d.]+ has no --hash", p) for p in found)


def test_an_extra_no_lock_covers_and_a_missing_lock_fail_the_check(
    copy: tuple[Path, Path],
) -> None:
    pyproject, locks = copy
    _edit(pyproject, "dev = [", 'docs = ["mkdocs>=1.5"]\ndev = [')
    (locks / "runtime.txt").unlink()
    found = lock.problems(pyproject, locks)
    assert "optional-dependencies 'docs' is in no lock (scripts/lock.py LOCKS)" in found
    assert "requirements/runtime.txt is missing" in found


def test_make_installs_from_the_locks_with_hashes() -> None:
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    stamp_rule = re.search(r"^\$\(VENV\)/\.installed:(.*)$", makefile, re.M)
    assert stamp_rule and "$(LOCKS)" in stamp_rule.group(1)
    assert "--require-hashes -r requirements/dev.txt" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"^lint:.*\bcheck-lock\b", makefile, re.M)
    assert re.search(r"^lock:", makefile, re.M) and re.search(r"^check-lock:", makefile, re.M)
