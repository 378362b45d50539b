"""The ``infoshare`` command line.

Commands register themselves with :func:`command`; each gets a parser to fill and sets its
handler with ``parser.set_defaults(handler=...)``. A handler takes the parsed arguments and
returns the exit code, or raises :class:`CliError` for a one-line error. Other parts of the
project add their commands the same way (import heavy modules inside the handler, so that
``infoshare --help`` stays fast)::

    @command("token", help="manage the API token")
    def _token(parser: argparse.ArgumentParser) -> None:
        parser.set_defaults(handler=_token_handler)
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from bot import retention
from bot.helpdesk import reports
from bot.helpdesk.accounts import AccountError, Accounts
from bot.helpdesk.audit import AuditLog, cli_actor, describe
from bot.helpdesk.models import TOKEN_ROLES, USER_ROLES
from bot.records import (
    NotMigratedError,
    RecordRepository,
    ensure_migrated,
    make_engine,
    normalise_reference,
    to_csv,
    to_json,
    upgrade,
)
from bot.records.db import database_url, safe_url
from bot.records.fields import (
    ADVICE_PARTS,
    FIELDS,
    NOT_RECORDED,
    FieldKind,
    Section,
    how_answered,
)
from bot.records.repository import OUTCOMES, erased_text
from bot.server import api_token
from bot.training import DEFAULT_DIR, InvalidScenarios, cohorts, load_scenarios, validate
from bot.training.cohorts import CohortError, Cohorts
from bot.training.replay import ApiUnavailable, Assistant, replay

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]


class CliError(Exception):
    """An expected failure: its message is printed as one line, the exit code is ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class _Command:
    name: str
    help: str
    configure: Configure


_COMMANDS: dict[str, _Command] = {}


def command(name: str, help: str) -> Callable[[Configure], Configure]:
    """Register a top-level subcommand ``infoshare NAME`` configured by the decorated function."""

    def register(configure: Configure) -> Configure:
        if name in _COMMANDS:
            raise ValueError(f"command {name!r} is already registered")
        _COMMANDS[name] = _Command(name, help, configure)
        return configure

    return register


def database_options() -> argparse.ArgumentParser:
    """A parent parser giving a command ``--database-url`` (overrides ``$DATABASE_URL``).

    The option is accepted before the command too (``infoshare --database-url URL records
    list``); ``args.database_url`` is None when neither is given.
    """
    parent = argparse.ArgumentParser(add_help=False)
    _add_database_url(parent, default=argparse.SUPPRESS)
    return parent


