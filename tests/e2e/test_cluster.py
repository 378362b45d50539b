"""Two Rasa servers behind nginx, on PostgreSQL and Redis, as `make run-cluster` runs them.

The cluster is the real one (bot/cluster.py): the action server, two Rasa servers, Debian's
nginx with the generated configuration. Conversations are kept in a database on the machine's
PostgreSQL; the records, and the helpdesk's tables, in a PostgreSQL server of the test's own,
and Rasa's lock store, the socket.io messages between servers and the rate limit in a Redis of
the test's own (tests/services.py), so that the fault tests can stop them for real.

The tests run in file order: the ones that stop a part of the cluster come last, and the very
last one kills a Rasa server for good.
"""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from services import OwnPostgres, OwnRedis, kill_tree
from support.browser import conversation, session_id, type_answer, wait_for_text
from support.helpdesk import PASSWORD, UNSURE_AT_CONSENT, new_reference, sign_in
from support.servers import CHECKLIST_YES, TOKEN, Chat, port
from support.teams import FakeMicrosoft
from support.teams_client import Deployment, TeamsUser, text_of

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
OPENING = "Can I tell the GP about her mental health because I am worried about her?"
Q1, Q2, Q6 = "Question 1:", "Question 2:", "Question 6:"
SAVE, SAVED = "Shall I save", "Your decision reference is"
ADVICE = "Seek advice before you share"
KEPT = "your answers so far are kept"


@dataclass
class Reply:
    status: int
    messages: list[dict]
    server: str | None
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)


def post(base: str, body: object, timeout: float = 90) -> Reply:
    request = urllib.request.Request(
        f"{base}/webhooks/rest/webhook",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(
                response.status,
                json.load(response),
                response.headers.get("X-Infoshare-Server"),
                dict(response.headers),
            )
    except urllib.error.HTTPError as error:
        payload = error.read()
        return Reply(
            error.code,
            json.loads(payload) if payload else [],
            error.headers.get("X-Infoshare-Server"),
            dict(error.headers),
        )


def say(base: str, sender: str, message: str) -> Reply:
    return post(base, {"sender": sender, "message": message})


def records(database_url: str) -> list[dict]:
    return Chat("", database_url).records()  # the CLI's JSON export


def tracker(base: str, sender: str) -> dict:
    url = f"{base}/conversations/{sender}/tracker?token={TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
        return json.load(response)


@dataclass
class Running:
    cluster: object
    records_db: OwnPostgres
    redis: OwnRedis
    records_url: str
    logs: Path
    fake: object

    @property
    def url(self) -> str:
        return self.cluster.url

    def server(self, index: int) -> str:
        return f"http://127.0.0.1:{self.cluster.ports[index]}"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Running]:
    from bot.cluster import Cluster, ensure_database
    from bot.records.testing import postgres_unavailable_reason, temporary_postgres_database

    reason = postgres_unavailable_reason()
    if reason:
        pytest.fail(reason)
    logs = tmp_path_factory.mktemp("cluster")
    records_db = OwnPostgres(port(5532)).create()
    redis = OwnRedis(port(5579)).start()
    fake = FakeMicrosoft().start()  # Microsoft Teams' side, for the Teams webhook through nginx
    running = None
    try:
        records_url = records_db.url.rsplit("/", 1)[0] + "/infoshare"
        ensure_database(records_url)
        with temporary_postgres_database("infoshare_cluster") as conversations_url:
            ensure_database(conversations_url)
            cluster = Cluster(
                2,
                first_port=port(5505),
                actions_port=port(5555),
                nginx_port=port(5580),
                database_url=records_url,
                redis_url=redis.url,
                redis_prefix=f"test{uuid.uuid4().hex[:8]}",
                env={
                    "TRACKER_DATABASE_URL": conversations_url,
                    "INFOSHARE_VAR_DIR": str(logs / "var"),
                    "INFOSHARE_RATE_LIMIT": "20/10",  # the flood test's limit
                    "INFOSHARE_RATE_LIMIT_EXEMPT": "127.0.0.1",  # fifty conversations at once
                    "INFOSHARE_HTTP_API": "on",  # the tests read the trackers
                    **fake.environ(),
                },
                directory=logs,
            )
            cluster.start(TOKEN)
            running = Running(cluster, records_db, redis, records_url, logs, fake)
            try:
                cluster.wait_ready(timeout=400)
            except Exception:
                for log in sorted(logs.glob("*.log")):
                    print(f"--- {log.name}\n{log.read_text()[-4000:]}", file=sys.stderr)
                raise
            yield running
            cluster.stop()
    finally:
        if running is not None:
            running.cluster.stop()
        redis.stop()
        records_db.destroy()
        fake.stop()


