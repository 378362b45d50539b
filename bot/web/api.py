"""The helpdesk API under the Rasa server, at ``/api/`` (docs/records.md: "The API").

Mounted on the Rasa server by :class:`bot.web.mount.WebApps`: serves the advice requests and the
decision records to helpdesk tools holding a bearer token made with ``infoshare tokens create
--role reporting|adviser``.

* ``GET /api/advice?status=open|claimed|answered|closed`` — requests (default: open and claimed),
  urgent first, then oldest;
* ``GET /api/advice/{reference}`` — one request;
* ``POST /api/advice/{reference}/claim`` — take it (role ``adviser``);
* ``POST /api/advice/{reference}/answer`` — ``{"advice": "…", "suggested_answer": "yes|no|…",
  "citation": "3.17-3.37"}`` (role ``adviser``);
* ``GET /api/records?outcome=&from=&to=&safeguarding=&protocol=&channel=&limit=&offset=`` — the
  decision records, newest first, a page at a time with the total; as CSV with
  ``Accept: text/csv`` or ``format=csv``;
* ``GET /api/records/{reference}`` — one record (the record format: docs/design.md §5), or CSV;
* ``GET /api/openapi.json`` — this API in OpenAPI 3.0 (no token needed).

A record's ``conversation_id`` leaves the API as a keyed hash (:func:`conversation_key`: the same
for every record of one conversation, so a report can still group them, but not the id itself,
which would let its holder continue that practitioner's check or take an answer meant for them);
so does a ``check_id`` that is the conversation id. The CLI's export, for the operator who holds
the database anyway, keeps them as they are.

Rasa's own HTTP API (``INFOSHARE_HTTP_API=on``; off by default) returns and changes whole
conversations: :func:`audit_rasa_api`, a request middleware on the whole server, writes every
authenticated call under ``/conversations/`` to the audit log (``conversation.read`` or
``conversation.change``, the conversation as its keyed hash) before Rasa answers it, or answers
503 itself.

Every read and change is written to the audit log (:mod:`bot.helpdesk.audit`) with the token's
name and the client's address; if it cannot be written, nothing is shown (503).

Errors are JSON ``{"error": "…"}``: 401 without a valid token, 403 for a role that may not do it,
404 for an unknown reference, 409 for a request in the wrong state, 422 for a bad body or query.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone
from functools import wraps
from types import MappingProxyType
from typing import Any

from sanic import Blueprint, response
from sanic.exceptions import MethodNotSupported
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.helpdesk import audit_log, delivery, stores
from bot.helpdesk.audit import describe
from bot.helpdesk.models import STATUSES
from bot.helpdesk.openapi import spec
from bot.helpdesk.requests import BadAnswer, RequestError, UnknownRequest
from bot.records import OUTCOMES, RecordFilter, default_repository, links, to_csv
from bot.web.sessions import client_address

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
# Read-only: Sanic's redirect() writes Location into the headers it is given (a shared dict
# once made every later page carry the last redirect's Location).
HEADERS = MappingProxyType({"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> HTTPResponse:
    headers = dict(HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="infoshare"'
    return response.json({"error": message}, status=status, headers=headers)


def conversation_key(conversation_id: str) -> str:
    """The API's stand-in for a conversation id: HMAC-SHA256 with the deployment's secret."""
    secret = (links.secret_key() or "").encode()
    digest = hmac.new(secret, f"conversation\n{conversation_id}".encode(), hashlib.sha256)
    return f"conv-{digest.hexdigest()[:32]}"


def _shown(record: Any) -> Any:
    """``record`` as the API shows it: the conversation id (and a check id that is it) keyed."""
    key = conversation_key(record.conversation_id)
    check = key if record.check_id == record.conversation_id else record.check_id
    return dataclasses.replace(record, conversation_id=key, check_id=check)


RASA_API_ACTOR = "token:rasa-api"


def _rasa_api_token_given(request: Request) -> bool:
    """Whether the call carries the HTTP API's token (Rasa refuses the others itself)."""
    try:
        if not settings.http_api_on():
            return False  # no such routes: nothing to log
    except ValueError:
        return False  # bot.server refuses to start Rasa with such a value
    expected = settings.get(settings.API_TOKEN)
    given = request.args.get("token") or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def audit_rasa_api(request: Request) -> HTTPResponse | None:
    """Log a call of Rasa's HTTP API on a conversation before Rasa answers it (else 503)."""
    parts = request.path.split("/")
    if len(parts) < 3 or parts[1] != "conversations" or not _rasa_api_token_given(request):
        return None
    action = "conversation.read" if request.method in ("GET", "HEAD") else "conversation.change"
    tail = "/".join(parts[3:])
    detail = f"{request.method} /conversations/{{{conversation_key(parts[2])}}}/{tail}"
    try:
        await _run(
            audit_log().add,
            RASA_API_ACTOR,
            action,
            None,
            detail,
            client_address(request),
        )
    except Exception:  # noqa: BLE001 - not logged, not shown
        logger.exception("Rasa's HTTP API call could not be audited")
        return _error(503, DATABASE_DOWN)
    return None


