"""Secrets and runtime files (issue 20, finding 10): var/ and what is in it are the user's only,
created so from the start; a weak secret key is refused; the API token stays off command lines."""

from __future__ import annotations

import base64
import os
import secrets
import stat
import string
from pathlib import Path

import pytest

from bot.rasa_runner import rasa_arguments
from bot.records import links
from bot.server import api_token, make_private, secret_key, show_token


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The most permissive umask: whatever is private is so by its own mode."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_generated_secrets_are_created_private_not_restricted_afterwards(
    tmp_path, monkeypatch, open_umask
):
    monkeypatch.delenv(links.SECRET_ENV, raising=False)
    monkeypatch.delenv("INFOSHARE_API_TOKEN", raising=False)
    # no chmod after the fact: a file written first and restricted afterwards would show here
    monkeypatch.setattr(Path, "chmod", lambda self, mode, **kwargs: None)
    var = tmp_path / "var"
    secret_key(var)
    api_token(var)
    assert mode(var / "secret_key") == 0o600 and mode(var / "api_token") == 0o600
    (var / "secret_key").write_text("short\n")  # an old, weak key: replaced, still private
    os.chmod(var / "secret_key", 0o644)
    assert links.secret_problem(secret_key(var)) is None
    assert mode(var / "secret_key") == 0o600


def test_an_old_var_directory_is_made_private(tmp_path, open_umask):
    var = tmp_path / "var"
    (var / "outbox").mkdir(parents=True, mode=0o755)
    os.chmod(var, 0o755)
    for name in ("infoshare.db", "outbox/draft.json", "actions-shell.log"):
        (var / name).write_text("x")
        os.chmod(var / name, 0o644)
    os.chmod(var / "actions-shell.log", 0o755)
    make_private(var)
    assert mode(var) == 0o700 and mode(var / "outbox") == 0o700
    assert mode(var / "infoshare.db") == 0o600 and mode(var / "outbox/draft.json") == 0o600
    assert mode(var / "actions-shell.log") == 0o700  # the owner's bits kept


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "sixteen-chars-ok",  # what was accepted before: 16 characters
        "a-test-secret-of-sufficient-length",  # 34 base64 characters: 25 bytes at most
        "3f9c1e0b7a2d4c6e8f0a1b2c3d4e5f60",  # token_hex(16): 16 bytes
        "a" * 64,
        "abc" * 20,  # 3 different characters
    ],
)
def test_a_weak_secret_key_is_refused_saying_what_to_do(tmp_path, monkeypatch, key):
    monkeypatch.setenv(links.SECRET_ENV, key)
    assert links.secret_key() is None
    with pytest.raises(SystemExit) as refused:
        secret_key(tmp_path)
    message = str(refused.value)
    assert links.SECRET_ENV in message and "32 bytes" in message
    assert "secrets.token_urlsafe(32)" in message


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(32),  # what make run generates, and the message says
        secrets.token_hex(32),  # openssl rand -hex 32
        base64.b64encode(secrets.token_bytes(32)).decode(),  # openssl rand -base64 32
        "".join(secrets.choice(string.printable[:94]) for _ in range(40)),  # 40 printable
    ],
)
def test_a_key_that_can_hold_32_random_bytes_is_taken(tmp_path, monkeypatch, key):
    monkeypatch.setenv(links.SECRET_ENV, key)
    assert links.secret_key() == key and secret_key(tmp_path) == key


def test_the_banner_shows_the_tokens_start_and_where_it_is(tmp_path):
    token = "Zk3-9QwErTyUiOpAsDfGhJkLzXcVbNm1234567890ab"
    shown = show_token(token, True, tmp_path)
    assert token not in shown and shown.startswith("Zk3-") and str(tmp_path / "api_token") in shown
    assert token not in show_token(token, False, tmp_path)


def test_the_api_token_reaches_rasa_from_the_environment_not_the_command_line():
    run = ["run", "--enable-api", "--port", "5005"]
    assert rasa_arguments(run, "-tok") == [*run, "--auth-token=-tok"]
    assert rasa_arguments(run, "") == run
    assert rasa_arguments(["run", "--port", "1"], "tok") == ["run", "--port", "1"]  # no API
    given = [*run, "--auth-token=from-the-command-line"]
    assert rasa_arguments(given, "tok") == given
