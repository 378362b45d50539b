"""The information-sharing decision flow: data (``hmg2008.yml``) plus a pure engine."""

from bot.protocol.engine import (
    NOTES_SLOT,
    Walk,
    answer_checklist_item,
    answers_on_path,
    next_checklist_item,
    next_step,
    notes_on_path,
    previous_slot,
    record_path,
    required_slots,
    reset_from,
    resume_at_advice,
    step_key,
    walk,
)
from bot.protocol.model import Answer, Kind, Outcome, Protocol, Question, load_protocol

__all__ = [
    "NOTES_SLOT",
    "Answer",
    "Kind",
    "Outcome",
    "Protocol",
    "Question",
    "Walk",
    "answer_checklist_item",
    "answers_on_path",
    "load_protocol",
    "next_checklist_item",
    "next_step",
    "notes_on_path",
    "previous_slot",
    "record_path",
    "required_slots",
    "reset_from",
    "resume_at_advice",
    "step_key",
    "walk",
]
