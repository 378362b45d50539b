"""A PostgreSQL server and a Redis server of a test's own, which the test may stop and start.

The fault tests (tests/e2e/test_cluster.py) make the database and Redis unreachable for real: they
stop these servers — never the machine's, which the other tests use — and start them again.
Both come from Debian's packages (postgresql, redis-server), as on the machine.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def _wait_port(port: int, up: bool, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            is_up = probe.connect_ex(("127.0.0.1", port)) == 0
        if is_up == up:
            return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} in {timeout:.0f} s")


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: apt-get install postgresql")
    return found[-1]


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster in a temporary directory on ``port`` (trust auth, user postgres)."""

    port: int
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="infoshare-pg-")))

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> OwnPostgres:
        data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(_postgres_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
        self.start()
        return self

    def start(self) -> None:
        self._run(
            _postgres_bin("pg_ctl"),
            "-D",
            str(self.directory / "data"),
            "-l",
            str(self.directory / "server.log"),
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        )
        _wait_port(self.port, up=True)

    def stop(self, mode: str = "fast") -> None:
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "stop")
        _wait_port(self.port, up=False)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except (subprocess.CalledProcessError, TimeoutError):
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class OwnRedis:
    """redis-server on ``port``, keeping nothing on disk."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, up=True)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait()
        self.process = None
        _wait_port(self.port, up=False)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (Sanic's workers outlive a killed parent)."""
    import signal

    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    doomed, stack = [], [pid]
    while stack:
        current = stack.pop()
        doomed.append(current)
        stack.extend(children.get(current, []))
    for victim in doomed:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
