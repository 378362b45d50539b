"""The helpdesk page, served by the Rasa server at ``/helpdesk/`` (docs/helpdesk.md).

Advisers and leads (``infoshare users add NAME --role adviser|lead``) sign in, see the queue of
advice requests (urgent first, then oldest), open one — the half-built decision in the
guidance's words, the question the practitioner was unsure at highlighted with its golden rule
and what the guidance says — claim it and answer it.

Security:

- the session is a cookie signed with ``INFOSHARE_SECRET_KEY`` (``itsdangerous``), HttpOnly,
  SameSite=Strict, path ``/helpdesk``, Secure when the page is served over https, for 8 hours;
  signing out clears it;
- every form carries a CSRF token (the session's; before signing in, a signed cookie's) checked
  on every POST, and a POST from another origin is refused;
- sign-in refuses every failure with the same words; repeated failures lock the account
  (:mod:`bot.helpdesk.accounts`);
- every value shown is HTML-escaped; the pages load nothing from elsewhere (CSP ``default-src
  'self'``) and may not be framed.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlparse

from itsdangerous import BadSignature, URLSafeTimedSerializer
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helpdesk import audit_log, delivery, stores
from bot.helpdesk.audit import describe
from bot.records import links

logger = logging.getLogger(__name__)

SESSION_COOKIE = "infoshare_helpdesk"
PRE_COOKIE = "infoshare_helpdesk_pre"
SESSION_SECONDS = 8 * 3600
PATH = "/helpdesk"
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
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # "same-origin", not "no-referrer": with no referrer, browsers send "Origin: null" on form
    # posts, and the origin check below could not tell the page's own forms from a foreign one.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": POLICY,
}
STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#111}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:2px solid #333}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #999;padding:.4rem;
text-align:left;vertical-align:top}.urgent{font-weight:bold}.urgent::before{content:"URGENT · "}
.unsure{border:3px solid #000;padding:.5rem;background:#ffe}label{display:block;margin-top:.6rem}
textarea{width:100%;min-height:8rem}.error{border-left:4px solid #b00;padding:.4rem}
button,input,select,textarea{font:inherit}a{color:#00c}
.report svg{max-width:100%;height:auto}.report caption{text-align:left;font-weight:bold}
.caller-chat{height:36rem;border:1px solid #999}
"""


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def _audit(
    request: Request, user: dict, action: str, reference: str | None = None, detail: str = ""
) -> None:
    """Log what the signed-in person read or changed (bot/helpdesk/audit.py); if it cannot be
    logged, the page fails (503) rather than show it."""
    await _run(
        audit_log().add,
        f"user:{user['name']}",
        action,
        reference,
        detail or None,
        request.remote_addr or request.ip,
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


def _report_form(request: Request) -> str:
    since = e((request.args.get("since") or "")[:10])
    until = e((request.args.get("until") or "")[:10])
    return (
        f'<form method="get" action="{PATH}/report">'
        f'<label for="since">From (day)</label><input id="since" name="since" type="date" '
        f'value="{since}"><label for="until">To (day, included)</label><input id="until" '
        f'name="until" type="date" value="{until}"><button type="submit">Show</button></form>'
    )


@lru_cache(maxsize=1)
def _tracker_engine() -> Any:
    from bot.helpdesk.reports import tracker_engine
    from bot.records import default_repository

    return tracker_engine(default_repository().engine.url.render_as_string(hide_password=False))


def _build_report(since: date | None, until: date | None) -> Any:
    from bot.helpdesk.reports import build_report
    from bot.records import default_repository

    return build_report(default_repository().engine, _tracker_engine(), since=since, until=until)


def _scenario_exists(number: int) -> bool:
    from bot.training.practice import find

    return find(number) is not None


def _group_session_html(cohort: Any, split: dict, user: dict) -> str:
    """Group mode on the cohort's page: open a scenario; how the answers split; reveal."""
    from bot.protocol import load_protocol
    from bot.protocol.messages import ANSWER_WORDS, question_title
    from bot.training.practice import find
    from bot.training.scenarios import load_scenarios

    csrf = f'<input type="hidden" name="csrf" value="{e(user["csrf"])}">'
    action = f"{PATH}/cohorts/{e(cohort.code)}/session"
    scenario = find(cohort.live_scenario) if cohort.live_scenario else None
    if scenario is None:
        options = "".join(
            f'<option value="{s.number}">{s.number}. {e(s.title)}</option>'
            for s in load_scenarios()
        )
        return (
            "<h2>Group session</h2><p>Open a scenario for the cohort: trainees who joined it "
            "practise it in their own chats, and this page shows how their answers split before "
            "you reveal the model answers.</p>"
            f'<form method="post" action="{action}">{csrf}'
            '<label for="scenario">Scenario</label>'
            f'<select id="scenario" name="scenario">{options}</select>'
            '<button type="submit" name="what" value="open">Open for the cohort</button></form>'
        )
    protocol = load_protocol()
    rows = []
    for step in scenario.steps:
        if step.question == protocol.record.id:
            continue
        keys = [(f"{step.question}.{p.id}", p) for p in step.points] or [(step.question, None)]
        for key, point in keys:
            counts = split.get(key, {})
            given = " · ".join(
                f"{e(ANSWER_WORDS.get(v, v.replace('_', ' ')))}: {n}"
                for v, n in sorted(counts.items(), key=lambda item: -item[1])
            )
            model = point.answer if point else step.answer
            model = "yes" if model in ("true", True) else model
            label = question_title(step.question, protocol) + (
                f" — {point.id.replace('_', ' ')}" if point else ""
            )
            shown = e(ANSWER_WORDS.get(model, str(model).replace("_", " ")))
            rows.append(
                f"<tr><td>{e(label)}</td><td>{given or '—'}</td>"
                f"<td>{shown if cohort.revealed else 'hidden'}</td></tr>"
            )
    buttons = (
        ""
        if cohort.revealed
        else '<button type="submit" name="what" value="reveal">Reveal the model answers</button>'
    )
    return (
        f"<h2>Group session: scenario {scenario.number}, {e(scenario.title)}</h2>"
        "<table><thead><tr><th>Question</th><th>The cohort's answers</th><th>Model answer</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<form method="post" action="{action}">{csrf}{buttons}'
        '<button type="submit" name="what" value="end">End the group session</button></form>'
        f'<p><a href="{PATH}/cohorts?code={e(cohort.code)}">Refresh the answers</a></p>'
    )


def _lead_only(user: dict) -> HTTPResponse | None:
    if user.get("role") == "lead":
        return None
    return _page("Leads only", "<p>This page is for helpdesk leads.</p>", user, status=403)


def _serializer(salt: str) -> URLSafeTimedSerializer | None:
    secret = links.secret_key()
    return URLSafeTimedSerializer(secret, salt=salt) if secret else None


def _page(title: str, body: str, user: dict | None = None, status: int = 200) -> HTTPResponse:
    signed_in = ""
    if user:
        links = (
            f'<a href="{PATH}/check">Check for a caller</a> · <a href="{PATH}/cohorts">Cohorts</a>'
        )
        if user.get("role") == "lead":
            links += f' · <a href="{PATH}/report">Report</a> · <a href="{PATH}/audit">Audit log</a>'
        signed_in = f"<nav>{links}</nav>"
        signed_in += (
            f'<form method="post" action="{PATH}/sign-out">'
            f'<input type="hidden" name="csrf" value="{e(user["csrf"])}">'
            f"Signed in as {e(user['name'])} ({e(user['role'])}) "
            '<button type="submit">Sign out</button></form>'
        )
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} — Can I share? helpdesk</title><style>{STYLE}</style></head><body>"
        f'<header><p><a href="{PATH}/">Can I share? — helpdesk</a></p>{signed_in}</header>'
        f"<main><h1>{e(title)}</h1>{body}</main></body></html>"
    )
    return response.html(document, status=status, headers=HEADERS)


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.scheme == "https" or forwarded == "https"


