"""Every word the assistant presents as the guidance is in the guidance.

The guidance is ``bot/protocol/guidance.txt`` (the project's seed, ``shared/seed``). Each guidance
item of the protocol and of the FAQ answers must be found there, in its own section, word for word
(or, for a paraphrase, its source must be, and the paraphrase must keep its words); each question's
paragraph reference must be the one its section of the guidance gives. The faults a review found
each have a test below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.protocol import Outcome, load_protocol, walk
from bot.protocol import messages as say
from bot.protocol.faq import load_faq, load_local_notes, render
from bot.protocol.guidance import GUIDANCE_FILE, contains, paragraphs, problems, section_text
from bot.protocol.model import GuidanceText

PROTOCOL = load_protocol()
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_c8f385d725018710.txt"


def test_the_guidance_file_is_the_seed() -> None:
    if not SEED.exists():
        pytest.skip("shared/seed is not beside this checkout")
    assert GUIDANCE_FILE.read_bytes() == SEED.read_bytes()


@pytest.mark.parametrize(
    ("where", "item"),
    list(PROTOCOL.guidance_texts()),
    ids=[f"{where}: {item.text[:40]}" for where, item in PROTOCOL.guidance_texts()],
)
def test_every_guidance_text_of_the_protocol_is_in_the_guidance(
    where: str, item: GuidanceText
) -> None:
    assert problems(item) == []


FAQ_ITEMS = [(key, item) for key, answer in load_faq().items() for item in answer.guidance()]


@pytest.mark.parametrize(
    ("key", "item"), FAQ_ITEMS, ids=[f"{key}: {item.text[:40]}" for key, item in FAQ_ITEMS]
)
def test_every_guidance_text_of_the_faq_answers_is_in_the_guidance(
    key: str, item: GuidanceText
) -> None:
    assert problems(item) == []


def test_the_checks_can_fail() -> None:
    assert problems(GuidanceText("You do not always need consent.", "question_1"))  # wrong section
    assert problems(GuidanceText("This guidance does not set an age.", "question_4"))
    assert problems(
        GuidanceText(
            "Consent is never needed.",
            "question_4",
            source="You do not always need consent to share personal information.",
        )
    )


@pytest.mark.parametrize("question", list(PROTOCOL.questions.values()), ids=lambda q: q.id)
def test_paragraph_references_are_the_ones_of_their_question(question) -> None:
    assert question.paragraphs == paragraphs(question.section)
    assert f"paragraphs {question.paragraphs}." in say.explain(question.id).text


def test_question_7_paragraphs() -> None:
    assert PROTOCOL.record.paragraphs == paragraphs(PROTOCOL.record.section)


def test_faq_references_come_from_the_questions_they_cite() -> None:
    for key, answer in load_faq().items():
        text = render(key, local_notes={})
        for number in answer.questions:
            if number == PROTOCOL.record.number:
                assert PROTOCOL.record.paragraphs in text, key
            else:
                question = next(q for q in PROTOCOL.questions.values() if q.number == number)
                assert question.paragraphs in text, key


# --- the review's faults, one by one -----------------------------------------------------------


def _all_text(question_id: str) -> str:
    return say.ask(question_id, {}).text + "\n" + say.explain(question_id).text


def test_4a_does_not_tell_the_practitioner_not_to_tell_the_person() -> None:
    text = _all_text("consent_unsafe")
    assert "do not tell the person" not in text.lower()
    assert "may not be appropriate to inform a person" in text  # the guidance's own words
    assert "asked at question 6" in text


def test_4a_keeps_the_guidance_open_list_and_inappropriate() -> None:
    question = PROTOCOL.question("consent_unsafe")
    assert "unsafe or inappropriate" in question.text and "For example" in question.text


def test_telling_the_person_can_be_not_appropriate() -> None:
    choices = PROTOCOL.checklist_question.checklist[-1].choices
    assert "no_inappropriate" in choices and "not appropriate" in choices["no_inappropriate"]


@pytest.mark.parametrize(
    ("question_id", "sentence"),
    [
        (
            "identifiable",
            "You should be open about what information you might need to share and why",
        ),
        ("consent", "You should seek consent where possible and respect the wishes"),
        ("public_interest", "must be judged by the practitioner on the facts of each case"),
        ("public_interest", "A public interest can arise in a wide range of circumstances"),
        ("public_interest", "refer to the Glossary in Information Sharing"),
    ],
)
def test_sentences_the_review_found_missing_are_said(question_id: str, sentence: str) -> None:
    assert sentence in _all_text(question_id)


def test_seek_consent_where_possible_comes_before_you_do_not_always_need_consent() -> None:
    text = _all_text("consent")
    assert text.index("seek consent where possible") < text.index("You do not always need")
    faq = render("when_not_to_seek_consent", local_notes={})
    assert faq.index("seek consent where possible") < faq.index("You do not always need")


def test_the_limits_of_consent_are_a_checklist_point() -> None:
    asks = [item.ask for item in PROTOCOL.checklist_question.checklist]
    assert any("limits of any consent given" in ask for ask in asks)


def test_do_not_share_says_not_sharing_has_consequences_too() -> None:
    result = walk({"purpose": "no"})
    assert result.outcome is Outcome.DO_NOT_SHARE
    text = say.outcome_text(result)
    assert "significant consequences to not sharing information" in text
    assert "professional judgement" in text


def test_share_does_not_claim_what_was_never_asked() -> None:
    assert "good time" not in PROTOCOL.outcomes[Outcome.SHARE].text


def test_faq_answers_say_nothing_beyond_the_guidance() -> None:
    guidance_only = {key: render(key, local_notes={}) for key in load_faq()}
    assert "does not set an age" not in guidance_only["capacity"]
    assert "Data Protection Act 2018" not in guidance_only["data_protection_barrier"]
    notes = load_local_notes()
    assert "Data Protection Act 2018" in notes["data_protection_barrier"]
    with_note = render("data_protection_barrier")
    assert "Local note from your organisation (not part of the guidance)" in with_note


def test_a_local_note_is_marked_as_such(tmp_path: Path) -> None:
    notes = tmp_path / "notes.yml"
    notes.write_text("notes:\n  who_to_ask: Ring the IG helpdesk on extension 1234.\n")
    assert load_local_notes(str(notes)) == {"who_to_ask": "Ring the IG helpdesk on extension 1234."}
    text = render("who_to_ask", local_notes=load_local_notes(str(notes)))
    assert text.endswith(
        "Local note from your organisation (not part of the guidance): Ring the IG helpdesk on "
        "extension 1234."
    )


def test_golden_rules_are_those_of_the_questions_on_the_path() -> None:
    assert PROTOCOL.golden_rules_for(["purpose", "record"], Outcome.DO_NOT_SHARE) == [1, 7]
    assert PROTOCOL.golden_rules_for(["purpose", "identifiable"], Outcome.SEEK_ADVICE) == [1, 2, 3]
    path = ["purpose", "identifiable", "confidential", "consent", "appropriate", "record"]
    assert PROTOCOL.golden_rules_for(path, Outcome.SHARE) == [1, 2, 3, 4, 6, 7]


def test_every_golden_rule_is_the_guidance_word_for_word() -> None:
    for number, rule in PROTOCOL.golden_rules.items():
        assert contains(rule, "golden_rules"), number


def test_sections_are_found() -> None:
    assert "is there a clear and legitimate purpose" in section_text("question_1")
    assert "have you properly recorded" in section_text("question_7")
