#!/usr/bin/env python3
"""Benchmark the real servers: start-up time, REST latency and throughput, peak memory.

``make bench`` runs this script. It starts the action server and the Rasa server with the
project's own runner (:class:`bot.server.Servers`) on free loopback ports, with a throw-away SQLite
database in a temporary directory, then drives scripted checks (one complete decision, 16
messages, ending in a saved record) through the REST channel:

1. one warm-up conversation (not measured);
2. ``--conversations`` conversations one at a time (the single-user case);
3. ``--rounds`` rounds of ``--concurrency`` simultaneous conversations (the concurrent case).

It reports the start-up time (until both servers answer and the model is loaded), per-message
latency p50/p95/p99, messages per second (the median over conversations or rounds), the peak
RSS of each server's process tree (sampled from /proc every 0.2 s for the whole run) and of both
together. With ``--train`` it first times ``make train`` ``--train-runs`` times: when nothing has
changed that is the no-change case (make's stamp, or Rasa's fingerprint, skips the training).

Then, unless ``--no-cluster``, the same cases through nginx on the cluster ``make run-cluster``
starts (bot/cluster.py: PostgreSQL, Redis, the action server with a worker per core), once with
one Rasa server and once with two, in the same run: one server beside two.

Prints a Markdown table for docs/measurements.md, writes the numbers as JSON, and exits 1 if any
request failed, returned an empty reply, or the conversation went off script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

OPENING = "Can I tell the GP about her mental health because I am worried about her?"
#: One complete check (consent refused, public interest, checklist, saved record): each message
#: with a fragment its reply must contain.
SCRIPT: tuple[tuple[str, str], ...] = (
    (OPENING, "Question 1:"),
    ("yes", "Question 2:"),
    ("yes", "Question 3:"),
    ("yes", "Question 4:"),
    ("no she refused", "Question 5:"),
    ("yes", "public interest"),
    ("Her children are at risk if nothing is done", "Question 6:"),
    ("yes", "point 2 of 7"),
    ("yes", "point 3 of 7"),
    ("yes", "point 4 of 7"),
    ("yes", "point 5 of 7"),
    ("yes", "point 6 of 7"),
    ("yes", "point 7 of 7"),
    ("they already know", "please give the reasons"),
    ("The GP needs this to support her care", "Shall I save"),
    ("yes", "Your decision reference is"),
)
#: The baseline: the bot ``rasa init`` makes (it ships with Rasa: no download), with no custom
#: actions and Rasa's in-memory tracker store, spoken to with as many messages per conversation.
BASELINE_MESSAGES = (
    "hello", "I am sad", "yes", "hi there", "I'm great", "no", "hey", "not good", "no",
    "are you a bot?", "good morning", "very sad", "yes", "perfect", "goodbye", "thanks",
)  # fmt: skip
BASELINE_SCRIPT: tuple[tuple[str, str], ...] = tuple(
    (message, "") for message in (BASELINE_MESSAGES * 2)[: len(SCRIPT)]
)
BASELINE_DIR = PROJECT / "models" / "baseline-rasa-init"
REQUEST_TIMEOUT = 60.0
MAX_PROBLEMS_KEPT = 20


# --- statistics ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0-100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99, mean and max of latencies in ms (``None`` when there are none)."""
    if not latencies_ms:
        return {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    return {
        "p50": percentile(latencies_ms, 50),
        "p95": percentile(latencies_ms, 95),
        "p99": percentile(latencies_ms, 99),
        "mean": sum(latencies_ms) / len(latencies_ms),
        "max": max(latencies_ms),
    }


def throughput(messages: int, seconds: float) -> float:
    return messages / seconds if seconds > 0 else 0.0


# --- memory --------------------------------------------------------------------------------------


def parse_vmrss_kib(status: str) -> int:
    """VmRSS in KiB from the text of /proc/<pid>/status (0 for a zombie or kernel thread)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def parse_ppid(stat: str) -> int:
    """The parent pid from the text of /proc/<pid>/stat (the command may contain ') ')."""
    return int(stat.rpartition(")")[2].split()[1])


def descendants(root: int, parents: Mapping[int, int]) -> set[int]:
    """``root`` and every process below it, given a pid -> parent pid map."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # the process ended meanwhile
        return None


def process_parents(proc: Path = Path("/proc")) -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit() and (stat := _read(entry / "stat")) is not None:
            parents[int(entry.name)] = parse_ppid(stat)
    return parents


def tree_rss_kib(root: int, proc: Path = Path("/proc")) -> int:
    """The summed VmRSS of ``root`` and its descendants, in KiB (0 once it has exited)."""
    total = 0
    for pid in descendants(root, process_parents(proc)):
        status = _read(proc / str(pid) / "status")
        total += parse_vmrss_kib(status) if status else 0
    return total


@dataclass
class RssSampler:
    """Samples the RSS of named process trees in a background thread; keeps the peaks."""

    pids: Mapping[str, int]
    interval: float = 0.2
    read_kib: Callable[[int], int] = tree_rss_kib
    peak_kib: dict[str, int] = field(default_factory=dict)
    peak_sum_kib: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def sample(self) -> dict[str, int]:
        current = {name: self.read_kib(pid) for name, pid in self.pids.items()}
        for name, kib in current.items():
            self.peak_kib[name] = max(self.peak_kib.get(name, 0), kib)
        self.peak_sum_kib = max(self.peak_sum_kib, sum(current.values()))
        self.samples += 1
        return current

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def peaks_mib(self) -> dict[str, float]:
        peaks = {name: kib / 1024 for name, kib in self.peak_kib.items()}
        peaks["sum"] = self.peak_sum_kib / 1024
        return peaks


# --- load ----------------------------------------------------------------------------------------


@dataclass
class CaseResult:
    """What one case (single-user or concurrent) measured."""

    name: str
    conversations: int
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    #: messages per second of each conversation (single user) or round (concurrent)
    rates: list[float] = field(default_factory=list)
    errors: int = 0
    off_script: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "concurrency": self.concurrency,
            "messages": len(self.latencies_ms),
            "latency_ms": latency_summary(self.latencies_ms),
            "messages_per_second": percentile(self.rates, 50) if self.rates else None,
            "errors": self.errors,
            "off_script": self.off_script,
            "problems": self.problems,
        }


