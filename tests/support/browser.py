"""Debian's Chromium, headless through Playwright, for the tests in a browser (a pytest plugin,
registered in tests/conftest.py): the ``browser`` fixture (one per test module), and helpers that
read and type into the web chat's page."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def conversation(page) -> str:
    return page.inner_text(".rw-messages-container")


def wait_for_text(page, needle: str, occurrences: int = 1) -> None:
    """Wait until the conversation shows ``needle`` at least ``occurrences`` times."""
    page.wait_for_function(
        """([needle, n]) => {
            const log = document.querySelector('.rw-messages-container');
            return !!log && log.innerText.split(needle).length - 1 >= n;
        }""",
        arg=[needle, occurrences],
        timeout=REPLY_TIMEOUT_MS,
    )


def type_answer(page, text: str) -> None:
    box = page.get_by_label("Your message to the assistant")
    box.fill(text)
    box.press("Enter")


def click_button(page, title: str) -> None:
    page.locator(".rw-replies .rw-reply", has_text=re.compile(rf"^{re.escape(title)}$")).click()


def session_id(page) -> str:
    """The page's conversation: rasa-webchat keeps the server-issued id,
    ``<conversation>.<signature>`` (bot/channels/socketio.py); the conversation is its first
    part."""
    signed = page.evaluate(
        """() => {
            for (const key of Object.keys(sessionStorage)) {
                try {
                    const value = JSON.parse(sessionStorage.getItem(key));
                    if (value && value.session_id) return value.session_id;
                } catch (e) {}
            }
            return null;
        }"""
    )
    return signed.split(".")[0] if signed else signed
