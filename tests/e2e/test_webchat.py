"""The web chat, as a practitioner uses it: Debian's Chromium (headless, through Playwright) on the
page the Rasa server serves at /chat/, talking to the real servers over socket.io.

One whole check: typed and clicked answers, a keyboard-only answer, a reload in the middle that
must continue the same conversation, the decision reference at the end, the printable summary
it links to, and the record read back through the CLI. A screenshot of the finished
conversation is saved as results/webchat-finished.png.
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.browser import click_button, conversation, session_id, type_answer, wait_for_text
from support.servers import INTRANET_ORIGIN

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
AXE = PROJECT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPENING = "Can I tell the GP about her mental health because I am worried about her?"
# The embedding snippet, as documented: its first script tag (a chat button in the corner), with
# the example origin replaced by the test servers'.
WEB_CHAT_DOC = PROJECT / "docs" / "web-chat.md"
DOC_ORIGIN = "https://canishare.example.org"


@pytest.fixture()
def page(browser, chat):
    """A phone-sized page (320 px wide) that records every request it makes."""
    context = browser.new_context(viewport={"width": 320, "height": 720})
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA checks on the page as it is now (needs a bypass_csp context)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def test_a_whole_check_in_the_browser_survives_a_reload_and_leaves_a_record(chat, page):
    page.goto(f"{chat.base}/chat/")
    wait_for_text(page, "Hello.")
    # The message box has a label for screen readers, the send button a name.
    assert page.get_by_label("Your message to the assistant").count() == 1
    assert page.locator("label[for=infoshare-message]").inner_text() == (
        "Your message to the assistant"
    )
    assert page.get_by_role("button", name="Send").count() == 1

    type_answer(page, OPENING)
    wait_for_text(page, "Question 1:")
    click_button(page, "Yes")  # with the mouse
    wait_for_text(page, "Question 2:")

    # Keyboard alone: from the message box, Shift+Tab reaches the answer buttons; Enter chooses.
    page.get_by_label("Your message to the assistant").focus()
    reached = []
    for _ in range(8):
        page.keyboard.press("Shift+Tab")
        reached.append(page.evaluate("() => document.activeElement.innerText"))
        if reached[-1] == "No":
            break
    assert reached[-1] == "No", f"the answer buttons are not reachable by keyboard: {reached}"
    page.keyboard.press("Enter")
    wait_for_text(page, "Question 6:")
    assert page.evaluate("() => document.activeElement.id") == "infoshare-message"

    type_answer(page, "yes")
    wait_for_text(page, "point 2 of 7")
    type_answer(page, "yep")
    wait_for_text(page, "point 3 of 7")
    before_reload = session_id(page)
    assert before_reload

    page.reload()
    wait_for_text(page, "point 3 of 7")  # the conversation is shown again …
    assert session_id(page) == before_reload
    type_answer(page, "yes")
    wait_for_text(page, "point 4 of 7")  # … and the server continues it
    assert conversation(page).count("Hello.") == 1, "the greeting was sent again on reload"

    type_answer(page, "yes")
    wait_for_text(page, "point 5 of 7")
    type_answer(page, "yes")
    wait_for_text(page, "point 6 of 7")
    type_answer(page, "yes, they won't pass it on")
    wait_for_text(page, "point 7 of 7")
    click_button(page, "They already know")
    wait_for_text(page, "please give the reasons")
    type_answer(page, "The GP needs this to support her care")
    wait_for_text(page, "Shall I save")
    click_button(page, "Yes, save it")
    wait_for_text(page, "Your decision reference is")
    wait_for_text(page, "printable summary")

    text = conversation(page)
    reference = re.search(r"Your decision reference is (ISD-\d+)", text).group(1)
    results = PROJECT / "results"
    results.mkdir(exist_ok=True)
    page.screenshot(path=str(results / "webchat-finished.png"), full_page=True)

    # Readable at 320 px: nothing wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320

    # The record, read back through the CLI.
    (record,) = [r for r in chat.records() if r["reference"] == reference]
    assert record["conversation_id"] == before_reload
    assert record["channel"] == "socketio"
    assert record["outcome"] == "share"
    assert record["path"] == ["purpose", "identifiable", "appropriate", "record"]
    assert record["answers"]["purpose"] == "yes" and record["answers"]["identifiable"] == "no"
    assert record["checks"]["inform_person"] == "already_aware"
    assert record["reasons"] == "The GP needs this to support her care"

    # The printable summary the chat links to shows the record.
    link = page.get_by_role("link", name=f"{reference} summary")
    href = link.get_attribute("href")
    assert href.startswith(f"{chat.base}/chat/records/{reference}?key=")
    # axe-core is injected, so this page's context lets scripts past the page's policy.
    audit = page.context.browser.new_context(
        viewport={"width": 320, "height": 720}, bypass_csp=True
    )
    summary = audit.new_page()
    summary.goto(href)
    assert summary.title() == f"Decision record {reference} — Can I share?"
    body = summary.inner_text("main")
    assert "You can share the information" in body
    assert "The GP needs this to support her care" in body
    assert "They already know" in body
    summary.screenshot(path=str(results / "webchat-record.png"), full_page=True)
    assert summary.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert axe_violations(summary) == []
    audit.close()

    # Everything came from the assistant's own server: no CDN, no web fonts, no trackers.
    hosts = {urlsplit(url).netloc for url in page.requests if not url.startswith("data:")}
    assert hosts == {urlsplit(chat.base).netloc}, hosts
    assert page.errors == []


@pytest.mark.parametrize("width", [320, 1280])
def test_the_chat_page_passes_axe_wcag_checks_with_answer_buttons_showing(browser, chat, width):
    context = browser.new_context(viewport={"width": width, "height": 720}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{chat.base}/chat/")
    wait_for_text(page, "Hello.")
    type_answer(page, OPENING)
    wait_for_text(page, "Question 1:")
    page.locator(".rw-replies .rw-reply[role=button]").first.wait_for()
    assert axe_violations(page) == []
    context.close()


def test_the_printable_summary_needs_the_key_from_the_chat(chat):
    (record, *_) = chat.records() or [None]
    reference = record["reference"] if record else "ISD-000001"
    for url in (
        f"{chat.base}/chat/records/{reference}",
        f"{chat.base}/chat/records/{reference}?key=0123456789abcdef0123456789abcdef",
        f"{chat.base}/chat/records/ISD-999999?key=0123456789abcdef0123456789abcdef",
        f"{chat.base}/chat/records/..%2F..%2Fetc%2Fpasswd?key=x",
    ):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(url, timeout=30)  # noqa: S310 - loopback
        assert error.value.code == 404, url


def test_only_the_listed_files_are_served(chat):
    with urllib.request.urlopen(f"{chat.base}/chat/static/rasa-webchat.js", timeout=30) as r:  # noqa: S310
        bundle = r.read()
        assert r.headers["Content-Type"].startswith("text/javascript")
    assert b"fonts.googleapis.com" not in bundle
    for name in ("index.html", "..%2Fpackage.json", "widget.js", "..%2F..%2Fcredentials.yml"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{chat.base}/chat/static/{name}", timeout=30)  # noqa: S310
        assert error.value.code == 404, name
    with urllib.request.urlopen(f"{chat.base}/chat/", timeout=30) as r:  # noqa: S310
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert b'src="/chat/widget.js"' in r.read()


def documented_snippet() -> str:
    """The first script tag of the HTML example in docs/web-chat.md ("Embedding the chat")."""
    text = WEB_CHAT_DOC.read_text(encoding="utf-8")
    example = re.search(r"```html\n(.*?)```", text, re.S)
    assert example, f"no HTML example in {WEB_CHAT_DOC}"
    tag = re.search(r"<script\b[^>]*/chat/widget\.js[^>]*>\s*</script>", example.group(1))
    assert tag, f"no script tag for /chat/widget.js in the example of {WEB_CHAT_DOC}"
    return tag.group(0)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def intranet(tmp_path_factory, chat) -> Iterator[str]:
    """A page on another origin that embeds the chat with docs/web-chat.md's one script tag."""
    snippet = documented_snippet()
    assert DOC_ORIGIN in snippet
    root = tmp_path_factory.mktemp("intranet")
    (root / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Staff intranet</title>'
        "</head><body><h1>Staff intranet</h1>"
        f"{snippet.replace(DOC_ORIGIN, chat.base)}</body></html>",
        encoding="utf-8",
    )
    port = int(INTRANET_ORIGIN.rsplit(":", 1)[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield INTRANET_ORIGIN + "/"
    server.shutdown()
    server.server_close()


def test_an_intranet_page_embeds_the_chat_with_one_script_tag(page, intranet):
    """docs/web-chat.md's snippet on another origin (let in with --cors): a chat button, then a
    check."""
    page.goto(intranet)
    launcher = page.get_by_role("button", name="Open the Can I share? chat")
    launcher.focus()
    page.keyboard.press("Enter")
    wait_for_text(page, "Hello.")
    type_answer(page, OPENING)
    wait_for_text(page, "Question 1:")
    assert page.errors == []
