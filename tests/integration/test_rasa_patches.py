"""The fixes to Rasa's internals (bot/rasa_patches.py): their targets are still there, and the
patched code does what Rasa's did."""

from __future__ import annotations

import pytest


def test_what_the_patches_replace_is_still_in_rasa() -> None:
    """Fails when a Rasa upgrade removes or changes what a patch replaces: look again."""
    from bot.rasa_patches import targets_present

    assert all(targets_present().values()), targets_present()


@pytest.fixture(scope="module")
def patched() -> None:
    from bot import rasa_patches

    rasa_patches.apply()
    assert rasa_patches._applied


def _remote() -> object:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction("action_x", None)


@pytest.mark.parametrize(
    "reply",
    [
        {"events": [], "responses": []},
        {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
        {},
    ],
)
def test_a_valid_reply_is_accepted(patched: None, reply: dict) -> None:
    assert _remote()._validate_action_result(reply) is True


@pytest.mark.parametrize(
    "reply",
    [
        {"events": [{"event": 1}]},
        {"events": "not a list"},
        {"responses": [{"text": "x"}], "events": [{"name": "no event key"}]},
    ],
)
def test_an_invalid_reply_is_refused_as_jsonschema_would(patched: None, reply: dict) -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    with pytest.raises(jsonschema.ValidationError) as patched_error:
        _remote()._validate_action_result(reply)
    with pytest.raises(jsonschema.ValidationError) as original_error:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    assert patched_error.value.message.startswith(original_error.value.message)
    assert "Failed to validate Action server response" in patched_error.value.message


def test_the_schema_is_checked_once_not_per_reply(patched: None, monkeypatch) -> None:
    from jsonschema.validators import Draft202012Validator

    calls = []
    monkeypatch.setattr(
        Draft202012Validator, "check_schema", classmethod(lambda cls, s: calls.append(s))
    )
    for _ in range(5):
        _remote()._validate_action_result({"events": []})
    assert calls == []


async def test_requests_to_the_action_server_share_one_kept_alive_session(patched: None) -> None:
    """Three requests, one TCP connection (Rasa opened one per request)."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from bot import rasa_patches

    peers = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        body = await request.json()
        return web.json_response({"echo": body, "token": request.query.get("token")})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="t0k")
        for n in range(3):
            reply = await endpoint.request(json={"n": n}, method="post")
            assert reply == {"echo": {"n": n}, "token": "t0k"}
        assert len(peers) == 3 and len(set(peers)) == 1
    finally:
        await rasa_patches.close_sessions()
        await runner.cleanup()


def test_the_runner_applies_the_patches_before_rasa_runs(monkeypatch) -> None:
    import rasa.__main__

    from bot import rasa_runner

    seen = {}

    def fake_main() -> None:
        import sys

        from rasa.core.actions.action import RemoteAction

        seen["argv"] = list(sys.argv)
        seen["patched"] = RemoteAction._validate_action_result.__module__ == "bot.rasa_patches"

    monkeypatch.setattr(rasa.__main__, "main", fake_main)
    rasa_runner.main(["run", "--port", "1"])
    assert seen == {"argv": ["rasa", "run", "--port", "1"], "patched": True}


async def test_idle_connections_are_let_go_before_the_action_server_closes_them(
    patched: None,
) -> None:
    """aiohttp keeps an idle connection 15 s, the action server (Sanic) 5 s: a request on a
    connection the server had just closed failed ("Can not write request body"). The shared
    session lets them go first, and is otherwise the session Rasa would make."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
    from sanic.config import DEFAULT_CONFIG

    from bot import rasa_patches

    endpoint = EndpointConfig(
        "http://127.0.0.1:9/webhook",
        headers={"X-Check": "1"},
        basic_auth={"username": "u", "password": "p"},
    )
    session = rasa_patches.shared_session(endpoint)
    try:
        assert session.connector._keepalive_timeout < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]
        assert session.auth == aiohttp.BasicAuth("u", "p")
        assert session.headers["X-Check"] == "1"
        assert session.timeout.total == DEFAULT_REQUEST_TIMEOUT
    finally:
        await rasa_patches.close_sessions()
