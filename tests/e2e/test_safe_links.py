"""Links in the assistant's text through the real servers and in Chromium (issue 20, finding 9):
only http, https and mailto links reach a practitioner.

* An adviser answers through the API with ``[click](javascript:…)``: the practitioner's REST
  chat gets the advice without the link (saved that way, and sent that way).
* An answer saved before links were filtered (written into the database as typed) still reaches
  the chat without the link: every channel's output filters (bot/channels/output.py).
* The web chat page draws a message of the assistant's holding ``javascript:`` links — one the
  server sent (the practitioner's own question, said back in the helpdesk preview) and one the
  page kept in its session storage from before — with no live ``javascript:`` address: the
  widget filters what rasa-webchat draws (bot/web/static/widget.js).

The function: tests/unit/test_links.py; the channels one by one:
tests/integration/test_safe_links.py.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import update
from support.browser import type_answer, wait_for_text
from support.helpdesk import api_token, post_json

from bot.helpdesk.models import AdviceRequestRow
from bot.helpdesk.requests import AdviceRequests
from bot.records import make_engine

pytestmark = pytest.mark.e2e

OPENING = "Can I tell the school nurse about a pupil's asthma so she can help in an emergency?"
ADVICE = (
    "Yes: [click here](javascript:alert(document.cookie)) for the [protocol]"
    "(JaVaScRiPt:alert(1)), or see [the guidance](https://www.gov.uk/government/publications)."
)
ADVICE_SHOWN = (
    "Yes: click here for the protocol, or see "
    "[the guidance](https://www.gov.uk/government/publications)."
)
# a live javascript: address in the page, whatever its case or leading spaces
LIVE_JAVASCRIPT = '[href^="javascript:" i], [href^=" javascript:" i], [href*="script:" i]'


def ask_the_helpdesk(chat, sender: str) -> str:
    """A check over REST that ends "not sure" and asks the helpdesk: the request's reference."""
    assert "Question 1" in chat.text(sender, OPENING)
    assert "send this to the helpdesk" in chat.text(sender, "not sure")
    assert "What would you like to ask the adviser?" in chat.text(sender, "/affirm")
    chat.text(sender, "Is there a protocol for this?")
    sent = chat.text(sender, "send it")
    assert "Sent to the helpdesk as ISD-" in sent, sent
    (record,) = chat.record_for(sender)
    return record["reference"]


def test_an_advisers_javascript_link_never_reaches_the_practitioners_chat(chat) -> None:
    sender = f"links-{uuid.uuid4().hex[:8]}"
    reference = ask_the_helpdesk(chat, sender)
    status, answered = post_json(
        chat.base, f"/api/advice/{reference}/answer", api_token(chat), {"advice": ADVICE}
    )
    assert status == 200, answered
    replies = chat.say(sender, "thanks")
    text = "\n".join(m.get("text") or "" for m in replies)
    assert f"The helpdesk has answered your request {reference}" in text
    assert ADVICE_SHOWN in text
    assert "javascript" not in json.dumps(replies).lower()


def test_an_answer_saved_before_links_were_filtered_is_filtered_when_shown(chat) -> None:
    sender = f"links-{uuid.uuid4().hex[:8]}"
    reference = ask_the_helpdesk(chat, sender)
    engine = make_engine(chat.database_url)
    AdviceRequests(engine).answer(reference, "jo", "Talk to the lead first.")
    with engine.begin() as connection:  # the advice as an older version kept it
        connection.execute(
            update(AdviceRequestRow)
            .where(AdviceRequestRow.reference == reference)
            .values(advice=ADVICE)
        )
    engine.dispose()
    replies = chat.say(sender, "thanks")
    text = "\n".join(m.get("text") or "" for m in replies)
    assert ADVICE_SHOWN in text
    assert "javascript" not in json.dumps(replies).lower()


@pytest.fixture()
def page(browser, chat):
    context = browser.new_context()
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_the_chat_page_shows_a_javascript_link_from_the_server_without_its_address(
    chat, page
) -> None:
    """The practitioner's question, with a link in it, comes back in the helpdesk preview."""
    page.goto(f"{chat.base}/chat/")
    wait_for_text(page, "Hello.")
    type_answer(page, OPENING)
    wait_for_text(page, "Question 1:")
    type_answer(page, "not sure")
    wait_for_text(page, "send this to the helpdesk")
    type_answer(page, "yes please")
    wait_for_text(page, "What would you like to ask the adviser?")
    type_answer(page, "Is [the protocol](javascript:alert(document.cookie)) right here?")
    wait_for_text(page, "This is what the adviser will see")
    wait_for_text(page, "the protocol")
    assert page.locator(".rw-messages-container a").filter(has_text="the protocol").count() == 0
    assert page.locator(f"#webchat :is({LIVE_JAVASCRIPT})").count() == 0
    assert page.errors == []


def test_the_widget_draws_an_unsafe_link_without_its_address(chat, page) -> None:
    """A conversation the page kept from before (rasa-webchat's session storage), holding links
    the server would no longer send: drawn again, none of them is live."""
    page.goto(f"{chat.base}/chat/")
    wait_for_text(page, "Hello.")
    links = [
        "[markdown](javascript:alert(1))",
        "[case](JaVaScRiPt:alert(2))",
        "[entity](java&#115;cript:alert(3))",
        "[tab](\tjavascript:alert(4))",
        "[data](data:text/html,<script>alert(5)</script>)",
        "<javascript:alert(6)>",
        "[vb](vbscript:msgbox(7))",
        "[safe](https://example.org/)",
        "[mail](mailto:helpdesk@example.org)",
    ]
    kept = page.evaluate(
        """(text) => {
            const stored = JSON.parse(sessionStorage.getItem('chat_session'));
            const reply = stored.conversation.find((m) => m.sender === 'response');
            reply.text = text;
            sessionStorage.setItem('chat_session', JSON.stringify(stored));
            return stored.conversation.length;
        }""",
        "Old links: " + " ".join(links),
    )
    assert kept >= 1
    page.reload()
    wait_for_text(page, "Old links:")
    log = page.locator(".rw-messages-container")
    assert log.locator("a").filter(has_text="markdown").count() == 1  # drawn as a link …
    assert log.locator(f":is({LIVE_JAVASCRIPT})").count() == 0  # … without its address
    assert log.locator('[href^="data:" i], [href^="vbscript:" i]').count() == 0
    hrefs = log.locator("a[href]").evaluate_all("(links) => links.map((a) => a.href)")
    assert sorted(hrefs) == ["https://example.org/", "mailto:helpdesk@example.org"]
    assert log.locator("[data-infoshare-unsafe-link]").count() >= 5
    assert page.errors == []
