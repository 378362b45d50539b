"""The helpdesk lead's report (bot/helpdesk/reports.py) over real databases: records saved by the
repository, advice requests made by the helpdesk's own code, conversations stored by Rasa's SQL
tracker store; every figure checked against one worked out by hand."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import statistics
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import numpy
import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.helpdesk.models import AdviceRequestRow
from bot.helpdesk.reports import (
    CSV_COLUMNS,
    MonthOutcomes,
    Report,
    ResponseTimes,
    TurnCounts,
    UnsureAt,
    build_report,
    number,
    percentile,
    render_csv,
    render_html,
    report_sections_html,
)
from bot.helpdesk.requests import AdviceRequests
from bot.records import RecordDraft, RecordRepository, make_engine, upgrade

UTC = timezone.utc
NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)  # when the report is made
UNSURE_AT_CONSENT = {
    "purpose": "yes",
    "identifiable": "yes",
    "confidential": "yes",
    "consent": "not_sure",
}
SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the data ------------------------------------------------------------------------------------
# Records: (conversation, outcome, unsure at, check started, check completed). Saved in this order,
# so their references are ISD-000001 … ISD-000007. "c1" holds two checks, one after the other.
RECORDS = [
    ("c1", "share", None, at(2026, 11, 2, 9, 0), at(2026, 11, 2, 9, 10)),
    ("c1", "seek_advice", "public_interest", at(2026, 11, 2, 9, 30), at(2026, 11, 2, 9, 40)),
    ("c2", "seek_advice", "consent", at(2026, 11, 10, 14, 0), at(2026, 11, 10, 14, 5)),
    ("c3", "seek_advice", "consent", at(2026, 11, 20, 8, 0), at(2026, 11, 20, 8, 3)),
    # the last second of November (UTC); its conversation is not in the tracker store
    ("c4", "do_not_share", None, at(2026, 11, 30, 23, 50), at(2026, 11, 30, 23, 59, 59)),
    ("c5", "seek_advice", "identifiable", at(2027, 1, 5, 10, 0), at(2027, 1, 5, 10, 20)),
    ("c6", "seek_consent", None, at(2027, 1, 15, 11, 0), at(2027, 1, 15, 11, 12)),
]

# The practitioners' messages, as Rasa stored them (each answered by the bot a second later).
USER_MESSAGES = {
    "c1": [
        at(2026, 11, 2, 8, 59),  # opened the first check: before it started, not counted
        at(2026, 11, 2, 9, 0),  # = the first check's start: counted (inclusive)
        at(2026, 11, 2, 9, 2),
        at(2026, 11, 2, 9, 5),
        at(2026, 11, 2, 9, 10),  # = its completion: counted (inclusive)  → 4 turns
        at(2026, 11, 2, 9, 20),  # between the two checks: neither
        at(2026, 11, 2, 9, 31),
        at(2026, 11, 2, 9, 35),  # → the second check: 2 turns
    ],
    "c2": [
        at(2026, 11, 10, 13, 59, 59),
        at(2026, 11, 10, 14, 1),
        at(2026, 11, 10, 14, 2),
        at(2026, 11, 10, 14, 3),  # → 3 turns
        at(2026, 11, 10, 14, 5, 1),  # a second after completion: not counted
    ],
    "c3": [at(2026, 11, 20, 8, 1), at(2026, 11, 20, 8, 2)],  # → 2
    "c5": [at(2027, 1, 5, 10, m) for m in (1, 4, 8, 12, 15, 19)],  # → 6
    "c6": [at(2027, 1, 15, 11, m) for m in (1, 3, 5, 8, 11)],  # → 5
    # another conversation, during the checks of c1 and c2: never counted for them
    "someone-else": [at(2026, 11, 2, 9, 1), at(2026, 11, 10, 14, 2)],
}

# Advice requests: (reference, asked at, answered at, what happened). Response times: 30, 60, 90
# and 600 minutes.
REQUESTS = [
    ("ISD-000003", at(2026, 11, 10, 14, 6), at(2026, 11, 10, 14, 36), "closed"),  # 30 min
    ("ISD-000004", at(2026, 11, 20, 8, 4), at(2026, 11, 20, 9, 4), "answered"),  # 60 min
    ("ISD-000002", at(2026, 11, 2, 9, 41), at(2026, 11, 2, 11, 11), "answered"),  # 90 min
    ("ISD-000006", at(2027, 1, 5, 10, 21), None, "claimed"),
    ("ISD-000098", at(2027, 1, 6, 12, 0), None, "open"),
    ("ISD-000099", at(2027, 1, 7, 9, 0), at(2027, 1, 7, 19, 0), "answered"),  # 600 min
]

Q2 = "Q2 Does the information enable a living person to be identified?"
Q4 = "Q4 Do you have consent to share?"
Q5 = "Q5 Is there sufficient public interest to share the information?"


def months(**counts: tuple[int, int, int, int]) -> tuple[MonthOutcomes, ...]:
    """``m2026_11=(share, do_not_share, seek_advice, seek_consent)`` → MonthOutcomes."""
    outcomes = ("share", "do_not_share", "seek_advice", "seek_consent")
    return tuple(
        MonthOutcomes(name[1:].replace("_", "-"), dict(zip(outcomes, values, strict=True)))
        for name, values in counts.items()
    )


# --- the databases -------------------------------------------------------------------------------


@dataclass
class Databases:
    records: Engine
    tracker: Engine  # Rasa's tracker store: the same database, or another one


def save_records(engine: Engine) -> None:
    repository = RecordRepository(engine)
    for n, (conversation, outcome, unsure, started, completed) in enumerate(RECORDS, 1):
        repository.save(
            RecordDraft(
                conversation_id=conversation,
                check_id=f"check-{n}",
                channel="rest",
                outcome=outcome,
                advice_needed_at=unsure,
                created_at=started,
                completed_at=completed,
            )
        )


def make_requests(engine: Engine) -> None:
    """Made, claimed, answered and closed by the helpdesk's code, then dated by hand."""
    requests = AdviceRequests(engine)
    for reference, asked, answered, status in REQUESTS:
        requests.create(reference, UNSURE_AT_CONSENT, "Can I?", conversation_id="c", channel="rest")
        if status == "claimed":
            requests.claim(reference, "jo.adviser")
        if answered is not None:
            requests.answer(reference, "jo.adviser", "Ask for consent first.", "no")
        if status == "closed":
            requests.close(reference)
        with Session(engine) as session, session.begin():
            row = session.scalar(
                select(AdviceRequestRow).where(AdviceRequestRow.reference == reference)
            )
            row.created_at, row.answered_at = asked, answered


