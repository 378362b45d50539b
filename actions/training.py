"""Practising trainer scenarios in the chat: thin adapters over :mod:`bot.training.practice`."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FORM, latest_text, logger, new_check, utter
from bot.records import default_repository
from bot.training import practice
from bot.training.cohorts import Cohorts
from bot.training.runs import TrainingRuns, pseudonym
from bot.training.scenarios import Feedback, InvalidScenarios

SCENARIO = practice.SCENARIO_SLOT
NOTES = practice.NOTES_SLOT


class ActionStartTraining(Action):
    """ "training": the list of scenarios; "scenario 7": its case, then the check's questions."""

    def name(self) -> str:
        return "action_start_training"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:

        resume = [FollowupAction(tracker.active_loop_name)] if tracker.active_loop_name else []
        code = practice.cohort_code(latest_text(tracker))
        if code is not None:
            return [*self._join(dispatcher, code), *resume]
        number = practice.scenario_number(latest_text(tracker))
        try:
            scenario = practice.find(number) if number is not None else None
            if scenario is None:
                if number is not None:
                    utter(dispatcher, practice.no_such_scenario(number))
                utter(dispatcher, practice.menu())
                return resume
        except InvalidScenarios:
            logger.exception("the training scenarios are not valid")
            dispatcher.utter_message(text="Sorry — the training scenarios cannot be used just now.")
            return resume
        values, _ = new_check("")
        values.update(practice.context_slots(scenario))
        values["safeguarding_concern"] = False
        utter(dispatcher, practice.introduction(scenario, tracker.get_slot(practice.FEEDBACK_SLOT)))
        return [
            *(SlotSet(name, value) for name, value in values.items()),
            SlotSet(SCENARIO, scenario.number),
            SlotSet(NOTES, None),
            SlotSet("requested_slot", None),
            FollowupAction(FORM),
        ]

    @staticmethod
    def _join(dispatcher: CollectingDispatcher, code: str) -> list[EventType]:
        try:
            cohort = Cohorts(default_repository().engine).get(code)
        except Exception:  # noqa: BLE001 - nothing is lost: say so
            logger.exception("looking up cohort %s failed", code)
            dispatcher.utter_message(text="Sorry — I cannot look that cohort up just now.")
            return []
        if cohort is None:
            dispatcher.utter_message(
                text=f"There is no cohort {code}: check the code your trainer gave you."
            )
            return []
        dispatcher.utter_message(
            text=f"You have joined cohort {cohort.code} ({cohort.name}). Your practice runs "
            "count in its report under a pseudonym; nothing identifies you."
        )
        utter(dispatcher, practice.menu())
        return [
            SlotSet(practice.COHORT_SLOT, cohort.code),
            SlotSet(practice.FEEDBACK_SLOT, cohort.feedback),
        ]


def _group_session(tracker: Tracker) -> Any:
    """The cohort's open group session for the scenario being practised, or None."""
    code = tracker.get_slot(practice.COHORT_SLOT)
    if not code:
        return None
    try:
        cohort = Cohorts(default_repository().engine).get(code)
    except Exception:  # noqa: BLE001 - practice goes on without the group
        logger.exception("looking up cohort %s failed", code)
        return None
    if cohort is None or cohort.live_scenario != tracker.get_slot(SCENARIO):
        return None
    return cohort


def training_feedback(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    before: dict[str, Any],
    after: dict[str, Any],
) -> dict[str, Any]:
    """In a training run, compare the answers this message gave with the model: the feedback
    at once (or kept for the end, as the scenario says); the notes' slot update, or nothing."""
    number = tracker.get_slot(SCENARIO)
    if number is None:
        return {}
    scenario = practice.find(number)
    if scenario is None:
        return {}
    notes = list(tracker.get_slot(NOTES) or [])
    changed = False
    answered = practice.answered_now(before, after)
    group = _group_session(tracker) if answered else None
    for key, value in answered:
        if group is not None:  # group mode: the trainer's page shows how the answers split
            Cohorts(default_repository().engine).note_answer(
                group.code,
                scenario.number,
                pseudonym(tracker.sender_id),
                key,
                "yes" if value is True else str(value),
            )
        difference = practice.compare(scenario, key, value)
        if difference is None:
            continue
        notes.append(difference.as_slot())
        changed = True
        chosen = tracker.get_slot(practice.FEEDBACK_SLOT)
        held = group is not None and not group.revealed  # the trainer reveals it to the group
        if not held and practice.feedback_mode(scenario, chosen) is Feedback.IMMEDIATE:
            utter(dispatcher, practice.feedback(difference))
    return {NOTES: notes} if changed else {}


def finish_training(
    dispatcher: CollectingDispatcher, tracker: Tracker, slots: dict[str, Any]
) -> list[EventType]:
    """The end of a training run: the score and what to read; kept as a training record."""
    scenario = practice.find(tracker.get_slot(SCENARIO))
    if scenario is None:
        return [SlotSet(SCENARIO, None), SlotSet(NOTES, None)]
    result = practice.score(scenario, slots)
    try:
        TrainingRuns(default_repository().engine).save(
            result, tracker.sender_id, cohort=tracker.get_slot(practice.COHORT_SLOT)
        )
    except Exception:  # noqa: BLE001 - the trainee still gets the feedback
        logger.exception("saving the training run failed")
    group = _group_session(tracker)
    held = group is not None and not group.revealed
    chosen = tracker.get_slot(practice.FEEDBACK_SLOT)
    for reply in practice.summary(result, chosen=chosen, held=held):
        utter(dispatcher, reply)
    return [SlotSet(SCENARIO, None), SlotSet(NOTES, None)]
