"""Issue 21's "done when", as a script: a week of use — checks, a helpdesk hand-over answered and
continued, a training case — typed with names, numbers, e-mails and addresses, through real
servers of its own (SQLite, a var/ of its own). Afterwards no table, no file under var/ and no
API response (the records and advice API, Rasa's tracker API) holds any of what was typed; and
with the clock moved past the retention periods, the conversations and the closed advice
request are gone while the decision records stay (the default policy)."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.helpdesk import api_token, post_json
from support.servers import TOKEN, Chat, port, start_servers

from bot import retention
from bot.helpdesk.requests import AdviceRequests, UnknownRequest
from bot.records import make_engine

pytestmark = pytest.mark.e2e

# What the practitioners and the adviser type: none of it may be found anywhere afterwards.
TYPED = {
    "Tomasz Nowak",
    "Nowak",
    "Agnieszka",
    "07700 900321",
    "07700 900654",
    "t.nowak@example.org",
    "943 476 5919",
    "14 Kings Road",
    "14 kings road",
    "LS6 2QD",
    "Priyanka Raman",
}


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Iterator[tuple[Chat, Path]]:
    tmp = tmp_path_factory.mktemp("week")
    url = f"sqlite:///{tmp / 'week.db'}"
    servers = start_servers(
        url, port(5905), port(5955), tmp / "logs", env={"INFOSHARE_VAR_DIR": str(tmp / "var")}
    )
    yield Chat(servers.url, url), tmp / "var"
    servers.stop()


def _talk(chat: Chat, sender: str, turns: list[tuple[str, str]]) -> str:
    said = ""
    for message, expected in turns:
        said = chat.text(sender, message)
        assert expected in said, (message, said)
    return said


def _get(url: str, token: str | None = None) -> str:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        return response.read().decode()


def _leaks(text: str) -> set[str]:
    return {typed for typed in TYPED if typed.lower() in text.lower()}


def _everything_stored(chat: Chat, var: Path) -> dict[str, str]:
    """Every table of the database, and every file under var/, as text."""
    stored = {}
    engine = make_engine(chat.database_url)
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
            stored[f"table {table}"] = " ".join(str(v) for row in rows for v in row)
    engine.dispose()
    for path in var.rglob("*"):
        if path.is_file() and not path.name.endswith((".db", ".db-wal", ".db-shm")):
            stored[f"file {path.relative_to(var)}"] = path.read_bytes().decode("utf-8", "replace")
    return stored


def test_a_week_of_use_leaves_nothing_typed_and_old_data_goes(week) -> None:
    chat, var = week
    senders = {name: f"week-{name}-{uuid.uuid4().hex[:6]}" for name in ("a", "b", "c", "d")}

    # Monday: a check that ends "do not share", saved
    _talk(
        chat,
        senders["a"],
        [
            (
                "Can I tell the GP about Tomasz Nowak's drinking because I am worried about "
                "him? He is at 14 Kings Road, Leeds LS6 2QD, mobile 07700 900321.",
                "Question 1:",
            ),
            ("no, tomasz nowak has not said why it matters", "Do not share"),
            ("No clear purpose yet, his NHS number is 943 476 5919", "Shall I save"),
            ("yes", "Your decision reference is"),
        ],
    )
    # Tuesday: not sure at question 4, asked of the helpdesk with a question naming people
    b = senders["b"]
    chat.text(b, "Can I tell the school nurse about Agnieszka Nowak's asthma so she can help her?")
    for answer in ("yes, to keep her safe at school", "yes it names her", "yes, it's health"):
        chat.text(b, answer)
    assert "send this to the helpdesk" in chat.text(b, "not sure, her mum might not agree")
    chat.text(b, "yes please")
    chat.text(
        b,
        "I spoke to tomasz nowak at 14 kings road on Monday, he said ring him on 07700 900654 "
        "or t.nowak@example.org. Does his agreement count?",
    )
    sent = chat.text(b, "send it")
    reference = re.search(r"Sent to the helpdesk as (ISD-\d+)", sent).group(1)
    # Wednesday: the adviser answers through the API, naming people too
    token = api_token(chat)
    status, _ = post_json(
        chat.base,
        f"/api/advice/{reference}/answer",
        token,
        {
            "advice": "Ask Agnieszka's mother unless Tomasz Nowak (07700 900654) objects.",
            "suggested_answer": "not_asked",
            "citation": "4.1-4.5",
        },
    )
    assert status == 200
    answered = chat.say(b, "any news?")
    assert "The helpdesk has answered" in " ".join(m.get("text") or "" for m in answered)
    # Thursday: a trainee practises a case, typing a name in a reason
    d = senders["d"]
    assert "Training — scenario 15" in chat.text(d, "scenario 15")
    chat.text(d, "no, Priyanka Raman says it's only to fill the newsletter")
    # Friday: a plain check by another practitioner, to its record
    _talk(
        chat,
        senders["c"],
        [
            (
                "Can I tell the housing officer about Priyanka Raman's rent arrears so they can "
                "offer her support?",
                "Question 1:",
            ),
            ("no", "Do not share"),
            ("Priyanka Raman asked me not to", "Shall I save"),
            ("yes", "Your decision reference is"),
        ],
    )

    # Nothing typed is stored, in any table or any file under var/ …
    stored = _everything_stored(chat, var)
    found = {where: _leaks(text) for where, text in stored.items() if _leaks(text)}
    assert found == {}, found
    # … nor given out by any API: the records and advice API, Rasa's tracker API
    reporting = api_token(chat)
    responses = [
        _get(f"{chat.base}/api/records?limit=1000", reporting),
        *(_get(f"{chat.base}/api/advice?status={s}", reporting) for s in ("open", "answered")),
        _get(f"{chat.base}/api/advice/{reference}", reporting),
        *(
            _get(f"{chat.base}/conversations/{sender}/tracker?token={TOKEN}")
            for sender in senders.values()
        ),
    ]
    leaked = [_leaks(text) for text in responses if _leaks(text)]
    assert leaked == []
    assert "[NAME]" in json.dumps(responses)  # redacted, not missing

    # A month later the conversations go; three months after it closed, the advice request;
    # the decision records stay (kept unless local policy sets a period)
    records, tracker = make_engine(chat.database_url), make_engine(chat.database_url)
    requests = AdviceRequests(records)
    requests.close(reference)
    now = datetime.now(timezone.utc)
    kept_before = len(chat.records())
    retention.run(records, tracker, "test", now=now + timedelta(days=31))
    for sender in senders.values():
        assert chat.tracker(sender)["events"] in ([], None) or not [
            e for e in chat.tracker(sender)["events"] if e.get("event") == "user"
        ]
    assert requests.get(reference).status == "closed"  # 90 days after closing: not yet
    retention.run(records, tracker, "test", now=now + timedelta(days=91))
    with pytest.raises(UnknownRequest):
        requests.get(reference)
    assert len(chat.records()) == kept_before
    records.dispose()
    tracker.dispose()