def _add_database_url(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=default,
        help="database to use (default: $DATABASE_URL, else SQLite under var/)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infoshare",
        description="Can I share? — decision records and project tools.",
    )
    _add_database_url(parser, default=None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in _COMMANDS.values():
        entry.configure(subparsers.add_parser(entry.name, help=entry.help, description=entry.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # what it creates (the SQLite database at `infoshare db upgrade`): owner only
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # a registered command that set no handler
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except CliError as error:
        _fail(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `infoshare records export | head`: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:
        translated = _database_error(error, getattr(args, "database_url", None))
        if translated is None:
            raise
        _fail(translated)
        return 1


def _fail(message: str) -> None:
    print(f"infoshare: error: {message}", file=sys.stderr)


def _database_error(error: Exception, url: str | None) -> str | None:
    """One readable line for the database failures a user can cause, else None (a bug)."""
    from sqlalchemy import exc

    if isinstance(error, NotMigratedError):
        return str(error)
    where = safe_url(url or _quiet(database_url) or "")
    if isinstance(error, exc.NoSuchModuleError):
        return f"unsupported database URL {where}: {_first_line(error)}"
    if isinstance(error, exc.ArgumentError):
        return f"invalid database URL: {_first_line(error)}"
    if isinstance(error, exc.DBAPIError):
        return f"database {where}: {_first_line(error.orig or error)}"
    if isinstance(error, exc.SQLAlchemyError):
        return f"database {where}: {_first_line(error)}"
    if isinstance(error, ModuleNotFoundError) and error.name in {"psycopg2", "pymysql"}:
        return f"database driver {error.name} is not installed"
    return None


def _quiet(function: Callable[[], str]) -> str | None:
    try:
        return function()
    except Exception:
        return None


def _first_line(error: object) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


# --- records -------------------------------------------------------------------------------


def _repository(args: argparse.Namespace) -> Any:
    """A repository on a migrated database (raises NotMigratedError otherwise)."""
    return RecordRepository(_engine(args))


def _outcome_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outcome", choices=OUTCOMES, help="only records with this outcome")
    parser.add_argument(
        "--since",
        type=_timestamp,
        metavar="WHEN",
        help="only records completed at or after WHEN (ISO date or date-time; UTC if no zone)",
    )


def _timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


@command("records", help="list, show and export decision records")
def _records_command(parser: argparse.ArgumentParser) -> None:
    db = database_options()
    sub = parser.add_subparsers(dest="records_command", metavar="SUBCOMMAND", required=True)

    listing = sub.add_parser("list", parents=[db], help="a table of records, newest first")
    _outcome_option(listing)
    listing.add_argument("--limit", type=_positive_int, metavar="N", help="at most N records")
    listing.set_defaults(handler=_records_list)

    show = sub.add_parser("show", parents=[db], help="one record in full")
    show.add_argument(
        "reference", metavar="REF", nargs="?", help="the record's reference, e.g. ISD-000123"
    )
    show.add_argument(
        "--reference", dest="reference_option", metavar="REF", help="the same, as an option"
    )
    show.add_argument("--json", action="store_true", help="print the record as JSON")
    show.set_defaults(handler=_records_show)

    export = sub.add_parser("export", parents=[db], help="all (or some) records as JSON or CSV")
    export.add_argument("--format", choices=("json", "csv"), default="json", help="default: json")
    export.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    export.add_argument(
        "--reference",
        metavar="REF",
        help="only this record (a person's request for their data: docs/data-protection.md)",
    )
    _outcome_option(export)
    export.set_defaults(handler=_records_export)

    erase = sub.add_parser(
        "erase",
        parents=[db],
        help="a lead's decision: remove a record's content, keeping a tombstone that says it "
        "was erased, when, by whom and why (and delete its advice request)",
    )
    erase.add_argument("reference", metavar="REF", help="the record's reference, e.g. ISD-000123")
    erase.add_argument("--reason", required=True, help="why it is erased (kept on the tombstone)")
    erase.set_defaults(handler=_records_erase)


_LIST_COLUMNS = ("reference", "completed", "outcome", "channel", "advice needed at", "safeguarding")


def _records_list(args: argparse.Namespace) -> int:
    records = _repository(args).list(outcome=args.outcome, limit=args.limit, since=args.since)
    if not records:
        print("No records.")
        return 0
    rows = [
        (
            record.reference,
            record.completed_at.strftime("%Y-%m-%d %H:%M UTC"),
            record.outcome,
            _short(record.channel or "-", 20),
            record.advice_needed_at or "-",
            "YES" if record.safeguarding_concern else "no",
        )
        for record in records
    ]
    _print_table(_LIST_COLUMNS, rows)
    return 0


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * width for width in widths], *rows]:
        print(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _reference(text: str) -> str:
    reference = normalise_reference(text)
    if reference is None:
        raise CliError(f"{text!r} is not a record reference (expected e.g. ISD-000123)")
    return reference


def _records_show(args: argparse.Namespace) -> int:
    given = args.reference or args.reference_option
    if not given or (args.reference and args.reference_option):
        raise CliError("give one record reference, e.g. `infoshare records show ISD-000123`")
    reference = _reference(given)
    repository = _repository(args)
    record = repository.get(reference)
    if record is None:
        raise CliError(f"no record with reference {reference}")
    _audit(repository.engine, "record.read", record.reference)
    if args.json:
        print(json.dumps(record.to_dict(), ensure_ascii=False, indent=2))
    else:
        if record.erased_at is not None:  # its reasons say so too
            print(_erased_line(record))
        _print_record(record.to_dict(), sys.stdout)
    return 0


def _erased_line(record: Any) -> str:
    return erased_text(record.erased_at, record.erased_by, record.erased_why)


def _records_erase(args: argparse.Namespace) -> int:
    reference = _reference(args.reference)
    why = args.reason.strip()
    if not why:
        raise CliError('say why the record is erased: --reason "…"')
    engine = _engine(args)
    existing = RecordRepository(engine).get(reference)
    if existing is None:
        raise CliError(f"no record with reference {reference}")
    if existing.erased_at is not None:
        raise CliError(f"{reference} was already erased: {_erased_line(existing)}")
    record = retention.erase_record(engine, reference, cli_actor(), why)
    print(f"{record.reference} erased; its tombstone says: {_erased_line(record)}")
    return 0


def _print_record(data: dict[str, Any], out: TextIO) -> None:
    """A record for a person to read: every declared field (bot/records/fields.py), by section."""

    def line(label: str, value: Any) -> None:
        text = "-" if value in (None, "", [], {}) else str(value)
        text = text.replace("\n", "\n" + " " * 26)
        out.write(f"{label + ':':<25} {text}\n")

    for section in Section:
        for field in (f for f in FIELDS if f.section is section):
            value = data.get(field.name)
            if field.kind is FieldKind.OUTCOME:
                line(field.label, str(value).replace("_", " "))
            elif field.kind is FieldKind.FLAG:
                shown = "YES: follow safeguarding procedures" if value else "no"
                line(field.label, shown if field.name == "safeguarding_concern" else bool(value))
            elif field.kind is FieldKind.KEYS:
                line(field.label, " → ".join(value or []))
            elif field.kind is FieldKind.RULES:
                line(field.label, ", ".join(str(rule) for rule in value or []))
            elif field.kind is FieldKind.ADVICE:
                out.write(f"{field.label}:\n" if value else f"{field.label + ':':<25} -\n")
                for part, label in ADVICE_PARTS if value else ():
                    shown = str(value.get(part) or "-").replace("\n", "\n" + " " * 26)
                    out.write(f"  {label:<23} {shown}\n")
            elif field.kind is FieldKind.ANSWERED_BY:
                if not value:  # a record saved before it was kept
                    line(field.label, NOT_RECORDED)
                    continue
                out.write(f"{field.label}:\n")
                for key in value:
                    out.write(f"  {key:<23} {how_answered(value, key)}\n")
            elif field.kind in (FieldKind.ANSWERS, FieldKind.CHECKS, FieldKind.NOTES):
                out.write(f"{field.label}:\n" if value else f"{field.label + ':':<25} -\n")
                for name, item in (value or {}).items():
                    shown = ("yes" if item else "no") if isinstance(item, bool) else item
                    out.write(f"  {name:<23} {shown}\n")
            else:
                line(field.label, value)


def _records_export(args: argparse.Namespace) -> int:
    repository = _repository(args)
    if args.reference is not None:
        reference = _reference(args.reference)
        found = repository.get(reference)
        if found is None:
            raise CliError(f"no record with reference {reference}")
        records = [found]
    else:
        records = repository.list(outcome=args.outcome, since=args.since)
    filters = {
        "outcome": args.outcome,
        "since": args.since,
        "format": args.format,
        "reference": args.reference and records[0].reference,
    }
    _audit(repository.engine, "record.export", None, describe(filters, len(records)), records)
    text = to_json(records) + "\n" if args.format == "json" else to_csv(records)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"Wrote {len(records)} record(s) to {args.output}", file=sys.stderr)
    return 0


# --- db ------------------------------------------------------------------------------------


@command("db", help="database schema (Alembic migrations)")
def _db_command(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)
    upgrade = sub.add_parser(
        "upgrade", parents=[database_options()], help="create or upgrade the schema to the latest"
    )
    upgrade.set_defaults(handler=_db_upgrade)


def _db_upgrade(args: argparse.Namespace) -> int:
    revision = upgrade(args.database_url)
    print(f"Database {safe_url(args.database_url or database_url())} is at revision {revision}.")
    return 0


# --- helpdesk accounts and API tokens ----------------------------------------------------------


def _audit(
    engine: Any,
    action: str,
    reference: str | None = None,
    detail: str = "",
    references: Any = (),
) -> None:
    """Log a read made from the command line (who: the operating-system user); ``references``:
    the records a list or an export gave."""
    shown = [found.reference for found in references]
    AuditLog(engine).add(cli_actor(), action, reference, detail or None, "cli", shown)


@command("audit", help="the audit log: who read or changed which record or request")
def _audit_command(parser: argparse.ArgumentParser) -> None:
    db = database_options()
    sub = parser.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", parents=[db], help="entries, newest first")
    listing.add_argument("--reference", metavar="REF", help="only this record or request")
    listing.add_argument(
        "--since", type=_timestamp, metavar="WHEN", help="only entries at or after WHEN"
    )
    listing.add_argument("--actor", help='only this actor, e.g. "user:jo" or "token:crm#3"')
    listing.add_argument(
        "--limit", type=_positive_int, default=200, metavar="N", help="at most N (default 200)"
    )
    listing.set_defaults(handler=_audit_list)


def _audit_list(args: argparse.Namespace) -> int:
    engine = _engine(args)
    reference = args.reference and (normalise_reference(args.reference) or args.reference)
    entries = AuditLog(engine).list(reference, args.since, args.actor, args.limit)
    if not entries:
        print("No audit entries.")
        return 0
    rows = [
        (
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            _short(e.actor, 32),
            e.action,
            e.reference or (f"{e.shown} listed" if e.shown else "-"),
            e.source or "-",
            _short(e.detail or "", 60),
        )
        for e in entries
    ]
    _print_table(("at (UTC)", "who", "what", "reference", "from", "detail"), rows)
    return 0


@command("report", help="the helpdesk lead's report: outcomes, where 'not sure' clusters, speed")
def _report_command(parser: argparse.ArgumentParser) -> None:
    _add_database_url(parser, default=argparse.SUPPRESS)
    parser.add_argument("--format", choices=("html", "csv"), default="html", help="default: html")
    parser.add_argument("--since", type=_date, metavar="DAY", help="from this day (UTC) on")
    parser.add_argument("--until", type=_date, metavar="DAY", help="up to this day (inclusive)")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    parser.add_argument(
        "--tracker-database-url",
        metavar="URL",
        help="Rasa's tracker store, for the turns (default: $TRACKER_DATABASE_URL, else the "
        "records database)",
    )
    parser.set_defaults(handler=_report)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a day such as 2026-11-30, got {text!r}"
        ) from None


def _report(args: argparse.Namespace) -> int:
    url = args.database_url or database_url()
    engine = make_engine(url)
    ensure_migrated(engine)
    tracker = (
        make_engine(args.tracker_database_url)
        if args.tracker_database_url
        else reports.tracker_engine(url)
    )
    try:
        report = reports.build_report(engine, tracker, since=args.since, until=args.until)
    except ValueError as error:
        raise CliError(str(error)) from None
    _audit(engine, "report.read", None, f"{args.format} {reports.period(report)}")
    text = reports.render_html(report) if args.format == "html" else reports.render_csv(report)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"Wrote the report to {args.output}.", file=sys.stderr)
    return 0


