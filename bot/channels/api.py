"""The helpdesk API under the Rasa server, at ``/api/`` (README: "Helpdesk API").

A Rasa input channel that carries no messages (like :mod:`bot.channels.chat`): its blueprint
serves the advice requests to helpdesk tools holding a bearer token made with ``infoshare tokens
create --role reporting|adviser``.

* ``GET /api/advice?status=open|claimed|answered|closed`` — requests (default: open and claimed),
  urgent first, then oldest;
* ``GET /api/advice/{reference}`` — one request;
* ``POST /api/advice/{reference}/claim`` — take it (role ``adviser``);
* ``POST /api/advice/{reference}/answer`` — ``{"advice": "…", "suggested_answer": "yes|no|…",
  "citation": "3.17-3.37"}`` (role ``adviser``);
* ``GET /api/openapi.json`` — this API in OpenAPI 3.0 (no token needed).

Errors are JSON ``{"error": "…"}``: 401 without a valid token, 403 for a role that may not do it,
404 for an unknown reference, 409 for a request in the wrong state, 422 for a bad body or query.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helpdesk import delivery, stores

logger = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> HTTPResponse:
    headers = dict(HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="infoshare"'
    return response.json({"error": message}, status=status, headers=headers)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def _run(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


class HelpdeskApi(InputChannel):
    """The advice API at ``/api`` (no messages go through it)."""

    @classmethod
    def name(cls) -> str:
        return "helpdesk_api"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> str:
        return "/api"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        api = Blueprint("infoshare_helpdesk_api", __name__)

        def guarded(*roles: str) -> Callable[..., Any]:
            """The handler with its token checked (any role when none is given)."""

            def wrap(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Any]:
                async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                    from bot.helpdesk.requests import BadAnswer, RequestError, UnknownRequest

                    accounts, _ = stores()
                    try:
                        token = await _run(accounts.authenticate_token, _bearer(request))
                    except Exception:  # noqa: BLE001 - the database is down: say so, log why
                        logger.exception("checking an API token failed")
                        return _error(503, "the records database cannot be reached just now")
                    if token is None:
                        return _error(401, "a valid bearer token is needed")
                    if roles and token.role not in roles:
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

                checked.__name__ = handler.__name__
                return checked

            return wrap

        @api.route("/openapi.json", methods=["GET"])
        async def openapi(_: Request) -> HTTPResponse:
            from bot.helpdesk.openapi import spec

            return response.json(spec(), headers=HEADERS)

        @api.route("/advice", methods=["GET"])
        @guarded()
        async def advice_list(request: Request, token: Any) -> HTTPResponse:
            from bot.helpdesk.models import STATUSES

            status = request.args.get("status") or None
            if status is not None and status not in STATUSES:
                raise ApiError(422, f"status is one of {', '.join(STATUSES)}")
            _, requests = stores()
            found = await _run(requests.list, status)
            return response.json(
                {"requests": [r.as_dict() for r in found], "count": len(found)}, headers=HEADERS
            )

        @api.route("/advice/<reference:str>", methods=["GET"])
        @guarded()
        async def advice_one(request: Request, token: Any, reference: str) -> HTTPResponse:
            _, requests = stores()
            found = await _run(requests.get, reference[:32])
            return response.json(found.as_dict(), headers=HEADERS)

        @api.route("/advice/<reference:str>/claim", methods=["POST"])
        @guarded("adviser")
        async def advice_claim(request: Request, token: Any, reference: str) -> HTTPResponse:
            _, requests = stores()
            claimed = await _run(requests.claim, reference[:32], f"token:{token.name}")
            return response.json(claimed.as_dict(), headers=HEADERS)

        @api.route("/advice/<reference:str>/answer", methods=["POST"])
        @guarded("adviser")
        async def advice_answer(request: Request, token: Any, reference: str) -> HTTPResponse:
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
            _, requests = stores()
            answered = await _run(
                requests.answer, reference[:32], f"token:{token.name}", advice, suggested, citation
            )
            if await delivery.push_answer(answered.reference):
                answered = await _run(requests.get, answered.reference)
            return response.json(answered.as_dict(), headers=HEADERS)

        return api


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