# --- conversations across servers ------------------------------------------------------------


def test_rest_messages_need_a_sender_of_their_own(cluster):
    """Without a sender, Rasa would put every such message in one shared "default"
    conversation: each is refused with what is wrong, and nothing reaches that conversation."""
    for body, fault in [
        ({"message": OPENING}, '"sender" is required'),
        ({"sender": "", "message": OPENING}, '"sender" is required'),
        ({"sender": None, "message": OPENING}, '"sender" is required'),
        ({"sender": "x" * 129, "message": OPENING}, "1-128 characters"),
        ({"sender": "a b", "message": OPENING}, "1-128 characters"),
        ({"sender": "../../etc", "message": OPENING}, "1-128 characters"),
        ({"sender": 42, "message": OPENING}, "1-128 characters"),
        ({"sender": "ok-1", "message": ["not", "text"]}, '"message" must be text'),
        ({"sender": "ok-1", "message": "hi", "metadata": "no"}, '"metadata" must be'),
        (["sender", "message"], "JSON object"),
    ]:
        reply = post(cluster.url, body)
        assert reply.status == 400, (body, reply)
        assert fault in reply.messages["error"], (body, reply.messages)
    too_long = post(cluster.url, {"sender": "ok-1", "message": "x" * 5001})
    assert too_long.status == 413 and "too long for me to read" in too_long.text
    assert [e for e in tracker(cluster.url, "default")["events"] if e["event"] == "user"] == []
    ok = say(cluster.url, "a.valid:sender@example-1", OPENING)
    assert ok.status == 200 and Q1 in ok.text


def test_one_conversation_alternating_between_the_servers_completes(cluster):
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    turns = [
        (OPENING, Q1),
        ("yes, to keep her safe", Q2),
        ("no, it is about the service only", Q6),
        *CHECKLIST_YES,
        ("they already know", "please give the reasons"),
        ("The GP needs this to support her care", SAVE),
        ("yes", SAVED),
    ]
    for index, (message, expected) in enumerate(turns):
        reply = say(cluster.server(index % 2), sender, message)
        assert reply.status == 200 and expected in reply.text, (index, message, reply.text)
    (record,) = [r for r in records(cluster.records_url) if r["conversation_id"] == sender]
    assert record["outcome"] == "share"
    assert record["answers"] == {"purpose": "yes", "identifiable": "no", "appropriate": "yes"}
    assert record["reasons"] == "The GP needs this to support her care"
    # the conversation is one, stored once: every message in order, on either server's API
    events = tracker(cluster.server(1), sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == [m for m, _ in turns]


def test_messages_of_one_conversation_sent_at_once_to_both_servers_are_taken_one_by_one(cluster):
    """Rasa's lock store in Redis: six answers sent at the same moment, three to each server,
    are taken one after the other — every turn ends (listening) before the next message's turn
    begins, none is lost, and the check is where six "yes" answers put it."""
    sender = f"lock-{uuid.uuid4().hex[:6]}"
    assert Q1 in say(cluster.url, sender, OPENING).text
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda i: say(cluster.server(i % 2), sender, "yes"), range(6)))
    assert all(r.status == 200 and r.text for r in replies), replies
    events = tracker(cluster.url, sender)["events"]
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert len(users) == 7  # the opening and the six answers, none lost
    for index in users[1:]:  # each message's turn began after the previous one had ended
        assert events[index - 1]["event"] == "action" and (
            events[index - 1]["name"] == "action_listen"
        ), events[index - 3 : index + 1]
    slots = tracker(cluster.url, sender)["slots"]
    assert [slots[q] for q in ("purpose", "identifiable", "confidential", "consent")] == ["yes"] * 4


