"""The real servers for end-to-end tests (a pytest plugin, registered in tests/conftest.py): the
session's action server and Rasa server (``session_servers``, ``chat``), ``start_servers`` for
tests that start their own, the REST client ``Chat``, and the fixed ports they listen on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from support.teams import FakeMicrosoft

PROJECT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-test-token"
# The end-to-end servers listen on fixed ports (the session's 5105, 5155 and 5199; the cluster's
# 55xx and 57xx); INFOSHARE_TEST_PORT_OFFSET moves them all, so that a second suite can run
# beside the first.
PORT_OFFSET = int(os.environ.get("INFOSHARE_TEST_PORT_OFFSET", "0") or 0)


def port(number: int) -> int:
    return number + PORT_OFFSET


# A stand-in intranet page on another origin embeds the web chat (tests/e2e/test_webchat.py): the
# session's servers let it in, as `make run CORS=…` would.
INTRANET_ORIGIN = f"http://127.0.0.1:{port(5199)}"

# Question 6's checklist answered "yes" point by point over REST: (message, what is asked next).
CHECKLIST_YES = [
    ("yes", "point 2 of 7"),
    ("yep", "point 3 of 7"),
    ("yes", "point 4 of 7"),
    ("yes", "point 5 of 7"),
    ("yes", "point 6 of 7"),
    ("yes", "point 7 of 7"),
]


@dataclass
class Chat:
    """Talks to a running Rasa server through the REST channel, reads records via the CLI."""

    base: str
    database_url: str

    def say(self, sender: str, message: str) -> list[dict]:
        body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
        request = urllib.request.Request(
            f"{self.base}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return json.load(response)

    def text(self, sender: str, message: str) -> str:
        return "\n".join(m.get("text") or "" for m in self.say(sender, message))

    def tracker(self, sender: str) -> dict:
        url = f"{self.base}/conversations/{sender}/tracker?token={TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return json.load(response)

    def records(self) -> list[dict]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "records",
                "export",
                "--format",
                "json",
                "--database-url",
                self.database_url,
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return json.loads(result.stdout)

    def record_for(self, sender: str) -> list[dict]:
        return [r for r in self.records() if r["conversation_id"] == sender]


def start_servers(
    database_url: str,
    rasa_port: int,
    actions_port: int,
    log_dir: Path,
    cors: list[str] | None = None,
    env: dict[str, str] | None = None,
):
    from bot.records import upgrade
    from bot.server import Servers

    upgrade(database_url)
    servers = Servers(
        rasa_port=rasa_port,
        actions_port=actions_port,
        env={
            "DATABASE_URL": database_url,
            "TRACKER_DATABASE_URL": database_url,
            "INFOSHARE_API_TOKEN": TOKEN,
            # the tests come from 127.0.0.1 (thousands of messages a minute): counted per
            # conversation only; the address limit's own test floods from 127.0.0.2
            "INFOSHARE_HTTP_API": "on",  # the tests read trackers (each read audited)
            "INFOSHARE_RATE_LIMIT_EXEMPT": "127.0.0.1",
            "INFOSHARE_RATE_LIMIT_ADDRESS": "40/60",  # that test's limit, lower than the default
            **(env or {}),
        },
        log_dir=log_dir,
        cors=list(cors or []),
    )
    servers.start(TOKEN)
    try:
        servers.wait_ready(timeout=300)
    except Exception:
        servers.stop()
        for log in sorted(log_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-4000:]}", file=sys.stderr)
        raise
    return servers


@dataclass
class Session:
    """The session's servers: the REST channel and records (``chat``), the fake Microsoft whose
    settings they were started with (the Teams channel is on), and their logs."""

    chat: Chat
    fake: FakeMicrosoft
    logs: Path


@pytest.fixture(scope="session")
def session_servers(tmp_path_factory) -> Iterator[Session]:
    """The action server and Rasa server, started for real on SQLite, once for the whole session:
    with CORS for the stand-in intranet page, and the Teams channel on, talking to a fake
    Microsoft in this process (the Teams tests share these servers)."""
    from support.teams import FakeMicrosoft

    tmp = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{tmp / 'infoshare.db'}"
    fake = FakeMicrosoft().start()
    try:
        servers = start_servers(
            url,
            port(5105),
            port(5155),
            tmp / "logs",
            cors=[INTRANET_ORIGIN],
            env=fake.environ(),
        )
    except Exception:
        fake.stop()
        raise
    yield Session(Chat(servers.url, url), fake, tmp / "logs")
    servers.stop()
    fake.stop()


@pytest.fixture(scope="session")
def chat(session_servers: Session) -> Chat:
    return session_servers.chat
