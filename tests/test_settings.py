"""Settings: one module reads the environment, and README documents every variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import settings

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting: settings.Setting) -> None:
    assert setting.name in README.read_text(encoding="utf-8")


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
