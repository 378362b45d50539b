"""How a typed answer is read: accepted, or read back for confirmation (pure).

The costly mistake is to take "no" or "not sure" as "yes". An answer the NLU is not confident
about is therefore read back ("I read that as 'No' — is that right?") instead of assumed.
Button payloads ("/affirm") are exact and never read back.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

DEFAULT_CONFIRM_BELOW = 0.80


def confirm_below() -> float:
    """Intent confidence under which a typed answer is read back (``INFOSHARE_CONFIRM_BELOW``)."""
    try:
        return float(os.environ.get("INFOSHARE_CONFIRM_BELOW", DEFAULT_CONFIRM_BELOW))
    except ValueError:
        return DEFAULT_CONFIRM_BELOW


def is_payload(text: str | None, intent: str | None = None) -> bool:
    """A button's payload ("/affirm", '/deny{"inform_choice": "no_unsafe"}').

    With ``intent``, only a payload for that intent counts: "/no_such_intent" is not a button.
    """
    if not text or not str(text).startswith("/"):
        return False
    return intent is None or str(text)[1:].startswith(intent)


# Words that contradict a "yes": a typed answer read as "yes" that contains one is read back,
# however confident the model is (a model can be confidently wrong on phrasing it never saw).
_DOUBT = re.compile(
    r"\b(no|not|nope|nah|never|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t|haven'?t|hasn'?t|"
    r"can'?t|cannot|won'?t|wouldn'?t|shouldn'?t|unsure|maybe|perhaps|possibly|probably|might|"
    r"dunno|idk|unclear|unknown|refused|declined|think)\b|n't\b|\?",
    re.IGNORECASE,
)


# A typed "yes" is only taken without a read-back when it says yes in so many words: a model can
# read "purple" as "yes" with full confidence.
_AFFIRMATIVE = re.compile(
    r"\b(y|ya|yes+|yeah|yea|yep|yup|yh|aye|correct|right|true|agreed?|agrees|consent(ed|s)?|"
    r"definitely|absolutely|certainly|sure|indeed|confirm(ed)?|done|checked|ok|okay|"
    r"of course|we do|i do|they do|it does|it is|there is|there's|it's|they have|we have|"
    r"i have|i will|we will|will do|have done|given|gave|said so|positive|affirmative)\b|👍|✅",
    re.IGNORECASE,
)
_RESTART = re.compile(
    r"\b(restart|reset|start (again|over|afresh|from scratch|from the (beginning|start))|"
    r"begin again|start a new (one|check)|new check|another check|from scratch|clear (it|all))\b",
    re.IGNORECASE,
)
_STOP = re.compile(
    r"\b(bye|goodbye|cheerio|ta ?ra|stop|quit|cancel|exit|end( it| this)?|leave it|that'?s all|"
    r"i'?m done|done for now|finish|no more|forget it|never ?mind|gotta go|got to go|later)\b",
    re.IGNORECASE,
)


def contradicts_yes(text: str | None) -> bool:
    return bool(text) and not is_payload(text) and bool(_DOUBT.search(str(text)))


def says_yes(text: str | None) -> bool:
    return bool(text) and bool(_AFFIRMATIVE.search(str(text)))


def asks_to_restart(text: str | None) -> bool:
    """An explicit "start again" (typed or the button), not a guess of the intent model."""
    return bool(text) and (str(text).startswith("/restart") or bool(_RESTART.search(str(text))))


def asks_to_stop(text: str | None) -> bool:
    return bool(text) and (str(text).startswith("/goodbye") or bool(_STOP.search(str(text))))


def needs_read_back(
    text: str | None,
    confidence: float | None,
    threshold: float | None = None,
    value: str | None = None,
) -> bool:
    if is_payload(text):
        return False
    if value == "yes" and (contradicts_yes(text) or not says_yes(text)):
        return True
    return (confidence or 0.0) < (confirm_below() if threshold is None else threshold)


@dataclass(frozen=True)
class Reading:
    """The outcome of reading one answer to ``question``.

    ``value`` is the accepted answer (None while nothing is accepted); ``pending`` is what to
    keep while waiting for a confirmation; ``say`` names what to tell the user:
    "read_back", "confirm_again", "try_again", "not_understood" or None.
    """

    value: str | None
    pending: dict[str, Any] | None = None
    say: str | None = None


def read_answer(
    question: str,
    value: str,
    pending: dict[str, Any] | None,
    text: str | None,
    confidence: float | None,
    threshold: float | None = None,
    intent: str | None = None,
) -> Reading:
    """Read ``value`` (from the intent) for ``question``, given any pending read-back."""
    if is_payload(text) and intent and not is_payload(text, intent):
        return Reading(None, pending, "not_understood")  # a payload no button sends
    uncertain = needs_read_back(text, confidence, threshold, value)
    if pending and pending.get("question") == question:
        if uncertain:
            return Reading(None, pending, "confirm_again")
        if value == "yes":
            return Reading(str(pending["answer"]))
        if value == "no":
            return Reading(None, None, "try_again")
        # "not sure" (or "not asked yet") in reply to a read-back is a fresh, confident answer.
        return Reading(value)
    if uncertain:
        return Reading(None, {"question": question, "answer": value}, "read_back")
    return Reading(value)