def reply_text(body: Any) -> str:
    """The texts of a REST channel reply, one per line ("" when there are none)."""
    if not isinstance(body, list):
        return ""
    return "\n".join(str(m.get("text") or "") for m in body if isinstance(m, dict)).strip()


async def converse(
    session: Any,
    url: str,
    sender: str,
    case: CaseResult,
    deadline: float,
    script: Sequence[tuple[str, str]] = SCRIPT,
) -> int:
    """Play ``script`` as ``sender``; returns the number of messages answered."""
    import aiohttp

    answered = 0
    for message, expected in script:
        if time.monotonic() > deadline:
            case.errors += 1
            case.problem(f"{sender}: time limit reached before {message!r}")
            return answered
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": message}) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            case.errors += 1
            case.problem(f"{sender}: {message!r} -> {type(error).__name__}: {error}")
            return answered
        case.latencies_ms.append((time.perf_counter() - started) * 1000)
        text = reply_text(body)
        if status != 200 or not text:
            case.errors += 1
            case.problem(f"{sender}: {message!r} -> HTTP {status}, reply {body!r}")
            return answered
        answered += 1
        if expected not in text:
            case.off_script += 1
            case.problem(f"{sender}: {message!r} -> expected {expected!r}, got {text!r}")
            return answered
    return answered


