"""Start, watch and stop the action server and the Rasa server (for `make run`, tests, bench).

``python -m bot.server`` runs both in the foreground until Ctrl-C (SIGINT) or SIGTERM, and
restarts either when it dies (:class:`Supervisor`: after 1 s, 2 s, 4 s …; it gives up, with a
message and exit status 1, when one dies a sixth time within two minutes). Conversations are in
the database, so a restarted server goes on with each where it was.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot import settings
from bot.action_server import ACTIONS_TOKEN
from bot.records.db import SQLITE_FILENAME, safe_url
from bot.records.links import PUBLIC_URL_ENV, SECRET_ENV, secret_problem

PROJECT = settings.PROJECT


def var_dir() -> Path:
    return settings.var_dir()


def _from_env_or_generated(
    var: Path, variable: str, filename: str, valid: Callable[[str], bool] = bool
) -> tuple[str, bool]:
    """``$variable``, or a random value generated once into ``var/filename``, a file created
    with mode 0600 (never readable by others, not even for a moment); one that is not ``valid``
    is replaced.

    Returns the value and whether it came from the file rather than the environment.
    """
    value = settings.get(variable)
    if value:
        return value, False
    private_directory(var)
    file = var / filename
    kept = _read(file)
    if kept is not None and valid(kept):
        return kept, True
    value = secrets.token_urlsafe(32)
    if kept is None:
        try:
            _write_private(file, value, exclusive=True)
        except FileExistsError:  # another process made it just now: theirs
            return _read(file) or "", True
    else:
        temporary = file.with_name(f".{filename}.{secrets.token_hex(4)}")
        _write_private(temporary, value, exclusive=True)
        os.replace(temporary, file)
    return value, True


def _read(file: Path) -> str | None:
    try:
        return file.read_text().strip()
    except FileNotFoundError:
        return None


def _write_private(file: Path, text: str, exclusive: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(file, flags, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text + "\n")


def private_directory(path: Path) -> Path:
    """``path``, created with mode 0700 or made 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def make_private(var: Path) -> None:
    """``var`` and everything under it private to its owner (directories 0700, files without
    group or other bits), at ``make run``'s start: what an older version, a shell (`make shell`'s
    log) or an administrator left readable (the SQLite database was 0644)."""
    private_directory(var)
    for root, directories, files in os.walk(var):
        for name in directories:
            os.chmod(os.path.join(root, name), 0o700, follow_symlinks=False)
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            mode = os.stat(path).st_mode
            if mode & 0o077:
                os.chmod(path, mode & 0o700)


def api_token(var: Path) -> tuple[str, bool]:
    """``INFOSHARE_API_TOKEN``, or a token generated once into ``var/api_token``."""
    return _from_env_or_generated(var, settings.API_TOKEN, "api_token")


def show_token(token: str, generated: bool, var: Path) -> str:
    """Where the API token is, with its first characters only (a banner is read over shoulders,
    pasted into tickets and kept in logs)."""
    where = f"in {var / 'api_token'}" if generated else "from INFOSHARE_API_TOKEN"
    return f"{token[:4]}… {where}"


def actions_token(var: Path) -> str:
    """``INFOSHARE_ACTIONS_TOKEN``, or a token generated once into ``var/actions_token``: what
    Rasa sends the action server (endpoints.yml), which refuses calls without it."""
    return _from_env_or_generated(var, ACTIONS_TOKEN, "actions_token")[0]


def secret_key(var: Path) -> str:
    """``INFOSHARE_SECRET_KEY``, or a key generated once into ``var/secret_key``.

    It signs the links to the records' printable summaries, helpdesk cookies and staff tokens
    (bot/records/links.py); both servers get it through their environment. A key that is too
    short or repeats a few characters is refused: ``SystemExit`` saying what to do.
    """
    key = _from_env_or_generated(var, SECRET_ENV, "secret_key", lambda k: not secret_problem(k))[0]
    check_secret(key)
    return key


def check_secret(key: str) -> None:
    problem = secret_problem(key)
    if problem:
        raise SystemExit(f"error: {problem}")


def latest_model(models: Path) -> Path:
    candidates = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise SystemExit(f"No trained model in {models}: run `make train` first.")
    return candidates[-1]


