"""The helpdesk pages at ``/helpdesk/`` (docs/helpdesk.md).

Advisers and leads (``infoshare users add NAME --role adviser|lead``) sign in, see the queue of
advice requests (urgent first, then oldest), open one — the half-built decision in the
guidance's words, the question the practitioner was unsure at highlighted with its golden rule
and what the guidance says — claim it and answer it. Leads also read the report and the audit
log; staff run a check for a caller and open trainers' cohorts in group mode.

Mounted on the Rasa server by :class:`bot.web.mount.WebApps`. Security:

- sessions, CSRF tokens and the same-origin check are :mod:`bot.web.sessions`: every POST of a
  signed-in page (:func:`signed_in`) and the sign-in form are refused (403) without them;
- sign-in refuses every failure with the same words; repeated failures lock the account
  (:mod:`bot.helpdesk.accounts`);
- every page is a template of ``bot/web/templates/helpdesk/`` (autoescape on); the pages load
  nothing from elsewhere (CSP ``default-src 'none'``, the stylesheet from this server) and may
  not be framed;
- what a signed-in person reads or changes is written to the audit log, or the page fails (503).
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from functools import lru_cache, wraps
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helpdesk import audit_log, delivery, notify, reports, stores
from bot.helpdesk.audit import describe
from bot.helpdesk.models import STATUSES
from bot.helpdesk.onbehalf import staff_token
from bot.helpdesk.requests import RequestError, UnknownRequest
from bot.records import default_repository, links, normalise_reference
from bot.training import cohorts
from bot.training.practice import find
from bot.training.scenarios import load_scenarios
from bot.web import sessions, sign_ins
from bot.web.helpdesk_views import alike, group_split, request_view
from bot.web.pages import render
from bot.web.sessions import PATH

logger = logging.getLogger(__name__)

POLICY = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The caller's check embeds the chat (its script and bundle, its socket) from this server.
CHAT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Read-only: Sanic's redirect() writes Location into the headers it is given (a shared dict
# once made every later page carry the last redirect's Location).
HEADERS = MappingProxyType(
    {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        # "same-origin", not "no-referrer": with no referrer, browsers send "Origin: null" on form
        # posts, and the origin check (bot/web/sessions.py) could not tell the page's own forms
        # from a foreign one.
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": POLICY,
    }
)

# What the pages that say one thing say.
HELPDESK_OFF = f"The helpdesk needs {links.SECRET_ENV}: {links.SECRET_REQUIREMENT}."
LEADS_ONLY = "This page is for helpdesk leads."
REFUSED = "This form has expired or did not come from this page. Go back, reload and try again."
DATABASE_DOWN = (
    "The helpdesk cannot reach the records database just now. Nothing was changed; try again "
    "shortly."
)
NO_SUCH_REQUEST = "There is no such request."
SIGN_IN_FAILED = "That name and password did not work, or the account is locked or disabled."
SIGN_IN_BUSY = "Too many people are signing in just now. Wait a minute and try again."

Handler = Callable[..., Awaitable[HTTPResponse]]


# --- responses -----------------------------------------------------------------------------------


def page(
    template: str, title: str, user: dict | None = None, status: int = 200, **context: Any
) -> HTTPResponse:
    """A helpdesk page: ``templates/helpdesk/<template>`` with ``context``."""
    body = render(f"helpdesk/{template}", title=title, user=user, base=PATH, **context)
    return response.html(body, status=status, headers=HEADERS)


def say(
    title: str,
    message: str,
    user: dict | None = None,
    status: int = 200,
    *,
    error: bool = False,
    alert: bool = False,
) -> HTTPResponse:
    """A page that says one thing."""
    return page("message.html", title, user, status, message=message, error=error, alert=alert)


def _redirect(to: str) -> HTTPResponse:
    return response.redirect(to, headers=dict(HEADERS))


def _helpdesk_off() -> HTTPResponse:
    return say("Helpdesk off", HELPDESK_OFF, status=503)


def _refused(user: dict | None = None) -> HTTPResponse:
    return say("Refused", REFUSED, user, status=403, error=True)


def _lead_only(user: dict) -> HTTPResponse | None:
    if user.get("role") == "lead":
        return None
    return say("Leads only", LEADS_ONLY, user, status=403)


# --- helpers -------------------------------------------------------------------------------------


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def _audit(
    request: Request,
    user: dict,
    action: str,
    reference: str | None = None,
    detail: str = "",
    references: Any = (),
) -> None:
    """Log what the signed-in person read or changed (bot/helpdesk/audit.py); if it cannot be
    logged, the page fails (503) rather than show it."""
    await _run(
        audit_log().add,
        f"user:{user['name']}",
        action,
        reference,
        detail or None,
        sessions.client_address(request),
        [found.reference for found in references],
    )


def _day(request: Request, name: str) -> date | None | str:
    """A day from the query; None when not given, "" when it is not a day."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return ""


