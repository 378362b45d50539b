"""Settings: one module reads the environment, and docs/configuration.md documents every
variable with its default and what it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import settings

CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def documented_settings(page: Path = CONFIGURATION) -> dict[str, tuple[str, str]]:
    """Each variable named in the first cell of a table row: (its default, what it does)."""
    rows: dict[str, tuple[str, str]] = {}
    for line in page.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3:
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
            rows.setdefault(name, (cells[1], cells[2]))
    return rows


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_with_its_default(setting: settings.Setting) -> None:
    default, what = documented_settings().get(setting.name, ("", ""))
    assert default, f"{setting.name}: no row with its default in {CONFIGURATION.name}"
    assert re.search(r"[a-z]{3}", what), f"{setting.name}: no row saying what it does"


def test_a_setting_missing_from_the_page_is_found(tmp_path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(
        "| variable | default | what |\n| --- | --- | --- |\n"
        "| `DATABASE_URL` | `sqlite:///var/infoshare.db` | decision records |\n"
        "| `ACTIONS_PORT` | | |\n\nSee `INFOSHARE_VAR_DIR` in the text.\n",
        encoding="utf-8",
    )
    rows = documented_settings(page)
    assert rows["DATABASE_URL"] == ("`sqlite:///var/infoshare.db`", "decision records")
    assert rows["ACTIONS_PORT"] == ("", "") and "INFOSHARE_VAR_DIR" not in rows


def test_the_var_directory_is_the_projects_wherever_we_run(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(settings.VAR_DIR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.var_dir() == settings.PROJECT / "var"
    monkeypatch.setenv(settings.VAR_DIR, str(tmp_path / "state"))
    assert settings.var_dir() == tmp_path / "state" and (tmp_path / "state").is_dir()


def test_no_other_module_reads_the_environment() -> None:
    """Only bot/settings.py reads os.environ (tests and test support aside)."""
    root = settings.PROJECT
    offenders = []
    for path in [*root.glob("bot/**/*.py"), *root.glob("actions/*.py")]:
        text = path.read_text(encoding="utf-8")
        if path.name in ("settings.py", "testing.py"):
            continue
        if any(read in text for read in ("os.environ.get(", "os.environ[", "os.getenv(")):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_numbers_fall_back_on_bad_values(monkeypatch) -> None:
    monkeypatch.setenv(settings.MODEL_THRESHOLD, "lots")
    assert settings.number(settings.MODEL_THRESHOLD, 0.5) == 0.5