@dataclass
class Servers:
    """The servers of one deployment, on 127.0.0.1: the action server and ``rasa_servers`` Rasa
    servers on consecutive ports from ``rasa_port`` (several share conversations through the
    database and Redis: bot/cluster.py)."""

    rasa_port: int = 5005
    actions_port: int = 5055
    rasa_servers: int = 1
    actions_workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    model: Path | None = None
    log_dir: Path | None = None
    cors: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)
    # what each of ``processes`` is (its log's name) and the environment it was started with
    names: list[str] = field(default_factory=list)
    _envs: list[dict[str, str]] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port + index for index in range(self.rasa_servers)]

    def environment(self) -> dict[str, str]:
        env = {**settings.environment(), **self.env}
        env.setdefault(settings.VAR_DIR, str(var_dir()))
        var = Path(env[settings.VAR_DIR])
        if not env.get(settings.DATABASE_URL):
            env[settings.DATABASE_URL] = f"sqlite:///{var / SQLITE_FILENAME}"
        env.setdefault(settings.TRACKER_DATABASE_URL, env[settings.DATABASE_URL])
        if env.get(SECRET_ENV):
            check_secret(env[SECRET_ENV])
        else:
            env[SECRET_ENV] = secret_key(var)
        if not env.get(ACTIONS_TOKEN):
            env[ACTIONS_TOKEN] = actions_token(var)
        if self.cors:  # the socket.io channel checks origins itself (bot/channels/socketio.py)
            env[settings.CORS_ORIGINS] = " ".join(self.cors)
        if not env.get(PUBLIC_URL_ENV):
            env[PUBLIC_URL_ENV] = self.url
        env[settings.ACTION_ENDPOINT_URL] = f"http://127.0.0.1:{self.actions_port}/webhook"
        env["SANIC_HOST"] = "127.0.0.1"
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.names.append(name)
        self._envs.append(env)
        self.processes.append(self._popen(name, args, env))
        return self.processes[-1]

    def _popen(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        out: IO[bytes] | None = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed below
        try:
            # A process group of its own: what is left of a child that died (Sanic's workers
            # outlive a killed parent, holding its port) can be ended before it starts again;
            # Ctrl-C reaches this process only, which stops the children in order.
            return subprocess.Popen(
                args,
                cwd=PROJECT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,
            )
        finally:
            if out is not None:
                out.close()  # the child has its own descriptor

    def restart(self, index: int) -> subprocess.Popen:
        """Start ``processes[index]`` again, as it was started (after it died)."""
        dead = self.processes[index]
        end_process_group(dead)
        args = [str(arg) for arg in dead.args]  # type: ignore[union-attr]
        self.processes[index] = self._popen(self.names[index], args, self._envs[index])
        return self.processes[index]

    def supervised(self) -> list[Supervised]:
        """The children, for :class:`Supervisor`: the action server, then each Rasa server."""
        token = self.env.get(settings.API_TOKEN, "")
        children = [
            Supervised(
                "the action server",
                lambda: self.processes[0],
                lambda: self.restart(0),
                lambda: answers(f"http://127.0.0.1:{self.actions_port}/health"),
            )
        ]
        for index, port in enumerate(self.rasa_ports, start=1):
            children.append(
                Supervised(
                    f"the Rasa server on {port}",
                    lambda index=index: self.processes[index],
                    lambda index=index: self.restart(index),
                    lambda port=port: _model_loaded(f"http://127.0.0.1:{port}", token),
                )
            )
        return children

    def start(self, token: str) -> None:
        env = self.environment()
        model = self.model or latest_model(PROJECT / "models")
        # rasa-sdk's Sanic workers (SANIC_WORKERS): for the action server only — Rasa reads the
        # same variable, and its socket.io channel needs one process per server.
        actions_env = {**env, "SANIC_WORKERS": str(self.actions_workers)}
        actions_env.pop(settings.API_TOKEN, None)  # Rasa's HTTP API: none of the actions' business
        self._spawn(
            "actions",
            [sys.executable, "-m", "bot.action_server", "--port", str(self.actions_port)],
            actions_env,
        )
        for port in self.rasa_ports:
            self.start_rasa(port, token, model, env)

    def start_rasa(
        self, port: int, token: str, model: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        """One Rasa server on ``port`` (also to bring one back after a test stopped it)."""
        env = env or self.environment()
        model = model or self.model or latest_model(PROJECT / "models")
        self._spawn(
            "rasa" if self.rasa_servers == 1 else f"rasa-{port}",
            [
                sys.executable,
                "-m",
                "bot.rasa_runner",
                "run",
                "--model",
                str(model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
                # Rasa's HTTP API (whole conversations, as typed) only where it is asked for
                *(["--enable-api"] if settings.http_api_on(env) else []),
                *[arg for origin in self.cors for arg in ("--cors", origin)],
            ],
            # The token in the environment, not on the command line (anyone on the machine can
            # read a command line in ps): bot/rasa_runner.py hands it to Rasa.
            {**env, settings.API_TOKEN: token},
        )
        return self.processes[-1]

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Block until both servers answer; return the seconds it took."""
        started = time.monotonic()
        targets = [
            f"http://127.0.0.1:{self.actions_port}/health",
            # Rasa's hello page: no token, so no "not authenticated" error logged
            *[f"http://127.0.0.1:{port}/" for port in self.rasa_ports],
        ]
        for target in targets:
            while True:
                self._check_alive()
                if answers(target):
                    break
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"{target} did not answer within {timeout:.0f} s")
                time.sleep(0.5)
        # The Rasa server answers HTTP before the model is loaded: wait for the model too.
        for port in self.rasa_ports:
            wait_for_model(
                f"http://127.0.0.1:{port}",
                self.env.get(settings.API_TOKEN, ""),
                started + timeout - time.monotonic(),
                self._check_alive,
            )
        return time.monotonic() - started

    def _check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[:3]} exited with code {process.returncode}")

    def stop(self, timeout: float = 20.0) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            end_process_group(process)
        self.processes.clear()
        self.names.clear()
        self._envs.clear()


def end_process_group(process: subprocess.Popen) -> None:
    """SIGKILL what is left in the process group of a child that has exited (started with
    ``start_new_session``: its group is its pid)."""
    if process.poll() is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left


@dataclass
class Supervised:
    """A child :class:`Supervisor` watches: what to call it, its process now, how to start it
    again, and how to tell it is back (answering)."""

    label: str
    process: Callable[[], subprocess.Popen | None]
    restart: Callable[[], object]
    ready: Callable[[], bool]


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    restart_at: float | None = None
    died_at: float = 0.0
    coming_back: bool = False


class GaveUp(RuntimeError):
    """A child kept dying: the supervisor stops restarting it."""


@dataclass
class Supervisor:
    """Restarts the children that die, with back-off (``first_delay``, doubled at each failure
    within ``window`` seconds, at most ``max_delay``), saying which, with what exit code, and when
    it is back. A child that dies more than ``max_restarts`` times within ``window`` seconds is
    given up on: :meth:`check` raises :class:`GaveUp` (``make run`` stops and exits 1).

    :meth:`check` is called every half second by :func:`run_in_foreground`; it never waits."""

    children: Callable[[], list[Supervised]]
    max_restarts: int = 5
    window: float = 120.0
    first_delay: float = 1.0
    max_delay: float = 30.0
    clock: Callable[[], float] = time.monotonic
    say: Callable[[str], None] = field(
        default=lambda line: print(
            f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True
        )
    )
    records: dict[str, _Record] = field(default_factory=dict)

    def check(self) -> None:
        for child in self.children():
            self._check(child, self.records.setdefault(child.label, _Record()))

    def _check(self, child: Supervised, record: _Record) -> None:
        now = self.clock()
        if record.restart_at is not None:
            if now >= record.restart_at:
                record.restart_at = None
                child.restart()
                process = child.process()
                record.coming_back = True
                self.say(f"{child.label}: started again (pid {process.pid if process else '?'})")
            return
        process = child.process()
        if process is not None and process.poll() is not None:
            record.failures = [t for t in record.failures if now - t < self.window] + [now]
            record.coming_back = False
            record.died_at = now
            code = describe_exit(process.returncode)
            if len(record.failures) > self.max_restarts:
                raise GaveUp(
                    f"{child.label} {code}; it has died {len(record.failures)} times within "
                    f"{self.window:.0f} s, so it is not restarted again. Its log (above, or in "
                    "the log directory) says why; fix that and start again."
                )
            delay = min(self.first_delay * 2 ** (len(record.failures) - 1), self.max_delay)
            record.restart_at = now + delay
            self.say(
                f"{child.label} {code}; restarting it in {delay:.0f} s "
                f"(restart {len(record.failures)} of at most {self.max_restarts} "
                f"within {self.window:.0f} s)"
            )
        elif record.coming_back and child.ready():
            record.coming_back = False
            self.say(f"{child.label} is back, {now - record.died_at:.0f} s after it died")


def describe_exit(code: int | None) -> str:
    """``exited with code 1`` / ``was killed by SIGKILL (exit code -9)``."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name} (exit code {code})"
    return f"exited with code {code}"


def wait_for_model(
    base: str, token: str, timeout: float, check: Callable[[], None] = lambda: None
) -> None:
    """Block until the Rasa server at ``base`` has loaded its model."""
    deadline = time.monotonic() + timeout
    while not _model_loaded(base, token):
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Rasa model at {base} did not load in time")
        time.sleep(0.5)


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def _model_loaded(base: str, token: str = "") -> bool:
    """Whether the Rasa server at ``base`` has loaded its model: the REST channel's health says
    (bot/channels/rest.py), with Rasa's HTTP API on or off."""
    try:
        with urllib.request.urlopen(f"{base}/webhooks/rest/", timeout=2) as response:  # noqa: S310
            return response.status == 200 and json.load(response).get("ready") is True
    except (OSError, ValueError):
        return False


def rest_access_said(env: Mapping[str, str]) -> str:
    """What the banner says of who may use the REST channel (INFOSHARE_REST_ACCESS)."""
    try:
        mode = settings.rest_access(env)
    except ValueError as error:
        return f"{error}: every REST call is refused"
    return {
        "local": "open to callers on this machine; others need a channel token "
        "(infoshare tokens create --role channel)",
        "token": "every caller needs a channel token (infoshare tokens create --role channel)",
        "open": "OPEN TO ANYONE who can reach it (INFOSHARE_REST_ACCESS=open)",
    }[mode]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the action server and the Rasa server.")
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    parser.add_argument(
        "--cors",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let pages from ORIGIN (e.g. https://intranet.example.org) embed the web chat; "
        "repeat for several, '*' for any. Not needed for the page at /chat/ itself.",
    )
    args = parser.parse_args(argv)
    os.umask(0o077)  # every file and directory made from here on (the servers' too): owner only
    var = var_dir()
    make_private(var)
    token, generated = api_token(var)
    servers = Servers(
        args.rasa_port, args.actions_port, env={settings.API_TOKEN: token}, cors=args.cors
    )
    env = servers.environment()
    print(f"Records and conversations: {safe_url(env['DATABASE_URL'])}", flush=True)

    def banner(seconds: float) -> str:
        return (
            f"\nCan I share? is running (started in {seconds:.0f} s).\n"
            f"  Web chat:      {env[PUBLIC_URL_ENV]}/chat/\n"
            f"  REST channel:  POST {servers.url}/webhooks/rest/webhook "
            '{"sender": "me", "message": "Can I share?"}\n'
            f"                 {rest_access_said(env)}\n"
            + (
                f"  HTTP API:      {servers.url}/status?token=...  "
                f"(token {show_token(token, generated, var)}; its reads are audited)\n"
                if settings.http_api_on(env)
                else "  HTTP API:      off (INFOSHARE_HTTP_API=on to turn it on)\n"
            )
            + "  Press Ctrl-C to stop both servers."
        )

    return run_in_foreground(
        lambda: servers.start(token),
        servers.wait_ready,
        Supervisor(servers.supervised).check,
        servers.stop,
        banner,
    )


class _Stop(Exception):
    """Ctrl-C, SIGTERM or SIGHUP while the servers were still starting."""


def run_in_foreground(
    start: Callable[[], None],
    wait_ready: Callable[[], float],
    watch: Callable[[], None],
    stop: Callable[[], None],
    banner: Callable[[float], str],
) -> int:
    """Start, say ``banner(seconds it took)``, then call ``watch`` (a :class:`Supervisor`'s
    ``check``) every half second until Ctrl-C (SIGINT), SIGTERM or SIGHUP, and stop; 0, or 1 when
    something did not start or ``watch`` gave up (``make run``, ``make run-cluster``).

    The children have process groups of their own (Ctrl-C in the terminal reaches this process
    only): stopping them is ``stop``'s job, also when the signal comes during start-up."""
    state = {"starting": True, "stopping": False}

    def _stop(signum: int, frame: object) -> None:
        state["stopping"] = True
        if state["starting"]:
            state["starting"] = False  # once: not again in the middle of stop()
            raise _Stop

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)
    try:
        start()
        seconds = wait_ready()
        state["starting"] = False
        print(banner(seconds), flush=True)
        while not state["stopping"]:
            watch()
            time.sleep(0.5)
    except _Stop:
        pass
    except (RuntimeError, TimeoutError) as error:
        state["starting"] = False
        print(f"error: {error}", file=sys.stderr, flush=True)
        stop()
        return 1
    state["starting"] = False
    print("Stopping…", flush=True)
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
