"""Small, named fixes to Rasa 3.6 internals that cost time on every message.

Applied by ``bot/rasa_runner.py`` (how ``bot/server.py`` starts Rasa) before Rasa loads anything;
:func:`targets_present` is what ``tests/integration/test_rasa_patches.py`` checks, so a Rasa
upgrade that removes or renames a target fails the tests instead of silently dropping the fix.

1. **The action server's replies are validated against a schema compiled once.**
   ``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)``, which
   first checks the schema itself against the Draft 2020-12 meta-schema, on every call: about
   17 ms of the Rasa server's CPU per action call, two thirds of its time under load
   (python-jsonschema/jsonschema#277, #310: build the validator once and reuse it). The schema
   is a constant (``RemoteAction.action_response_format_spec()``), so one validator of the class
   ``jsonschema.validate`` would pick does exactly the same validation, errors included.

2. **One HTTP session to the action server, kept alive.** ``EndpointConfig.request`` opens a new
   ``aiohttp.ClientSession`` — a new connection pool, so a new TCP connection — for every request.
   The patch keeps one session per endpoint and event loop, with the same headers, auth and
   timeout, idle connections let go before the action server closes them (2 s; Sanic: 5 s), and
   closes them when Rasa's server stops.

3. **The action server unreachable: said, and the turn undone.** When the action server cannot
   be reached (stopped, restarting, timing out), Rasa 3.6 logs "the actions events are lost",
   goes on predicting and answers nothing; the form keeps whatever slot values the failed turn
   had extracted, unvalidated. The patch notes the failure (:func:`_note_unreachable`), stops the
   turn at the first failed action, puts back the slots the message changed, tells the
   practitioner that their answers are kept and to send the last one again
   (``bot.channels.failures.unavailable``), and listens. When the action server is back, that
   answer is taken as if nothing had happened.

4. **Cross-origin requests only where the chat is embedded.** ``rasa.server.configure_cors``
   answers CORS (with ``Access-Control-Allow-Credentials``) for ``/*``: ``--cors`` given so that
   an intranet page may embed the web chat opened the helpdesk pages and the API to cross-origin
   reads from that page too. The patch applies the same settings to the chat's routes only —
   ``/socket.io/`` (the widget's connection) and ``/chat/`` (its script and stylesheet) — so
   ``/helpdesk/*``, ``/api/*`` and Rasa's own routes never answer another origin. Unlike the
   others this patch is a security control: if its target is gone, Rasa does not start.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

logger = logging.getLogger(__name__)

_applied = False


def targets_present() -> dict[str, bool]:
    """Whether what the patches replace is still there, as they expect it (for the tests)."""
    import inspect

    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig

    validate_source = inspect.getsource(RemoteAction._validate_action_result)
    request_source = inspect.getsource(EndpointConfig.request)
    return {
        "RemoteAction._validate_action_result calls jsonschema.validate": (
            "validate(result, self.action_response_format_spec())" in validate_source
        ),
        "RemoteAction.action_response_format_spec is static": isinstance(
            inspect.getattr_static(RemoteAction, "action_response_format_spec"), staticmethod
        ),
        "EndpointConfig.request opens a session per request": (
            "async with self.session() as session" in request_source
        ),
        "EndpointConfig.session builds the session": hasattr(EndpointConfig, "session"),
        "MessageProcessor runs extract_slots then the prediction loop": (
            "run_action_extract_slots" in inspect.getsource(MessageProcessor.handle_message)
            and "_run_prediction_loop" in inspect.getsource(MessageProcessor.handle_message)
        ),
        "MessageProcessor._run_action returns whether to predict again": (
            "return self.should_predict_another_action"
            in inspect.getsource(MessageProcessor._run_action)
        ),
    }


def apply() -> None:
    """Apply every patch (once; later calls do nothing)."""
    global _applied
    if _applied:
        return
    _patch_cors()  # first, and whatever else is missing
    missing = [name for name, present in targets_present().items() if not present]
    if missing:
        # A Rasa upgrade changed what these fix: run unpatched rather than patch blindly.
        logger.warning("Rasa patches not applied, their targets changed: %s", "; ".join(missing))
        return
    _patch_validation()
    _patch_sessions()
    _patch_unreachable_actions()
    _applied = True


# --- 4. CORS for the chat only (a security control: applied whatever else is missing) ---------

# The routes an embedding page's browser calls from another origin (regular expressions on the
# path, as Sanic-CORS takes them).
CORS_ROUTES = (r"/socket\.io/.*", r"/chat/.*")


def _patch_cors() -> None:
    import rasa.server
    from sanic_cors import CORS

    if not callable(getattr(rasa.server, "configure_cors", None)):
        raise RuntimeError(
            "rasa.server.configure_cors is gone: CORS cannot be limited to the chat's routes "
            "(bot/rasa_patches.py, patch 4)"
        )

    def configure_cors(app: Any, cors_origins: Any = "") -> None:
        # Rasa's settings (credentials for socket.io's polling, automatic OPTIONS), on the
        # chat's routes only; with no origins given nothing is answered, as before.
        app.config.CORS_AUTOMATIC_OPTIONS = True
        app.config.CORS_SUPPORTS_CREDENTIALS = True
        app.config.CORS_EXPOSE_HEADERS = "filename"
        origins = cors_origins or ""
        CORS(
            app,
            resources={route: {"origins": origins} for route in CORS_ROUTES},
            automatic_options=True,
        )

    rasa.server.configure_cors = configure_cors


# --- 1. the action server's replies ------------------------------------------------------------


def _compiled_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate does on every call, done once
    return cls(schema)


def _patch_validation() -> None:
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validator = _compiled_validator()

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        # What jsonschema.validate does, minus re-checking the schema: raise the best match.
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    assert ValidationError  # the error type raised is jsonschema's, as before
    RemoteAction._validate_action_result = _validate_action_result


# --- 2. one session to the action server -------------------------------------------------------


_sessions: dict[tuple[int, int], Any] = {}


def shared_session(endpoint: Any) -> Any:
    """The endpoint's session for the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), id(endpoint))
    session = _sessions.get(key)
    if session is None or session.closed:
        session = _session_for(endpoint)
        _sessions[key] = session
    return session


