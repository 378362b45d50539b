"""Several Rasa servers behind nginx, on shared PostgreSQL and Redis: ``make run-cluster``.

``python -m bot.cluster --servers 2`` starts, on this machine:

* the action server (rasa-sdk) with one Sanic worker per core, on 5055;
* N Rasa servers on consecutive ports from 5005, sharing the conversations (Rasa's SQL tracker
  store on PostgreSQL), the records (PostgreSQL), Rasa's lock store (Redis), the web chat's
  socket.io messages (python-socketio's Redis manager) and the rate limit (Redis);
* nginx (Debian's package) on 127.0.0.1:8080 as the load balancer, with the configuration
  :func:`nginx_config` writes into ``var/cluster/``.

The database and Redis are the ones on the machine (``DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/infoshare``, created and migrated if missing;
``INFOSHARE_REDIS_URL``, default ``redis://127.0.0.1:6379/0``). Ctrl-C stops everything it
started.

Routing: every request goes to the next server in turn (a conversation's messages may each reach
a different server: the lock store and the database make that safe), except socket.io's. A web
chat session's long-polling requests and its WebSocket upgrade must reach the server that opened
it, so nginx sets a cookie naming the server that answered the handshake (``infoshare_node``, the
server's port) and routes the session's requests by it; a session whose server is gone goes to
another one, where the page opens a new session on the same conversation.

A part that dies (the action server, a Rasa server, nginx) is started again, as ``make run``
does (``bot.server.Supervisor``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot import settings
from bot.records import upgrade
from bot.records.db import safe_url
from bot.server import (
    Servers,
    Supervised,
    Supervisor,
    answers,
    api_token,
    end_process_group,
    make_private,
    rest_access_said,
    run_in_foreground,
    show_token,
    var_dir,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/infoshare"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
NODE_COOKIE = "infoshare_node"
NGINX = "/usr/sbin/nginx"


def nginx_config(
    ports: list[int],
    listen: int,
    directory: Path,
    user: str | None = None,
    forwarded_secret: str = "",
) -> str:
    """nginx's configuration for Rasa servers on ``ports`` (127.0.0.1), listening on ``listen``.

    With ``forwarded_secret``, every request carries ``Forwarded: for=<client>;secret=<it>``
    (RFC 7239) and the Rasa servers, given the same secret (``SANIC_FORWARDED_SECRET``), take
    the client's address from it and from nothing else: the audit log, the sign-in limits, the
    rate limits and the REST channel's "this machine" see the real client, not nginx, and a client
    cannot pass itself off as another by sending the header itself (nginx replaces it)."""
    temp = directory / "tmp"
    pool = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports
    )
    per_server = "\n".join(
        f"    upstream rasa_{port} {{\n"
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n"
        + "".join(f"        server 127.0.0.1:{other} backup;\n" for other in ports if other != port)
        + "        keepalive 8;\n    }"
        for port in ports
    )
    routes = "\n".join(f'        "{port}" rasa_{port};' for port in ports)
    cookie = f"{NODE_COOKIE}=$served_by; Path=/socket.io/; HttpOnly; SameSite=Lax"
    # the client's address, vouched for with the secret the Rasa servers know (quoted: IPv6)
    forwarded = f'"for=\\"$remote_addr\\";proto=$scheme;secret={forwarded_secret}"'
    # In each location: nginx drops the server level's proxy_set_header where a location sets one.
    headers = "\n".join(
        f"            proxy_set_header {name} {value};"
        for name, value in (
            ("Host", "$http_host"),
            ("X-Real-IP", "$remote_addr"),
            ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
            ("X-Forwarded-Proto", "$scheme"),
            ("X-Forwarded-Host", "$http_host"),
            *([("Forwarded", forwarded)] if forwarded_secret else []),
        )
    )
    return f"""# Written by bot/cluster.py (make run-cluster): {len(ports)} Rasa servers, nginx.
{f"user {user};" if user else ""}
worker_processes auto;
daemon off;
pid {directory / "nginx.pid"};
error_log {directory / "nginx-error.log"} warn;

events {{
    worker_connections 2048;
}}