async def run_case(
    url: str,
    name: str,
    conversations: int,
    concurrency: int,
    prefix: str,
    deadline: float,
    script: Sequence[tuple[str, str]] = SCRIPT,
) -> CaseResult:
    """``conversations`` conversations in rounds of ``concurrency`` at a time."""
    import aiohttp

    case = CaseResult(name, conversations, concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for first in range(0, conversations, concurrency):
            senders = [
                f"{prefix}-{name}-{i}"
                for i in range(first, min(first + concurrency, conversations))
            ]
            started = time.perf_counter()
            answered = await asyncio.gather(
                *(converse(session, url, s, case, deadline, script) for s in senders)
            )
            case.rates.append(throughput(sum(answered), time.perf_counter() - started))
    return case


# --- machine, training, servers ------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in (_read(Path("/proc/cpuinfo")) or "").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        (
            int(line.split()[1])
            for line in (_read(Path("/proc/meminfo")) or "").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    try:
        rasa = metadata.version("rasa")
    except metadata.PackageNotFoundError:
        rasa = "unknown"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024**2, 1),
        "python": platform.python_version(),
        "rasa": rasa,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }


def time_make_train(runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(["make", "--no-print-directory", "train"], cwd=PROJECT, check=True)
        timings.append(time.perf_counter() - started)
    return timings


def free_port(preferred: int, taken: Iterable[int] = ()) -> int:
    """``preferred`` if it can be bound on 127.0.0.1, else a port the kernel picks."""
    for port in (preferred, 0):
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port")


#: Rasa's line for a request without the API token: logged by ``Servers.wait_ready`` before it
#: probed Rasa's hello page instead of ``/status``; not a failure of the benchmark.
LOG_NOISE = ("User is not authenticated",)


def log_problems(log_dir: Path) -> list[str]:
    """Lines of the server logs that report an error or a traceback (minus known noise)."""
    lines = []
    for log in sorted(log_dir.glob("*.log")):
        for line in (_read(log) or "").splitlines():
            if any(noise in line for noise in LOG_NOISE):
                continue
            if " ERROR " in line or line.startswith("Traceback"):
                lines.append(f"{log.stem}: {line.strip()}")
    return lines


# --- report --------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(results: Mapping[str, Any]) -> str:
    m = results["machine"]
    single, multi = results["cases"]["single"], results["cases"]["concurrent"]
    mem = results["peak_rss_mib"]
    rows = [
        (
            "conversations × messages",
            f"{single['conversations']} × {len(SCRIPT)}",
            f"{multi['conversations']} × {len(SCRIPT)}",
        ),
        *(
            (f"latency {p} (ms)", _fmt(single["latency_ms"][p]), _fmt(multi["latency_ms"][p]))
            for p in ("p50", "p95", "p99")
        ),
        (
            "messages / s (median)",
            _fmt(single["messages_per_second"], 1),
            _fmt(multi["messages_per_second"], 1),
        ),
        (
            "failed requests / off script",
            f"{single['errors']} / {single['off_script']}",
            f"{multi['errors']} / {multi['off_script']}",
        ),
    ]
    lines = [
        f"Benchmark {m['date']}: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB RAM, "
        f"Python {m['python']}, Rasa {m['rasa']}; SQLite; `make bench`.",
        "",
        f"| measure | 1 conversation | {multi['concurrency']} concurrent |",
        "| --- | ---: | ---: |",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| server start-up, until the model is loaded (s) | {_fmt(results['startup_s'], 1)} |",
        f"| peak RSS, Rasa server (MiB) | {_fmt(mem['rasa'])} |",
        f"| peak RSS, action server (MiB) | {_fmt(mem['actions'])} |",
        f"| peak RSS, both together (MiB) | {_fmt(mem['sum'])} |",
    ]
    if results.get("train_s"):
        runs = ", ".join(_fmt(t, 1) for t in results["train_s"])
        lines.append(
            f"| `make train`, nothing changed (s, median of {runs}) "
            f"| {_fmt(percentile(results['train_s'], 50), 1)} |"
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the Rasa and action servers.")
    parser.add_argument(
        "--conversations", type=int, default=10, help="conversations one at a time (default 10)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=20,
        help="simultaneous conversations in the concurrent case (default 20)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of --concurrency conversations (default 2, i.e. 40)",
    )
    parser.add_argument("--json", type=Path, default=PROJECT / "results" / "bench.json")
    parser.add_argument("--rasa-port", type=int, default=5205)
    parser.add_argument("--actions-port", type=int, default=5255)
    parser.add_argument("--model", type=Path, help="model archive (default: the newest)")
    parser.add_argument(
        "--train",
        action="store_true",
        help="first time `make train` (the no-change case when nothing changed)",
    )
    parser.add_argument("--train-runs", type=int, default=3)
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the baseline (Rasa's `rasa init` bot, measured in the same run)",
    )
    parser.add_argument("--baseline-port", type=int, default=5505)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample both servers with py-spy while they answer; results/profile/",
    )
    parser.add_argument(
        "--no-cluster",
        dest="cluster",
        action="store_false",
        help="skip one Rasa server vs two behind nginx on PostgreSQL and Redis",
    )
    parser.add_argument("--cluster-port", type=int, default=5605, help="first Rasa server's")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0", help="for the cluster (default local)"
    )
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=1800.0,
        help="stop sending messages after this long (default 1800)",
    )
    args = parser.parse_args(argv)
    for name in ("conversations", "concurrency", "rounds", "train_runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --- the baseline: Rasa's own minimal bot --------------------------------------------------------


def baseline_project() -> Path:
    """The project ``rasa init --no-prompt`` makes and trains, once (kept in models/)."""
    if any(BASELINE_DIR.glob("models/*.tar.gz")):
        return BASELINE_DIR
    building = BASELINE_DIR.with_name(BASELINE_DIR.name + ".building")
    subprocess.run(["rm", "-rf", str(building)], check=True)
    building.mkdir(parents=True)  # rasa init wants the directory to exist
    print("Making the baseline bot with `rasa init --no-prompt` (once)…", flush=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "init",
            "--no-prompt",
            "--init-dir",
            str(building),
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    building.rename(BASELINE_DIR)
    return BASELINE_DIR


class BaselineServer:
    """``rasa run`` on the baseline bot, on 127.0.0.1 (in-memory tracker, no action server)."""

    def __init__(self, project: Path, port: int, log: Path) -> None:
        self.project, self.port, self.log = project, free_port(port), log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        model = sorted((self.project / "models").glob("*.tar.gz"))[-1]
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "rasa"), "run", "--model", str(model),
             "--interface", "127.0.0.1", "--port", str(self.port), "--enable-api"],
            cwd=self.project, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, timeout: float) -> float:
        import urllib.request

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the baseline server exited ({self.process.returncode})")
            try:
                with urllib.request.urlopen(f"{self.url}/status", timeout=2) as response:  # noqa: S310
                    if json.load(response).get("model_file"):
                        return time.monotonic() - started
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError("the baseline server did not load its model in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def measure(
    url: str,
    args: argparse.Namespace,
    script: Sequence[tuple[str, str]],
    prefix: str,
    after_warmup: Callable[[], None] | None = None,
) -> tuple[CaseResult, dict[str, CaseResult]]:
    """The warm-up, then the single-user and the concurrent cases."""
    webhook = f"{url}/webhooks/rest/webhook"
    deadline = time.monotonic() + args.max_seconds
    warm = asyncio.run(run_case(webhook, "warmup", 1, 1, prefix, deadline, script))
    if after_warmup:
        after_warmup()
    cases = {}
    for name, count, width in (
        ("single", args.conversations, 1),
        ("concurrent", args.rounds * args.concurrency, args.concurrency),
    ):
        print(f"{name}: {count} conversations, {width} at a time…", flush=True)
        cases[name] = asyncio.run(run_case(webhook, name, count, width, prefix, deadline, script))
    return warm, cases