@command("scenarios", help="trainer scenarios (data/scenarios): check them, list them")
def _scenarios_command(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="scenarios_command", metavar="SUBCOMMAND", required=True)
    check = sub.add_parser(
        "validate",
        help="each file well formed, its model answers walk the protocol to the stated outcome "
        "and path, every quote in the guidance, every paragraph its question's",
    )
    check.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: all)"
    )
    check.set_defaults(handler=_scenarios_validate)
    listing = sub.add_parser("list", help="the scenarios: number, title, expected outcome")
    listing.set_defaults(handler=_scenarios_list)
    run = sub.add_parser(
        "run",
        help="type every scenario's model answers into the running assistant (REST) and check "
        "that it reaches the model's outcome and path",
    )
    run.add_argument(
        "--base", default="http://127.0.0.1:5005", help="the Rasa server (default: %(default)s)"
    )
    run.add_argument(
        "--token", help="Rasa's HTTP API token (default: $INFOSHARE_API_TOKEN, else var/api_token)"
    )
    run.add_argument("--only", type=_positive_int, nargs="*", metavar="N", help="these numbers")
    run.add_argument("--verbose", "-v", action="store_true", help="print each conversation")
    run.set_defaults(handler=_scenarios_run)


def _scenarios_validate(args: argparse.Namespace) -> int:
    paths = args.paths or [DEFAULT_DIR]
    problems = validate(paths if len(paths) > 1 else paths[0])
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s).", file=sys.stderr)
        return 1
    print("All scenarios are valid.")
    return 0


