"""Start, watch and stop the action server and the Rasa server (for `make run`, tests, bench).

``python -m bot.server`` runs both in the foreground until Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import settings
from bot.records.db import SQLITE_FILENAME, safe_url
from bot.records.links import MIN_SECRET_LENGTH, PUBLIC_URL_ENV, SECRET_ENV

PROJECT = settings.PROJECT


def var_dir() -> Path:
    return settings.var_dir()


def _from_env_or_generated(
    var: Path, variable: str, filename: str, min_length: int = 1
) -> tuple[str, bool]:
    """``$variable``, or a random value generated once into ``var/filename`` (mode 600).

    Returns the value and whether it came from the file rather than the environment.
    """
    value = settings.get(variable)
    if value:
        return value, False
    var.mkdir(parents=True, exist_ok=True)
    file = var / filename
    if file.exists() and len(file.read_text().strip()) >= min_length:
        return file.read_text().strip(), True
    value = secrets.token_urlsafe(32)
    file.write_text(value + "\n")
    file.chmod(0o600)
    return value, True


def api_token(var: Path) -> tuple[str, bool]:
    """``INFOSHARE_API_TOKEN``, or a token generated once into ``var/api_token``."""
    return _from_env_or_generated(var, settings.API_TOKEN, "api_token")


def secret_key(var: Path) -> str:
    """``INFOSHARE_SECRET_KEY``, or a key generated once into ``var/secret_key``.

    It signs the links to the records' printable summaries (bot/records/links.py); both servers
    get it through their environment.
    """
    return _from_env_or_generated(var, SECRET_ENV, "secret_key", MIN_SECRET_LENGTH)[0]


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
        if not env.get(SECRET_ENV):
            env[SECRET_ENV] = secret_key(var)
        if self.cors:  # the socket.io channel checks origins itself (bot/channels/socketio.py)
            env[settings.CORS_ORIGINS] = " ".join(self.cors)
        if not env.get(PUBLIC_URL_ENV):
            env[PUBLIC_URL_ENV] = self.url
        env[settings.ACTION_ENDPOINT_URL] = f"http://127.0.0.1:{self.actions_port}/webhook"
        env["SANIC_HOST"] = "127.0.0.1"
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        out = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with process
        self.processes.append(
            subprocess.Popen(
                args, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None
            )
        )

    def start(self, token: str) -> None:
        env = self.environment()
        model = self.model or latest_model(PROJECT / "models")
        # rasa-sdk's Sanic workers (SANIC_WORKERS): for the action server only — Rasa reads the
        # same variable, and its socket.io channel needs one process per server.
        actions_env = {**env, "SANIC_WORKERS": str(self.actions_workers)}
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
                "--enable-api",
                # one argument: a token may begin with "-" (token_urlsafe), which argparse would
                # take for an option
                f"--auth-token={token}",
                *[arg for origin in self.cors for arg in ("--cors", origin)],
            ],
            env,
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
                if _answers(target):
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
        self.processes.clear()


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


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def _model_loaded(base: str, token: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/", timeout=2) as response:  # noqa: S310
            return response.status == 200 and _status_ok(base, token)
    except OSError:
        return False


def _status_ok(base: str, token: str) -> bool:
    if not token:
        return True
    import json

    try:
        with urllib.request.urlopen(f"{base}/status?token={token}", timeout=2) as response:  # noqa: S310
            return bool(json.load(response).get("model_file"))
    except (OSError, ValueError):
        return False


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
    var = var_dir()
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
            f"  HTTP API:      {servers.url}/status?token=...  (token "
            + (
                f"generated into {var / 'api_token'}: {token}"
                if generated
                else "from INFOSHARE_API_TOKEN"
            )
            + ")\n  Press Ctrl-C to stop both servers."
        )

    return run_in_foreground(
        lambda: servers.start(token), servers.wait_ready, servers._check_alive, servers.stop, banner
    )


def run_in_foreground(
    start: Callable[[], None],
    wait_ready: Callable[[], float],
    check_alive: Callable[[], None],
    stop: Callable[[], None],
    banner: Callable[[float], str],
) -> int:
    """Start, say ``banner(seconds it took)``, watch until Ctrl-C (SIGINT) or SIGTERM, stop;
    0, or 1 when something did not start or exited (``make run``, ``make run-cluster``)."""
    stopping = {"now": False}

    def _stop(signum: int, frame: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    start()
    try:
        print(banner(wait_ready()), flush=True)
        while not stopping["now"]:
            check_alive()
            time.sleep(0.5)
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        stop()
        return 1
    print("Stopping…", flush=True)
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
