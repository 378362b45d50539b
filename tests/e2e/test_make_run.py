"""`make run` itself: ``python -m bot.server`` as a child process, as the Makefile runs it, on
ports of its own and a runtime directory (SQLite database, generated token and key) of its own.

The tests run in file order; the last ones kill its children and stop it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.servers import Chat, port

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
OPENING = "Can I tell the GP about her mental health because I am worried about her?"
Q1, Q2, Q3, Q4 = "Question 1:", "Question 2:", "Question 3:", "Question 4:"
KEPT = "your answers so far are kept"
# What `make run` must not inherit from the environment the tests run in: it generates its own.
NOT_INHERITED = (
    "DATABASE_URL",
    "TRACKER_DATABASE_URL",
    "INFOSHARE_API_TOKEN",
    "INFOSHARE_SECRET_KEY",
    "INFOSHARE_ACTIONS_TOKEN",
    "INFOSHARE_REDIS_URL",
)


@dataclass
class MakeRun:
    """``python -m bot.server`` running, with everything it printed so far."""

    process: subprocess.Popen | None
    var: Path
    rasa_port: int
    actions_port: int
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def chat(self) -> Chat:
        return Chat(self.url, f"sqlite:///{self.var / 'infoshare.db'}")

    def text(self) -> str:
        return "".join(self.output)

    def child(self, module: str) -> int:
        """The pid of the child running ``python -m module``."""
        for pid in children(self.process.pid):
            if module in cmdline(pid):
                return pid
        raise AssertionError(f"no child runs {module}: {self.text()[-3000:]}")

    def wait_for_output(self, line: str, after: int = 0, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while line not in "".join(self.output[after:]):
            assert self.process.poll() is None, f"make run exited: {self.text()[-3000:]}"
            assert time.monotonic() < deadline, f"no {line!r} in: {self.text()[-3000:]}"
            time.sleep(0.5)


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(status.parent.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextlib.contextmanager
def launched(
    module: str, args: list[str], env: dict[str, str], running: MakeRun
) -> Iterator[MakeRun]:
    """``python -m module args`` until its banner, its output collected; Ctrl-C at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running.process = process
    reader = threading.Thread(target=lambda: running.output.extend(process.stdout), daemon=True)
    reader.start()
    try:
        running.wait_for_output("Press Ctrl-C to stop", timeout=400)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def own_environment(var: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.update({"INFOSHARE_VAR_DIR": str(var), "PYTHONUNBUFFERED": "1"})
    return env


@pytest.fixture(scope="module")
def make_run(tmp_path_factory) -> Iterator[MakeRun]:
    var = tmp_path_factory.mktemp("make-run") / "var"
    env = {**own_environment(var), "INFOSHARE_HTTP_API": "on"}  # the token's test reads /status
    # what `make run` does first (make migrate), then the servers
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    rasa_port, actions_port = port(5805), port(5855)
    ports = ["--rasa-port", str(rasa_port), "--actions-port", str(actions_port)]
    with launched("bot.server", ports, env, MakeRun(None, var, rasa_port, actions_port)) as running:
        yield running


def call_action_server(base: str, query: str = "") -> tuple[int, dict]:
    """POST /webhook as Rasa does (action_outside_check, which only says something)."""
    body = {
        "next_action": "action_outside_check",
        "sender_id": "probe",
        "tracker": {
            "sender_id": "probe",
            "slots": {},
            "latest_message": {"text": "yes", "intent": {}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
        "domain": {},
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        f"{base}/webhook{query}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_action_server_answers_only_callers_with_rasas_token(make_run):
    base = f"http://127.0.0.1:{make_run.actions_port}"
    status, reply = call_action_server(base)  # anyone on the machine, without the token
    assert status == 401 and reply.get("responses") is None, (status, reply)
    assert call_action_server(base, "?token=guessed")[0] == 401
    token = (make_run.var / "actions_token").read_text().strip()  # what make run generated
    status, reply = call_action_server(base, f"?token={token}")
    assert status == 200 and reply["responses"], (status, reply)
    with urllib.request.urlopen(f"{base}/health", timeout=10) as health:  # noqa: S310
        assert health.status == 200  # open: the supervisor and probes use it
    # and Rasa, which sends it, is answered (a conversation reaches its first question)
    assert Q1 in make_run.chat.text(f"token-{uuid.uuid4().hex[:6]}", OPENING)


def test_var_and_everything_in_it_are_the_users_only(make_run):
    """Created so (umask 077, files opened 0600): the records database, the generated secrets."""
    assert stat.S_IMODE(make_run.var.stat().st_mode) == 0o700
    found = {}
    for path in make_run.var.rglob("*"):
        found[str(path.relative_to(make_run.var))] = stat.S_IMODE(path.lstat().st_mode)
    for name in ("infoshare.db", "api_token", "secret_key", "actions_token"):
        assert name in found, found
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (0o700 if (make_run.var / name).is_dir() else 0o600)
    }
    assert wrong == {}, wrong


def test_the_api_token_is_on_no_command_line_nor_printed_and_it_works(make_run):
    token = (make_run.var / "api_token").read_text().strip()
    for pid in [make_run.process.pid, *children(make_run.process.pid)]:
        assert token not in cmdline(pid), cmdline(pid)  # what ps shows anyone on the machine
    assert "bot.rasa_runner" in cmdline(make_run.child("bot.rasa_runner"))
    printed = make_run.text()
    assert token not in printed
    assert f"(token {token[:4]}… in {make_run.var / 'api_token'}; its reads are audited)" in printed
    with urllib.request.urlopen(f"{make_run.url}/status?token={token}", timeout=30) as status:  # noqa: S310
        assert json.load(status)["model_file"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{make_run.url}/status?token=guessed", timeout=30)  # noqa: S310
    assert refused.value.code == 401


def test_the_action_server_does_not_start_without_a_token():
    env = {name: value for name, value in os.environ.items() if name != "INFOSHARE_ACTIONS_TOKEN"}
    started = subprocess.run(
        [sys.executable, "-m", "bot.action_server", "--port", str(port(5856))],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 1
    assert "INFOSHARE_ACTIONS_TOKEN is not set" in started.stderr, started.stderr


def test_a_killed_action_server_is_restarted_and_the_check_goes_on_where_it_was(make_run):
    """The OOM killer's kill -9 of the action server, mid-check: `make run` goes on, restarts
    it, and the practitioner's next answer is taken at the question they were at."""
    chat, sender = make_run.chat, f"restart-{uuid.uuid4().hex[:6]}"
    assert Q1 in chat.text(sender, OPENING)
    assert Q2 in chat.text(sender, "yes")
    before = len(make_run.output)
    actions = make_run.child("bot.action_server")
    os.kill(actions, signal.SIGKILL)
    reply = chat.text(sender, "yes it can")  # at once: the outage reply, or taken if it is back
    if Q3 not in reply:
        assert KEPT in reply.lower(), reply
        make_run.wait_for_output("the action server is back", before, timeout=180)
        reply = chat.text(sender, "yes it can")
    assert Q3 in reply, reply
    assert Q4 in chat.text(sender, "yes")
    said = make_run.text()
    assert make_run.process.poll() is None, said
    assert "the action server was killed by SIGKILL (exit code -9); restarting it in 1 s" in said
    assert make_run.child("bot.action_server") != actions


def test_a_killed_rasa_server_is_restarted_and_the_check_goes_on_where_it_was(make_run):
    chat, sender = make_run.chat, f"rasa-{uuid.uuid4().hex[:6]}"
    assert Q1 in chat.text(sender, OPENING)
    assert Q2 in chat.text(sender, "yes")
    before = len(make_run.output)
    os.kill(make_run.child("bot.rasa_runner"), signal.SIGKILL)
    make_run.wait_for_output(f"the Rasa server on {make_run.rasa_port} is back", before)
    assert Q3 in chat.text(sender, "yes")  # the conversation, from the database
    assert make_run.process.poll() is None


def test_ctrl_c_stops_everything(make_run):
    pids = children(make_run.process.pid)
    assert len(pids) == 2, [cmdline(pid) for pid in pids]
    make_run.process.send_signal(signal.SIGINT)
    assert make_run.process.wait(60) == 0, make_run.text()[-3000:]
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "(Z)" in Path(f"/proc/{pid}/stat").read_text()
    for number in (make_run.rasa_port, make_run.actions_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", number)) != 0, number


def test_make_run_cluster_restarts_a_killed_action_server_and_nginx(tmp_path):
    """`python -m bot.cluster` (make run-cluster): the action server killed, then nginx; each is
    started again (nothing left of the old one: its process group is gone), nginx serves again,
    and the check goes on where it was."""
    from bot.cluster import ensure_database
    from bot.records.testing import temporary_postgres_database

    first, actions, nginx = port(5905), port(5955), port(5980)
    with temporary_postgres_database("infoshare_supervised") as url:
        ensure_database(url)
        env = own_environment(tmp_path / "var")
        env.update(
            {
                "DATABASE_URL": url,
                "INFOSHARE_REDIS_URL": "redis://127.0.0.1:6379/0",
                "INFOSHARE_REDIS_PREFIX": f"sup{uuid.uuid4().hex[:8]}",
            }
        )
        args = ["--servers", "1", "--port", str(nginx), "--first-port", str(first)]
        args += ["--actions-port", str(actions)]
        with launched("bot.cluster", args, env, MakeRun(None, tmp_path, first, actions)) as run:
            # to the Rasa server itself: through nginx a REST caller is not local (finding 2)
            chat, sender = Chat(f"http://127.0.0.1:{first}", url), f"cl-{uuid.uuid4().hex[:6]}"
            assert Q1 in chat.text(sender, OPENING)
            assert Q2 in chat.text(sender, "yes")
            before = len(run.output)
            parent = run.child("bot.action_server")
            os.kill(parent, signal.SIGKILL)
            run.wait_for_output("the action server is back", before, timeout=180)
            with pytest.raises(ProcessLookupError):  # nothing left of it (Sanic's workers)
                os.killpg(parent, 0)
            reply = chat.text(sender, "yes it can")
            assert Q3 in reply, reply
            before = len(run.output)
            os.kill(run.child("nginx"), signal.SIGKILL)
            run.wait_for_output("nginx is back", before, timeout=60)
            with urllib.request.urlopen(f"http://127.0.0.1:{nginx}/chat/", timeout=30) as page:  # noqa: S310
                assert page.status == 200
            assert Q4 in chat.text(sender, "yes")
            assert "nginx was killed by SIGKILL (exit code -9)" in run.text()
            run.process.send_signal(signal.SIGINT)
            assert run.process.wait(60) == 0, run.text()[-3000:]
