"""The helpdesk lead's report: figures over decision records and advice requests.

:func:`build_report` reads the records database (and, for the turns to a decision, Rasa's SQL
tracker store, which may be another database) into a :class:`Report` of plain figures;
:func:`render_html` (a standalone page), :func:`report_sections_html` (the same sections, for
another page's layout) and :func:`render_csv` present it. Nothing is written to either database:
statuses are counted as stored (answered requests are closed by
:meth:`bot.helpdesk.requests.AdviceRequests.close_stale`, not here).

The date range, ``since`` and ``until``, is inclusive and in UTC days: it applies to a record's
``completed_at`` and to a request's ``created_at``.

The charts are inline SVG drawn by matplotlib's object-oriented API (no pyplot, so the process's
backend is left alone): no script, nothing loaded from elsewhere, text kept as text, each outcome
with its own hatch pattern and every bar with its number, and each chart followed by a table of
the same figures. The SVG carries inline ``style`` attributes, which a page's Content-Security-
Policy must allow (``style-src 'unsafe-inline'``, as the helpdesk page does).
"""

from __future__ import annotations

import bisect
import csv
import html
import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.engine import Engine

from bot import settings
from bot.charts import REPORT_STYLE as STYLE
from bot.charts import chart_settings as _rc
from bot.charts import figure as _figure
from bot.charts import html_table as _table
from bot.charts import svg as _svg
from bot.helpdesk.models import STATUSES, AdviceRequestRow
from bot.protocol import load_protocol
from bot.protocol.messages import question_title
from bot.protocol.model import Outcome, Protocol
from bot.records.db import make_engine, normalise_url
from bot.records.export import csv_cell
from bot.records.models import DecisionRecordRow
from bot.records.repository import OUTCOMES

NOT_RECORDED = "Not recorded"  # a seek_advice record that does not say where
CSV_COLUMNS = ("section", "key", "subkey", "value")

# Rasa's SQL tracker store: only the columns the report reads.
EVENTS = table("events", column("sender_id"), column("type_name"), column("timestamp"))
_SENDERS_PER_QUERY = 500

# Readable without colour: a hatch per outcome (and the Okabe-Ito colours, safe for colour-blind
# readers, where colour is seen).
HATCHES = {"share": "//", "do_not_share": "xx", "seek_advice": "--", "seek_consent": "\\\\"}
COLOURS = {
    "share": "#009E73",
    "do_not_share": "#D55E00",
    "seek_advice": "#E69F00",
    "seek_consent": "#56B4E9",
}
# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthOutcomes:
    """One calendar month (UTC): how many records ended in each outcome."""

    month: str  # "2026-11"
    counts: Mapping[str, int]  # every outcome of OUTCOMES, in that order, zero-filled

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class UnsureAt:
    """How many checks ended "not sure" (``seek_advice``) at one question."""

    question_id: str | None  # None: the record does not say
    title: str  # the protocol's "Q4 Do you have consent to share?"
    count: int


@dataclass(frozen=True)
class ResponseTimes:
    """Time from an advice request to its answer, in minutes, over the answered requests."""

    count: int
    median: float | None  # None when no request was answered
    p90: float | None  # 90th percentile, by :func:`percentile`


@dataclass(frozen=True)
class TurnCounts:
    """User messages per check, between the record's ``created_at`` and ``completed_at``."""

    count: int  # records counted
    median: float | None
    # records with no user message in that time in the tracker store (a conversation it does not
    # hold): left out of the median rather than counted as zero
    without_messages: int


