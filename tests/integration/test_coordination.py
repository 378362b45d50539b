"""The pieces several servers share, one at a time: the lock store choice, the rate limit, the
REST channel's input checks, what a failure is said as, the action server's undone turn, the
records outbox, nginx's configuration and the Kubernetes values (the whole cluster:
tests/e2e/test_cluster.py)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.records import make_draft

from bot import coordination, settings
from bot.channels import rest
from bot.channels.failures import Unavailable

PROJECT = Path(__file__).resolve().parents[2]


# --- Rasa's lock store ---------------------------------------------------------------------------


def test_one_server_keeps_rasas_in_memory_lock_store(monkeypatch):
    from rasa.core.lock_store import InMemoryLockStore

    monkeypatch.delenv(settings.REDIS_URL, raising=False)
    assert isinstance(coordination.LockStore(endpoint_config=None), InMemoryLockStore)


def test_several_servers_get_rasas_redis_lock_store_with_the_prefix(monkeypatch):
    from rasa.core.lock_store import RedisLockStore

    monkeypatch.setenv(settings.REDIS_URL, "redis://:s3cret@redis.example:6380/2")
    monkeypatch.setenv(settings.REDIS_PREFIX, "county7")
    store = coordination.LockStore(endpoint_config=None)
    assert isinstance(store, RedisLockStore)
    assert store.key_prefix == "county7:lock:"
    kwargs = store.red.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["password"]) == (
        "redis.example",
        6380,
        2,
        "s3cret",
    )


def test_tickets_issued_at_once_by_two_servers_are_all_kept(monkeypatch):
    """Rasa's RedisLockStore reads, changes and writes the lock: two servers issuing tickets at
    once overwrite each other's. Ours changes it in one Redis transaction: every ticket is kept,
    in order, and the lock is gone when the last one is served."""
    import threading

    monkeypatch.setenv(settings.REDIS_URL, "redis://127.0.0.1:6379/0")
    monkeypatch.setenv(settings.REDIS_PREFIX, f"t{uuid.uuid4().hex[:8]}")
    servers = [coordination.LockStore(), coordination.LockStore()]
    conversation = "c-1"
    issued: list[int] = []

    def issue(store: Any) -> None:
        for _ in range(40):
            issued.append(store.issue_ticket(conversation))

    threads = [threading.Thread(target=issue, args=(store,)) for store in servers * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lock = servers[0].get_lock(conversation)
    assert sorted(issued) == list(range(160))  # none issued twice
    assert [t.number for t in lock.tickets] == list(range(160))  # none lost
    for number in range(160):
        servers[number % 2].cleanup(conversation, number)
    assert servers[0].get_lock(conversation) is None


def test_endpoints_name_the_lock_store():
    endpoints = yaml.safe_load((PROJECT / "endpoints.yml").read_text())
    assert endpoints["lock_store"]["type"] == "bot.coordination.LockStore"


@pytest.mark.parametrize("prefix", ["", "has space", "semi;colon", "x" * 41])
def test_a_prefix_rasa_would_ignore_is_refused(monkeypatch, prefix):
    monkeypatch.setenv(settings.REDIS_PREFIX, prefix or "-")
    with pytest.raises(ValueError, match="letters and digits"):
        coordination.prefix()


# --- the rate limit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [("", (60, 60)), ("30/60", (30, 60)), (" 5 / 1 ", (5, 1)), ("0", (0, 1))],
)
def test_rate_limit_setting(monkeypatch, value, expected):
    monkeypatch.setenv(settings.RATE_LIMIT, value)
    limit = coordination.rate()
    assert (limit.count, limit.seconds) == expected


@pytest.mark.parametrize("value", ["20", "20/0", "a/b", "-1/10"])
def test_a_malformed_rate_limit_is_refused(monkeypatch, value):
    monkeypatch.setenv(settings.RATE_LIMIT, value)
    with pytest.raises(ValueError, match="COUNT/SECONDS"):
        coordination.rate()


def test_the_limit_counts_each_conversation_apart_in_memory():
    limiter = coordination.RateLimiter(coordination.Rate(3, 3600))

    async def run() -> list[bool]:
        found = [(await limiter.allow("a"))[0] for _ in range(5)]
        found.append((await limiter.allow("b"))[0])
        return found

    assert asyncio.run(run()) == [True, True, True, False, False, True]


def test_a_new_sender_per_message_is_limited_by_its_address_and_over_all():
    """Before, only the conversation was counted: 80 senders from one address, 80 answers."""
    limiter = coordination.RateLimiter(
        coordination.Rate(3, 3600),
        per_address=coordination.Rate(5, 3600),
        total=coordination.Rate(8, 3600),
        exempt=frozenset({"10.0.0.9"}),
    )

    async def run() -> tuple[list[bool], list[bool], list[bool], list[bool]]:
        one = [(await limiter.allow(f"s{n}", "10.0.0.1"))[0] for n in range(7)]
        other = [(await limiter.allow(f"t{n}", "10.0.0.2"))[0] for n in range(4)]
        # a trusted integration's host: per conversation only, and not in the overall count
        trusted = [(await limiter.allow("u", "10.0.0.9"))[0] for _ in range(4)]
        more = [(await limiter.allow(f"v{n}", "10.0.0.3"))[0] for n in range(2)]
        return one, other, trusted, more

    one, other, trusted, more = asyncio.run(run())
    assert one == [True] * 5 + [False] * 2  # the address's sixth
    assert other == [True] * 3 + [False]  # over all: 5 + 3 allowed; the refused not counted
    assert trusted == [True] * 3 + [False]  # its conversation's limit only
    assert more == [False, False]  # the whole deployment is at its limit


@pytest.mark.parametrize("name", [settings.RATE_LIMIT_ADDRESS, settings.RATE_LIMIT_TOTAL])
def test_the_address_and_overall_limits_are_settings(monkeypatch, name):
    monkeypatch.setenv(name, "7/30")
    assert coordination.rate(name, "1/1") == coordination.Rate(7, 30)
    monkeypatch.setenv(name, "seven")
    with pytest.raises(ValueError, match=f"{name} must be COUNT/SECONDS"):
        coordination.rate(name, "1/1")


def test_the_limit_is_shared_through_redis_and_falls_back_to_memory(monkeypatch):
    import uuid

    key_prefix = f"t{uuid.uuid4().hex[:8]}"
    one = coordination.RateLimiter(
        coordination.Rate(2, 3600), "redis://127.0.0.1:6379/0", key_prefix
    )
    two = coordination.RateLimiter(
        coordination.Rate(2, 3600), "redis://127.0.0.1:6379/0", key_prefix
    )
    down = coordination.RateLimiter(coordination.Rate(1, 3600), "redis://127.0.0.1:1/0", key_prefix)

    async def run() -> list[bool]:
        # two servers: the third message is refused whichever server it reaches
        return [
            (await one.allow("s"))[0],
            (await two.allow("s"))[0],
            (await one.allow("s"))[0],
            (await down.allow("s"))[0],  # Redis unreachable: counted in memory
            (await down.allow("s"))[0],
        ]

    try:
        assert asyncio.run(run()) == [True, True, False, True, False]
    finally:
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in client.scan_iter(f"{key_prefix}:*"):
            client.delete(key)


def test_a_refused_message_says_when_to_try_again():
    limiter = coordination.RateLimiter(coordination.Rate(1, 10))

    async def run() -> tuple[bool, int]:
        await limiter.allow("x")
        return await limiter.allow("x")

    allowed, retry = asyncio.run(run())
    assert not allowed and 1 <= retry <= 11


# --- the REST channel's input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,fault",
    [
        (None, "JSON object"),
        ([], "JSON object"),
        ({}, '"sender" is required'),
        ({"sender": ""}, '"sender" is required'),
        ({"sender": "é"}, "letters, digits"),
        ({"sender": "a/b"}, "letters, digits"),
        ({"sender": "x" * 129}, "letters, digits"),
        ({"sender": "ok", "message": 3}, "must be text"),
        ({"sender": "ok", "message": "x" * 5001}, "longer than"),
        ({"sender": "ok", "metadata": []}, '"metadata"'),
    ],
)
def test_rest_input_faults_are_named(body, fault):
    with pytest.raises(rest.InputError, match=fault):
        rest.parse(body)


def test_rest_input_as_integrations_send_it():
    assert rest.parse({"sender": "teams:29:1a-B_c.d@x", "message": "Yes"}) == (
        "teams:29:1a-B_c.d@x",
        "Yes",
        None,
    )
    assert rest.parse({"sender": "s", "message": None, "metadata": {"k": 1}}) == ("s", "", {"k": 1})


def test_rest_input_cannot_say_it_came_through_teams():
    """A REST caller chose the channel and the Teams reply address (issue 20, finding 1): the
    helpdesk's answer was then posted, with the bot's Azure AD token, to any serviceUrl."""
    body = {
        "sender": "s",
        "message": "hi",
        "input_channel": "botframework",
        "metadata": {"botframework": {"reference": {"serviceUrl": "http://evil.example"}}, "k": 1},
    }
    assert rest.parse(body) == ("s", "hi", {"k": 1})  # the channel's own metadata dropped


def test_credentials_use_the_checked_rest_channel():
    credentials = yaml.safe_load((PROJECT / "credentials.yml").read_text())
    assert "bot.channels.rest.RestInput" in credentials and "rest" not in credentials
    assert rest.RestInput.name() == "rest"  # same address: /webhooks/rest/webhook


# --- failures ------------------------------------------------------------------------------------


def test_failures_are_told_apart():
    import redis.exceptions
    import sqlalchemy.exc

    from bot.channels.failures import classify

    db = sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert classify(db) is Unavailable.DATABASE
    try:
        try:
            raise db
        except Exception as inner:
            raise RuntimeError("tracker store") from inner
    except RuntimeError as wrapped:
        assert classify(wrapped) is Unavailable.DATABASE
    assert classify(redis.exceptions.ConnectionError("refused")) is Unavailable.REDIS
    assert classify(ValueError("a bug")) is Unavailable.ACTIONS


def test_the_action_servers_failure_is_recognised():
    import aiohttp
    from rasa.shared.exceptions import RasaException

    from bot.rasa_patches import unreachable

    try:  # as RemoteAction.run raises it: inside the except, so the cause is the context
        try:
            raise aiohttp.ServerDisconnectedError()
        except aiohttp.ClientConnectionError:
            raise RasaException("Failed to execute custom action 'x'") from None
    except RasaException as error:
        assert error.__context__ is not None
        assert unreachable(error.__context__)
    assert unreachable(asyncio.TimeoutError())
    assert unreachable(RuntimeError("Failed … Couldn't connect to the server at 'x'"))
    assert not unreachable(ValueError("a bug in an action"))


def test_the_failed_turn_gives_back_the_slots_it_changed():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_patches import slots_before_message

    domain = Domain.from_yaml(
        """
