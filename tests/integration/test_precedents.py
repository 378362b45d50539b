"""Advice precedents: alike answered requests ranked by a real text-similarity method."""

from __future__ import annotations

from support.helpdesk import UNSURE_AT_CONSENT

from bot.helpdesk.precedents import rank, situation
from bot.helpdesk.requests import AdviceRequests

# the same question (consent), told in words close to or far from the open request's
NURSE = {
    **UNSURE_AT_CONSENT,
    "information": "a pupil's asthma plan",
    "recipient": "the school nurse",
    "purpose_text": "so she can help in an asthma attack",
}
DENTIST = {
    **UNSURE_AT_CONSENT,
    "information": "a child's dental neglect",
    "recipient": "the dentist",
    "purpose_text": "to follow up missed appointments",
}
POLICE = {  # another question (purpose)
    "information": "a pupil's asthma plan and inhaler",
    "recipient": "the school nurse",
    "purpose_text": "so she can help in an asthma attack at school",
    "purpose": "not_sure",
}


def test_the_same_question_and_the_closest_situation_come_first(engine) -> None:
    requests = AdviceRequests(engine)
    for reference, slots in (
        ("ISD-000001", NURSE),
        ("ISD-000002", DENTIST),
        ("ISD-000003", POLICE),
        ("ISD-000004", NURSE),
    ):
        requests.create(reference, slots, "", conversation_id=reference, channel="rest")
    for reference in ("ISD-000001", "ISD-000002", "ISD-000003"):
        requests.answer(reference, "jo", f"Advice for {reference}.")
    open_one = requests.create(
        "ISD-000005",
        {**NURSE, "information": "a pupil's asthma and inhaler"},
        "Do the parents need to agree before the nurse is told about the asthma?",
        conversation_id="x",
        channel="rest",
    )
    found = rank(open_one, requests.answered())
    assert [p.request.reference for p in found] == ["ISD-000001", "ISD-000002", "ISD-000003"]
    assert found[0].same_question and found[1].same_question and not found[2].same_question
    assert found[0].similarity > found[1].similarity  # the nurse's asthma over the dentist
    assert found[2].similarity > found[1].similarity  # alike words, but another question: last
    # itself and unanswered requests are never precedents; the limit is kept
    assert all(p.request.reference not in ("ISD-000004", "ISD-000005") for p in found)
    assert len(rank(open_one, requests.answered(), limit=1)) == 1
    assert rank(open_one, []) == []


def test_the_situation_is_the_de_identified_content_without_the_advice(engine) -> None:
    requests = AdviceRequests(engine)
    created = requests.create(
        "ISD-000010", UNSURE_AT_CONSENT, "Jane Smith's mum?", conversation_id="y", channel="rest"
    )
    text = situation(created.content)
    assert "school nurse" in text and "[NAME]" in text
    assert "Jane" not in text and "Smith" not in text