@lru_cache(maxsize=1)
def _tracker_engine() -> Any:
    url = default_repository().engine.url.render_as_string(hide_password=False)
    return reports.tracker_engine(url)


def _build_report(since: date | None, until: date | None) -> Any:
    return reports.build_report(
        default_repository().engine, _tracker_engine(), since=since, until=until
    )


def signed_in(handler: Handler) -> Handler:
    """The page for a signed-in person only (else to the sign-in form), called with the session;
    a POST must come from this site's page with the session's CSRF token."""

    @wraps(handler)
    async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        if not sessions.enabled():
            return _helpdesk_off()
        accounts, _ = stores()
        secret = sessions.session_secret(request)
        signed = await _run(accounts.session, secret) if secret else None
        if signed is None:
            return _redirect(f"{PATH}/sign-in")
        user = signed.as_dict()
        if request.method == "POST" and not sessions.post_allowed(request, user["csrf"]):
            return _refused(user)
        try:
            return await handler(request, user, *args, **kwargs)
        except Exception:  # noqa: BLE001 - say so, log why
            logger.exception("the helpdesk page failed")
            return say("Something went wrong", DATABASE_DOWN, user, status=503)

    return checked


# --- signing in and out --------------------------------------------------------------------------


def _sign_in_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    if not sessions.enabled():
        return _helpdesk_off()
    token = sessions.new_token()
    reply = page("sign_in.html", "Sign in", status=status, csrf=token, error=error)
    sessions.sign_in_token(reply, request, token)
    return reply


async def sign_in_form(request: Request) -> HTTPResponse:
    return _sign_in_page(request)


async def sign_in(request: Request) -> HTTPResponse:
    if not sessions.post_allowed(request, sessions.expected_sign_in_token(request)):
        return _refused()
    accounts, _ = stores()
    try:
        user = await sign_ins.run(
            accounts.sign_in,
            sessions.form(request, "name", 64),
            sessions.form(request, "password", 1024),
            sessions.client_address(request),
        )
    except sign_ins.Busy:
        reply = _sign_in_page(request, SIGN_IN_BUSY, status=429)
        reply.headers["Retry-After"] = str(sign_ins.RETRY_AFTER_SECONDS)
        return reply
    if user is None:
        return _sign_in_page(request, SIGN_IN_FAILED, status=401)
    secret, _ = await _run(accounts.start_session, user)
    reply = _redirect(f"{PATH}/")
    sessions.set_session(reply, request, secret)
    return reply


@signed_in
async def sign_out(request: Request, user: dict) -> HTTPResponse:
    accounts, _ = stores()
    await _run(accounts.end_session, sessions.session_secret(request), "signed out")
    reply = _redirect(f"{PATH}/sign-in")
    sessions.clear_session(reply, request)
    return reply


# --- advice requests -----------------------------------------------------------------------------


@signed_in
async def queue(request: Request, user: dict) -> HTTPResponse:
    _, requests = stores()
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    found = await _run(requests.list, status)
    await _audit(
        request, user, "advice.list", None, describe({"status": status}, len(found)), found
    )
    heading = f"Requests: {status}" if status else "Open requests"
    return page("queue.html", heading, user, requests=found, statuses=STATUSES)