def _set_cookie(reply: HTTPResponse, request: Request, name: str, value: str, age: int) -> None:
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = PATH
    cookie["max-age"] = age
    if _secure(request):
        cookie["secure"] = True


def _session(request: Request) -> dict | None:
    serializer = _serializer("session")
    raw = request.cookies.get(SESSION_COOKIE)
    if not serializer or not raw:
        return None
    try:
        data = serializer.loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and {"name", "role", "csrf"} <= set(data) else None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlparse(origin).netloc == request.host


def _csrf_ok(request: Request, expected: str | None) -> bool:
    given = (request.form or {}).get("csrf", "") if request.form else ""
    return bool(expected) and bool(given) and hmac.compare_digest(str(given), str(expected))


def _form(request: Request, name: str, limit: int = 4000) -> str:
    value = request.form.get(name, "") if request.form else ""
    return str(value)[:limit]


def _refused(user: dict | None = None) -> HTTPResponse:
    body = (
        '<p class="error">This form has expired or did not come from this page. '
        "Go back, reload and try again.</p>"
    )
    return _page("Refused", body, user, status=403)


class HelpdeskPage(InputChannel):
    """The helpdesk page at ``/helpdesk`` (no messages go through it)."""

    @classmethod
    def name(cls) -> str:
        return "helpdesk"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> str:
        return PATH

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from bot.helpdesk import notify

        notify.log_status_once()  # e-mail on or off, said at start-up
        page = Blueprint("infoshare_helpdesk_page", __name__)

        def signed_in(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Any]:
            async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                if not links.secret_key():
                    return _page(
                        "Helpdesk off",
                        f"<p>The helpdesk needs {e(links.SECRET_ENV)} (16 characters or more).</p>",
                        status=503,
                    )
                user = _session(request)
                if user is None:
                    return response.redirect(f"{PATH}/sign-in", headers=HEADERS)
                if request.method == "POST" and not (
                    _same_origin(request) and _csrf_ok(request, user["csrf"])
                ):
                    return _refused(user)
                try:
                    return await handler(request, user, *args, **kwargs)
                except Exception:  # noqa: BLE001 - say so, log why
                    logger.exception("the helpdesk page failed")
                    return _page(
                        "Something went wrong",
                        "<p>The helpdesk cannot reach the records database just now. Nothing was"
                        " changed; try again shortly.</p>",
                        user,
                        status=503,
                    )

            checked.__name__ = handler.__name__
            return checked

        @page.route("/", methods=["GET"], strict_slashes=False)
        @signed_in
        async def queue(request: Request, user: dict) -> HTTPResponse:
            _, requests = stores()
            status = request.args.get("status") or None
            from bot.helpdesk.models import STATUSES

            if status not in (None, *STATUSES):
                status = None
            found = await _run(requests.list, status)
            await _audit(
                request, user, "advice.list", None, describe({"status": status}, len(found))
            )
            rows = "".join(
                f'<tr><td class="{"urgent" if r.urgent else ""}">'
                f'<a href="{PATH}/requests/{e(r.reference)}">{e(r.reference)}</a></td>'
                f"<td>{e((r.content.get('unsure') or {}).get('title'))}</td>"
                f"<td>{e(r.status)}{' by ' + e(r.claimed_by) if r.claimed_by else ''}</td>"
                f"<td>{e(r.created_at.strftime('%Y-%m-%d %H:%M'))} UTC</td></tr>"
                for r in found
            )
            filters = " · ".join(f'<a href="{PATH}/?status={s}">{s}</a>' for s in STATUSES)
            table = (
                "<table><thead><tr><th>Reference</th><th>Not sure at</th><th>Status</th>"
                f"<th>Asked</th></tr></thead><tbody>{rows}</tbody></table>"
                if rows
                else "<p>No requests here.</p>"
            )
            heading = f"Requests: {status}" if status else "Open requests"
            return _page(heading, f"<p>Show: {filters}</p>{table}", user)

        @page.route("/sign-in", methods=["GET"])
        async def sign_in_form(request: Request) -> HTTPResponse:
            return _sign_in_page(request)

        @page.route("/sign-in", methods=["POST"])
        async def sign_in(request: Request) -> HTTPResponse:
            serializer = _serializer("pre")
            expected = None
            if serializer and request.cookies.get(PRE_COOKIE):
                try:
                    expected = serializer.loads(request.cookies[PRE_COOKIE], max_age=3600)
                except BadSignature:
                    expected = None
            if not (_same_origin(request) and _csrf_ok(request, expected)):
                return _refused()
            accounts, _ = stores()
            user = await _run(
                accounts.sign_in, _form(request, "name", 64), _form(request, "password", 1024)
            )
            if user is None:
                return _sign_in_page(
                    request,
                    "That name and password did not work, or the account is locked or disabled.",
                    status=401,
                )
            session = {"name": user.name, "role": user.role, "csrf": secrets.token_urlsafe(24)}
            reply = response.redirect(f"{PATH}/", headers=HEADERS)
            _set_cookie(
                reply,
                request,
                SESSION_COOKIE,
                _serializer("session").dumps(session),
                SESSION_SECONDS,
            )
            _set_cookie(reply, request, PRE_COOKIE, "", 0)
            return reply

        @page.route("/sign-out", methods=["POST"])
        @signed_in
        async def sign_out(request: Request, user: dict) -> HTTPResponse:
            reply = response.redirect(f"{PATH}/sign-in", headers=HEADERS)
            _set_cookie(reply, request, SESSION_COOKIE, "", 0)
            return reply

        @page.route("/requests/<reference:str>", methods=["GET"])
        @signed_in
        async def request_page(request: Request, user: dict, reference: str) -> HTTPResponse:
            from bot.helpdesk.requests import UnknownRequest

            _, requests = stores()
            try:
                found = await _run(requests.get, reference[:32])
            except UnknownRequest:
                return _page("Not found", "<p>There is no such request.</p>", user, status=404)
            await _audit(request, user, "advice.read", found.reference)
            pool = await _run(requests.answered)
            body = _request_body(found, user) + _precedents_html(found, pool)
            return _page(f"Request {found.reference}", body, user)

        @page.route("/check", methods=["GET"])
        @signed_in
        async def check_for_caller(request: Request, user: dict) -> HTTPResponse:
            """The chat, embedded, for a check made on behalf of someone on the phone."""
            from bot.helpdesk.onbehalf import staff_token

            token = staff_token(user["name"])
            body = (
                "<p>Run the check for someone on the phone: type what they tell you. The record "
                f"will say that you, {e(user['name'])}, made it for a caller. Give them the "
                "reference at the end.</p>"
                '<div id="webchat" class="caller-chat"></div>'
                f'<script src="/chat/widget.js" data-target="webchat" '
                f'data-staff-token="{e(token)}"></script>'
            )
            reply = _page("Check for a caller", body, user)
            reply.headers["Content-Security-Policy"] = CHAT_POLICY
            return reply

        @page.route("/cohorts", methods=["GET"])
        @signed_in
        async def cohorts_page(request: Request, user: dict) -> HTTPResponse:
            """Trainers' cohorts, and one cohort's report (?code=…)."""
            from bot.records import default_repository
            from bot.training import cohorts

            engine = default_repository().engine
            code = (request.args.get("code") or "").strip()[:16]
            if code:
                try:
                    result = await _run(cohorts.report, engine, code)
                except cohorts.CohortError:
                    body = f"<p>There is no cohort {e(code)}.</p>"
                    return _page("Cohorts", body, user, status=404)
                title = f"Cohort {result.cohort.code}: {result.cohort.name}"
                split = (
                    await _run(
                        cohorts.Cohorts(engine).split,
                        result.cohort.code,
                        result.cohort.live_scenario,
                    )
                    if result.cohort.live_scenario
                    else {}
                )
                body = _group_session_html(result.cohort, split, user) + (
                    f'<div class="report">{cohorts.report_body(result)}</div>'
                )
                return _page(title, body, user)
            found = await _run(cohorts.Cohorts(engine).list)
            rows = "".join(
                f'<tr><td><a href="{PATH}/cohorts?code={e(c.code)}">{e(c.code)}</a></td>'
                f"<td>{e(c.name)}</td><td>{e(c.feedback or 'as each scenario says')}</td>"
                f"<td>{e(c.created_at.strftime('%Y-%m-%d'))}</td></tr>"
                for c in found
            )
            table = (
                "<table><thead><tr><th>Code</th><th>Name</th><th>Feedback</th><th>Made</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>"
                if rows
                else "<p>No cohorts yet: <code>infoshare cohorts create NAME</code>.</p>"
            )
            return _page("Cohorts", table, user)

        @page.route("/cohorts/<code:str>/session", methods=["POST"])
        @signed_in
        async def cohort_session(request: Request, user: dict, code: str) -> HTTPResponse:
            """Group mode: open a scenario for the cohort, reveal the model answers, or end."""
            from bot.records import default_repository
            from bot.training import cohorts

            store = cohorts.Cohorts(default_repository().engine)
            what = _form(request, "what", 16)
            try:
                if what == "reveal":
                    await _run(store.reveal, code[:16])
                elif what == "end":
                    await _run(store.open_session, code[:16], None)
                else:
                    number = _form(request, "scenario", 4)
                    if not number.isdigit() or not _scenario_exists(int(number)):
                        raise cohorts.CohortError("choose one of the scenarios")
                    await _run(store.open_session, code[:16], int(number))
            except cohorts.CohortError as error:
                return _page("Cohorts", f'<p class="error" role="alert">{e(error)}</p>', user, 422)
            return response.redirect(f"{PATH}/cohorts?code={e(code[:16])}", headers=HEADERS)

        @page.route("/report", methods=["GET"])
        @signed_in
        async def report(request: Request, user: dict) -> HTTPResponse:
            from bot.helpdesk import reports

            refused = _lead_only(user)
            if refused:
                return refused
            since, until = _day(request, "since"), _day(request, "until")
            if "" in (since, until) or (since and until and since > until):
                body = '<p class="error" role="alert">Give the days as 2026-11-30, the first '
                body += "no later than the last.</p>"
                return _page("Report", body + _report_form(request), user, status=422)
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
            download = (
                f'<p><a href="{PATH}/report?{e(query)}&amp;format=csv">Download as CSV</a></p>'
            )
            body = (
                _report_form(request)
                + download
                + f'<div class="report">{reports.report_sections_html(built)}</div>'
            )
            return _page("Report", body, user)

        @page.route("/audit", methods=["GET"])
        @signed_in
        async def audit(request: Request, user: dict) -> HTTPResponse:
            from bot.records import normalise_reference

            refused = _lead_only(user)
            if refused:
                return refused
            reference = (request.args.get("reference") or "").strip()[:32] or None
            if reference:
                reference = normalise_reference(reference) or reference
            entries = await _run(audit_log().list, reference, None, None, 500)
            await _audit(request, user, "audit.read", reference)
            rows = "".join(
                f"<tr><td>{e(x.at.strftime('%Y-%m-%d %H:%M:%S'))}</td><td>{e(x.actor)}</td>"
                f"<td>{e(x.action)}</td><td>{e(x.reference or '—')}</td>"
                f"<td>{e(x.source or '—')}</td><td>{e(x.detail or '')}</td></tr>"
                for x in entries
            )
            form = (
                f'<form method="get" action="{PATH}/audit"><label for="reference">Reference'
                f'</label><input id="reference" name="reference" value="{e(reference or "")}">'
                '<button type="submit">Show</button></form>'
            )
            table = (
                "<table><thead><tr><th>At (UTC)</th><th>Who</th><th>What</th><th>Reference</th>"
                f"<th>From</th><th>Detail</th></tr></thead><tbody>{rows}</tbody></table>"
                if rows
                else "<p>No entries.</p>"
            )
            return _page("Audit log", form + table, user)

        @page.route("/requests/<reference:str>/claim", methods=["POST"])
        @signed_in
        async def claim(request: Request, user: dict, reference: str) -> HTTPResponse:
            return await _change(request, user, reference, "claim")

        @page.route("/requests/<reference:str>/answer", methods=["POST"])
        @signed_in
        async def answer(request: Request, user: dict, reference: str) -> HTTPResponse:
            return await _change(request, user, reference, "answer")

        return page


