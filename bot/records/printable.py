"""A decision record as a printable HTML page (pure: no I/O).

The page shows the record's own fields and the protocol's wording of the questions it answered,
nothing else: the free text on it is what the record holds (already redacted when saved). Every
value is HTML-escaped.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.protocol import load_protocol
from bot.protocol.engine import CHECKLIST_QUESTION
from bot.protocol.messages import ANSWER_WORDS, CONTEXT_LABELS, RECORD_ELSEWHERE, question_title
from bot.protocol.model import Outcome, Protocol
from bot.records.repository import DecisionRecord

CHANNEL_NAMES = {
    "socketio": "Web chat",
    "botframework": "Microsoft Teams",
    "rest": "REST (helpdesk integration)",
    "cmdline": "Terminal (make shell)",
}
STYLESHEET = "/chat/static/record.css"
SCRIPT = "/chat/static/record.js"


def _when(value: datetime | None) -> str:
    return value.strftime("%d %B %Y, %H:%M UTC") if value else "—"


def _row(label: str, value: str | None) -> str:
    return f"<tr><th scope=row>{escape(label)}</th><td>{escape(value) if value else '—'}</td></tr>"


def _outcome_title(record: DecisionRecord, protocol: Protocol) -> str:
    try:
        return protocol.outcomes[Outcome(record.outcome)].title
    except (ValueError, KeyError):
        return record.outcome


def _answers(record: DecisionRecord, protocol: Protocol) -> list[str]:
    rows = []
    for question_id in record.path:
        answer = record.answers.get(question_id)
        if answer is None and question_id == protocol.record.id:
            answer = "yes"  # the record exists because question 7 was answered "save it"
        rows.append(_row(question_title(question_id, protocol), ANSWER_WORDS.get(answer, answer)))
        justification = (
            protocol.questions[question_id].justification
            if question_id in protocol.questions
            else None
        )
        if justification and record.public_interest_reason:
            rows.append(_row("Public interest reason", record.public_interest_reason))
    return rows


def _checks(record: DecisionRecord, protocol: Protocol) -> list[str]:
    if not record.checks:
        return []
    rows = []
    for item in protocol.question(CHECKLIST_QUESTION).checklist:
        value = record.checks.get(item.id)
        if item.choices:
            shown = item.choices.get(str(value), str(value)) if value else "Not answered"
        else:
            shown = {True: "Confirmed", False: "Not confirmed"}.get(value, "Not answered")
        rows.append(_row(item.ask, shown))
    return rows


def render_record(record: DecisionRecord, protocol: Protocol | None = None) -> str:
    """The whole HTML document for one record."""
    protocol = protocol or load_protocol()
    outcome = _outcome_title(record, protocol)
    reference = escape(record.reference)
    sections = [
        "<h2>Decision</h2><table>"
        + _row("Reference", record.reference)
        + _row("Outcome", outcome)
        + _row("Check started", _when(record.created_at))
        + _row("Check completed", _when(record.completed_at))
        + _row("Guidance followed", protocol.title if record.protocol == protocol.id else None)
        + _row("Asked through", CHANNEL_NAMES.get(record.channel or "", record.channel))
        + "</table>",
        "<h2>What, with whom and why</h2><table>"
        + _row(CONTEXT_LABELS["information"], record.information)
        + _row(CONTEXT_LABELS["recipient"], record.recipient)
        + _row(CONTEXT_LABELS["purpose_text"], record.purpose_text)
        + "</table>",
        "<h2>Questions answered</h2><table>" + "".join(_answers(record, protocol)) + "</table>",
    ]
    checks = _checks(record, protocol)
    if checks:
        sections.append(
            "<h2>Before sharing (question 6)</h2><table>" + "".join(checks) + "</table>"
        )
    notes = [_row("Reasons", record.reasons)]
    if record.advice_needed_at:
        notes.append(_row("Advice needed at", question_title(record.advice_needed_at, protocol)))
    notes.append(
        _row(
            "Safeguarding concern",
            "Yes — follow your local safeguarding procedures"
            if record.safeguarding_concern
            else "No signs noted in the conversation",
        )
    )
    sections.append("<h2>Reasons and flags</h2><table>" + "".join(notes) + "</table>")
    rules = "".join(
        f"<li><strong>Golden Rule {number}.</strong> {escape(protocol.golden_rules[number])}</li>"
        for number in record.golden_rules
        if number in protocol.golden_rules
    )
    if rules:
        sections.append(f"<h2>Golden rules that apply</h2><ul>{rules}</ul>")
    return (
        "<!doctype html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>Decision record {reference} — Can I share?</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}"></head><body><main>'
        f"<h1>Decision record {reference}</h1>"
        f'<p class="outcome outcome-{escape(record.outcome)}">{escape(outcome)}</p>'
        + "".join(sections)
        + f'<p class="note">{escape(RECORD_ELSEWHERE)}</p>'
        '<p class="no-print"><button type="button" id="print">Print this summary</button></p>'
        f'</main><script src="{SCRIPT}"></script></body></html>\n'
    )