@dataclass(frozen=True)
class Report:
    """The helpdesk lead's figures, for records completed and requests made in a date range."""

    since: date | None
    until: date | None
    generated_at: datetime
    outcomes_by_month: tuple[MonthOutcomes, ...]  # months in order, from the first to the last
    not_sure_by_question: tuple[UnsureAt, ...]  # most frequent first, then in protocol order
    requests_by_status: Mapping[str, int]  # every status of STATUSES, in that order
    response_minutes: ResponseTimes
    turns_to_decision: TurnCounts | None  # None: no tracker store to read them from

    @property
    def record_count(self) -> int:
        return sum(month.total for month in self.outcomes_by_month)

    @property
    def request_count(self) -> int:
        return sum(self.requests_by_status.values())


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` (0 to 1) quantile of ``values``; None for no values.

    Linear interpolation between the closest ranks: with the values sorted ``x[0] <= … <=
    x[n-1]`` and ``h = (n - 1) * fraction``, it is ``x[⌊h⌋] + (h - ⌊h⌋) * (x[⌊h⌋+1] - x[⌊h⌋])``.
    This is ``numpy.percentile``'s default (``method="linear"``) and
    ``statistics.quantiles(method="inclusive")``; fraction 0.5 is the usual median. For example
    the 90th percentile of 30, 60, 90 and 600 is at h = 2.7: 90 + 0.7 * (600 - 90) = 447.
    """
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * fraction
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def build_report(
    records_engine: Engine,
    tracker_engine: Engine | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> Report:
    """The report over the records database; ``tracker_engine`` is Rasa's SQL tracker store
    (None, or a database without its ``events`` table: the turns are not available).

    ``since`` and ``until`` are inclusive UTC days; ``now`` is the report's time (default: now).
    """
    if since is not None and until is not None and since > until:
        raise ValueError("since is after until")
    start = _midnight(since) if since is not None else None
    end = _midnight(until + timedelta(days=1)) if until is not None else None
    protocol = load_protocol()
    records = _records(records_engine, start, end)
    return Report(
        since=since,
        until=until,
        generated_at=now or datetime.now(timezone.utc),
        outcomes_by_month=_outcomes_by_month(records),
        not_sure_by_question=_not_sure_by_question(records, protocol),
        requests_by_status=_requests_by_status(records_engine, start, end),
        response_minutes=_response_minutes(records_engine, start, end),
        turns_to_decision=_turns_to_decision(tracker_engine, records),
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _within(when: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    """Conditions: ``start <= when < end`` (either bound optional)."""
    conditions = []
    if start is not None:
        conditions.append(when >= start)
    if end is not None:
        conditions.append(when < end)
    return conditions


def _records(engine: Engine, start: datetime | None, end: datetime | None) -> list[Any]:
    """The records completed in the range: only the columns the report needs."""
    row = DecisionRecordRow
    query = (
        select(
            row.outcome, row.advice_needed_at, row.conversation_id, row.created_at, row.completed_at
        )
        .where(*_within(row.completed_at, start, end))
        .order_by(row.completed_at, row.id)
    )
    with engine.connect() as connection:
        return list(connection.execute(query))


def _outcomes_by_month(records: Sequence[Any]) -> tuple[MonthOutcomes, ...]:
    counts: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for record in records:
        counts[(record.completed_at.year, record.completed_at.month)][record.outcome] += 1
    if not counts:
        return ()
    (year, month), last = min(counts), max(counts)
    months = []
    while (year, month) <= last:  # every month from the first to the last, empty ones too
        found = counts.get((year, month), Counter())
        months.append(MonthOutcomes(f"{year:04d}-{month:02d}", {o: found[o] for o in OUTCOMES}))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def _not_sure_by_question(records: Sequence[Any], protocol: Protocol) -> tuple[UnsureAt, ...]:
    counts = Counter(r.advice_needed_at for r in records if r.outcome == Outcome.SEEK_ADVICE.value)
    order = {question_id: index for index, question_id in enumerate(protocol.question_ids)}

    def protocol_order(question_id: str | None) -> tuple[int, str]:
        if question_id is None:
            return (len(order) + 1, "")
        owner = protocol.owner(question_id)
        return (order.get(owner.id, len(order)) if owner else len(order), question_id)

    ranked = sorted(counts.items(), key=lambda item: (-item[1], protocol_order(item[0])))
    return tuple(
        UnsureAt(
            question_id,
            question_title(question_id, protocol) if question_id is not None else NOT_RECORDED,
            count,
        )
        for question_id, count in ranked
    )


def _requests_by_status(
    engine: Engine, start: datetime | None, end: datetime | None
) -> dict[str, int]:
    query = (
        select(AdviceRequestRow.status, func.count())
        .where(*_within(AdviceRequestRow.created_at, start, end))
        .group_by(AdviceRequestRow.status)
    )
    with engine.connect() as connection:
        found = dict(connection.execute(query).all())
    return {status: found.get(status, 0) for status in STATUSES}


def _response_minutes(
    engine: Engine, start: datetime | None, end: datetime | None
) -> ResponseTimes:
    query = select(AdviceRequestRow.created_at, AdviceRequestRow.answered_at).where(
        AdviceRequestRow.answered_at.is_not(None),
        *_within(AdviceRequestRow.created_at, start, end),
    )
    with engine.connect() as connection:
        minutes = [
            (answered - created).total_seconds() / 60
            for created, answered in connection.execute(query)
        ]
    return ResponseTimes(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


def _turns_to_decision(engine: Engine | None, records: Sequence[Any]) -> TurnCounts | None:
    """User messages per record, from the tracker store's ``events`` (None without it)."""
    if engine is None or not inspect(engine).has_table(EVENTS.name):
        return None
    if not records:
        return TurnCounts(0, None, 0)
    senders = sorted({r.conversation_id for r in records})
    first = min(r.created_at for r in records).timestamp()
    last = max(r.completed_at for r in records).timestamp()
    times: dict[str, list[float]] = defaultdict(list)
    with engine.connect() as connection:
        for offset in range(0, len(senders), _SENDERS_PER_QUERY):
            query = select(EVENTS.c.sender_id, EVENTS.c.timestamp).where(
                EVENTS.c.type_name == "user",
                EVENTS.c.sender_id.in_(senders[offset : offset + _SENDERS_PER_QUERY]),
                EVENTS.c.timestamp >= first,
                EVENTS.c.timestamp <= last,
            )
            for sender_id, timestamp in connection.execute(query):
                times[sender_id].append(timestamp)
    for found in times.values():
        found.sort()
    turns = []
    for record in records:
        found = times.get(record.conversation_id, [])
        turns.append(
            bisect.bisect_right(found, record.completed_at.timestamp())
            - bisect.bisect_left(found, record.created_at.timestamp())
        )
    counted = [n for n in turns if n > 0]
    return TurnCounts(len(counted), percentile(counted, 0.5), len(turns) - len(counted))


# --- words and numbers ---------------------------------------------------------------------------


def number(value: float | None) -> str:
    """A figure as shown and exported: at most one decimal ("75", "42.5"); "" for none."""
    if value is None:
        return ""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def period(report: Report) -> str:
    """The date range in words: "1 November 2026 to 30 November 2026", "All records", …"""
    if report.since and report.until:
        return f"{_day(report.since)} to {_day(report.until)}"
    if report.since:
        return f"From {_day(report.since)}"
    if report.until:
        return f"Up to {_day(report.until)}"
    return "All records"


def _outcome_title(outcome: str, protocol: Protocol) -> str:
    return protocol.outcomes[Outcome(outcome)].title


def _short_label(question_id: str | None, protocol: Protocol) -> str:
    """A question's label on the chart ("Q4"): its full title is in the table below it."""
    if question_id is None:
        return NOT_RECORDED
    owner = protocol.owner(question_id)
    if owner is not None:
        return f"Q{owner.number}"
    return question_id if len(question_id) <= 24 else question_id[:23] + "…"


# --- CSV -----------------------------------------------------------------------------------------


def _csv_rows(report: Report) -> Iterator[tuple[Any, Any, Any, Any]]:
    yield ("period", "since", "", report.since.isoformat() if report.since else "")
    yield ("period", "until", "", report.until.isoformat() if report.until else "")
    yield ("period", "generated_at", "", report.generated_at.isoformat(timespec="seconds"))
    yield ("records", "total", "", report.record_count)
    for month in report.outcomes_by_month:
        for outcome, count in month.counts.items():
            yield ("outcomes_by_month", month.month, outcome, count)
    for unsure in report.not_sure_by_question:
        yield ("not_sure_by_question", unsure.question_id or "", unsure.title, unsure.count)
    for status, count in report.requests_by_status.items():
        yield ("requests_by_status", status, "", count)
    times = report.response_minutes
    yield ("response_minutes", "count", "", times.count)
    yield ("response_minutes", "median", "", number(times.median))
    yield ("response_minutes", "p90", "", number(times.p90))
    turns = report.turns_to_decision
    yield ("turns_to_decision", "available", "", turns is not None)
    if turns is not None:
        yield ("turns_to_decision", "count", "", turns.count)
        yield ("turns_to_decision", "median", "", number(turns.median))
        yield ("turns_to_decision", "without_messages", "", turns.without_messages)


def render_csv(report: Report) -> str:
    """The report as one CSV: ``section,key,subkey,value``, a row per figure.

    Cells a spreadsheet would run as a formula get a leading ``'`` (as the records' export does).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(report):
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


# --- charts --------------------------------------------------------------------------------------


def _bar_labels(values: Sequence[int]) -> list[str]:
    return [str(v) if v else "" for v in values]  # a zero is a missing bar: the table says 0


def outcomes_chart(report: Report, protocol: Protocol | None = None) -> str:
    """Outcomes by month as grouped bars (SVG); "" when there are no records."""
    months = report.outcomes_by_month
    if not months:
        return ""
    protocol = protocol or load_protocol()
    with _rc():
        figure, axes = _figure(min(3.5 + 1.1 * len(months), 16), 3.6)
        width = 0.8 / len(OUTCOMES)
        for index, outcome in enumerate(OUTCOMES):
            values = [month.counts[outcome] for month in months]
            bars = axes.bar(
                [m + (index - (len(OUTCOMES) - 1) / 2) * width for m in range(len(months))],
                values,
                width,
                label=_outcome_title(outcome, protocol),
                color=COLOURS[outcome],
                hatch=HATCHES[outcome],
                edgecolor="black",
                linewidth=0.6,
            )
            axes.bar_label(bars, labels=_bar_labels(values), padding=2, fontsize=8)
        axes.set_xticks(range(len(months)), labels=[month.month for month in months])
        axes.set_ylabel("Decision records")
        axes.margins(y=0.15)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
        return _svg(figure, "outcomes-chart", "Decision records by month and outcome")


def not_sure_chart(report: Report, protocol: Protocol | None = None) -> str:
    """Where checks ended "not sure", by question, as horizontal bars (SVG); "" when none did."""
    unsure = report.not_sure_by_question
    if not unsure:
        return ""
    protocol = protocol or load_protocol()
    with _rc():
        figure, axes = _figure(6, 1.2 + 0.4 * len(unsure))
        values = [u.count for u in unsure]
        bars = axes.barh(
            range(len(unsure)),
            values,
            0.6,
            color=COLOURS["seek_advice"],
            hatch=HATCHES["seek_advice"],
            edgecolor="black",
            linewidth=0.6,
        )
        axes.bar_label(bars, labels=_bar_labels(values), padding=3, fontsize=8)
        axes.set_yticks(
            range(len(unsure)),
            labels=[_short_label(u.question_id, protocol) for u in unsure],
            parse_math=False,  # a question id is shown as written, "$" and all
        )
        axes.invert_yaxis()  # most frequent on top
        axes.set_xlabel('Checks that ended "not sure" (seek advice)')
        axes.margins(x=0.12)
        return _svg(figure, "not-sure-chart", 'Checks that ended "not sure", by question')


# --- HTML ----------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value))


def _section(key: str, heading: str, *parts: str) -> str:
    return (
        f'<section class="report-section" id="report-{key}" aria-labelledby="report-{key}-heading">'
        f'<h2 id="report-{key}-heading">{_e(heading)}</h2>{"".join(parts)}</section>'
    )


def _paragraph(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def _chart(svg: str) -> str:
    return f'<figure class="report-chart">{svg}</figure>'


def _none_yet(report: Report, what: str) -> str:
    """Says there is nothing to count: "No … yet.", or "No … in this period." for a range."""
    ranged = report.since is not None or report.until is not None
    return _paragraph(f"No {what} in this period." if ranged else f"No {what} yet.")


def _outcomes_section(report: Report, protocol: Protocol) -> str:
    if not report.outcomes_by_month:
        return _section("outcomes", "Outcomes by month", _none_yet(report, "decision records"))
    titles = [_outcome_title(o, protocol) for o in OUTCOMES]
    rows = [
        [month.month, *(month.counts[o] for o in OUTCOMES), month.total]
        for month in report.outcomes_by_month
    ]
    totals = [sum(m.counts[o] for m in report.outcomes_by_month) for o in OUTCOMES]
    rows.append(["All months", *totals, report.record_count])
    return _section(
        "outcomes",
        "Outcomes by month",
        _paragraph(
            f"{report.record_count} decision records, by the month they were completed (UTC)."
        ),
        _chart(outcomes_chart(report, protocol)),
        _table("Decision records by month and outcome", ["Month", *titles, "All outcomes"], rows),
    )


def _not_sure_section(report: Report, protocol: Protocol) -> str:
    heading = 'Where practitioners were "not sure"'
    unsure = report.not_sure_by_question
    if not unsure:
        return _section("not-sure", heading, _none_yet(report, 'checks that ended "not sure"'))
    return _section(
        "not-sure",
        heading,
        _paragraph(
            'Checks that ended "not sure" (seek advice), by the question they were unsure at.'
        ),
        _chart(not_sure_chart(report, protocol)),
        _table(
            'Checks that ended "not sure", by question',
            ["Question", "Checks"],
            [[u.title, u.count] for u in unsure],
        ),
    )


def _requests_section(report: Report) -> str:
    rows = [[status.capitalize(), count] for status, count in report.requests_by_status.items()]
    rows.append(["All", report.request_count])
    parts = [_table("Advice requests by status", ["Status", "Requests"], rows)]
    if not report.request_count:
        parts.insert(0, _none_yet(report, "advice requests"))
    return _section("requests", "Advice requests by status", *parts)


def _response_section(report: Report) -> str:
    heading = "Time to first response"
    times = report.response_minutes
    if not times.count:
        return _section("response", heading, _none_yet(report, "answered advice requests"))
    return _section(
        "response",
        heading,
        _paragraph(
            "From an advice request to the adviser's answer, over the requests answered. The 90th "
            "percentile interpolates linearly between the closest ranks."
        ),
        _table(
            "Time to first response, in minutes",
            ["Figure", "Value"],
            [
                ["Requests answered", times.count],
                ["Median (minutes)", number(times.median)],
                ["90th percentile (minutes)", number(times.p90)],
            ],
        ),
    )


def _turns_section(report: Report) -> str:
    heading = "Turns to a decision"
    turns = report.turns_to_decision
    if turns is None:
        return _section(
            "turns",
            heading,
            _paragraph(
                "Not available: Rasa's conversation store (its events table) was not found."
            ),
        )
    if not turns.count and not turns.without_messages:
        return _section("turns", heading, _none_yet(report, "decision records"))
    rows = [["Checks counted", turns.count], ["Median (messages)", number(turns.median) or "—"]]
    if turns.without_messages:
        rows.append(["Checks without their conversation", turns.without_messages])
    return _section(
        "turns",
        heading,
        _paragraph(
            "The practitioner's messages from the start of a check to its decision (the message "
            "that opened the check comes before its start and is not counted)."
        ),
        _table("Turns to a decision", ["Figure", "Value"], rows),
    )


def report_sections_html(report: Report) -> str:
    """The report's body: the date range, then a ``<section>`` per figure (``<h2>`` headings),
    to go inside another page's layout. Every value is escaped."""
    protocol = load_protocol()
    generated = report.generated_at.astimezone(timezone.utc)
    return "\n".join(
        (
            f'<p class="report-period">{_e(period(report))} '
            f"(generated {_e(_day(generated.date()))}, {generated:%H:%M} UTC).</p>",
            _outcomes_section(report, protocol),
            _not_sure_section(report, protocol),
            _requests_section(report),
            _response_section(report),
            _turns_section(report),
        )
    )


def render_html(report: Report) -> str:
    """The report as a whole HTML page: nothing loaded from elsewhere, no script."""
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Helpdesk report: {_e(period(report))}</title>\n<style>{STYLE}</style>\n"
        "</head>\n<body>\n<main>\n<h1>Information sharing: helpdesk report</h1>\n"
        f"{report_sections_html(report)}\n</main>\n</body>\n</html>\n"
    )


def tracker_engine(records_url: str | None = None) -> Engine:
    """The engine of Rasa's tracker store: ``TRACKER_DATABASE_URL``, else the records' URL."""
    configured = settings.get(settings.TRACKER_DATABASE_URL)
    return make_engine(normalise_url(configured) if configured else records_url)
