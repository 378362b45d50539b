"""The helpdesk's words in the chat: the offer to ask it after a "not sure", the request's
preview, its answer when it comes, and continuing a check after advice.

The protocol's own wording (questions, read-backs, outcomes) is in ``bot/protocol/messages.py``;
this module uses its ``Reply`` and answer words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.protocol.messages import ANSWER_PAYLOADS, ANSWER_WORDS, Reply
from bot.protocol.reading import CONTINUE_INTENT


def _button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


# --- asking the helpdesk (after "not sure") ---------------------------------------------------

HELPDESK_SEND = "/affirm"
HELPDESK_CHANGE = "/change_answer"
HELPDESK_DONT = "/deny"


def helpdesk_offer() -> Reply:
    return Reply(
        "I can send this to the helpdesk for you: an adviser sees your answers so far and your "
        "question — with names and numbers taken out — and not who you are talking about. You "
        "will see the request exactly as they will before it goes.",
        [_button("Ask the helpdesk", "/affirm"), _button("No thanks", "/deny")],
    )


def helpdesk_ask_question() -> Reply:
    return Reply(
        "What would you like to ask the adviser? Type it in a sentence or two (there is no need "
        "for names: I take them out). If you have no question beyond your answers, say "
        '"no question".'
    )


def helpdesk_preview(content: Mapping[str, Any]) -> Reply:
    """The request exactly as the adviser will see it, with send / change / don't send."""
    lines = ["This is what the adviser will see:"]
    for item in content.get("context", []):
        if item.get("value"):
            lines.append(f"{item['label']}: {item['value']}")
    for item in content.get("answers", []):
        lines.append(f"{item['label']}: {item['value']}")
    unsure = content.get("unsure")
    if unsure:
        lines.append(f"Not sure at: {unsure['title']}")
    lines.append(f"Your question: {content.get('question') or '(none)'}")
    lines.append("Shall I send it?")
    return Reply(
        "\n".join(lines),
        [
            _button("Send it", HELPDESK_SEND),
            _button("Change my question", HELPDESK_CHANGE),
            _button("Don't send", HELPDESK_DONT),
        ],
    )


def helpdesk_sent(
    reference: str, urgent: bool, key: str | None = None, link: str | None = None
) -> Reply:
    """The request has gone; how to continue the check once it is answered (here, or from
    another device with the key)."""
    lines = [
        f"Sent to the helpdesk as {reference}"
        + (", marked urgent" if urgent else "")
        + ". An adviser will answer it; keep the reference. If anyone may be at risk of harm, "
        "do not wait: follow your safeguarding procedures now.",
        "Their answer will appear in this chat, and you can then continue this check from the "
        "question where you were not sure.",
    ]
    if key:
        where = f" open {link} or" if link else ""
        lines.append(
            f"To continue from another device or conversation,{where} say "
            f'"continue {reference} key {key}". Keep the key to yourself: it opens this check.'
        )
    return Reply("\n".join(lines))


def helpdesk_not_sent() -> Reply:
    return Reply('Nothing has been sent to the helpdesk. Say "start again" to check another case.')


def helpdesk_failed() -> Reply:
    return Reply(
        "Sorry — I could not send the request just now. Your record is saved; please contact "
        "the helpdesk using the contacts above."
    )


def continue_payload(reference: str) -> str:
    return f'/{CONTINUE_INTENT}{{"reference": "{reference}"}}'


@dataclass(frozen=True)
class Advice:
    """The helpdesk's answer to one request, as the practitioner is told it."""

    reference: str
    advice: str
    suggested_answer: str | None = None
    unsure_title: str | None = None
    citation: str | None = None
    unsure_id: str | None = None  # the question the suggested answer is for

    def lines(self) -> list[str]:
        lines = [self.advice]
        if self.suggested_answer and self.unsure_title:
            word = ANSWER_WORDS.get(self.suggested_answer, self.suggested_answer)
            lines.append(f'They suggest answering "{word}" to {self.unsure_title}.')
        if self.citation:
            lines.append(f"The guidance they rely on: paragraph(s) {self.citation}.")
        return lines


