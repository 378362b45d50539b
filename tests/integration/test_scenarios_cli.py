"""Trainer scenarios through the command line (``infoshare scenarios validate`` and ``list``), run
as a subprocess; the scenarios themselves: tests/unit/test_scenarios.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def test_the_command_line_validates_and_lists(tmp_path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "scenarios", *args],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = run("validate")
    assert done.returncode == 0 and "All scenarios are valid." in done.stdout
    listed = run("list")
    assert listed.returncode == 0 and "seek_advice" in listed.stdout
    broken = tmp_path / "12_capacity_unclear.yml"
    text = (PROJECT / "data/scenarios/12_capacity_unclear.yml").read_text()
    broken.write_text(text.replace("outcome: seek_advice", "outcome: share"))
    done = run("validate", str(broken))
    assert done.returncode == 1
    assert "the model answers lead to 'seek_advice', not 'share'" in done.stderr


def test_a_run_against_an_assistant_with_its_http_api_off_says_so() -> None:
    """Rasa's HTTP API is off unless INFOSHARE_HTTP_API=on; the replay reads trackers through
    it: against an assistant without it (a stand-in answering as Rasa does), it says what to
    set instead of a traceback."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class WithoutApi(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the REST channel answers
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps([{"recipient_id": "x", "text": "Hello."}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - no /conversations/… route
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), WithoutApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "scenarios", "run", "--base", base, "--token", "t"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert done.returncode == 1, done.stderr
    assert "INFOSHARE_HTTP_API=on" in done.stderr and "Traceback" not in done.stderr
