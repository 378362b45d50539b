"""Practising trainer scenarios through the real servers: a case practised over REST (no decision
record made), and one in the chat page in Chromium (feedback with the Golden Rule, the score).
The comparison, the score and the training runs without servers:
tests/integration/test_training.py."""

from __future__ import annotations

import uuid

import pytest
from support.browser import click_button, conversation, session_id, type_answer, wait_for_text

from bot.records import make_engine
from bot.training.runs import TrainingRuns

pytestmark = pytest.mark.e2e


def test_a_trainee_practises_a_case_over_rest_and_no_decision_record_is_made(chat) -> None:
    sender = f"trainee-{uuid.uuid4().hex[:8]}"
    menu = chat.say(sender, "practise a case")
    assert "Scenario 15" in [b["title"] for m in menu for b in m.get("buttons") or []]
    opened = chat.text(sender, "scenario 15")
    assert "Training — scenario 15" in opened and "Question 1" in opened
    # feedback at the end for this scenario: nothing said at the wrong answer
    said = chat.text(sender, "no, it's only to fill the newsletter")
    assert "model answer" not in said
    assert "reasons" in said
    assert "Shall I save" in chat.text(sender, "They are just figures for parents.")
    finished = chat.text(sender, "yes")
    assert "Score: 0 of 2 questions answered as the model." in finished
    assert 'you answered "No"; the model answer is "Yes"' in finished
    assert "Golden Rule 1" in finished and "no decision record was saved" in finished
    assert chat.record_for(sender) == []
    db = make_engine(chat.database_url)
    (run,) = TrainingRuns(db).for_trainee(sender)
    assert (run.scenario, run.matched, run.total) == (15, 0, 2)
    db.dispose()
    # and a real check afterwards is a real one again
    assert "Question 1" in chat.text(
        sender, "Can I tell the school nurse about a pupil's asthma so she can help in an attack?"
    )
    assert chat.tracker(sender)["slots"]["training_scenario"] is None


def test_a_trainee_practises_in_the_chat_page(chat, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{chat.base}/chat/")
    wait_for_text(page, "Hello.")
    type_answer(page, "training")
    wait_for_text(page, "Practise a case")
    click_button(page, "Scenario 4")
    wait_for_text(page, "Training — scenario 4")
    wait_for_text(page, "Question 1:")
    type_answer(page, "yes, she is worried about her daughter")
    wait_for_text(page, "the model answer is")  # this scenario gives feedback at once
    shown = conversation(page)
    assert "Golden Rule 1" in shown and "3.3 - 3.9" in shown and "Why:" in shown
    type_answer(page, "go back")
    wait_for_text(page, "Question 1:", 2)
    click_button(page, "No")
    wait_for_text(page, "please give the reasons")
    type_answer(page, "A neighbour's wish to know is not a purpose.")
    wait_for_text(page, "Shall I save")
    click_button(page, "Yes, save it")
    wait_for_text(page, "Training finished")
    assert "Score: 1 of 1 questions answered as the model." in conversation(page)
    sender = session_id(page)
    assert chat.record_for(sender) == []  # not in `infoshare records export`
    db = make_engine(chat.database_url)
    assert [r.scenario for r in TrainingRuns(db).for_trainee(sender)] == [4]
    db.dispose()
    assert errors == []
    context.close()
