"""End to end: typed conversations through the REST channel of the real servers.

Each conversation is checked turn by turn (what the assistant asks next), then its record is read
back through `infoshare records export --format json` and checked.
"""

from __future__ import annotations

import json
import uuid

import pytest
from support.servers import CHECKLIST_YES

pytestmark = pytest.mark.e2e

OPENING = "Can I tell the GP about her mental health because I am worried about her?"
Q1, Q2, Q3, Q4 = "Question 1:", "Question 2:", "Question 3:", "Question 4:"
Q4A, Q5, Q6 = "Question 4a:", "Question 5:", "Question 6:"
REASONS, SAVE, SAVED = "please give the reasons", "Shall I save", "Your decision reference is"
ADVICE = "Seek advice before you share"


def finish(reason: str = "The GP needs this to support her care") -> list[tuple[str, str]]:
    return [(reason, SAVE), ("yes", SAVED)]


# name, turns (message, what the reply must contain), outcome, path, answers
CONVERSATIONS = [
    (
        "q1 no: do not share",
        [(OPENING, Q1), ("no", "Do not share"), *finish("No clear purpose yet")],
        "do_not_share",
        ["purpose", "record"],
        {"purpose": "no"},
    ),
    (
        "q1 not sure: seek advice",
        [(OPENING, Q1), ("not sure", ADVICE)],
        "seek_advice",
        ["purpose"],
        {"purpose": "not_sure"},
    ),
    (
        "q2 no: not personal information, straight to q6",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("no", Q6),
            *CHECKLIST_YES,
            ("they already know", REASONS),
            *finish(),
        ],
        "share",
        ["purpose", "identifiable", "appropriate", "record"],
        {"purpose": "yes", "identifiable": "no", "appropriate": "yes"},
    ),
    (
        "q2 dunno: seek advice",
        [(OPENING, Q1), ("yes", Q2), ("dunno", ADVICE)],
        "seek_advice",
        ["purpose", "identifiable"],
        {"purpose": "yes", "identifiable": "not_sure"},
    ),
    (
        "q3 no: not confidential",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("no", Q6),
            *CHECKLIST_YES,
            ("yes I will tell her", REASONS),
            *finish(),
        ],
        "share",
        ["purpose", "identifiable", "confidential", "appropriate", "record"],
        {"purpose": "yes", "identifiable": "yes", "confidential": "no", "appropriate": "yes"},
    ),
    (
        "q3 no idea: seek advice",
        [(OPENING, Q1), ("yes", Q2), ("yes", Q3), ("no idea", ADVICE)],
        "seek_advice",
        ["purpose", "identifiable", "confidential"],
        {"purpose": "yes", "identifiable": "yes", "confidential": "not_sure"},
    ),
    (
        "q4 yes: consent",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("yes", Q4),
            ("yes she agreed", Q6),
            *CHECKLIST_YES,
            ("yes", REASONS),
            *finish(),
        ],
        "share",
        ["purpose", "identifiable", "confidential", "consent", "appropriate", "record"],
        {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "yes",
            "appropriate": "yes",
        },
    ),
    (
        "q4 refused, q5 public interest: share",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("yes", Q4),
            ("no she refused", Q5),
            ("yes", "public interest that justifies"),
            ("Her children are at risk if nothing is done", Q6),
            *CHECKLIST_YES,
            ("yes", REASONS),
            *finish(),
        ],
        "share",
        [
            "purpose",
            "identifiable",
            "confidential",
            "consent",
            "public_interest",
            "appropriate",
            "record",
        ],
        {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "no",
            "public_interest": "yes",
            "appropriate": "yes",
        },
    ),
    (
        "q4 refused, q5 no: do not share",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("yes", Q4),
            ("no", Q5),
            ("no", "Do not share"),
            *finish("She is a competent adult and refused"),
        ],
        "do_not_share",
        ["purpose", "identifiable", "confidential", "consent", "public_interest", "record"],
        {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "no",
            "public_interest": "no",
        },
    ),
    (
        "q4 not asked, safe to ask: seek consent",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("yes", Q4),
            ("I haven't asked yet", Q4A),
            ("no", "Seek consent first"),
            *finish("Asking is safe, so I will ask her first"),
        ],
        "seek_consent",
        ["purpose", "identifiable", "confidential", "consent", "consent_unsafe", "record"],
        {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "not_asked",
            "consent_unsafe": "no",
        },
    ),
    (
        "q4 not asked, unsafe to ask, q5 yes: share without telling",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("yes", Q4),
            ("not asked", Q4A),
            ("yes", Q5),
            ("yes", "public interest"),
            ("Asking would put the child at risk", Q6),
            *CHECKLIST_YES,
            ("no, it is not safe to tell her", REASONS),
            *finish(),
        ],
        "share",
        [
            "purpose",
            "identifiable",
            "confidential",
            "consent",
            "consent_unsafe",
            "public_interest",
            "appropriate",
            "record",
        ],
        {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "not_asked",
            "consent_unsafe": "yes",
            "public_interest": "yes",
            "appropriate": "yes",
        },
    ),
    (
        "q5 not sure: seek advice",
        [
            (OPENING, Q1),
            ("yes", Q2),
            ("yes", Q3),
            ("yes", Q4),
            ("no", Q5),
            ("I'm not sure", ADVICE),
        ],
        "seek_advice",
        ["purpose", "identifiable", "confidential", "consent", "public_interest"],
        {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "no",
            "public_interest": "not_sure",
        },
    ),
    (
        "q6 not sure: seek advice",
        [(OPENING, Q1), ("yes", Q2), ("no", Q6), ("not sure", ADVICE)],
        "seek_advice",
        ["purpose", "identifiable", "appropriate"],
        {"purpose": "yes", "identifiable": "no", "appropriate": "not_sure"},
    ),
]