def _scenarios_run(args: argparse.Namespace) -> int:
    from bot import settings

    scenarios = _valid_scenarios()
    if args.only:
        scenarios = [s for s in scenarios if s.number in set(args.only)]
    token = args.token or settings.get(settings.API_TOKEN) or api_token(settings.var_dir())[0]
    assistant = Assistant(args.base, token)
    rows, failed = [], 0
    for scenario in scenarios:
        try:
            result = replay(scenario, assistant)
        except ApiUnavailable as error:
            raise CliError(str(error)) from None
        failed += not result.ok
        expected = scenario.expected
        rows.append(
            (
                str(scenario.number),
                _short(scenario.title, 44),
                expected.outcome.value,
                result.outcome or "-",
                "same" if result.path == list(expected.path) else " → ".join(result.path) or "-",
                str(result.turns),
                ("ok" if result.ok else f"MISMATCH {result.problem or ''}".strip())
                + (
                    f" ({len(result.corrections)} read-back put right)"
                    if result.corrections
                    else ""
                )
                + (f" ({len(result.follow_ups)} follow-up answered)" if result.follow_ups else ""),
            )
        )
        for correction in result.corrections:
            print(f"  #{scenario.number} read back wrongly: {correction}", file=sys.stderr)
        if args.verbose or not result.ok:
            for typed, said in result.transcript:
                print(f"  > {typed}\n    {said[:300]!r}", file=sys.stderr)
    _print_table(("#", "title", "model outcome", "outcome", "path", "turns", "result"), rows)
    print(f"{len(scenarios) - failed} of {len(scenarios)} scenarios replayed as the model.")
    return 1 if failed else 0


