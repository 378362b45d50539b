"""deploy/systemd/infoshare.service: a one-machine deployment that restarts on failure, reads its
settings from a root-only file, runs as its own user and can write nothing but var/."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from bot import settings
from bot.action_server import ACTIONS_TOKEN

PROJECT = Path(__file__).resolve().parents[2]
UNIT = PROJECT / "deploy" / "systemd" / "infoshare.service"
ENV_EXAMPLE = PROJECT / "deploy" / "systemd" / "infoshare.env.example"


def unit() -> configparser.ConfigParser:
    # systemd repeats keys (Environment=): strict=False keeps the last; case kept as written
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def environment_lines() -> dict[str, str]:
    """Every ``Environment=NAME=value`` of [Service] (configparser keeps only the last)."""
    found = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        match = re.match(r"Environment=(\w+)=(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_it_restarts_on_failure_with_a_limit():
    service, limits = unit()["Service"], unit()["Unit"]
    assert service["Restart"] == "on-failure"
    assert int(service["RestartSec"]) >= 1
    assert int(limits["StartLimitBurst"]) >= 1 and int(limits["StartLimitIntervalSec"]) > 0
    assert service["KillMode"] == "mixed"  # bot.server stops its children itself


def test_it_runs_bot_server_as_its_own_user_from_the_project():
    service = unit()["Service"]
    assert service["User"] == "infoshare" and service["Group"] == "infoshare"
    home = Path(service["WorkingDirectory"])
    command = shlex.split(service["ExecStart"])
    assert command[0] == str(home / ".venv/bin/python") and command[1:3] == ["-m", "bot.server"]
    assert (PROJECT / "bot" / "server.py").exists()
    assert shlex.split(service["ExecStartPre"]) == [
        str(home / ".venv/bin/infoshare"),
        "db",
        "upgrade",
    ]


def test_settings_come_from_a_file_and_var_is_the_only_place_it_writes():
    service = unit()["Service"]
    assert service["EnvironmentFile"] == "/etc/infoshare/infoshare.env"
    var = environment_lines()[settings.VAR_DIR]
    assert var == str(Path(service["WorkingDirectory"]) / "var")
    assert service["ReadWritePaths"].split() == [var]
    assert service["ProtectSystem"] == "strict"


def test_it_is_hardened():
    service = unit()["Service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "PrivateDevices": "yes",
        "RestrictSUIDSGID": "yes",
        "UMask": "0077",
        "CapabilityBoundingSet": "",
    }.items():
        assert service.get(key) == value, key


def test_the_example_environment_file_sets_only_what_the_assistant_reads():
    known = {setting.name for setting in settings.SETTINGS} | {ACTIONS_TOKEN}
    named = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)
    assert named and set(named) <= known, set(named) - known
    assert settings.SECRET_KEY in named and settings.DATABASE_URL in named