def _sign_in_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    serializer = _serializer("pre")
    if serializer is None:
        return _page(
            "Helpdesk off",
            f"<p>The helpdesk needs {e(links.SECRET_ENV)} (16 characters or more).</p>",
            status=503,
        )
    token = secrets.token_urlsafe(24)
    body = (
        (f'<p class="error" role="alert">{e(error)}</p>' if error else "")
        + f'<form method="post" action="{PATH}/sign-in">'
        f'<input type="hidden" name="csrf" value="{e(token)}">'
        '<label for="name">Name</label>'
        '<input id="name" name="name" autocomplete="username" required>'
        '<label for="password">Password</label><input id="password" name="password" '
        'type="password" autocomplete="current-password" required>'
        '<p><button type="submit">Sign in</button></p></form>'
    )
    reply = _page("Sign in", body, status=status)
    _set_cookie(reply, request, PRE_COOKIE, serializer.dumps(token), 3600)
    return reply


def _precedents_html(found: Any, pool: list) -> str:
    """The answered requests most like this one, with their advice (bot/helpdesk/precedents.py)."""
    from bot.helpdesk.precedents import rank

    alike = rank(found, pool)
    heading = '<section class="precedents"><h2>Alike cases answered before</h2>'
    if not alike:
        return f"{heading}<p>None yet.</p></section>"
    items = "".join(
        f'<li><a href="{PATH}/requests/{e(p.request.reference)}">{e(p.request.reference)}</a> — '
        + (
            "same question"
            if p.same_question
            else e((p.request.content.get("unsure") or {}).get("title"))
        )
        + f" · situation {round(p.similarity * 100)}% alike"
        f"<br><strong>Advice:</strong> {e(p.request.advice)}"
        + (f" · suggested: {e(p.request.suggested_answer)}" if p.request.suggested_answer else "")
        + (f" · paragraphs {e(p.request.citation)}" if p.request.citation else "")
        + "</li>"
        for p in alike
    )
    return f"{heading}<ol>{items}</ol></section>"