# Idle connections are let go after 2 s: the action server (Sanic) closes them after 5 s
# (KEEP_ALIVE_TIMEOUT), and aiohttp's own 15 s would reuse a connection the server has just
# closed — the message then fails with "Can not write request body" and the practitioner is
# told something went wrong (seen in the cluster tests after a pause of 5–15 s between answers).
IDLE_CONNECTION_SECONDS = 2.0


def _session_for(endpoint: Any) -> Any:
    """What ``EndpointConfig.session`` makes (headers, basic auth, Rasa's timeout), with idle
    connections kept shorter than the action server keeps them."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
    )


async def close_sessions() -> None:
    for session in list(_sessions.values()):
        if not session.closed:
            await session.close()
    _sessions.clear()


def _patch_sessions() -> None:
    import os
    import ssl

    import aiohttp
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

    async def request(
        self: Any,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """``EndpointConfig.request``, on the endpoint's kept-alive session."""
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs.pop("headers"))
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, "
                    f"'{os.path.abspath(self.cafile)}' does not exist."
                ) from e
        session = shared_session(self)
        async with session.request(
            method,
            url,
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(
                    response.status, response.reason, await response.content.read()
                )
            try:
                return await response.json()
            except aiohttp.ContentTypeError:
                return None

    EndpointConfig.request = request


# --- 3. the action server unreachable ----------------------------------------------------------

_turn: contextvars.ContextVar[dict[str, bool] | None] = contextvars.ContextVar(
    "infoshare_turn", default=None
)


def unreachable(error: BaseException) -> bool:
    """Did this action fail because the action server could not be reached in time?"""
    import aiohttp

    from bot.causes import causes

    if any(
        isinstance(c, aiohttp.ClientConnectionError | asyncio.TimeoutError) for c in causes(error)
    ):
        return True
    return "Couldn't connect to the server" in str(error)


def _note_unreachable() -> None:
    state = _turn.get()
    if state is not None:
        state["unreachable"] = True


def slots_before_message(tracker: Any, domain: Any) -> list[Any]:
    """SlotSet events putting back every slot the latest user message's turn changed."""
    from rasa.shared.core.events import Restarted, SessionStarted, SlotSet, UserUttered

    events = list(tracker.events)
    last = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=None)
    if last is None:
        return []
    initial = {slot.name: slot.initial_value for slot in domain.slots}
    before = dict(initial)
    for event in events[:last]:
        if isinstance(event, Restarted | SessionStarted):
            before = dict(initial)
        elif isinstance(event, SlotSet):
            before[event.key] = event.value
    changed = {e.key for e in events[last:] if isinstance(e, SlotSet)}
    return [
        SlotSet(key, before.get(key))
        for key in sorted(changed)
        if tracker.get_slot(key) != before.get(key)
    ]


def _patch_unreachable_actions() -> None:
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, BotUttered

    from bot.channels import failures

    remote_run = RemoteAction.run
    handle_message = MessageProcessor.handle_message
    prediction_loop = MessageProcessor._run_prediction_loop
    run_action = MessageProcessor._run_action

    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await remote_run(self, *args, **kwargs)
        except ActionExecutionRejection:
            raise
        except Exception as error:
            if unreachable(error):
                _note_unreachable()
            raise

    async def handle(self: Any, message: Any) -> Any:
        token = _turn.set({"unreachable": False})
        try:
            return await handle_message(self, message)
        finally:
            _turn.reset(token)

    async def undo_turn(self: Any, tracker: Any, output_channel: Any) -> None:
        logger.error(
            "the action server could not be reached: the message of %s was not taken",
            tracker.sender_id,
        )
        events = [
            *slots_before_message(tracker, self.domain),
            BotUttered(failures.unavailable(failures.Unavailable.ACTIONS).text),
        ]
        for event in events:
            tracker.update(event, self.domain)
        await self._send_bot_messages(events, tracker, output_channel)
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME), self.domain)

    async def loop(self: Any, output_channel: Any, tracker: Any) -> None:
        state = _turn.get()
        if state is not None and state["unreachable"]:  # already while extracting slots
            await undo_turn(self, tracker, output_channel)
            return
        await prediction_loop(self, output_channel, tracker)

    async def action(
        self: Any, action: Any, tracker: Any, output_channel: Any, *args: Any, **kwargs: Any
    ) -> bool:
        again = await run_action(self, action, tracker, output_channel, *args, **kwargs)
        state = _turn.get()
        if state is not None and state["unreachable"]:
            await undo_turn(self, tracker, output_channel)
            return False
        return again

    RemoteAction.run = run
    MessageProcessor.handle_message = handle
    MessageProcessor._run_prediction_loop = loop
    MessageProcessor._run_action = action
