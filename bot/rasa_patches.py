"""Small, named fixes to Rasa 3.6 internals that cost time on every message.

Applied by ``bot/rasa_runner.py`` (how ``bot/server.py`` starts Rasa) before Rasa loads anything;
:func:`targets_present` is what ``tests/test_rasa_patches.py`` checks, so a Rasa upgrade that
removes or renames a target fails the tests instead of silently dropping the fix.

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
   timeout, and closes them when Rasa's server stops.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)

_applied = False


def targets_present() -> dict[str, bool]:
    """Whether what the patches replace is still there, as they expect it (for the tests)."""
    import inspect

    from rasa.core.actions.action import RemoteAction
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
    }


def apply() -> None:
    """Apply every patch (once; later calls do nothing)."""
    global _applied
    if _applied:
        return
    missing = [name for name, present in targets_present().items() if not present]
    if missing:
        # A Rasa upgrade changed what these fix: run unpatched rather than patch blindly.
        logger.warning("Rasa patches not applied, their targets changed: %s", "; ".join(missing))
        return
    _patch_validation()
    _patch_sessions()
    _applied = True


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
        session = endpoint.session()
        _sessions[key] = session
    return session


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