# --- profiling -----------------------------------------------------------------------------------


class Profiler:
    """py-spy sampling the servers while they answer (``--profile``): raw stacks per process,
    and the functions where the time goes, for docs/measurements.md: "Where the time went, and
    what changed"."""

    def __init__(self, pids: Mapping[str, int], out: Path, rate: int = 200) -> None:
        self.pids, self.out, self.rate = dict(pids), out, rate
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        spy = str(Path(sys.executable).parent / "py-spy")
        for name, pid in self.pids.items():
            self.processes[name] = subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--subprocesses", "--rate", str(self.rate),
                 "--format", "raw", "--output", str(self.out / f"{name}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

    def stop(self) -> dict[str, list[tuple[str, float, float]]]:
        for process in self.processes.values():
            process.send_signal(signal.SIGINT)
        for process in self.processes.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        return {name: top_functions(self.out / f"{name}.txt") for name in self.processes}


def top_functions(raw: Path, limit: int = 25) -> list[tuple[str, float, float]]:
    """(function, % of samples with it on the stack, % with it on top) from py-spy's raw output:
    lines of ``frame;frame;… count``."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in (_read(raw) or "").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame.split(" (")[0].strip() for frame in stack.split(";") if frame]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    if not total:
        return []
    ranked = sorted(inclusive, key=lambda f: inclusive[f], reverse=True)
    wanted = [
        f for f in ranked if not f.startswith(("_run_once", "run_forever", "run_until_complete"))
    ]
    return [(f, 100 * inclusive[f] / total, 100 * own.get(f, 0) / total) for f in wanted[:limit]]


def throwaway_servers(
    tmp: Path, rasa_port: int, actions_port: int, model: Path | None = None
) -> tuple[Any, str]:
    """Both servers (not started) on free ports near those asked for, with a new SQLite database
    and runtime directory in ``tmp``; and the API token they will use."""
    from bot.records import upgrade
    from bot.server import Servers

    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    token = secrets.token_urlsafe(24)
    rasa_port = free_port(rasa_port)
    actions_port = free_port(actions_port, taken={rasa_port})
    servers = Servers(
        rasa_port,
        actions_port,
        env={
            "DATABASE_URL": url,
            "TRACKER_DATABASE_URL": url,
            "INFOSHARE_API_TOKEN": token,
            "INFOSHARE_VAR_DIR": str(tmp),
            # the load comes from one address: counted per conversation only (the measure is
            # the service's cost per message, not the address limit's)
            "INFOSHARE_RATE_LIMIT_EXEMPT": "127.0.0.1",
            # the evaluations put answers at their question through Rasa's tracker API
            "INFOSHARE_HTTP_API": "on",
        },
        model=model,
        log_dir=tmp / "logs",
    )
    return servers, token


def run_baseline(args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    """The same measures on Rasa's own minimal bot, in the same run."""
    project = baseline_project()
    with tempfile.TemporaryDirectory(prefix="infoshare-bench-baseline-") as tmp:
        server = BaselineServer(project, args.baseline_port, Path(tmp) / "baseline.log")
        server.start()
        try:
            print(f"Baseline (rasa init) on port {server.port}…", flush=True)
            startup = server.wait_ready(args.startup_timeout)
            warm, cases = measure(server.url, args, BASELINE_SCRIPT, prefix)
        finally:
            server.stop()
    return {
        "startup_s": startup,
        "warmup": warm.as_dict(),
        "cases": {name: case.as_dict() for name, case in cases.items()},
        "errors": sum(c.errors for c in [warm, *cases.values()]),
    }


def run_cluster(args: argparse.Namespace, prefix: str, servers: int) -> dict[str, Any]:
    """The same cases through nginx, on ``servers`` Rasa servers sharing a new PostgreSQL
    database and Redis (with a key prefix of their own)."""
    from bot.cluster import Cluster, ensure_database
    from bot.records.testing import temporary_postgres_database

    token = secrets.token_urlsafe(24)
    first = args.cluster_port
    with (
        tempfile.TemporaryDirectory(prefix="infoshare-bench-cluster-") as tmp,
        temporary_postgres_database("infoshare_bench") as url,
    ):
        ensure_database(url)
        cluster = Cluster(
            servers,
            first_port=first,
            actions_port=free_port(first + 50),
            nginx_port=free_port(first + 80),
            database_url=url,
            redis_url=args.redis_url,
            redis_prefix=f"bench{secrets.token_hex(4)}",
            env={"INFOSHARE_VAR_DIR": tmp},
            directory=Path(tmp),
        )
        print(f"Cluster: {servers} Rasa server(s) behind nginx on {cluster.url}…", flush=True)
        try:
            cluster.start(token)
            startup = cluster.wait_ready(args.startup_timeout)
            warm, cases = measure(cluster.url, args, SCRIPT, f"{prefix}-cluster{servers}")
        except (RuntimeError, TimeoutError) as error:
            print(f"error: {error}", file=sys.stderr)
            for log in sorted(Path(tmp).glob("*.log")):
                print(f"--- {log.name}\n{(_read(log) or '')[-4000:]}", file=sys.stderr)
            raise
        finally:
            cluster.stop()
    return {
        "servers": servers,
        "startup_s": startup,
        "warmup": warm.as_dict(),
        "cases": {name: case.as_dict() for name, case in cases.items()},
        "errors": sum(c.errors + c.off_script for c in [warm, *cases.values()]),
    }


def cluster_comparison(one: Mapping[str, Any], two: Mapping[str, Any]) -> str:
    """One Rasa server beside two (both through nginx), with two over one."""
    lines = [
        "| through nginx, on PostgreSQL and Redis | 1 Rasa server | 2 Rasa servers | 2 / 1 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for case in ("single", "concurrent"):
        a, b = one["cases"][case], two["cases"][case]
        label = (
            "one conversation at a time"
            if case == "single"
            else (f"{a['concurrency']} conversations at once")
        )
        for p in ("p50", "p95"):
            x, y = a["latency_ms"][p], b["latency_ms"][p]
            lines.append(
                f"| {label}, latency {p} (ms) | {_fmt(x)} | {_fmt(y)} "
                f"| {_fmt(y / x if x else None, 2)}× |"
            )
        x, y = a["messages_per_second"], b["messages_per_second"]
        lines.append(
            f"| {label}, messages / s | {_fmt(x, 1)} | {_fmt(y, 1)} "
            f"| {_fmt(y / x if x else None, 2)}× |"
        )
    return "\n".join(lines)


def ratios(results: Mapping[str, Any]) -> dict[str, float | None]:
    """This assistant's figures over the baseline's (latency: lower is better; rate: higher)."""
    ours, base = results["cases"], results["baseline"]["cases"]

    def over(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    found = {}
    for case in ("single", "concurrent"):
        for p in ("p50", "p95"):
            found[f"{case}_{p}"] = over(ours[case]["latency_ms"][p], base[case]["latency_ms"][p])
        found[f"{case}_rate"] = over(
            ours[case]["messages_per_second"], base[case]["messages_per_second"]
        )
    return found


GOALS = {"single_p95": ("≤", 1.5), "concurrent_rate": ("≥", 0.8)}


def comparison(results: Mapping[str, Any]) -> str:
    base, ours, ratio = results["baseline"]["cases"], results["cases"], results["ratios"]
    rows = []
    for case, label in (("single", "one conversation at a time"), ("concurrent", "")):
        width = ours[case]["concurrency"]
        label = label or f"{width} conversations at once"
        for p in ("p50", "p95"):
            rows.append(
                (f"{label}, latency {p} (ms)", _fmt(base[case]["latency_ms"][p]),
                 _fmt(ours[case]["latency_ms"][p]), f"{case}_{p}")
            )  # fmt: skip
        rows.append(
            (f"{label}, messages / s", _fmt(base[case]["messages_per_second"], 1),
             _fmt(ours[case]["messages_per_second"], 1), f"{case}_rate")
        )  # fmt: skip
    lines = [
        "| measure | `rasa init` bot | this assistant | ratio | goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for label, b, o, key in rows:
        goal = GOALS.get(key)
        value = ratio.get(key)
        met = ""
        if goal and value is not None:
            ok = value <= goal[1] if goal[0] == "≤" else value >= goal[1]
            met = f"{goal[0]} {goal[1]}× {'met' if ok else 'NOT met'}"
        lines.append(f"| {label} | {b} | {o} | {_fmt(value, 2)}× | {met} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    results: dict[str, Any] = {"machine": machine_info(), "script_messages": len(SCRIPT)}
    if args.train:
        results["train_s"] = time_make_train(args.train_runs)
    prefix = f"bench-{secrets.token_hex(4)}"
    if args.baseline:
        results["baseline"] = run_baseline(args, prefix)
    profile: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="infoshare-bench-") as tmp:
        servers, token = throwaway_servers(Path(tmp), args.rasa_port, args.actions_port, args.model)
        rasa_port, actions_port = servers.rasa_port, servers.actions_port
        sampler: RssSampler | None = None
        profiler: Profiler | None = None
        try:
            servers.start(token)
            pids = {
                "actions" if "bot.action_server" in " ".join(p.args) else "rasa": p.pid
                for p in servers.processes
            }
            sampler = RssSampler(pids)
            sampler.start()
            print(f"Starting the servers on ports {rasa_port} and {actions_port}…", flush=True)
            results["startup_s"] = servers.wait_ready(timeout=args.startup_timeout)
            print(f"Ready in {results['startup_s']:.1f} s; warming up…", flush=True)
            if args.profile:
                profiler = Profiler(pids, args.json.parent / "profile")
            warm, cases = measure(
                servers.url, args, SCRIPT, prefix, profiler.start if profiler else None
            )
            if profiler:
                profile = profiler.stop()
        except (RuntimeError, TimeoutError) as error:
            print(f"error: {error}", file=sys.stderr)
            for log in sorted((Path(tmp) / "logs").glob("*.log")):
                print(f"--- {log.name}\n{(_read(log) or '')[-4000:]}", file=sys.stderr)
            return 1
        finally:
            servers.stop()
            if sampler:
                sampler.stop()
        results["peak_rss_mib"] = sampler.peaks_mib()
        results["rss_samples"] = sampler.samples
        results["cases"] = {name: case.as_dict() for name, case in cases.items()}
        results["warmup"] = warm.as_dict()
        results["server_log_problems"] = log_problems(Path(tmp) / "logs")[:MAX_PROBLEMS_KEPT]
    if args.baseline:
        results["ratios"] = ratios(results)
    if args.cluster:
        try:
            results["cluster"] = {str(n): run_cluster(args, prefix, n) for n in (1, 2)}
        except (RuntimeError, TimeoutError):
            return 1
    if profile:
        results["profile"] = profile
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print("\n" + markdown(results) + "\n")
    if args.baseline:
        print(comparison(results) + "\n")
    if args.cluster:
        print(cluster_comparison(results["cluster"]["1"], results["cluster"]["2"]) + "\n")
    for name, rows in profile.items():
        print(f"Profile of the {name} server (py-spy, % of samples: on the stack / on top):")
        for function, inclusive, own in rows:
            print(f"  {inclusive:5.1f} % {own:5.1f} %  {function}")
    print(f"Written to {args.json}")
    failures = [warm, *cases.values()]
    for case in failures:
        for problem in case.problems:
            print(f"problem ({case.name}): {problem}", file=sys.stderr)
    for line in results["server_log_problems"]:
        print(f"server log: {line}", file=sys.stderr)
    baseline_errors = results.get("baseline", {}).get("errors", 0)
    baseline_errors += sum(c["errors"] for c in results.get("cluster", {}).values())
    return 1 if baseline_errors or any(c.errors or c.off_script for c in failures) else 0


if __name__ == "__main__":
    sys.exit(main())