def _request_page(
    found: Any, user: dict, error: str = "", shown: list | None = None, status: int = 200
) -> HTTPResponse:
    """One request; with ``shown``, the alike cases beside it."""
    return page(
        "request.html",
        f"Request {found.reference}",
        user,
        status,
        view=request_view(found, user),
        error=error,
        alike=shown,
    )


@signed_in
async def request_page(request: Request, user: dict, reference: str) -> HTTPResponse:
    _, requests = stores()
    try:
        found = await _run(requests.get, reference[:32])
    except UnknownRequest:
        return say("Not found", NO_SUCH_REQUEST, user, status=404)
    await _audit(request, user, "advice.read", found.reference)
    shown = alike(found, await _run(requests.answered))
    if shown:  # the answered requests beside it, their advice shown too
        detail = describe({"beside": found.reference}, len(shown))
        await _audit(request, user, "advice.alike", None, detail, shown)
    return _request_page(found, user, shown=shown)


async def _change(request: Request, user: dict, reference: str, what: str) -> HTTPResponse:
    _, requests = stores()
    by = user["name"]
    try:
        if what == "claim":
            claimed = await _run(requests.claim, reference[:32], by)
            await _audit(request, user, "advice.claim", claimed.reference)
        else:
            await _run(
                requests.answer,
                reference[:32],
                by,
                sessions.form(request, "advice"),
                sessions.form(request, "suggested_answer", 32) or None,
                sessions.form(request, "citation", 64) or None,
            )
            await _audit(request, user, "advice.answer", reference[:32])
    except UnknownRequest:
        return say("Not found", NO_SUCH_REQUEST, user, status=404)
    except RequestError as error:
        found = await _run(requests.get, reference[:32])
        return _request_page(found, user, str(error), status=409)
    if what == "answer":
        # to the practitioner's open chat (web chat, Teams) at once; otherwise at their next
        # message (bot/helpdesk/delivery.py)
        await delivery.push_answer(reference[:32])
    return _redirect(f"{PATH}/requests/{reference[:32]}")


@signed_in
async def claim(request: Request, user: dict, reference: str) -> HTTPResponse:
    return await _change(request, user, reference, "claim")


@signed_in
async def answer(request: Request, user: dict, reference: str) -> HTTPResponse:
    return await _change(request, user, reference, "answer")


# --- a check for a caller ------------------------------------------------------------------------


@signed_in
async def check_for_caller(request: Request, user: dict) -> HTTPResponse:
    """The chat, embedded, for a check made on behalf of someone on the phone."""
    reply = page(
        "check.html", "Check for a caller", user, token=staff_token(user["name"], user["session"])
    )
    reply.headers["Content-Security-Policy"] = CHAT_POLICY
    return reply


# --- cohorts -------------------------------------------------------------------------------------


@signed_in
async def cohorts_page(request: Request, user: dict) -> HTTPResponse:
    """Trainers' cohorts, and one cohort's report and group session (?code=…)."""
    engine = default_repository().engine
    code = (request.args.get("code") or "").strip()[:16]
    if not code:
        found = await _run(cohorts.Cohorts(engine).list)
        return page("cohorts.html", "Cohorts", user, cohorts=found)
    try:
        result = await _run(cohorts.report, engine, code)
    except cohorts.CohortError:
        return say("Cohorts", f"There is no cohort {code}.", user, status=404)
    cohort = result.cohort
    scenario = find(cohort.live_scenario) if cohort.live_scenario else None
    split = (
        await _run(cohorts.Cohorts(engine).split, cohort.code, cohort.live_scenario)
        if cohort.live_scenario
        else {}
    )
    return page(
        "cohort.html",
        f"Cohort {cohort.code}: {cohort.name}",
        user,
        cohort=cohort,
        scenario=scenario,
        scenarios=load_scenarios() if scenario is None else (),
        rows=group_split(scenario, split) if scenario is not None else (),
        # built, escaped, by bot/training/cohorts.py (also the CLI's standalone report)
        report=Markup(cohorts.report_body(result)),
    )