MAX_PAGE = 1000
DEFAULT_PAGE = 100
RECORD_QUERY = ("outcome", "from", "to", "safeguarding", "protocol", "channel", "limit", "offset")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def record_query(args: Any) -> tuple[Any, int, int, dict[str, str]]:
    """The records' filters, page and given query from ``request.args``; ApiError(422) for a
    value that cannot be one (values are compared as data, never put into SQL)."""
    given = {name: values[0] for name, values in args.items()}
    unknown = set(given) - set(RECORD_QUERY) - {"format"}
    if unknown:
        raise ApiError(422, f"unknown parameter(s): {', '.join(sorted(unknown))[:200]}")
    empty = sorted(name for name, value in given.items() if value == "")
    if empty:
        raise ApiError(422, f"{', '.join(empty)}: leave the parameter out rather than empty")

    def when(name: str, end: bool) -> datetime | None:
        value = given.get(name)
        if not value:
            return None
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                moment = datetime.combine(day, time(), tzinfo=timezone.utc)
                return moment + timedelta(days=1) if end else moment
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        except ValueError:
            raise ApiError(422, f"{name}: a date (2026-11-30) or date-time is needed") from None

    def number(name: str, default: int, low: int, high: int) -> int:
        value = given.get(name)
        if value in (None, ""):
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise ApiError(422, f"{name}: a whole number from {low} to {high}")
        return int(value)

    outcome = given.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise ApiError(422, f"outcome is one of {', '.join(OUTCOMES)}")
    safeguarding = (given.get("safeguarding") or "").lower() or None
    if safeguarding is not None and safeguarding not in _TRUE + _FALSE:
        raise ApiError(422, "safeguarding: true or false")
    for name in ("protocol", "channel"):
        if len(given.get(name) or "") > 64:
            raise ApiError(422, f"{name}: at most 64 characters")
    filters = RecordFilter(
        outcome=outcome,
        since=when("from", end=False),
        until=when("to", end=True),
        safeguarding=None if safeguarding is None else safeguarding in _TRUE,
        protocol=given.get("protocol") or None,
        channel=given.get("channel") or None,
    )
    limit = number("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    offset = number("offset", 0, 0, 10**9)
    return filters, limit, offset, {k: v for k, v in given.items() if v}


def _all_args(request: Request) -> dict[str, list[str]]:
    """The query, blank values kept (``?status=`` is a bad status, not no status)."""
    return dict(request.get_args(keep_blank_values=True))


def wants_csv(request: Request) -> bool:
    chosen = _all_args(request).get("format", [None])[0]
    if chosen not in (None, "json", "csv"):
        raise ApiError(422, "format: json or csv")
    if chosen:
        return chosen == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(text: str, filename: str, **headers: str) -> HTTPResponse:
    return response.text(
        text,
        content_type="text/csv; charset=utf-8",
        headers={
            **HEADERS,
            "Content-Disposition": f'attachment; filename="{filename}"',
            **headers,
        },
    )


async def _audit(
    request: Request,
    token: Any,
    action: str,
    reference: str | None = None,
    detail: str = "",
    references: Any = (),
) -> None:
    await _run(
        audit_log().add,
        f"token:{token.name}#{token.id}",
        action,
        reference,
        detail or None,
        client_address(request),
        [found.reference for found in references],
    )


def with_allow_header(request: Request, exception: MethodNotSupported) -> HTTPResponse:
    """A 405 that lists the methods the address takes (``Allow``, RFC 9110). Sanic 21.12 builds
    the header but its JSON error page drops it; every route of the server gets it back."""
    reply = request.app.error_handler.default(request, exception)
    reply.headers.update(getattr(exception, "headers", {}) or {})
    return reply


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


DATABASE_DOWN = "the records database cannot be reached just now"


# The roles that may read the API; a channel token (the REST channel's) may not.
API_ROLES = ("reporting", "adviser")


def guarded(*roles: str) -> Callable[..., Any]:
    """The handler with its token checked (any of :data:`API_ROLES` when none is given), called
    with the token; the request's errors answered as JSON."""

    def wrap(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Any]:
        @wraps(handler)
        async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            accounts, _ = stores()
            try:
                token = await _run(accounts.authenticate_token, _bearer(request))
            except Exception:  # noqa: BLE001 - the database is down: say so, log why
                logger.exception("checking an API token failed")
                return _error(503, DATABASE_DOWN)
            if token is None:
                return _error(401, "a valid bearer token is needed")
            if token.role not in (roles or API_ROLES):
                return _error(403, f"a {token.role} token may not do this")
            try:
                return await handler(request, token, *args, **kwargs)
            except ApiError as error:
                return _error(error.status, str(error))
            except UnknownRequest as error:
                return _error(404, str(error))
            except BadAnswer as error:
                return _error(422, str(error))
            except RequestError as error:
                return _error(409, str(error))
            except Exception:  # noqa: BLE001 - the database is down: say so, log why
                logger.exception("the API could not answer %s", request.path)
                return _error(503, DATABASE_DOWN)

        return checked

    return wrap


async def method_not_allowed_says_what_is(app: Any, _: Any) -> None:
    app.error_handler.add(MethodNotSupported, with_allow_header)


async def openapi(_: Request) -> HTTPResponse:
    return response.json(spec(), headers=HEADERS)


@guarded()
async def advice_list(request: Request, token: Any) -> HTTPResponse:
    status = _all_args(request).get("status", [None])[0]
    if status is not None and status not in STATUSES:
        raise ApiError(422, f"status is one of {', '.join(STATUSES)}")
    _, requests = stores()
    found = await _run(requests.list, status)
    await _audit(
        request, token, "advice.list", None, describe({"status": status}, len(found)), found
    )
    return response.json(
        {"requests": [r.as_dict() for r in found], "count": len(found)}, headers=HEADERS
    )


@guarded()
async def advice_one(request: Request, token: Any, reference: str) -> HTTPResponse:
    _, requests = stores()
    found = await _run(requests.get, reference[:32])
    await _audit(request, token, "advice.read", found.reference)
    return response.json(found.as_dict(), headers=HEADERS)


@guarded("adviser")
async def advice_claim(request: Request, token: Any, reference: str) -> HTTPResponse:
    _, requests = stores()
    claimed = await _run(requests.claim, reference[:32], f"token:{token.name}")
    await _audit(request, token, "advice.claim", claimed.reference)
    return response.json(claimed.as_dict(), headers=HEADERS)


@guarded("adviser")
async def advice_answer(request: Request, token: Any, reference: str) -> HTTPResponse:
    _, requests = stores()
    await _run(requests.get, reference[:32])  # an unknown reference: 404 before 422
    body = _json_body(request)
    advice = body.get("advice")
    suggested = body.get("suggested_answer")
    citation = body.get("citation")
    if not isinstance(advice, str) or not advice.strip():
        raise ApiError(422, "advice: a non-empty string is needed")
    for name, value in (("suggested_answer", suggested), ("citation", citation)):
        if value is not None and not isinstance(value, str):
            raise ApiError(422, f"{name}: a string or null is needed")
    extra = set(body) - {"advice", "suggested_answer", "citation"}
    if extra:
        raise ApiError(422, f"unknown field(s): {', '.join(sorted(extra))}")
    answered = await _run(
        requests.answer, reference[:32], f"token:{token.name}", advice, suggested, citation
    )
    await _audit(request, token, "advice.answer", answered.reference)
    if await delivery.push_answer(answered.reference):
        answered = await _run(requests.get, answered.reference)
    return response.json(answered.as_dict(), headers=HEADERS)


@guarded()
async def records_list(request: Request, token: Any) -> HTTPResponse:
    filters, limit, offset, given = record_query(_all_args(request))
    as_csv = wants_csv(request)
    found, total = await _run(default_repository().search, filters, limit, offset)
    action = "record.export" if as_csv else "record.list"
    await _audit(request, token, action, None, describe(given, len(found)), found)
    found = [_shown(record) for record in found]
    more = offset + len(found) < total
    if as_csv:
        return _csv(to_csv(found), "records.csv", **{"X-Total-Count": str(total)})
    return response.json(
        {
            "records": [record.to_dict() for record in found],
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + len(found) if more else None,
        },
        headers=HEADERS,
    )


@guarded()
async def records_one(request: Request, token: Any, reference: str) -> HTTPResponse:
    as_csv = wants_csv(request)
    record = await _run(default_repository().get, reference[:32])
    if record is None:
        raise ApiError(404, "there is no record with that reference")
    await _audit(request, token, "record.read", record.reference)
    record = _shown(record)
    if as_csv:
        return _csv(to_csv([record]), f"{record.reference}.csv")
    return response.json(record.to_dict(), headers=HEADERS)


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.body or b""
    if len(raw) > MAX_BODY:
        raise ApiError(422, f"the body is over {MAX_BODY} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(422, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object")
    return body


def blueprint() -> Blueprint:
    """The API's routes at ``/api``."""
    api = Blueprint("infoshare_helpdesk_api", url_prefix="/api")
    api.listener("before_server_start")(method_not_allowed_says_what_is)
    api.add_route(openapi, "/openapi.json", methods=["GET"])
    api.add_route(advice_list, "/advice", methods=["GET"])
    api.add_route(advice_one, "/advice/<reference:str>", methods=["GET"])
    api.add_route(advice_claim, "/advice/<reference:str>/claim", methods=["POST"])
    api.add_route(advice_answer, "/advice/<reference:str>/answer", methods=["POST"])
    api.add_route(records_list, "/records", methods=["GET"])
    api.add_route(records_one, "/records/<reference:str>", methods=["GET"])
    return api