http {{
    access_log {directory / "nginx-access.log"};
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};
    types {{
        text/html html;
        text/css css;
        application/javascript js;
    }}
    client_max_body_size 1m;
    # Bodies and answers stay in memory (a body is at most 1 MB): nginx's workers, which drop
    # root to nobody, never write under var/ (0700: the servers' user only).
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    server_tokens off;

    # Every Rasa server, in turn.
    upstream rasa {{
{pool}
        keepalive 32;
    }}

    # One per server, for the web chat's sticky sessions; the others stand in if it is down.
{per_server}

    # The server a socket.io session was opened on (the cookie nginx set at its handshake).
    map $cookie_{NODE_COOKIE} $socketio_upstream {{
        default rasa;
{routes}
    }}

    # The port of the server that answered (the last one tried), for the cookie and a header.
    map $upstream_addr $served_by {{
        "~:(?<port>[0-9]+)$" $port;
        default "";
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" "";
    }}

    server {{
        listen 127.0.0.1:{listen};

        proxy_http_version 1.1;
        # A server that does not answer: the next one (POSTs only if nothing was sent yet).
        proxy_next_upstream error timeout;
        proxy_connect_timeout 2s;
        proxy_read_timeout 120s;
        add_header X-Infoshare-Server $served_by always;

        location /socket.io/ {{
            proxy_pass http://$socketio_upstream;
{headers}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 600s;
            add_header X-Infoshare-Server $served_by always;
            add_header Set-Cookie "{cookie}" always;
        }}

        location / {{
            proxy_pass http://rasa;
{headers}
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@dataclass
class Nginx:
    """nginx in the foreground with a configuration of ours, as a child process."""

    ports: list[int]
    listen: int = 8080
    directory: Path = field(default_factory=lambda: var_dir() / "cluster")
    process: subprocess.Popen | None = None
    forwarded_secret: str = ""

    def start(self) -> None:
        if not Path(NGINX).exists():
            raise SystemExit(
                "nginx not found: install Debian's package (sudo apt-get install nginx-light "
                "or nginx)"
            )
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):  # unused: all in memory
            (self.directory / "tmp" / name).mkdir(mode=0o700, parents=True, exist_ok=True)
        user = "nobody nogroup" if os.geteuid() == 0 else None
        config = self.directory / "nginx.conf"
        config.write_text(
            nginx_config(self.ports, self.listen, self.directory, user, self.forwarded_secret)
        )
        check = subprocess.run(
            [NGINX, "-t", "-q", "-c", str(config), "-p", str(self.directory)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused {config}: {check.stderr.strip()}")
        if self.process is not None:
            end_process_group(self.process)  # workers left by a master that died hold the port
        with open(self.directory / "nginx-stderr.log", "ab") as stderr:
            self.process = subprocess.Popen(
                [NGINX, "-c", str(config), "-p", str(self.directory)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # Ctrl-C reaches bot.cluster, which stops nginx
            )

    def wait_ready(self, timeout: float = 20.0) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with code {self.process.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.listen}/", timeout=2)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"nginx did not answer on {self.listen}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish the open requests
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            end_process_group(self.process)
        self.process = None


@dataclass
class Cluster:
    """The action server, N Rasa servers and nginx, on one database and one Redis."""

    servers: int = 2
    first_port: int = 5005
    actions_port: int = 5055
    nginx_port: int = 8080
    database_url: str = ""
    redis_url: str = ""
    redis_prefix: str = ""
    env: dict[str, str] = field(default_factory=dict)
    directory: Path | None = None
    rasa: Servers | None = None
    nginx: Nginx | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def ports(self) -> list[int]:
        return [self.first_port + index for index in range(self.servers)]

    def start(self, token: str) -> None:
        directory = self.directory or var_dir() / "cluster"
        env = {
            **self.env,
            settings.API_TOKEN: token,
            settings.DATABASE_URL: self.database_url,
            settings.TRACKER_DATABASE_URL: self.env.get(
                settings.TRACKER_DATABASE_URL, self.database_url
            ),
            settings.REDIS_URL: self.redis_url,
            settings.PUBLIC_URL: self.env.get(settings.PUBLIC_URL, self.url),
        }
        if self.redis_prefix:
            env[settings.REDIS_PREFIX] = self.redis_prefix
        # nginx vouches for the client's address with a secret of this start's (nginx_config)
        forwarded_secret = secrets.token_hex(24)
        env["SANIC_FORWARDED_SECRET"] = forwarded_secret
        self.rasa = Servers(
            rasa_port=self.first_port,
            actions_port=self.actions_port,
            rasa_servers=self.servers,
            actions_workers=max(1, os.cpu_count() or 1),
            env=env,
            log_dir=directory,
        )
        self.rasa.start(token)
        self.nginx = Nginx(self.ports, self.nginx_port, directory, None, forwarded_secret)
        self.nginx.start()

    def wait_ready(self, timeout: float = 300.0) -> float:
        assert self.rasa is not None and self.nginx is not None
        seconds = self.rasa.wait_ready(timeout)
        self.nginx.wait_ready()
        return seconds

    def supervised(self) -> list[Supervised]:
        """What :class:`Supervisor` restarts: the action server, the Rasa servers, nginx."""
        assert self.rasa is not None and self.nginx is not None
        nginx = self.nginx
        return [
            *self.rasa.supervised(),
            Supervised(
                "nginx",
                lambda: nginx.process,
                nginx.start,
                lambda: answers(f"http://127.0.0.1:{nginx.listen}/"),
            ),
        ]

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        if self.rasa is not None:
            self.rasa.stop()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist, and migrate it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(
            parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True
        )
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    upgrade(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="Rasa servers (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument(
        "--first-port", type=int, default=5005, help="the first Rasa server's (default 5005)"
    )
    parser.add_argument(
        "--actions-port", type=int, default=5055, help="the action server's (default 5055)"
    )
    parser.add_argument(
        "--print-nginx",
        action="store_true",
        help="print nginx's configuration for these servers and stop (to adapt for other hosts)",
    )
    args = parser.parse_args(argv)
    os.umask(0o077)  # every file and directory made from here on (the servers' too): owner only
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    ports = [args.first_port + index for index in range(args.servers)]
    if args.print_nginx:
        print(nginx_config(ports, args.port, var_dir() / "cluster"), end="")
        return 0
    if shutil.which("nginx") is None and not Path(NGINX).exists():
        print("nginx not found: sudo apt-get install nginx", file=sys.stderr)
        return 1
    database = settings.get(settings.DATABASE_URL, DEFAULT_DATABASE_URL)
    if database.startswith("sqlite"):
        print("several servers need PostgreSQL: set DATABASE_URL=postgresql://…", file=sys.stderr)
        return 1
    redis = settings.get(settings.REDIS_URL, DEFAULT_REDIS_URL)
    try:
        ensure_database(database)
    except Exception as error:  # noqa: BLE001 - said plainly, before anything starts
        print(f"error: the database {safe_url(database)}: {error}", file=sys.stderr)
        return 1
    make_private(var_dir())
    token, generated = api_token(var_dir())
    cluster = Cluster(
        args.servers,
        first_port=args.first_port,
        actions_port=args.actions_port,
        nginx_port=args.port,
        database_url=database,
        redis_url=redis,
    )
    print(f"Records and conversations: {safe_url(database)}; Redis: {redis}", flush=True)

    def banner(seconds: float) -> str:
        return (
            f"\nCan I share? is running on {args.servers} Rasa servers "
            f"({', '.join(map(str, cluster.ports))}) behind nginx (started in {seconds:.0f} s).\n"
            f"  Web chat:      {cluster.url}/chat/\n"
            f"  REST channel:  POST {cluster.url}/webhooks/rest/webhook\n"
            f"                 {rest_access_said(settings.environment())}\n"
            f"  Helpdesk:      {cluster.url}/helpdesk/\n"
            + (
                f"  HTTP API token {show_token(token, generated, var_dir())} (reads audited)\n"
                if settings.http_api_on()
                else "  HTTP API:      off (INFOSHARE_HTTP_API=on to turn it on)\n"
            )
            + f"  Logs:          {var_dir() / 'cluster'}\n  Press Ctrl-C to stop."
        )

    return run_in_foreground(
        lambda: cluster.start(token),
        cluster.wait_ready,
        Supervisor(cluster.supervised).check,
        cluster.stop,
        banner,
    )


if __name__ == "__main__":
    sys.exit(main())
