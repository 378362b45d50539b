"""Benchmark the web chat as a practitioner sees it: Debian's Chromium on /chat/.

    .venv/bin/python scripts/bench_webchat.py [--checks 5] [--json results/bench-webchat.json]
    make bench-webchat

Starts both servers on free ports (SQLite in a temporary directory), then runs ``--checks``
whole checks (bench.py's SCRIPT, typed) one after another, each in a fresh browser context, and
reports medians and percentiles of:

* page → greeting: from navigation to the greeting shown (page, widget bundle, socket.io
  connection, the first reply);
* answer → reply shown: from pressing Enter to the reply's expected words on the screen. This
  includes the 250 ms per message that the widget waits before showing a reply
  (``customMessageDelay`` in bot/web/static/widget.js), which the REST figures of bench.py do not.

Timings depend on the machine and what else it runs: compare medians on one machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDGET_DELAY_MS = 250  # bot/web/static/widget.js customMessageDelay


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("infoshare_bench", PROJECT / "scripts/bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


bench = _bench_module()

COUNT_JS = """([needle]) => {
    const log = document.querySelector('.rw-messages-container');
    return log ? log.innerText.split(needle).length - 1 : 0;
}"""
WAIT_JS = """([needle, n]) => {
    const log = document.querySelector('.rw-messages-container');
    return !!log && log.innerText.split(needle).length - 1 >= n;
}"""


def run_check(browser: Any, base: str, timeout_ms: float) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(f"{base}/chat/")
        page.wait_for_function(WAIT_JS, arg=["Hello.", 1], timeout=timeout_ms)
        greeting_ms = (time.perf_counter() - started) * 1000
        box = page.get_by_label("Your message to the assistant")
        latencies = []
        for message, expected in bench.SCRIPT:
            seen = page.evaluate(COUNT_JS, [expected])
            box.fill(message)
            started = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(WAIT_JS, arg=[expected, seen + 1], timeout=timeout_ms)
            latencies.append((time.perf_counter() - started) * 1000)
        return {"greeting_ms": greeting_ms, "latencies_ms": latencies}
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the web chat in Chromium.")
    parser.add_argument("--checks", type=int, default=5, help="whole checks, one at a time")
    parser.add_argument("--json", type=Path, default=PROJECT / "results" / "bench-webchat.json")
    parser.add_argument("--rasa-port", type=int, default=5225)
    parser.add_argument("--actions-port", type=int, default=5275)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per reply at most")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {"machine": bench.machine_info(), "checks": args.checks}
    with tempfile.TemporaryDirectory(prefix="infoshare-bench-webchat-") as tmp:
        servers, token = bench.throwaway_servers(Path(tmp), args.rasa_port, args.actions_port)
        rasa_port, actions_port = servers.rasa_port, servers.actions_port
        try:
            servers.start(token)
            print(f"Starting the servers on ports {rasa_port} and {actions_port}…", flush=True)
            servers.wait_ready(timeout=600)
            greetings, latencies = [], []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                run_check(browser, servers.url, args.timeout * 1000)  # warm-up, not counted
                for number in range(1, args.checks + 1):
                    check = run_check(browser, servers.url, args.timeout * 1000)
                    greetings.append(check["greeting_ms"])
                    latencies.extend(check["latencies_ms"])
                    print(f"check {number}/{args.checks} done", flush=True)
                browser.close()
        except (RuntimeError, TimeoutError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        finally:
            servers.stop()
    results["page_to_greeting_ms"] = bench.latency_summary(greetings)
    results["answer_to_reply_ms"] = bench.latency_summary(latencies)
    results["answers"] = len(latencies)
    results["widget_delay_ms_per_message"] = WIDGET_DELAY_MS
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    g, a = results["page_to_greeting_ms"], results["answer_to_reply_ms"]
    print(
        f"\n| web chat (Chromium, {args.checks} checks, {len(latencies)} answers) "
        "| p50 | p95 | p99 |\n| --- | --- | --- | --- |\n"
        f"| page → greeting (ms) | {g['p50']:.0f} | {g['p95']:.0f} | {g['p99']:.0f} |\n"
        f"| answer → reply shown (ms) | {a['p50']:.0f} | {a['p95']:.0f} | {a['p99']:.0f} |\n"
        f"\nWritten to {args.json}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