@pytest.mark.parametrize(
    "turns,outcome,path,answers",
    [pytest.param(*c[1:], id=c[0]) for c in CONVERSATIONS],
)
def test_conversation_leaves_one_correct_record(chat, turns, outcome, path, answers):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for message, expected in turns:
        reply = chat.text(sender, message)
        assert expected in reply, f"after {message!r} expected {expected!r}, got:\n{reply}"
    (record,) = chat.record_for(sender)
    assert record["outcome"] == outcome
    assert record["path"] == path
    assert record["answers"] == answers
    assert record["reference"].startswith("ISD-")
    assert record["channel"] == "rest"
    assert record["protocol"] == "hmg-2008"
    assert record["recipient"] == "the GP" and record["information"] == "her mental health"
    assert record["purpose_text"] == "I am worried about her"
    if outcome == "seek_advice":
        assert record["advice_needed_at"] == path[-1]
    else:
        assert record["advice_needed_at"] is None and record["reasons"]


def test_requested_slot_names_the_question(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    chat.text(sender, "yes")
    tracker = chat.tracker(sender)
    assert tracker["slots"]["requested_slot"] == "identifiable"
    assert tracker["active_loop"]["name"] == "information_sharing_form"


def test_context_questions_explain_go_back_and_redaction(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    assert "What information" in chat.text(sender, "Can I share?")
    assert "Who would you share" in chat.text(sender, "details of a family's rent arrears")
    assert "Why do you want" in chat.text(sender, "the housing officer, ring 07700 900123")
    assert Q1 in chat.text(sender, "so they can avoid eviction")
    assert "3.3 - 3.9" in chat.text(sender, "why are you asking this?")
    assert Q2 in chat.text(sender, "yes")
    assert Q1 in chat.text(sender, "go back")
    assert Q2 in chat.text(sender, "yes")
    assert Q3 in chat.text(sender, "yes")
    assert Q6 in chat.text(sender, "no")
    for message, expected in CHECKLIST_YES:
        assert expected in chat.text(sender, message)
    assert REASONS in chat.text(sender, "they already know")
    assert SAVE in chat.text(sender, "Housing need it, tenant email jo.bloggs@example.org")
    saved = chat.text(sender, "yes")
    assert SAVED in saved
    # Confirming again does not save twice; messages after the end get a clear answer.
    reference = saved.split(SAVED)[1].split()[0].strip(" .(")
    assert f"finished and saved as {reference}" in chat.text(sender, "yes")
    assert "finished and saved" in chat.text(sender, "go back")
    (record,) = chat.record_for(sender)
    assert record["recipient"] == "the housing officer, ring [PHONE]"
    assert "[EMAIL]" in record["reasons"] and "example.org" not in record["reasons"]
    assert record["checks"]["inform_person"] == "already_aware"


def test_safeguarding_signs_flag_the_record_and_the_check_carries_on(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = chat.text(sender, "Can I tell the police that a pupil says her stepdad hits her?")
    assert "safeguarding procedures without delay" in reply
    assert "What information" in reply or Q1 in reply or "Why do you want" in reply
    assert "What information" in chat.text(sender, "start again")
    chat.text(sender, "her mental health")
    chat.text(sender, "the GP")
    reply = chat.text(sender, "because I am worried about her")
    assert Q1 in reply and "safeguarding" not in reply
    chat.text(sender, "no")
    chat.text(sender, "Not enough reason yet, but she disclosed self-harm")
    chat.text(sender, "yes")
    (record,) = chat.record_for(sender)
    assert record["safeguarding_concern"] is True


def test_start_again_starts_a_new_check_and_stop_ends_it(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    chat.text(sender, "yes")
    reply = chat.text(sender, "start again")
    assert "starting a new check" in reply and "What information" in reply
    slots = chat.tracker(sender)["slots"]
    assert slots["purpose"] is None and slots["information"] is None
    assert "Who would you share" in chat.text(sender, "details of a family's rent arrears")
    assert "Goodbye" in chat.text(sender, "bye")
    assert chat.tracker(sender)["active_loop"] in ({}, None) or not chat.tracker(sender)[
        "active_loop"
    ].get("name")
    assert chat.record_for(sender) == []


@pytest.mark.parametrize(
    "message",
    [
        "",
        "x" * 100_000,
        "🙂🙂🙂",
        "<script>alert('x')</script>",
        "'; DROP TABLE decision_records; --",
        "/no_such_intent",
    ],
    ids=["empty", "100KB", "emoji", "html", "sql", "unknown-payload"],
)
def test_bad_input_is_not_taken_as_an_answer_and_loses_nothing(chat, message):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    if len(message) > 5000:  # longer than the assistant reads: 413, and asked for a shorter one
        import urllib.error

        with pytest.raises(urllib.error.HTTPError) as refused:
            chat.say(sender, message)
        assert refused.value.code == 413
        (said,) = json.loads(refused.value.read())
        assert "too long for me to read" in said["text"]
        assert [e for e in chat.tracker(sender)["events"] if e["event"] == "user"][-1][
            "text"
        ] == OPENING  # never reached Rasa
        reply = chat.say(sender, "x" * 5000)  # the longest it reads: read, not taken
    else:
        reply = chat.say(sender, message)
    assert reply, "no answer at all"
    texts = "\n".join(m.get("text") or "" for m in reply)
    assert "<script" not in texts
    assert Q1 in texts or "I read that as" in texts, texts
    slots = chat.tracker(sender)["slots"]
    assert slots["recipient"] == "the GP" and slots["purpose"] is None
    if slots["pending_answer"] is None:
        assert Q2 in chat.text(sender, "yes")


def test_a_button_payload_with_junk_entities_keeps_only_the_answer(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    reply = chat.text(sender, '/affirm{"question": "<img src=x onerror=alert(1)>"}')
    assert Q2 in reply and "<img" not in reply
    slots = chat.tracker(sender)["slots"]
    assert slots["purpose"] == "yes" and slots["question"] is None


def test_text_that_is_not_utf8_is_refused_cleanly(chat):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{chat.base}/webhooks/rest/webhook",
        data=b'{"sender": "bytes", "message": "\xff\xfe caf\xe9"}',
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status < 500
    assert Q1 in chat.text(f"e2e-{uuid.uuid4().hex[:8]}", OPENING)  # still serving


def test_read_back_of_a_yes_that_says_no(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    chat.text(sender, "yes")
    chat.text(sender, "yes")
    reply = chat.text(sender, "yes, it is not confidential")
    assert "I read that as “No”" in reply and Q4 not in reply
    assert Q3 in chat.text(sender, "no")  # not what I meant: the question again
    assert Q6 in chat.text(sender, "no")


def test_a_read_back_answered_with_the_same_words_is_confirmed(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    assert "I read that as “Yes”" in chat.text(sender, "I think so")
    assert Q2 in chat.text(sender, "I think so")
    assert chat.tracker(sender)["slots"]["purpose"] == "yes"


# --- answers typed the way people type them ----------------------------------------------------

REASONED = [
    (OPENING, Q1),
    ("yes because the GP can review her medication", Q2),
    ("yes, the GP knows exactly who she is", Q3),
    ("yes she told me in confidence", Q4),
    ("no, she's refused, she doesn't want anyone told", Q5),
    ("yes - her children are at risk if nothing is done", "public interest that justifies"),
    ("The children could be harmed if nothing is shared", Q6),
    ("yes, only the medication history", "point 2 of 7"),
    ("yes just the GP", "point 3 of 7"),
    ("yes, I checked it this morning", "point 4 of 7"),
    ("yes she knows what she agreed to", "point 5 of 7"),
    ("yes, through secure email", "point 6 of 7"),
    ("yes, they won't pass it on", "point 7 of 7"),
    ("no, telling her could put the children at risk", REASONS),
    ("The risk to the children outweighs her refusal", SAVE),
    ("yes save it", SAVED),
]


def test_a_whole_check_typed_with_reasons_keeps_each_reason_on_the_record(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for message, expected in REASONED:
        reply = chat.text(sender, message)
        assert expected in reply, f"after {message!r} expected {expected!r}, got:\n{reply}"
    (record,) = chat.record_for(sender)
    assert record["outcome"] == "share"
    assert record["checks"]["inform_person"] == "no_unsafe"
    assert record["notes"]["purpose"] == "because the GP can review her medication"
    assert record["notes"]["consent"] == "she's refused, she doesn't want anyone told"
    assert (
        record["notes"]["appropriate.inform_person"] == "telling her could put the children at risk"
    )
    assert record["golden_rules"] == [1, 2, 3, 4, 5, 6, 7]


def test_an_answer_and_a_question_gets_both(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    reply = chat.text(sender, "yes - but what counts as confidential?")
    assert Q2 in reply and "Not all information is confidential" in reply
    assert chat.tracker(sender)["slots"]["purpose"] == "yes"


def test_the_same_unusable_message_twice_gets_help_never_the_same_reply(chat):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    chat.text(sender, OPENING)
    first = chat.text(sender, "purple monkey dishwasher")
    second = chat.text(sender, "purple monkey dishwasher")
    assert first != second
    assert "I still couldn't use that as an answer to question 1" in second
    assert "whom to ask for advice" in second
    assert Q2 in chat.text(sender, "yes")


@pytest.mark.parametrize(
    ("opening", "information", "recipient"),
    [
        (
            "Can I share a tenant's details with a debt advice charity?",
            "a tenant's details",
            "a debt advice charity",
        ),
        (
            "Can I tell the school nurse about a pupil's asthma?",
            "a pupil's asthma",
            "the school nurse",
        ),
        ("I was asked to share some info", None, None),
        # training words in an opening that asks to share: a check, never practice mode
        (
            "Can I share the case study notes about a looked-after child with the virtual school?",
            "the case study notes about a looked-after child",
            "the virtual school",
        ),
        ("Can I send the case study to the trainer?", "the case study", "the trainer"),
    ],
)
def test_an_opening_that_asks_to_share_starts_a_check(chat, opening, information, recipient):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    reply = chat.text(sender, opening)
    assert "Let's work through the information-sharing questions" in reply
    assert "scenario" not in reply.lower()
    slots = chat.tracker(sender)["slots"]
    assert (slots["information"], slots["recipient"]) == (information, recipient)
    assert slots["training_scenario"] is None
    assert chat.tracker(sender)["active_loop"]["name"] == "information_sharing_form"
    expected = "Why do you want to share it" if recipient else "What information"
    assert expected in reply


FOLLOWED_UP = [
    (OPENING, Q1),
    ("/affirm", Q2),
    ("yes, the GP knows exactly who she is", Q3),
    ("her ex posted it on facebook to shame her", "lawfully in the public domain"),
    ("no, she never wanted it out there", Q4),
    ("she's agreed to it", Q6),
    ("I think so", "I read that as “Yes”"),
    ("yes that's right", "point 2 of 7"),
    *[("yes", f"point {n} of 7") for n in range(3, 8)],
    ("she already knows", REASONS),
    ("The GP needs it to review her care", SAVE),
    ("yes, save it", SAVED),
]


def test_a_turning_reason_gets_the_guidances_follow_up_and_the_record_says_how(chat):
    """Issue 18 end to end: the reason turns on a qualifier the guidance makes, the guidance's
    own question is asked and decides the answer, and the record keeps how each answer was
    given (and no note from "yes, save it")."""
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    for message, expected in FOLLOWED_UP:
        reply = chat.text(sender, message)
        assert expected in reply, f"after {message!r} expected {expected!r}, got:\n{reply}"
    (record,) = chat.record_for(sender)
    assert record["answers"]["confidential"] == "yes"
    assert record["answered_by"]["purpose"] == "button"
    assert record["answered_by"]["identifiable"] == "word"
    assert record["answered_by"]["confidential"] == "follow_up"
    assert record["answered_by"]["appropriate.necessary"] == "read_back"
    assert record["notes"]["confidential"].startswith(
        "her ex posted it on facebook to shame her — lawfully in the public domain: No"
    )
    assert "record" not in (record["notes"] or {})


def test_a_rest_caller_cannot_say_its_message_came_through_teams(chat):
    """The REST body's input_channel and the Teams channel's own metadata (the conversation
    reference the helpdesk's answer is posted to, with the bot's token) are not taken from a
    REST caller: the tracker says rest, and the reference is not there (issue 20, finding 1)."""
    import urllib.request

    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    body = {
        "sender": sender,
        "message": "hello",
        "input_channel": "botframework",
        "metadata": {"botframework": {"reference": {"serviceUrl": "http://127.0.0.1:9/"}}},
    }
    request = urllib.request.Request(
        f"{chat.base}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
        assert response.status == 200
    tracker = chat.tracker(sender)
    assert tracker["latest_input_channel"] == "rest"
    assert "botframework" not in (tracker["latest_message"].get("metadata") or {})


def test_a_body_over_a_mebibyte_is_refused_unread(chat):
    """Sanic would read bodies up to 100 MB; the Rasa server now refuses one over 1 MiB with 413
    (as nginx does in front of a cluster), the REST channel and Rasa's HTTP API alike
    (issue 20, finding 8)."""
    import urllib.error
    import urllib.request

    padding = {"pad": "x" * (2 * 1024 * 1024)}  # a short message, a large body
    big = json.dumps({"sender": "e2e-big", "message": "hi", "metadata": padding}).encode()
    for path in ("/webhooks/rest/webhook", "/conversations/e2e-big/tracker/events"):
        request = urllib.request.Request(
            f"{chat.base}{path}", data=big, headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)  # noqa: S310 - loopback
        assert refused.value.code == 413, path
    assert chat.text(f"e2e-{uuid.uuid4().hex[:8]}", "hello")  # and it still answers


def _post_from(chat, address: str, sender: str, message: str) -> tuple[int, dict[str, str]]:
    """A REST message sent from ``address`` (any of 127.0.0.0/8 reaches the loopback server)."""
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(chat.base)
    connection = http.client.HTTPConnection(
        where.hostname, where.port, timeout=60, source_address=(address, 0)
    )
    try:
        body = json.dumps({"sender": sender, "message": message})
        connection.request(
            "POST", "/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
        )
        reply = connection.getresponse()
        reply.read()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}
    finally:
        connection.close()


def test_a_flood_with_a_new_sender_per_message_is_limited_by_its_address(chat):
    """300 messages from 300 senders from one address: before, each was a new conversation and
    none was limited (80 of 80 answered); now the address's limit (40 a minute on the tests'
    servers, 240 by default) refuses the rest with 429 and Retry-After, without Rasa being
    asked, and practitioners at other addresses go on."""
    from concurrent.futures import ThreadPoolExecutor

    flood = uuid.uuid4().hex[:6]

    def send(number: int) -> tuple[int, dict[str, str]]:
        return _post_from(chat, "127.0.0.2", f"flood-{flood}-{number}", "hello")

    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(send, range(300)))
    statuses = [status for status, _ in replies]
    assert set(statuses) <= {200, 429}
    assert statuses.count(200) <= 40 * 2 and statuses.count(429) >= 300 - 40 * 2  # 2 windows
    assert all(int(headers["retry-after"]) >= 1 for status, headers in replies if status == 429)
    status, _ = _post_from(chat, "127.0.0.3", f"calm-{flood}", "hello")  # another address
    assert status == 200
    assert chat.text(f"e2e-{flood}", "hello")  # and 127.0.0.1 (exempt on the tests' servers)


def _rest(chat, body: dict, headers: dict[str, str] | None = None) -> tuple[int, object]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{chat.base}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_rest_channel_needs_a_channel_token_from_anywhere_but_this_machine(chat):
    """Before, anyone who reached the REST channel could use it, under any sender. Now (the
    default, INFOSHARE_REST_ACCESS=local) a caller on this machine needs nothing, any other a
    channel token, whose conversations are its own."""
    from bot.helpdesk.accounts import Accounts
    from bot.records import make_engine

    accounts = Accounts(make_engine(chat.database_url))
    made, channel_token = accounts.create_token(f"portal-{uuid.uuid4().hex[:6]}", "channel")
    _, reporting_token = accounts.create_token(f"crm-{uuid.uuid4().hex[:6]}", "reporting")
    sender = f"alice-{uuid.uuid4().hex[:6]}"
    hello = {"sender": sender, "message": "hello"}
    # through a proxy the server is not told to trust: not "this machine"
    status, body = _rest(chat, hello, {"X-Forwarded-For": "203.0.113.9"})
    assert status == 401 and "channel token" in body["error"]
    status, _ = _rest(chat, hello, {"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer x"})
    assert status == 401
    for token in (reporting_token, channel_token + "x"):  # not a channel token; a wrong one
        status, _ = _rest(chat, hello, {"Authorization": f"Bearer {token}"})
        assert status == 401
    proxied = {"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {channel_token}"}
    status, replies = _rest(chat, {"sender": sender, "message": OPENING}, proxied)
    assert status == 200 and "Question 1:" in " ".join(r.get("text") or "" for r in replies)
    # the token's conversation is its own: a local caller sending the same sender is elsewhere
    assert chat.tracker(f"{made.id}:{sender}")["slots"]["information"]
    assert not chat.tracker(sender)["slots"].get("information")
    # a channel token reads nothing of the API
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{chat.base}/api/records", headers={"Authorization": f"Bearer {channel_token}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310 - loopback
    assert refused.value.code == 403
    accounts.revoke_token(made.id)
    status, _ = _rest(chat, {"sender": sender, "message": "yes"}, proxied)
    assert status == 401


def test_nothing_typed_is_found_in_any_table_of_the_database(chat):
    """Issue 21: after a check whose opening, answers and reasons name the person and give a
    mobile, an e-mail, an NHS number and a postcode, no table of the servers' database (the
    conversation store included: before, its events held all of it verbatim) holds any of
    them."""
    import sqlalchemy as sa

    from bot.records import make_engine

    sender = f"e2e-typed-{uuid.uuid4().hex[:8]}"
    leaks = {
        "Marek Kowalczyk",
        "Kowalczyk",
        "07700 900456",
        "marek.k@example.org",
        "943 476 5919",
        "LS6 2QD",
        "12 Hawthorn Road",
    }
    turns = [
        (
            "Can I tell the GP about Marek Kowalczyk's mental health because I am worried "
            "about him? His mobile is 07700 900456.",
            Q1,
        ),
        ("no, Marek Kowalczyk has not said why, email marek.k@example.org", "Do not share"),
        (
            "No clear purpose for Marek Kowalczyk yet, NHS 943 476 5919, of 12 Hawthorn Road, "
            "Leeds LS6 2QD",
            SAVE,
        ),
        ("yes", SAVED),
    ]
    for message, expected in turns:
        reply = chat.text(sender, message)
        assert expected in reply, (message, reply)
    engine = make_engine(chat.database_url)
    found = {}
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            rows = connection.execute(sa.text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
            text = " ".join(str(value) for row in rows for value in row)
            found.update({(table, leak): True for leak in leaks if leak in text})
    engine.dispose()
    assert found == {}, sorted(found)
    (record,) = chat.record_for(sender)
    assert "[NAME]" in record["reasons"]  # the check was taken and saved, redacted