def _valid_scenarios() -> list[Any]:
    """The shipped scenarios, or a CliError that says to run `scenarios validate`."""
    try:
        return load_scenarios()
    except InvalidScenarios as error:
        raise CliError(
            f"the scenarios are not valid: run `infoshare scenarios validate` ({error})"
        ) from None


def _scenarios_list(args: argparse.Namespace) -> int:
    scenarios = _valid_scenarios()
    rows = [
        (str(s.number), _short(s.title, 60), s.setting, s.expected.outcome.value) for s in scenarios
    ]
    _print_table(("#", "title", "setting", "outcome"), rows)
    return 0


@command("cohorts", help="trainers' cohorts: a code to hand out, the cohort's report, xAPI")
def _cohorts_command(parser: argparse.ArgumentParser) -> None:
    db = database_options()
    sub = parser.add_subparsers(dest="cohorts_command", metavar="SUBCOMMAND", required=True)
    create = sub.add_parser("create", parents=[db], help="a new cohort: prints its code")
    create.add_argument("name", help="what the cohort is, e.g. 'Safeguarding induction, March'")
    create.add_argument(
        "--feedback",
        choices=("immediate", "end"),
        help="when its trainees see the model answers, whatever each scenario says",
    )
    create.set_defaults(handler=_cohorts_create)
    report = sub.add_parser("report", parents=[db], help="per question, per scenario, per trainee")
    report.add_argument("code")
    report.add_argument("--format", choices=("html", "csv"), default="html", help="default: html")
    report.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    report.set_defaults(handler=_cohorts_report)
    xapi = sub.add_parser("xapi", parents=[db], help="the answers as xAPI statements (JSON)")
    xapi.add_argument("code")
    xapi.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    xapi.set_defaults(handler=_cohorts_xapi)