HELPDESK_ANSWERED = "The helpdesk has answered your request"
# "any news?", "has the helpdesk got back to me?": asking after an advice request.
_ASKS_FOR_NEWS = re.compile(
    r"\b(any (news|update|word|reply|answer|response)|(heard|hear) (back|anything)|"
    r"(has|have|did) (the helpdesk|anyone|someone|they|you)( \w+)? (replied|answered|got back|"
    r"responded|come back)|what did (they|the helpdesk) say|(update|news) on (my|the) "
    r"(request|query|question|advice))\b",
    re.IGNORECASE,
)


def asks_for_news(text: str | None) -> bool:
    return bool(_ASKS_FOR_NEWS.search(str(text or "")))


def no_news(references: Sequence[str]) -> Reply:
    """ "any news?" while the helpdesk has not answered yet (or nothing was asked)."""
    if not references:
        return Reply(
            "You have no advice request waiting for the helpdesk. To ask for advice, start a "
            'check and answer "not sure" where you are unsure.'
        )
    waiting = ", ".join(references)
    return Reply(
        f"The helpdesk has not answered {waiting} yet. I will tell you here as soon as it does."
    )


def helpdesk_answer(advice: Advice) -> Reply:
    """The adviser's answer: pushed to an open chat, or said at the practitioner's next message."""
    reference = advice.reference
    lines = [
        f"{HELPDESK_ANSWERED} {reference}:",
        *advice.lines(),
        "The decision stays yours: continue the check from the question where you were not "
        f'sure (say "continue {reference}"), with your earlier answers kept.',
    ]
    return Reply("\n".join(lines), [_button("Continue the check", continue_payload(reference))])


def continuing(advice: Advice) -> Reply:
    """Said as a check continues at the question where the practitioner was unsure."""
    lines = [
        f"Continuing the check of {advice.reference} with your earlier answers. The helpdesk's "
        "advice:",
        *advice.lines(),
        "The answer is yours to give. A new record will be saved, linked to "
        f"{advice.reference}; that record stays as it was.",
    ]
    buttons = []
    if advice.suggested_answer in ANSWER_PAYLOADS and advice.unsure_id:
        # one press takes the adviser's suggestion, and the record says it was theirs
        suggested = {
            "answer": advice.suggested_answer,
            "question": advice.unsure_id,
            "suggested_by": "helpdesk",
        }
        word = ANSWER_WORDS.get(advice.suggested_answer, advice.suggested_answer)
        buttons.append(
            _button(
                f"Answer “{word}” as the helpdesk suggests",
                ANSWER_PAYLOADS[advice.suggested_answer] + json.dumps(suggested),
            )
        )
    return Reply("\n".join(lines), buttons)


def continue_which() -> Reply:
    return Reply(
        'Which check would you like to continue? Say "continue" with its reference and the key '
        'you were given, for example "continue ISD-000123 key ABCDE-FGHIJ".'
    )


def continue_refused() -> Reply:
    """Wrong key, no key, or no such request: the same words, so nothing is disclosed."""
    return Reply(
        "I cannot continue that check from here. Use the link or the key you were given when "
        'you asked the helpdesk ("continue ISD-… key …"), or continue in the chat where you '
        "asked."
    )


def continue_not_answered(reference: str) -> Reply:
    return Reply(
        f"The helpdesk has not answered {reference} yet. Their answer will appear in the chat "
        "where you asked; you can continue the check then. If anyone may be at risk of harm, "
        "do not wait: follow your safeguarding procedures now."
    )


def continue_failed() -> Reply:
    return Reply(
        "Sorry — I cannot reach the records just now, so I cannot continue that check. Nothing "
        "is lost: please try again in a few minutes."
    )