def store_conversations(store: SQLTrackerStore) -> None:
    """The conversations through Rasa's own SQL tracker store."""
    for sender, times in USER_MESSAGES.items():
        tracker = DialogueStateTracker(sender, slots=[])
        for when in times:
            stamp = when.timestamp()
            tracker.update(
                UserUttered("yes", {"name": "affirm", "confidence": 1.0}, timestamp=stamp)
            )
            tracker.update(ActionExecuted("utter_ask", timestamp=stamp + 0.5))
            tracker.update(BotUttered("Next question…", timestamp=stamp + 1))
            tracker.update(ActionExecuted("action_listen", timestamp=stamp + 1))
        asyncio.run(store.save(tracker))
    store.engine.dispose()


def seed(records: Engine, store: SQLTrackerStore) -> None:
    save_records(records)
    make_requests(records)
    store_conversations(store)


@contextmanager
def postgres_url() -> Iterator[str]:
    from bot.records.testing import postgres_unavailable_reason, temporary_postgres_database

    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with temporary_postgres_database("infoshare_report") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Records and conversations in one SQLite file (the project's default)."""
    path = tmp_path_factory.mktemp("report") / "infoshare.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    seed(engine, SQLTrackerStore(dialect="sqlite", db=str(path)))
    yield Databases(engine, engine)
    engine.dispose()


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("postgresql+sqlite-tracker", marks=pytest.mark.postgres),
    ],
)
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    """The seeded databases: SQLite; PostgreSQL shared with the tracker store (several Rasa
    servers); PostgreSQL records with the conversations in a SQLite file (another engine)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_databases")
        return
    with postgres_url() as url:
        records = make_engine(url)
        if request.param == "postgresql":
            seed(records, SQLTrackerStore(dialect="postgresql", host=url))
            yield Databases(records, records)
        else:
            path = tmp_path_factory.mktemp("tracker") / "tracker.db"
            seed(records, SQLTrackerStore(dialect="sqlite", db=str(path)))
            tracker = make_engine(f"sqlite:///{path}")
            yield Databases(records, tracker)
            tracker.dispose()
        records.dispose()


@pytest.fixture()
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def report(sqlite_databases: Databases) -> Report:
    return build_report(sqlite_databases.records, sqlite_databases.tracker, now=NOW)


# --- the percentile ------------------------------------------------------------------------------


def test_the_percentile_interpolates_linearly_between_the_closest_ranks() -> None:
    minutes = [600, 30, 90, 60]
    # sorted 30, 60, 90, 600; median: h = 3 * 0.5 = 1.5 → 60 + 0.5 * (90 - 60) = 75
    assert percentile(minutes, 0.5) == 75
    # 90th: h = 3 * 0.9 = 2.7 → 90 + 0.7 * (600 - 90) = 447
    assert percentile(minutes, 0.9) == pytest.approx(447)
    # 1, 1, 2, 3, 4, 5, 6, 9: h = 7 * 0.9 = 6.3 → 6 + 0.3 * (9 - 6) = 6.9
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    assert percentile(values, 0.9) == pytest.approx(6.9)
    assert percentile(values, 0.9) == pytest.approx(numpy.percentile(values, 90))
    assert percentile(values, 0.9) == pytest.approx(
        statistics.quantiles(values, n=10, method="inclusive")[8]
    )
    assert percentile([1, 2], 0.9) == pytest.approx(1.9)  # h = 0.9 → 1 + 0.9 * (2 - 1)
    assert percentile([42], 0.9) == 42
    assert (percentile(values, 0), percentile(values, 1)) == (1, 9)
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError):
        percentile(values, 90)


def test_figures_are_shown_with_at_most_one_decimal() -> None:
    assert [number(v) for v in (75.0, 447.00000000000006, 42.5, 3.04, None)] == [
        "75",
        "447",
        "42.5",
        "3",
        "",
    ]


# --- the figures ---------------------------------------------------------------------------------


def test_every_figure_matches_the_hand_count(databases: Databases) -> None:
    report = build_report(databases.records, databases.tracker, now=NOW)

    assert report.generated_at == NOW and (report.since, report.until) == (None, None)
    # November: share c1; do not share c4; seek advice c1 (2nd), c2, c3. December: none (the
    # month is still shown). January: seek advice c5, seek consent c6.
    assert report.outcomes_by_month == months(
        m2026_11=(1, 1, 3, 0), m2026_12=(0, 0, 0, 0), m2027_01=(0, 0, 1, 1)
    )
    assert report.record_count == 7
    # consent twice; then the ties in the protocol's order (Q2 before Q5), although Q5's record
    # came first
    assert report.not_sure_by_question == (
        UnsureAt("consent", Q4, 2),
        UnsureAt("identifiable", Q2, 1),
        UnsureAt("public_interest", Q5, 1),
    )
    assert report.requests_by_status == {"open": 1, "claimed": 1, "answered": 3, "closed": 1}
    assert report.request_count == 6
    # answered: 30, 60, 90, 600 minutes (the closed one was answered first); median
    # (60 + 90) / 2 = 75; 90th percentile 90 + 0.7 * (600 - 90) = 447
    times = report.response_minutes
    assert (times.count, times.median) == (4, 75)
    assert times.p90 == pytest.approx(447)
    # turns: c1 4 and 2, c2 3, c3 2, c5 6, c6 5 → sorted 2, 2, 3, 4, 5, 6: median (3 + 4) / 2
    # = 3.5; c4's conversation is not in the store
    assert report.turns_to_decision == TurnCounts(count=6, median=3.5, without_messages=1)


def test_a_date_range_limits_records_by_completion_and_requests_by_creation(
    databases: Databases,
) -> None:
    november = build_report(
        databases.records, databases.tracker, since=date(2026, 11, 1), until=date(2026, 11, 30)
    )
    # c4's record, completed at 23:59:59 on the 30th, is in
    assert november.outcomes_by_month == months(m2026_11=(1, 1, 3, 0))
    assert [u.question_id for u in november.not_sure_by_question] == ["consent", "public_interest"]
    assert november.requests_by_status == {"open": 0, "claimed": 0, "answered": 2, "closed": 1}
    # 30, 60, 90: median 60; 90th: h = 2 * 0.9 = 1.8 → 60 + 0.8 * (90 - 60) = 84
    assert november.response_minutes.count == 3
    assert november.response_minutes.median == 60
    assert november.response_minutes.p90 == pytest.approx(84)
    # 4, 2, 3, 2 → 2, 2, 3, 4: median 2.5
    assert november.turns_to_decision == TurnCounts(count=4, median=2.5, without_messages=1)

    since_december = build_report(databases.records, databases.tracker, since=date(2026, 12, 1))
    assert since_december.outcomes_by_month == months(m2027_01=(0, 0, 1, 1))
    assert since_december.requests_by_status == {
        "open": 1,
        "claimed": 1,
        "answered": 1,
        "closed": 0,
    }
    assert since_december.response_minutes == ResponseTimes(1, 600, 600)
    assert since_december.turns_to_decision == TurnCounts(count=2, median=5.5, without_messages=0)

    last_day = build_report(
        databases.records, databases.tracker, since=date(2026, 11, 30), until=date(2026, 11, 30)
    )
    assert last_day.outcomes_by_month == months(m2026_11=(0, 1, 0, 0))
    assert last_day.request_count == 0
    assert last_day.response_minutes == ResponseTimes(0, None, None)
    assert last_day.turns_to_decision == TurnCounts(count=0, median=None, without_messages=1)

    until_october = build_report(databases.records, databases.tracker, until=date(2026, 10, 31))
    assert until_october.record_count == 0 and until_october.request_count == 0


def test_the_range_is_whole_utc_days(empty_engine: Engine) -> None:
    repository = RecordRepository(empty_engine)
    for n, completed in enumerate([at(2026, 11, 30, 23, 59, 59), at(2026, 12, 1, 0, 0)], 1):
        repository.save(
            RecordDraft(
                conversation_id=f"c{n}", check_id="check", outcome="share", completed_at=completed
            )
        )
    requests = AdviceRequests(empty_engine)
    requests.create("ISD-000002", UNSURE_AT_CONSENT, "", conversation_id="c2", channel="rest")
    with Session(empty_engine) as session, session.begin():
        session.scalar(select(AdviceRequestRow)).created_at = at(2026, 12, 1, 0, 0)

    november = build_report(empty_engine, until=date(2026, 11, 30))
    assert (november.record_count, november.request_count) == (1, 0)
    december = build_report(empty_engine, since=date(2026, 12, 1))
    assert (december.record_count, december.request_count) == (1, 1)


def test_a_range_that_ends_before_it_starts_is_refused(empty_engine: Engine) -> None:
    with pytest.raises(ValueError, match="after"):
        build_report(empty_engine, since=date(2026, 12, 1), until=date(2026, 11, 30))


def test_without_the_tracker_store_the_turns_are_not_available(
    sqlite_databases: Databases, empty_engine: Engine
) -> None:
    assert build_report(sqlite_databases.records).turns_to_decision is None
    # a database without Rasa's events table: not available either, not an error
    report = build_report(sqlite_databases.records, empty_engine)
    assert report.turns_to_decision is None
    assert report.record_count == 7
    assert "Not available" in report_sections_html(report)


def test_an_empty_database_makes_a_report_that_says_so(
    empty_engine: Engine, tmp_path: Path
) -> None:
    report = build_report(empty_engine, empty_engine, now=NOW)
    assert report == Report(
        since=None,
        until=None,
        generated_at=NOW,
        outcomes_by_month=(),
        not_sure_by_question=(),
        requests_by_status={"open": 0, "claimed": 0, "answered": 0, "closed": 0},
        response_minutes=ResponseTimes(0, None, None),
        turns_to_decision=None,  # no events table in it
    )
    page = render_html(report)
    for said in (
        "No decision records yet.",
        "No checks that ended &quot;not sure&quot; yet.",
        "No advice requests yet.",
        "No answered advice requests yet.",
        "Not available",
    ):
        assert said in page
    assert "<svg" not in page
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[0] == list(CSV_COLUMNS)
    assert ["records", "total", "", "0"] in rows
    assert ["requests_by_status", "open", "", "0"] in rows
    assert ["response_minutes", "median", "", ""] in rows
    assert ["turns_to_decision", "available", "", "false"] in rows

    # a tracker store with no conversation yet: available, nothing counted
    path = tmp_path / "tracker.db"
    SQLTrackerStore(dialect="sqlite", db=str(path)).engine.dispose()
    tracker = make_engine(f"sqlite:///{path}")
    assert build_report(empty_engine, tracker).turns_to_decision == TurnCounts(0, None, 0)
    tracker.dispose()


# --- HTML ----------------------------------------------------------------------------------------


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, re.S)


def svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_the_page_stands_alone_and_shows_every_figure(report: Report) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in page and '<meta charset="utf-8">' in page
    assert "<h1>Information sharing: helpdesk report</h1>" in page
    assert "All records (generated 1 February 2027, 12:00 UTC)." in page
    assert report_sections_html(report) in page
    # the figures, in the tables after the charts
    assert (
        '<tr><th scope="row">2026-11</th><td>1</td><td>1</td><td>3</td><td>0</td><td>5</td></tr>'
    ) in page
    assert '<th scope="row">2026-12</th><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>' in page
    assert (
        '<th scope="row">All months</th><td>1</td><td>1</td><td>4</td><td>1</td><td>7</td>' in page
    )
    assert f'<tr><th scope="row">{Q4}</th><td>2</td></tr>' in page
    assert '<tr><th scope="row">Answered</th><td>3</td></tr>' in page
    assert '<tr><th scope="row">Median (minutes)</th><td>75</td></tr>' in page
    assert '<tr><th scope="row">90th percentile (minutes)</th><td>447</td></tr>' in page
    assert '<tr><th scope="row">Median (messages)</th><td>3.5</td></tr>' in page
    assert '<tr><th scope="row">Checks without their conversation</th><td>1</td></tr>' in page
    # nothing from elsewhere, no script
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|@import", page, re.I)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= SVG_NAMESPACES
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # two charts, one page: no id twice
    assert render_html(report) == page  # the same report, the same bytes


def test_the_charts_are_inline_svg_readable_without_colour(report: Report) -> None:
    outcomes, not_sure = svgs(report_sections_html(report))
    for svg, title in (
        (outcomes, "Decision records by month and outcome"),
        (not_sure, "Checks that ended &quot;not sure&quot;, by question"),
    ):
        ET.fromstring(svg)  # well-formed
        assert f'role="img" aria-label="{title}"' in svg
        assert f"<title>{title}</title>" in svg
        assert len(svg) < 30_000
        assert "<style" not in svg  # it would style the whole page
        assert "glyph" not in svg.lower() and "<text" in svg  # text stays text
        assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= SVG_NAMESPACES
    # a hatch pattern per outcome, and each outcome named in the legend
    assert len(set(re.findall(r'<pattern id="([^"]+)"', outcomes))) == 4
    texts = svg_texts(outcomes)
    for label in (
        "2026-11",
        "2026-12",
        "2027-01",
        "You can share the information",
        "Do not share the information",
        "Seek advice before you share",
        "Seek consent first",
    ):
        assert label in texts
    # the numbers on the bars: November's 1, 1, 3 and January's 1, 1 (zeros left blank)
    assert "3" in texts
    assert len(re.findall(r'<pattern id="', not_sure)) == 1
    assert {"Q4", "Q2", "Q5", "2"} <= set(svg_texts(not_sure))


def test_every_value_is_escaped(empty_engine: Engine) -> None:
    repository = RecordRepository(empty_engine)
    for n, unsure in enumerate(['<script>alert("x")</script>', "=1+2", "$x^2$"], 1):
        repository.save(
            RecordDraft(
                conversation_id=f"c{n}",
                check_id="check",
                outcome="seek_advice",
                advice_needed_at=unsure,
                completed_at=at(2026, 11, 1, 12, n),
            )
        )
    report = build_report(empty_engine)
    page = render_html(report)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page  # in the table
    _, not_sure = svgs(page)
    assert '&lt;script&gt;alert("x")&lt;/scr…' in not_sure  # on the chart, shortened
    assert "$x^2$" in svg_texts(not_sure)  # shown as written, not as mathematics
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert ["not_sure_by_question", "'=1+2", "'=1+2", "1"] in rows  # no formula in a spreadsheet
    assert ["not_sure_by_question", "$x^2$", "$x^2$", "1"] in rows


# --- CSV -----------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_figure(report: Report) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows == [
        ["section", "key", "subkey", "value"],
        ["period", "since", "", ""],
        ["period", "until", "", ""],
        ["period", "generated_at", "", "2027-02-01T12:00:00+00:00"],
        ["records", "total", "", "7"],
        ["outcomes_by_month", "2026-11", "share", "1"],
        ["outcomes_by_month", "2026-11", "do_not_share", "1"],
        ["outcomes_by_month", "2026-11", "seek_advice", "3"],
        ["outcomes_by_month", "2026-11", "seek_consent", "0"],
        ["outcomes_by_month", "2026-12", "share", "0"],
        ["outcomes_by_month", "2026-12", "do_not_share", "0"],
        ["outcomes_by_month", "2026-12", "seek_advice", "0"],
        ["outcomes_by_month", "2026-12", "seek_consent", "0"],
        ["outcomes_by_month", "2027-01", "share", "0"],
        ["outcomes_by_month", "2027-01", "do_not_share", "0"],
        ["outcomes_by_month", "2027-01", "seek_advice", "1"],
        ["outcomes_by_month", "2027-01", "seek_consent", "1"],
        ["not_sure_by_question", "consent", Q4, "2"],
        ["not_sure_by_question", "identifiable", Q2, "1"],
        ["not_sure_by_question", "public_interest", Q5, "1"],
        ["requests_by_status", "open", "", "1"],
        ["requests_by_status", "claimed", "", "1"],
        ["requests_by_status", "answered", "", "3"],
        ["requests_by_status", "closed", "", "1"],
        ["response_minutes", "count", "", "4"],
        ["response_minutes", "median", "", "75"],
        ["response_minutes", "p90", "", "447"],
        ["turns_to_decision", "available", "", "true"],
        ["turns_to_decision", "count", "", "6"],
        ["turns_to_decision", "median", "", "3.5"],
        ["turns_to_decision", "without_messages", "", "1"],
    ]


def test_the_period_is_given_in_words_and_in_the_csv(sqlite_databases: Databases) -> None:
    report = build_report(
        sqlite_databases.records, since=date(2026, 11, 30), until=date(2026, 11, 30)
    )
    sections = report_sections_html(report)
    assert "30 November 2026 to 30 November 2026" in sections
    assert "No advice requests in this period." in sections
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert ["period", "since", "", "2026-11-30"] in rows
    assert ["period", "until", "", "2026-11-30"] in rows
    later = build_report(sqlite_databases.records, since=date(2027, 1, 16))
    assert "From 16 January 2027" in report_sections_html(later)