def _engine(args: argparse.Namespace) -> Any:
    """An engine on a migrated database (raises NotMigratedError otherwise)."""
    engine = make_engine(args.database_url)
    ensure_migrated(engine)
    return engine


def _write(text: str, output: Path | None) -> int:
    if output is None:
        sys.stdout.write(text)
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"Wrote {output}.", file=sys.stderr)
    return 0


def _cohorts_create(args: argparse.Namespace) -> int:
    try:
        cohort = Cohorts(_engine(args)).create(args.name, args.feedback)
    except CohortError as error:
        raise CliError(str(error)) from None
    print(cohort.code)
    print(f'Cohort {cohort.code} ("{cohort.name}"): trainees say "join cohort {cohort.code}".')
    return 0


def _cohorts_report(args: argparse.Namespace) -> int:
    try:
        result = cohorts.report(_engine(args), args.code)
    except cohorts.CohortError as error:
        raise CliError(str(error)) from None
    text = cohorts.render_html(result) if args.format == "html" else cohorts.render_csv(result)
    return _write(text, args.output)


def _cohorts_xapi(args: argparse.Namespace) -> int:
    from bot import settings

    home = settings.get(settings.PUBLIC_URL).rstrip("/") or "urn:infoshare"
    try:
        statements = cohorts.xapi_statements(_engine(args), args.code, home)
    except cohorts.CohortError as error:
        raise CliError(str(error)) from None
    return _write(json.dumps(statements, ensure_ascii=False, indent=2) + "\n", args.output)


def _accounts(args: argparse.Namespace) -> Any:
    return Accounts(_engine(args))


def _read_password(args: argparse.Namespace) -> str:
    """From stdin when it is not a terminal (one line), else asked twice without echo."""

    if getattr(args, "password_stdin", False) or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CliError("the two passwords differ")
    return first


@command("users", help="helpdesk accounts (advisers and leads)")
def _users_command(parser: argparse.ArgumentParser) -> None:
    db = database_options()
    sub = parser.add_subparsers(dest="users_command", metavar="SUBCOMMAND", required=True)
    add = sub.add_parser(
        "add", parents=[db], help="add an account (the password from a prompt, or stdin)"
    )
    add.add_argument("name")
    add.add_argument("--role", choices=USER_ROLES, required=True)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=_users_add)
    listing = sub.add_parser("list", parents=[db], help="the accounts")
    listing.set_defaults(handler=_users_list)
    for name, text, handler in (
        ("disable", "stop an account signing in, and end its sessions now", _users_disable),
        ("enable", "let a disabled account sign in again", _users_enable),
        ("sign-out", "end every session of an account now (it may sign in again)", _users_sign_out),
    ):
        command_parser = sub.add_parser(name, parents=[db], help=text)
        command_parser.add_argument("name")
        command_parser.set_defaults(handler=handler)
    password = sub.add_parser(
        "password",
        parents=[db],
        help="set a new password (from a prompt, or stdin) and end the account's sessions",
    )
    password.add_argument("name")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    password.set_defaults(handler=_users_password)
    role = sub.add_parser("role", parents=[db], help="change an account's role; ends its sessions")
    role.add_argument("name")
    role.add_argument("--role", choices=USER_ROLES, required=True)
    role.set_defaults(handler=_users_role)