def _how_answered_html(content: dict, protocol: Any) -> str:
    """How each answer so far was given (button, typed word, read back, …): "not recorded" for a
    request made before that was kept."""
    from bot.protocol.messages import question_title
    from bot.records.fields import NOT_RECORDED, how_answered

    ways = content.get("how_answered") or {}
    if not ways:
        return f"<h2>How each answer was given</h2><p>{e(NOT_RECORDED.capitalize())}</p>"
    points = {item.id: item.label for item in protocol.checklist_question.checklist}
    items = []
    for key in ways:
        question, _, point = key.partition(".")
        label = question_title(question, protocol)
        if point:
            label = f"{label} — {points.get(point, point)}"
        items.append(f"<li>{e(label)}: {e(how_answered(ways, key))}</li>")
    return f"<h2>How each answer was given</h2><ul>{''.join(items)}</ul>"


def _request_body(found: Any, user: dict, error: str = "") -> str:
    from bot.protocol import load_protocol

    protocol = load_protocol()
    content = found.content
    parts = []
    if error:
        parts.append(f'<p class="error" role="alert">{e(error)}</p>')
    parts.append(
        f"<p>Status: <strong>{e(found.status)}</strong>"
        + (f" by {e(found.claimed_by)}" if found.claimed_by else "")
        + (
            " · <strong>URGENT: safeguarding signs in the conversation</strong>"
            if found.urgent
            else ""
        )
        + f" · asked {e(found.created_at.strftime('%Y-%m-%d %H:%M'))} UTC"
        + f" · via {e(found.channel)}</p>"
    )
    context = "".join(
        f"<dt>{e(c['label'])}</dt><dd>{e(c['value'] or '—')}</dd>"
        for c in content.get("context", [])
    )
    parts.append(f"<h2>The case</h2><dl>{context}</dl>")
    answers = "".join(
        f"<li>{e(a['label'])}: <strong>{e(a['value'])}</strong></li>"
        if a["kind"] == "answer"
        else f"<li>{e(a['label'])}: {e(a['value'])}</li>"
        for a in content.get("answers", [])
    )
    parts.append(f"<h2>Answers so far</h2><ul>{answers or '<li>None yet</li>'}</ul>")
    parts.append(_how_answered_html(content, protocol))
    unsure = content.get("unsure")
    if unsure:
        question = protocol.owner(unsure["id"]) or protocol.question(unsure["id"].split(".")[0])
        considerations = "".join(
            f"<li>{e(g.text)}</li>"
            for g in question.prompts + question.more + question.considerations
        )
        parts.append(
            '<section class="unsure"><h2>Not sure at</h2>'
            f"<p><strong>{e(unsure['title'])}</strong></p>"
            f"<p>Golden Rule {e(unsure['golden_rule'])}: {e(unsure['golden_rule_text'])}</p>"
            f"<p>Guidance paragraphs {e(unsure['paragraphs'])}</p>"
            + (f"<p>What the guidance says:</p><ul>{considerations}</ul>" if considerations else "")
            + "</section>"
        )
    parts.append(f"<h2>Their question</h2><p>{e(content.get('question') or '(none given)')}</p>")
    csrf = f'<input type="hidden" name="csrf" value="{e(user["csrf"])}">'
    action = f"{PATH}/requests/{e(found.reference)}"
    if found.status == "open":
        parts.append(
            f'<form method="post" action="{action}/claim">{csrf}'
            '<button type="submit">Claim this request</button></form>'
        )
    if found.status in ("open", "claimed") and found.claimed_by in (None, user["name"]):
        options = "".join(
            f'<option value="{e(a)}">{e(a.replace("_", " "))}</option>'
            for a in (unsure or {}).get("answers", [])
        )
        parts.append(
            f'<h2>Answer</h2><form method="post" action="{action}/answer">{csrf}'
            '<label for="advice">Your advice</label><textarea id="advice" name="advice" required>'
            "</textarea>"
            '<label for="suggested">The answer you suggest for the question they were unsure at'
            '</label><select id="suggested" name="suggested_answer">'
            '<option value="">(none)</option>'
            f"{options}</select>"
            '<label for="citation">The guidance paragraph(s) it rests on (optional)</label>'
            '<input id="citation" name="citation" maxlength="64">'
            '<p><button type="submit">Send the answer</button></p></form>'
        )
    if found.advice:
        parts.append(
            f"<h2>Answered by {e(found.answered_by)}</h2><p>{e(found.advice)}</p>"
            f"<p>Suggested answer: {e(found.suggested_answer or '—')} · "
            f"paragraphs: {e(found.citation or '—')}</p>"
        )
        parts.append(
            "<p>"
            + (
                f"Shown to the practitioner {e(found.delivered_at.strftime('%Y-%m-%d %H:%M'))} UTC"
                if found.delivered_at
                else "Not seen by the practitioner yet: it is shown in their chat when they "
                "next write or open it"
            )
            + (
                f" · closed {e(found.closed_at.strftime('%Y-%m-%d %H:%M'))} UTC"
                if found.closed_at
                else ""
            )
            + "</p>"
        )
    return "".join(parts)


async def _change(request: Request, user: dict, reference: str, what: str) -> HTTPResponse:
    from bot.helpdesk.requests import RequestError, UnknownRequest

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
                _form(request, "advice"),
                _form(request, "suggested_answer", 32) or None,
                _form(request, "citation", 64) or None,
            )
            await _audit(request, user, "advice.answer", reference[:32])
    except UnknownRequest:
        return _page("Not found", "<p>There is no such request.</p>", user, status=404)
    except RequestError as error:
        found = await _run(requests.get, reference[:32])
        return _page(
            f"Request {found.reference}", _request_body(found, user, str(error)), user, status=409
        )
    if what == "answer":
        # to the practitioner's open chat (web chat, Teams) at once; otherwise at their next
        # message (bot/helpdesk/delivery.py)
        await delivery.push_answer(reference[:32])
    return response.redirect(f"{PATH}/requests/{reference[:32]}", headers=HEADERS)