def _check(base: str, number: int) -> tuple[str, str, list[str]]:
    """One short check through nginx: even numbers decide not to share (with a reason naming
    the case), odd ones are unsure at question 1 (seek advice). The servers that answered."""
    sender = f"many-{number:02d}-{uuid.uuid4().hex[:6]}"
    served = []
    if number % 2 == 0:
        turns = [
            (OPENING, Q1),
            ("no", "Do not share"),
            (f"No clear purpose yet for case {number}", SAVE),
            ("yes", SAVED),
        ]
    else:
        turns = [(OPENING, Q1), ("not sure", ADVICE)]
    for message, expected in turns:
        reply = say(base, sender, message)
        assert reply.status == 200 and expected in reply.text, (sender, message, reply.text)
        served.append(reply.server)
    return sender, "do_not_share" if number % 2 == 0 else "seek_advice", served


def test_fifty_concurrent_conversations_leave_exactly_fifty_correct_records(cluster):
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda n: _check(cluster.url, n), range(50)))
    servers = {server for _, _, served in results for server in served}
    assert servers == {str(p) for p in cluster.cluster.ports}, servers  # both took messages
    saved = {r["conversation_id"]: r for r in records(cluster.records_url)}
    mine = [saved.get(sender) for sender, _, _ in results]
    assert all(mine), "a conversation has no record"
    assert len({r["reference"] for r in mine}) == 50
    found = [r for r in records(cluster.records_url) if r["conversation_id"].startswith("many-")]
    assert len(found) == 50  # exactly one each: none twice
    for (sender, outcome, _), record in zip(results, mine, strict=True):
        number = int(sender.split("-")[1])
        assert record["outcome"] == outcome, sender
        if outcome == "do_not_share":
            # its own reason, never another conversation's
            assert record["reasons"] == f"No clear purpose yet for case {number}", record
            assert record["answers"] == {"purpose": "no"}
        else:
            assert record["answers"] == {"purpose": "not_sure"}