def _users_add(args: argparse.Namespace) -> int:
    accounts = _accounts(args)
    try:
        user = accounts.add_user(args.name, _read_password(args), args.role)
    except AccountError as error:
        raise CliError(str(error)) from None
    print(f"Added {user.name} ({user.role}).")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    rows = [
        (
            u.name,
            u.role,
            "disabled" if u.disabled else ("locked" if u.locked_until else "active"),
            u.created_at.strftime("%Y-%m-%d %H:%M"),
        )
        for u in _accounts(args).users()
    ]
    if not rows:
        print("No accounts yet: add one with `infoshare users add NAME --role adviser`.")
        return 0
    _print_table(("name", "role", "state", "created (UTC)"), rows)
    return 0


def _users_change(args: argparse.Namespace, action: str, change: Any, said: str) -> int:
    """Change an account (which ends its sessions), audited as ``action``, and say ``said``."""
    accounts = _accounts(args)
    try:
        user = change(accounts)
    except AccountError as error:
        raise CliError(str(error)) from None
    _audit(accounts.engine, action, None, f"account {user.name}")
    print(said.format(name=user.name, role=user.role))
    return 0


def _users_disable(args: argparse.Namespace) -> int:
    return _users_change(
        args,
        "user.disable",
        lambda accounts: accounts.disable_user(args.name),
        "Disabled {name}; their sessions have ended.",
    )


def _users_enable(args: argparse.Namespace) -> int:
    return _users_change(
        args, "user.enable", lambda accounts: accounts.enable_user(args.name), "Enabled {name}."
    )


def _users_password(args: argparse.Namespace) -> int:
    return _users_change(
        args,
        "user.password",
        lambda accounts: accounts.set_password(args.name, _read_password(args)),
        "New password for {name}; their sessions have ended.",
    )


def _users_role(args: argparse.Namespace) -> int:
    return _users_change(
        args,
        "user.role",
        lambda accounts: accounts.set_role(args.name, args.role),
        "{name} is now a {role}; their sessions have ended.",
    )


def _users_sign_out(args: argparse.Namespace) -> int:
    def end(accounts: Accounts) -> Any:
        found = [u for u in accounts.users() if u.name == args.name]
        if not found:
            raise AccountError(f"there is no user called {args.name}")
        accounts.end_sessions(args.name, "signed out by cli")
        return found[0]

    return _users_change(args, "user.sign-out", end, "{name}'s sessions have ended.")


@command("tokens", help="API tokens for helpdesk tools")
def _tokens_command(parser: argparse.ArgumentParser) -> None:
    db = database_options()
    sub = parser.add_subparsers(dest="tokens_command", metavar="SUBCOMMAND", required=True)
    create = sub.add_parser("create", parents=[db], help="make a token (printed once)")
    create.add_argument("--role", choices=TOKEN_ROLES, required=True)
    create.add_argument("--name", default="api", help="what the token is for (default: api)")
    create.set_defaults(handler=_tokens_create)
    listing = sub.add_parser("list", parents=[db], help="the tokens (never their secrets)")
    listing.set_defaults(handler=_tokens_list)
    revoke = sub.add_parser("revoke", parents=[db], help="end a token")
    revoke.add_argument("id", type=_positive_int)
    revoke.set_defaults(handler=_tokens_revoke)


def _tokens_create(args: argparse.Namespace) -> int:
    try:
        token, secret = _accounts(args).create_token(args.name, args.role)
    except AccountError as error:
        raise CliError(str(error)) from None
    print(secret)
    print(
        f"Token {token.id} ({token.role}, {token.name}): keep it now, it is not shown again.",
        file=sys.stderr,
    )
    return 0


