"""The pure parts of scripts/bench.py: statistics, /proc parsing, the RSS sampler, the report.

Nothing here starts a server; the script is imported from its path.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("infoshare_bench", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _load()


# --- statistics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values,q,expected",
    [
        ([5.0], 50, 5.0),
        ([5.0], 99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order does not matter
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 100, 5.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 25, 2.0),
        ([10.0, 20.0], 95, 19.5),
        (list(range(1, 101)), 99, 99.01),
    ],
)
def test_percentile_interpolates_linearly(values, q, expected):
    assert bench.percentile(values, q) == pytest.approx(expected)


def test_percentile_matches_the_median_of_the_standard_library():
    import statistics

    values = [3.1, 0.2, 9.9, 4.4, 4.5, 7.0, 1.0]
    assert bench.percentile(values, 50) == statistics.median(values)
    assert bench.percentile(values[:-1], 50) == statistics.median(values[:-1])


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_rejects_bad_input(q):
    with pytest.raises(ValueError):
        bench.percentile([1.0], q)
    with pytest.raises(ValueError):
        bench.percentile([], 50)


def test_latency_summary():
    summary = bench.latency_summary([float(v) for v in range(1, 101)])
    assert summary["p50"] == pytest.approx(50.5)
    assert summary["p95"] == pytest.approx(95.05)
    assert summary["p99"] == pytest.approx(99.01)
    assert summary["mean"] == pytest.approx(50.5)
    assert summary["max"] == 100.0
    assert set(bench.latency_summary([]).values()) == {None}


def test_throughput():
    assert bench.throughput(30, 2.0) == 15.0
    assert bench.throughput(30, 0.0) == 0.0


# --- /proc parsing and the RSS sampler --------------------------------------------------------


STATUS = "Name:\tpython\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t4\n"


def test_parse_vmrss():
    assert bench.parse_vmrss_kib(STATUS) == 123456
    assert bench.parse_vmrss_kib("Name:\tkthreadd\nState:\tS\n") == 0


@pytest.mark.parametrize(
    "stat,ppid",
    [
        ("42 (python) S 7 42 42 0 -1", 7),
        ("42 (odd) name) (x) R 1 42 42 0 -1", 1),
    ],
)
def test_parse_ppid(stat, ppid):
    assert bench.parse_ppid(stat) == ppid


def test_descendants():
    parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
    assert bench.descendants(10, parents) == {10, 11, 12, 13}
    assert bench.descendants(13, parents) == {13}
    assert bench.descendants(99, parents) == {99}


def _fake_process(proc: Path, pid: int, ppid: int, rss_kib: int | None) -> None:
    directory = proc / str(pid)
    directory.mkdir()
    (directory / "stat").write_text(f"{pid} (proc {pid}) S {ppid} {pid} 0")
    if rss_kib is not None:
        (directory / "status").write_text(f"Name:\tp\nVmRSS:\t{rss_kib} kB\n")


def test_tree_rss_sums_the_process_and_its_children(tmp_path):
    for pid, ppid, rss in [(1, 0, 5), (10, 1, 100), (11, 10, 20), (12, 11, 3), (20, 1, 1000)]:
        _fake_process(tmp_path, pid, ppid, rss)
    _fake_process(tmp_path, 13, 10, None)  # exited between listing and reading
    (tmp_path / "self").mkdir()  # not a pid
    assert bench.tree_rss_kib(10, tmp_path) == 123
    assert bench.tree_rss_kib(20, tmp_path) == 1000
    assert bench.tree_rss_kib(99, tmp_path) == 0


def test_tree_rss_of_this_process_follows_what_it_holds():
    before = bench.tree_rss_kib(os.getpid())
    held = bytearray(64 * 1024 * 1024)  # 64 MiB, touched: resident
    held[::4096] = b"x" * len(held[::4096])
    after = bench.tree_rss_kib(os.getpid())
    assert held and after - before >= 60 * 1024  # at least ~60 of the 64 MiB, in KiB
    del held


def test_sampler_keeps_peaks_and_the_peak_of_the_sum():
    readings = {1: iter([100, 300, 200]), 2: iter([500, 100, 400])}
    sampler = bench.RssSampler({"rasa": 1, "actions": 2}, read_kib=lambda pid: next(readings[pid]))
    for _ in range(3):
        sampler.sample()
    assert sampler.peak_kib == {"rasa": 300, "actions": 500}
    assert sampler.peak_sum_kib == 600  # 100+500 and 200+400; never 300+500 at once
    assert sampler.samples == 3
    assert sampler.peaks_mib() == {"rasa": 300 / 1024, "actions": 500 / 1024, "sum": 600 / 1024}


def test_sampler_thread_samples_until_stopped():
    sampler = bench.RssSampler({"me": os.getpid()}, interval=0.01)
    sampler.start()
    deadline = time.monotonic() + 5
    while sampler.samples < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    sampler.stop()
    count = sampler.samples
    assert count >= 3 and sampler.peak_kib["me"] > 0
    time.sleep(0.05)
    assert sampler.samples == count


# --- replies, ports and the report ------------------------------------------------------------


def test_reply_text():
    assert bench.reply_text([{"text": "a"}, {"image": "x"}, {"text": "b"}]) == "a\n\nb"
    assert bench.reply_text([]) == ""
    assert bench.reply_text({"error": "x"}) == ""


def test_script_is_one_complete_check():
    messages = [message for message, _ in bench.SCRIPT]
    assert messages[0] == bench.OPENING
    assert messages[-1] == "yes" and "reference" in bench.SCRIPT[-1][1]
    assert len(messages) == 16


def test_free_port_prefers_the_given_port_when_free():
    port = bench.free_port(0)
    assert bench.free_port(port) == port
    assert bench.free_port(port, taken={port}) != port


def test_log_problems_skips_known_noise(tmp_path):
    (tmp_path / "rasa.log").write_text(
        "2026-01-01 INFO     rasa.core  - fine\n"
        "2026-01-01 ERROR    rasa.server  - User is not authenticated.\n"
        "2026-01-01 ERROR    rasa.core  - Encountered an exception\n"
        "Traceback (most recent call last):\n"
    )
    (tmp_path / "actions.log").write_text("all good\n")
    assert bench.log_problems(tmp_path) == [
        "rasa: 2026-01-01 ERROR    rasa.core  - Encountered an exception",
        "rasa: Traceback (most recent call last):",
    ]


def test_case_result_reports_the_median_rate_and_caps_problems():
    case = bench.CaseResult("single", 3, 1, latencies_ms=[10.0, 20.0, 30.0], rates=[1.0, 5.0, 2.0])
    for i in range(bench.MAX_PROBLEMS_KEPT + 5):
        case.problem(f"p{i}")
    data = case.as_dict()
    assert data["messages_per_second"] == 2.0
    assert data["messages"] == 3 and data["latency_ms"]["p50"] == 20.0
    assert len(data["problems"]) == bench.MAX_PROBLEMS_KEPT


def test_markdown_report():
    case = bench.CaseResult("x", 2, 1, latencies_ms=[100.0, 200.0], rates=[3.0]).as_dict()
    results = {
        "machine": {
            "date": "2026-01-01",
            "nproc": 2,
            "cpu": "Test CPU",
            "memory_gib": 4.0,
            "python": "3.10.13",
            "rasa": "3.6.21",
        },
        "cases": {"single": case, "concurrent": {**case, "concurrency": 20}},
        "startup_s": 42.25,
        "peak_rss_mib": {"rasa": 900.4, "actions": 300.0, "sum": 1150.0},
        "train_s": [2.0, 1.0, 3.0],
    }
    text = bench.markdown(results)
    assert "2 CPUs (Test CPU), 4.0 GiB RAM, Python 3.10.13" in text
    assert "| 1 conversation | 20 concurrent |" in text
    assert "| latency p50 (ms) | 150 | 150 |" in text
    assert "| 42.2 |" in text or "| 42.3 |" in text
    assert "| peak RSS, both together (MiB) | 1,150 |" in text
    assert "median of 2.0, 1.0, 3.0) | 2.0 |" in text
    assert "make train" not in bench.markdown({**results, "train_s": None})


def test_parse_args_defaults_and_limits():
    args = bench.parse_args([])
    assert (args.conversations, args.concurrency, args.rounds) == (10, 20, 2)
    assert (args.rasa_port, args.actions_port) == (5205, 5255)
    assert args.json.name == "bench.json" and not args.train
    with pytest.raises(SystemExit):
        bench.parse_args(["--concurrency", "0"])