def test_a_flood_from_one_sender_is_limited_and_others_go_on(cluster):
    """300 messages from one sender in a few seconds: at most the limit (20 in 10 s here) is
    taken in each 10-second window (the rest get 429 without reaching Rasa), and another
    practitioner's check goes on. Latencies are reported against the same check without the
    flood."""

    def timed_check(sender: str) -> list[float]:
        times = []
        for message, expected in [(OPENING, Q1), ("yes", Q2), ("yes", "Question 3:"),
                                  ("no", Q6), ("yes", "point 2 of 7")]:  # fmt: skip
            started = time.perf_counter()
            reply = say(cluster.url, sender, message)
            times.append(time.perf_counter() - started)
            assert reply.status == 200 and expected in reply.text, (message, reply)
        return times

    baseline = timed_check(f"calm-{uuid.uuid4().hex[:6]}")
    flooder = f"flood-{uuid.uuid4().hex[:6]}"
    statuses: list[int] = []

    def flood(_: int) -> None:
        statuses.append(post(cluster.url, {"sender": flooder, "message": "yes"}, 120).status)

    with ThreadPoolExecutor(max_workers=30) as pool:
        started = time.perf_counter()
        flooding = pool.map(flood, range(300))
        during = timed_check(f"other-{uuid.uuid4().hex[:6]}")
        list(flooding)
        seconds = time.perf_counter() - started
    windows = int(seconds // 10) + 2
    accepted = statuses.count(200)
    assert statuses.count(429) >= 300 - 20 * windows
    assert accepted <= 20 * windows, (accepted, seconds)
    assert set(statuses) <= {200, 429}
    report = {
        "flood_messages": 300,
        "flood_seconds": round(seconds, 1),
        "flood_accepted": accepted,
        "flood_refused_429": statuses.count(429),
        "other_median_ms_without_flood": round(statistics.median(baseline) * 1000),
        "other_median_ms_during_flood": round(statistics.median(during) * 1000),
        "ratio": round(statistics.median(during) / statistics.median(baseline), 2),
    }
    (PROJECT / "results").mkdir(exist_ok=True)
    (PROJECT / "results" / "cluster-flood.json").write_text(json.dumps(report, indent=2))
    print("flood:", report)


# --- the web chat through nginx ----------------------------------------------------------------


def _adviser_token(cluster: Running) -> str:
    from bot.helpdesk.accounts import Accounts
    from bot.records.db import make_engine

    db = make_engine(cluster.records_url)
    _, token = Accounts(db).create_token(f"desk-{uuid.uuid4().hex[:6]}", "adviser")
    db.dispose()
    return token


def test_the_web_chat_through_nginx_survives_a_reload_onto_the_other_server(cluster, browser):
    """socket.io sessions stick to the server that opened them (nginx's cookie); a reload that
    lands on the other server continues the conversation there, and the helpdesk's answer,
    given on the first server, reaches the page on the second at once."""
    context = browser.new_context(viewport={"width": 800, "height": 900})
    page = context.new_page()
    served: list[str] = []
    page.on(
        "response",
        lambda r: "/socket.io/" in r.url and served.append(r.headers.get("x-infoshare-server")),
    )
    try:
        page.goto(f"{cluster.url}/chat/")
        wait_for_text(page, "Hello.")
        type_answer(page, "Can I tell the school nurse about Jane Smith's asthma so she can help?")
        wait_for_text(page, Q1)
        type_answer(page, "yes, to keep her safe at school")
        wait_for_text(page, Q2)
        (cookie,) = [c for c in context.cookies() if c["name"] == "infoshare_node"]
        first = cookie["value"]
        assert first in {str(p) for p in cluster.cluster.ports}
        assert set(filter(None, served)) == {first}, served  # every socket.io request: one server
        other = next(str(p) for p in cluster.cluster.ports if str(p) != first)

        before = session_id(page)
        context.clear_cookies()
        context.add_cookies(
            [
                {
                    "name": "infoshare_node",
                    "value": other,
                    "domain": "127.0.0.1",
                    "path": "/socket.io/",
                }
            ]  # fmt: skip
        )
        served.clear()
        page.reload()
        wait_for_text(page, Q2)  # the conversation is shown again …
        assert session_id(page) == before
        type_answer(page, "yes it names her")
        wait_for_text(page, "Question 3:")  # … and continued by the other server
        assert set(filter(None, served)) == {other}, served

        type_answer(page, "yes, it's health")
        wait_for_text(page, "Question 4:")
        type_answer(page, "not sure, her mum might not agree")
        wait_for_text(page, "send this to the helpdesk")
        type_answer(page, "yes please")
        wait_for_text(page, "What would you like to ask")
        type_answer(page, "Do I need her mother's agreement first?")
        wait_for_text(page, "Shall I send it?")
        type_answer(page, "send it")
        wait_for_text(page, "Sent to the helpdesk as")
        reference = conversation(page).split("Sent to the helpdesk as ")[1].split()[0].strip(".")

        # the adviser answers on the first server (the API, not through nginx)
        request = urllib.request.Request(
            f"http://127.0.0.1:{first}/api/advice/{reference}/answer",
            data=json.dumps(
                {"advice": "Ask her mother first.", "suggested_answer": "not_asked"}
            ).encode(),
            headers={
                "Authorization": f"Bearer {_adviser_token(cluster)}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            assert response.status == 200
        wait_for_text(page, f"The helpdesk has answered your request {reference}")
        assert "Ask her mother first." in conversation(page)
        # pushed by the server the page is on, asked through Redis by the one that was answered
        log = (cluster.logs / f"rasa-{other}.log").read_text()
        assert f"the answer to {reference} was pushed to its socketio chat" in log
    finally:
        context.close()


def test_the_helpdesk_page_and_api_work_through_nginx_on_either_server(cluster, browser):
    """Signed in on one server, the adviser's next pages may come from the other: the session
    (signed with the shared secret) and the data (the shared database) are the same."""
    from bot.helpdesk.accounts import Accounts
    from bot.helpdesk.requests import AdviceRequests
    from bot.records.db import make_engine

    db = make_engine(cluster.records_url)
    name = f"adviser{uuid.uuid4().hex[:6]}"
    Accounts(db).add_user(name, PASSWORD, "adviser")
    reference = new_reference()
    AdviceRequests(db).create(
        reference, UNSURE_AT_CONSENT, "Must I ask her mother?", conversation_id="c", channel="rest"
    )
    _, token = Accounts(db).create_token(f"ig-{uuid.uuid4().hex[:6]}", "reporting")
    db.dispose()

    context, page, errors = sign_in(browser, cluster.url, name)
    served: list[str] = []
    page.on(
        "response",
        lambda r: "/helpdesk/" in r.url and served.append(r.headers.get("x-infoshare-server")),
    )
    try:
        for _ in range(4):
            page.goto(f"{cluster.url}/helpdesk/")
            assert page.get_by_role("heading", name="Open requests").count() == 1
            assert reference in page.inner_text("main")  # the same queue on both servers
            assert page.get_by_role("button", name="Sign in").count() == 0  # still signed in
        assert set(filter(None, served)) == {str(p) for p in cluster.cluster.ports}, served
        assert errors == []
    finally:
        context.close()

    totals, servers = set(), set()
    for _ in range(4):
        request = urllib.request.Request(
            f"{cluster.url}/api/records?limit=1", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            totals.add(json.load(response)["total"])
            servers.add(response.headers.get("X-Infoshare-Server"))
    assert len(totals) == 1 and totals.pop() >= 50  # one database seen from both
    assert servers == {str(p) for p in cluster.cluster.ports}


def test_behind_nginx_the_servers_see_the_clients_address(cluster):
    """nginx vouches for the client's address (Forwarded, with a secret the Rasa servers share):
    the audit log records the client, not nginx (before: every source was 127.0.0.1), and a
    client's own Forwarded or X-Forwarded-For header changes nothing."""
    import http.client

    from bot.helpdesk.accounts import Accounts
    from bot.helpdesk.audit import AuditLog
    from bot.records.db import make_engine

    db = make_engine(cluster.records_url)
    made, token = Accounts(db).create_token(f"ip-{uuid.uuid4().hex[:6]}", "reporting")
    connection = http.client.HTTPConnection(
        "127.0.0.1", cluster.cluster.nginx_port, timeout=30, source_address=("127.0.0.2", 0)
    )
    try:
        connection.request(
            "GET",
            "/api/records?limit=1",
            headers={
                "Authorization": f"Bearer {token}",
                "Forwarded": "for=198.51.100.7;secret=a-guess",
                "X-Forwarded-For": "198.51.100.7",
                "X-Real-IP": "198.51.100.7",
            },
        )
        reply = connection.getresponse()
        reply.read()
    finally:
        connection.close()
    assert reply.status == 200
    (entry,) = AuditLog(db).list(actor=f"token:{made.name}#{made.id}")
    db.dispose()
    assert entry.source == "127.0.0.2"
    # and the REST channel's "this machine" is the client's address, not nginx's forwarding
    # headers: a client on this machine goes on needing no token
    status = post(cluster.url, {"sender": f"ip-{uuid.uuid4().hex[:6]}", "message": "hi"}).status
    assert status == 200


def test_nothing_typed_is_found_in_either_postgresql_database(cluster):
    """Issue 21, on PostgreSQL: a check typed with a name, a mobile, an e-mail and an NHS
    number through nginx, its messages taken by both servers in turn: neither the records
    database nor the conversation store holds any of them (before: the events, verbatim)."""
    import sqlalchemy as sa

    from bot.records.db import make_engine

    sender = f"typed-{uuid.uuid4().hex[:6]}"
    leaks = ("Dariusz", "Wisniewski", "07700 900789", "dariusz.w@example.org", "943 476 5919")
    for message, expected in [
        (
            "Can I tell the GP about Dariusz Wisniewski's mental health because I am worried "
            "about him? 07700 900789",
            Q1,
        ),
        ("no, dariusz.w@example.org has not agreed", "Do not share"),
        ("Dariusz Wisniewski, NHS 943 476 5919, has no clear purpose yet", "Shall I save"),
        ("yes", "Your decision reference is"),
    ]:
        reply = say(cluster.url, sender, message)
        assert reply.status == 200 and expected in reply.text, (message, reply)
    found = []
    conversations = cluster.cluster.env["TRACKER_DATABASE_URL"]
    for url in (cluster.records_url, conversations):
        engine = make_engine(url)
        with engine.connect() as connection:
            for table in sa.inspect(engine).get_table_names():
                rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
                text = " ".join(str(value) for row in rows for value in row)
                found += [(table, leak) for leak in leaks if leak in text]
        engine.dispose()
    assert found == []


def test_teams_through_nginx(cluster):
    """Microsoft Teams' activities through nginx (each to the next server in turn): the token
    is checked and the check goes on, the replies posted to the (fake) Bot Connector."""
    deployment = Deployment(
        cluster.url, cluster.fake, Chat(cluster.url, cluster.records_url), cluster.logs
    )
    user = TeamsUser.new(deployment)
    assert Q1 in text_of(user.send(OPENING))
    for answer, expected in [("yes", Q2), ("yes", "Question 3:"), ("no", Q6)]:
        assert expected in text_of(user.send(answer)), answer


# --- faults ----------------------------------------------------------------------------------


def _start_actions(cluster: Running) -> subprocess.Popen:
    servers = cluster.cluster.rasa
    env = {**servers.environment(), "SANIC_WORKERS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--port", str(servers.actions_port)],
        cwd=PROJECT,
        env=env,
        stdout=open(cluster.logs / "actions-restarted.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(  # noqa: S310
                f"http://127.0.0.1:{servers.actions_port}/health", timeout=2
            )
            return process
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("the action server did not come back")


def test_the_action_server_killed_mid_check_loses_nothing(cluster):
    sender = f"actions-{uuid.uuid4().hex[:6]}"
    assert Q1 in say(cluster.url, sender, OPENING).text
    assert Q2 in say(cluster.url, sender, "yes").text
    servers = cluster.cluster.rasa
    actions = servers.processes[0]
    kill_tree(actions.pid)  # the action server and its Sanic workers
    actions.wait()
    for server in (0, 1):  # on either server: said plainly, and the answer is not taken
        reply = say(cluster.server(server), sender, "yes it can")
        assert reply.status == 200 and KEPT in reply.text.lower(), reply.text
    slots = tracker(cluster.url, sender)["slots"]
    assert slots["identifiable"] is None and slots["purpose"] == "yes"
    servers.processes[0] = _start_actions(cluster)
    reply = say(cluster.url, sender, "yes it can")  # sent again: taken where it was
    assert "Question 3:" in reply.text, reply.text
    assert "Question 4:" in say(cluster.url, sender, "yes").text


def test_redis_down_is_said_plainly_and_the_check_goes_on_when_it_is_back(cluster):
    sender = f"redis-{uuid.uuid4().hex[:6]}"
    assert Q1 in say(cluster.url, sender, OPENING).text
    cluster.redis.stop()
    try:
        reply = say(cluster.url, sender, "yes")
        assert reply.status == 503, reply
        assert reply.headers.get("Retry-After")
        assert "a service I need is not answering" in reply.text
        assert "your answers up to the last question are kept" in reply.text
        # in Teams: said in the chat, and 200 to the Bot Service (which would resend on a 5xx)
        teams = TeamsUser.new(
            Deployment(
                cluster.url, cluster.fake, Chat(cluster.url, cluster.records_url), cluster.logs
            )
        )
        assert "a service I need is not answering" in text_of(teams.send(OPENING))
    finally:
        cluster.redis.start()
    deadline = time.monotonic() + 30
    while True:  # redis-py reconnects at the next command
        reply = say(cluster.url, sender, "yes")
        if reply.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert Q2 in reply.text, reply
    users = [e["text"] for e in tracker(cluster.url, sender)["events"] if e["event"] == "user"]
    assert users == [OPENING, "yes"]  # the message Redis refused was not half-taken


def test_records_database_down_at_save_keeps_the_record_and_saves_it_once(cluster):
    sender = f"pg-{uuid.uuid4().hex[:6]}"
    for message, expected in [(OPENING, Q1), ("no", "Do not share"),
                              ("No clear purpose yet", SAVE)]:  # fmt: skip
        assert expected in say(cluster.url, sender, message).text
    cluster.records_db.stop()
    try:
        reply = say(cluster.url, sender, "yes")
        assert reply.status == 200
        assert "can't reach the records database" in reply.text
        assert "will be saved as soon as the database is back" in reply.text
    finally:
        cluster.records_db.start()
    deadline = time.monotonic() + 60
    while True:  # the action server retries every 10 s; the next message tries too
        mine = [r for r in records(cluster.records_url) if r["conversation_id"] == sender]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(2)
    (record,) = mine
    assert record["outcome"] == "do_not_share" and record["reasons"] == "No clear purpose yet"
    reply = say(cluster.url, sender, "thanks")
    assert f"{SAVED} {record['reference']}" in reply.text, reply.text
    assert record["reference"] not in say(cluster.url, sender, "ok").text  # told once
    assert len([r for r in records(cluster.records_url) if r["conversation_id"] == sender]) == 1


def test_a_rasa_server_killed_mid_check_the_other_continues_it(cluster):
    sender = f"killed-{uuid.uuid4().hex[:6]}"
    first = cluster.cluster.rasa.processes[1]  # the Rasa server on the first port
    assert Q1 in say(cluster.server(0), sender, OPENING).text
    assert Q2 in say(cluster.server(0), sender, "yes").text
    first.send_signal(signal.SIGKILL)
    first.wait()
    survivor = str(cluster.cluster.ports[1])
    for message, expected in [("yes", "Question 3:"), ("yes", "Question 4:")]:
        reply = say(cluster.url, sender, message)  # nginx: the dead one is skipped
        assert reply.status == 200 and expected in reply.text, reply
        assert reply.server == survivor


# --- the command ----------------------------------------------------------------------------------


def test_make_run_clusters_command_starts_everything_and_ctrl_c_stops_it(tmp_path):
    """`python -m bot.cluster` (what `make run-cluster` runs) on ports of its own: a check through
    its nginx, then SIGINT stops every process it started. One Rasa server: the command is under
    test here, the cluster of two in the tests above."""
    import os
    import socket

    from bot.cluster import ensure_database
    from bot.records.testing import temporary_postgres_database

    first, actions, nginx = port(5705), port(5755), port(5780)
    with temporary_postgres_database("infoshare_runcluster") as url:
        ensure_database(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "INFOSHARE_REDIS_URL": "redis://127.0.0.1:6379/0",
            "INFOSHARE_REDIS_PREFIX": f"run{uuid.uuid4().hex[:8]}",
            "INFOSHARE_VAR_DIR": str(tmp_path),
            "INFOSHARE_API_TOKEN": TOKEN,
        }
        command = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cluster",
                "--servers",
                "1",
                "--port",
                str(nginx),
                "--first-port",
                str(first),
                "--actions-port",
                str(actions),
            ],  # fmt: skip
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = []
        try:
            for line in command.stdout:
                output.append(line)
                if "Press Ctrl-C to stop" in line:
                    break
            assert any("on 1 Rasa servers" in line for line in output), "".join(output)
            base = f"http://127.0.0.1:{nginx}"
            assert f"{base}/chat/" in "".join(output)
            sender = f"cmd-{uuid.uuid4().hex[:6]}"
            assert Q1 in say(base, sender, OPENING).text
            assert Q2 in say(base, sender, "yes").text
            # Rasa's HTTP API is off unless asked for: no route reads the conversation
            assert "HTTP API:      off" in "".join(output)
            with pytest.raises(urllib.error.HTTPError) as off:
                urllib.request.urlopen(  # noqa: S310 - loopback
                    f"{base}/conversations/{sender}/tracker?token={TOKEN}", timeout=30
                )
            assert off.value.code == 404
        finally:
            command.send_signal(signal.SIGINT)
            rest, _ = command.communicate(timeout=60)
        assert command.returncode == 0, "".join(output) + rest
        assert "Stopping" in rest
        for number in (first, actions, nginx):  # nothing left listening
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", number)) != 0, number