version: "3.1"
slots:
  purpose: {type: text, mappings: [{type: custom}]}
  identifiable: {type: text, mappings: [{type: custom}]}
  requested_slot: {type: any, mappings: [{type: custom}]}
"""
    )
    tracker = DialogueStateTracker.from_events(
        "s",
        [
            ActionExecuted("action_listen"),
            UserUttered("yes"),
            SlotSet("purpose", "yes"),
            SlotSet("requested_slot", "identifiable"),
            ActionExecuted("action_listen"),
            UserUttered("yes it can"),
            SlotSet("identifiable", "yes"),  # extracted, never validated
            SlotSet("requested_slot", "confidential"),
        ],
        slots=domain.slots,
    )
    undo = {e.key: e.value for e in slots_before_message(tracker, domain)}
    assert undo == {"identifiable": None, "requested_slot": "identifiable"}


# --- the records outbox --------------------------------------------------------------------------


class _Down:
    def save(self, draft: Any) -> Any:
        import sqlalchemy.exc

        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("could not connect"))


def test_the_outbox_keeps_a_record_and_saves_it_once(tmp_path):
    from bot.records import RecordRepository, upgrade
    from bot.records.db import make_engine
    from bot.records.outbox import Outbox, database_unreachable

    outbox = Outbox(tmp_path / "outbox")
    draft = make_draft(conversation_id="conv-1", check_id="check-9")
    outbox.put(draft)
    outbox.put(draft)  # kept twice (two messages): one file
    assert len(outbox.waiting()) == 1 and outbox.waiting("conv-1") and not outbox.waiting("x")
    assert outbox.flush(_Down()) == [] and len(outbox.waiting()) == 1  # still down: kept
    try:
        _Down().save(draft)
    except Exception as error:  # noqa: BLE001
        assert database_unreachable(error)

    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url)
    repository = RecordRepository(make_engine(url))
    already = repository.save(draft)  # saved before the reply was lost: not saved twice
    (saved,) = outbox.flush(repository)
    assert saved.reference == already.reference
    assert outbox.waiting() == []
    assert len(repository.list()) == 1
    assert saved.completed_at == already.completed_at and saved.answers == draft.answers
    assert outbox.saved_since("conv-1") == [saved.reference]
    assert outbox.saved_since("conv-1") == []  # told once


# --- nginx and Kubernetes -------------------------------------------------------------------------


@pytest.mark.parametrize("servers", [1, 2, 3])
def test_nginx_accepts_the_generated_configuration(tmp_path, servers):
    from bot.cluster import NGINX, nginx_config

    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: apt-get install nginx")
    ports = [5005 + i for i in range(servers)]
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / name).mkdir(parents=True)
    config = tmp_path / "nginx.conf"
    text = nginx_config(ports, 8080, tmp_path, forwarded_secret="s3cr3t")
    config.write_text(text)
    check = subprocess.run(
        [NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    # the request's Host and origin reach the servers from every location (a location that sets
    # one proxy_set_header loses the server block's: the helpdesk's origin check needs them)
    assert text.count("proxy_set_header Host $http_host;") == 2
    assert text.count("proxy_set_header X-Forwarded-Proto $scheme;") == 2
    # the client's address, vouched for with the secret, from every location
    forwarded = 'proxy_set_header Forwarded "for=\\"$remote_addr\\";proto=$scheme;secret=s3cr3t";'
    assert text.count(forwarded) == 2, text
    for port in ports:
        assert f'"{port}" rasa_{port};' in text  # the sticky route of each server
        assert text.count(f"server 127.0.0.1:{port} backup;") == servers - 1


def test_the_helm_values_name_only_real_settings_and_modules():
    known = {s.name for s in settings.SETTINGS} | {"SANIC_WORKERS", "RASA_TELEMETRY_ENABLED"}
    for name in ("rasa-values.yaml", "action-server-values.yaml"):
        values = yaml.safe_load((PROJECT / "deploy" / "helm" / name).read_text())
        env = {item["name"] for item in values["extraEnv"]}
        assert env <= known, env - known
        module = values["command"][2]
        assert (PROJECT / Path(*module.split("."))).with_suffix(".py").exists()
    rasa = yaml.safe_load((PROJECT / "deploy" / "helm" / "rasa-values.yaml").read_text())
    assert rasa["replicaCount"] >= 2 and rasa["redis"]["install"]
    cookie = rasa["ingress"]["annotations"]["nginx.ingress.kubernetes.io/session-cookie-name"]
    from bot.cluster import NODE_COOKIE

    assert cookie == NODE_COOKIE
