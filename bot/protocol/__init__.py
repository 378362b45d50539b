"""The information-sharing decision flow: data (``hmg2008.yml``) plus a pure engine."""

from bot.protocol.engine import (
    CHECKLIST_QUESTION,
    CHECKS_SLOT,
    REASONS_SLOT,
    RECORD_SLOT,
    Walk,
    answer_checklist_item,
    answers_on_path,
    next_checklist_item,
    next_step,
    previous_slot,
    record_path,
    required_slots,
    reset_from,
    walk,
)
from bot.protocol.model import Answer, InformPerson, Outcome, Protocol, Question, load_protocol

__all__ = [
    "CHECKLIST_QUESTION",
    "CHECKS_SLOT",
    "REASONS_SLOT",
    "RECORD_SLOT",
    "Answer",
    "InformPerson",
    "Outcome",
    "Protocol",
    "Question",
    "Walk",
    "answer_checklist_item",
    "answers_on_path",
    "load_protocol",
    "next_checklist_item",
    "next_step",
    "previous_slot",
    "record_path",
    "required_slots",
    "reset_from",
    "walk",
]