def _tokens_list(args: argparse.Namespace) -> int:
    rows = [
        (
            str(t.id),
            t.name,
            t.role,
            t.prefix + "…",
            t.created_at.strftime("%Y-%m-%d %H:%M"),
            t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "",
        )
        for t in _accounts(args).tokens()
    ]
    if not rows:
        print("No tokens yet: make one with `infoshare tokens create --role reporting`.")
        return 0
    _print_table(("id", "name", "role", "starts", "created (UTC)", "revoked (UTC)"), rows)
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    try:
        token = _accounts(args).revoke_token(args.id)
    except AccountError as error:
        raise CliError(str(error)) from None
    print(f"Token {token.id} revoked.")
    return 0


# --- data protection: retention and erasure -------------------------------------------------


def _tracker_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracker-database-url",
        metavar="URL",
        help="Rasa's tracker store (default: $TRACKER_DATABASE_URL, else the records database)",
    )


def _engines(args: argparse.Namespace) -> tuple[Any, Any]:
    """The records' engine (migrated) and the tracker store's."""
    if args.tracker_database_url:
        engine = _engine(args)
        return engine, make_engine(args.tracker_database_url)
    engine, tracker = retention.engines(args.database_url)
    ensure_migrated(engine)
    return engine, tracker


def _policy() -> Any:
    try:
        return retention.Policy.from_settings()
    except ValueError as error:
        raise CliError(str(error)) from None


@command("retention", help="delete what is past its retention period (docs/data-protection.md)")
def _retention_command(parser: argparse.ArgumentParser) -> None:
    db = database_options()
    sub = parser.add_subparsers(dest="retention_command", metavar="SUBCOMMAND", required=True)
    show = sub.add_parser("show", parents=[db], help="what would be deleted now (nothing is)")
    _tracker_option(show)
    show.set_defaults(handler=_retention_show)
    run = sub.add_parser("run", parents=[db], help="delete it (audited: counts, not content)")
    _tracker_option(run)
    run.set_defaults(handler=_retention_run)


def _retention_show(args: argparse.Namespace) -> int:
    policy = _policy()
    records, tracker = _engines(args)
    rows = [
        (
            due.kind.value,
            "kept" if due.kept else f"{due.days} days",
            "-" if due.kept else str(due.count),
            due.oldest.strftime("%Y-%m-%d %H:%M UTC") if due.oldest else "-",
        )
        for due in retention.due(records, tracker, policy=policy)
    ]
    _print_table(("kind", "kept for", "to delete", "oldest"), rows)
    print("The audit log is kept (never deleted). Nothing was deleted: `infoshare retention run`.")
    return 0


def _retention_run(args: argparse.Namespace) -> int:
    policy = _policy()
    records, tracker = _engines(args)
    deleted = retention.run(records, tracker, cli_actor(), policy=policy, source="cli")
    print("Deleted " + ", ".join(f"{n} {kind.value}" for kind, n in deleted.items()) + ".")
    return 0


@command("conversations", help="erase a conversation on request (docs/data-protection.md)")
def _conversations_command(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="conversations_command", metavar="SUBCOMMAND", required=True)
    erase = sub.add_parser(
        "erase",
        parents=[database_options()],
        help="delete a conversation's events and outbox files; its advice requests lose the "
        "way back to it",
    )
    erase.add_argument("sender", metavar="SENDER", help="the conversation's sender id")
    _tracker_option(erase)
    erase.set_defaults(handler=_conversations_erase)


def _conversations_erase(args: argparse.Namespace) -> int:
    sender = args.sender.strip()
    if not sender:
        raise CliError("which conversation? give its sender id")
    records, tracker = _engines(args)
    erased = retention.erase_conversation(records, tracker, sender, cli_actor())
    if not (erased.events or erased.outbox_files or erased.advice_requests):
        raise CliError(f"nothing is stored for conversation {sender!r}")
    print(
        f"Erased conversation {sender}: {erased.events} event(s), {erased.outbox_files} outbox "
        f"file(s); {erased.advice_requests} advice request(s) no longer lead back to it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
