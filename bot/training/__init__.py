"""Trainer scenarios: case studies with a model answer, checked against the protocol and the
guidance (``data/scenarios/*.yml``; :mod:`bot.training.scenarios`)."""

from bot.training.scenarios import (
    DEFAULT_DIR,
    CheckPoint,
    Context,
    Expected,
    Feedback,
    InvalidScenarios,
    ModelStep,
    Problem,
    Scenario,
    feedback_for,
    load_scenarios,
    slots,
    validate,
)

__all__ = [
    "DEFAULT_DIR",
    "CheckPoint",
    "Context",
    "Expected",
    "Feedback",
    "InvalidScenarios",
    "ModelStep",
    "Problem",
    "Scenario",
    "feedback_for",
    "load_scenarios",
    "slots",
    "validate",
]