@signed_in
async def cohort_session(request: Request, user: dict, code: str) -> HTTPResponse:
    """Group mode: open a scenario for the cohort, reveal the model answers, or end."""
    store = cohorts.Cohorts(default_repository().engine)
    what = sessions.form(request, "what", 16)
    try:
        if what == "reveal":
            await _run(store.reveal, code[:16])
        elif what == "end":
            await _run(store.open_session, code[:16], None)
        else:
            number = sessions.form(request, "scenario", 4)
            if not number.isdigit() or find(int(number)) is None:
                raise cohorts.CohortError("choose one of the scenarios")
            await _run(store.open_session, code[:16], int(number))
    except cohorts.CohortError as error:
        return say("Cohorts", str(error), user, 422, alert=True)
    return _redirect(f"{PATH}/cohorts?code={html.escape(code[:16], quote=True)}")


# --- for leads: the report and the audit log -----------------------------------------------------


@signed_in
async def report(request: Request, user: dict) -> HTTPResponse:
    refused = _lead_only(user)
    if refused:
        return refused
    shown = {
        "since": (request.args.get("since") or "")[:10],
        "until": (request.args.get("until") or "")[:10],
    }
    since, until = _day(request, "since"), _day(request, "until")
    if "" in (since, until) or (since and until and since > until):
        return page("report.html", "Report", user, 422, error=True, query="", report=None, **shown)
    built = await _run(_build_report, since, until)
    await _audit(request, user, "report.read", None, reports.period(built))
    if request.args.get("format") == "csv":
        return response.text(
            reports.render_csv(built),
            content_type="text/csv; charset=utf-8",
            headers={
                **HEADERS,
                "Content-Disposition": 'attachment; filename="helpdesk-report.csv"',
            },
        )
    query = urlencode({k: v for k, v in request.args.items() if k != "format"}, doseq=True)
    return page(
        "report.html",
        "Report",
        user,
        error=False,
        query=query,
        # built, escaped, by bot/helpdesk/reports.py (also the CLI's standalone report)
        report=Markup(reports.report_sections_html(built)),
        **shown,
    )


@signed_in
async def audit(request: Request, user: dict) -> HTTPResponse:
    refused = _lead_only(user)
    if refused:
        return refused
    reference = (request.args.get("reference") or "").strip()[:32] or None
    if reference:
        reference = normalise_reference(reference) or reference
    entries = await _run(audit_log().list, reference, None, None, 500)
    await _audit(request, user, "audit.read", reference)
    return page("audit.html", "Audit log", user, reference=reference, entries=entries)


# --- the blueprint -------------------------------------------------------------------------------


def blueprint() -> Blueprint:
    """The helpdesk's routes at ``/helpdesk``."""
    notify.log_status_once()  # e-mail on or off, said at start-up
    pages = Blueprint("infoshare_helpdesk_page", url_prefix=PATH)
    pages.add_route(queue, "/", methods=["GET"], strict_slashes=False)
    pages.add_route(sign_in_form, "/sign-in", methods=["GET"])
    pages.add_route(sign_in, "/sign-in", methods=["POST"])
    pages.add_route(sign_out, "/sign-out", methods=["POST"])
    pages.add_route(request_page, "/requests/<reference:str>", methods=["GET"])
    pages.add_route(claim, "/requests/<reference:str>/claim", methods=["POST"])
    pages.add_route(answer, "/requests/<reference:str>/answer", methods=["POST"])
    pages.add_route(check_for_caller, "/check", methods=["GET"])
    pages.add_route(cohorts_page, "/cohorts", methods=["GET"])
    pages.add_route(cohort_session, "/cohorts/<code:str>/session", methods=["POST"])
    pages.add_route(report, "/report", methods=["GET"])
    pages.add_route(audit, "/audit", methods=["GET"])
    return pages
