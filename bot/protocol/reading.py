"""How a message is read at the step being asked (pure: no Rasa, no I/O).

Practitioners answer the way they answer a colleague: "no, she's an adult with capacity and the
only risk is to herself", "yes because the charity can help them budget", "not sure whether the
school name would identify her", "she's agreed to it", "probably". :func:`read` takes such a
message in the context of the question being asked and decides, as a typed :class:`Result`:

- ANSWER: the answer is clear; the words that came with it are kept as the practitioner's note;
- READ_BACK: a hedge ("I think so"), an answer whose words contradict each other, or one only the
  intent model saw: it is read back ("I read that as “Yes” — is that right?"), never assumed;
- SIDE_QUESTION: a question about the guidance and no answer: answer it, then ask again (a
  message that answers *and* asks is an ANSWER with a ``side`` question to answer too);
- NOT_UNDERSTOOD, and HELP when the same unusable message comes again (never the same reply twice
  in a row: HELP says what each answer means and how to get advice);
- COMMAND: "go back", "start again", "stop", "change an answer": left to the dialogue's rules;
- RETRY: a read-back refused ("no, that's wrong"): ask the question again.

The words come from the data: general answer words in ``answers.yml``, each question's own
phrases and key terms in the protocol (``hmg2008.yml``). The intent model's guess is only a
fallback, and an answer it alone saw is always read back: the costly mistakes (a "no", "not sure"
or "not asked" taken as "yes"; a "yes" taken as "no" or "not sure") are never made silently.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot import settings
from bot.protocol.commands import command, load_commands
from bot.protocol.engine import next_checklist_item, step_key
from bot.protocol.model import Answer, FollowUp, Kind, Protocol, load_protocol
from bot.protocol.opening import asks_to_practise

ANSWERS_FILE = Path(__file__).with_name("answers.yml")
# Intent names (a contract: docs/design.md §6) that answer a question, and what they answer.
ANSWER_INTENTS = {
    "affirm": Answer.YES.value,
    "deny": Answer.NO.value,
    "not_sure": Answer.NOT_SURE.value,
    "not_asked": Answer.NOT_ASKED.value,
}
# The intents of the commands the intent model may guess at a question ("go back", "start
# again", "stop", "change an answer"; their words and intents: commands.yml).
COMMAND_INTENTS = frozenset(
    command(name).intent for name in ("go_back", "restart", "stop", "change_answer")
)
# "continue ISD-…" (after the helpdesk's advice) is a command only when it names a reference or
# is the answer's button: a guess of the intent model alone never leaves the question.
CONTINUE_INTENT = command("continue").intent
SIDE_INTENTS = frozenset({"faq", "explain"})
DEFAULT_MODEL_THRESHOLD = 0.5
FAQ_THRESHOLD = 0.5
FAQ_WITH_ANSWER = 0.7  # an FAQ asked alongside an answer: the response selector's confidence
NOTE_MIN_WORDS = 2
NEGATION_WINDOW = 4  # words before a phrase that can negate it


class Result(str, Enum):
    ANSWER = "answer"
    READ_BACK = "read_back"
    RETRY = "retry"
    SIDE_QUESTION = "side_question"
    NOT_UNDERSTOOD = "not_understood"
    HELP = "help"
    COMMAND = "command"
    FOLLOW_UP = "follow_up"  # ask the guidance's own follow-up question (``Reading.follow_up``)


class Evidence(str, Enum):
    """Where an answer came from (why it was taken or read back)."""

    BUTTON = "button"
    WORDS = "words"  # the message says it in so many words
    HEDGE = "hedge"  # a hedged answer: read back
    CONFLICT = "conflict"  # the words say two things: read back
    MODEL = "model"  # only the intent model saw an answer: read back
    CONFIRMED = "confirmed"  # a read-back confirmed
    TURNS = "turns"  # toward sharing, but the message turns or rests on a cue alone: read back
    FOLLOW_UP = "follow_up"  # the answer to the guidance's own follow-up question
    HELPDESK = "helpdesk"  # the helpdesk adviser's suggested answer, taken with its button


@dataclass(frozen=True)
class Heard:
    """The message as the NLU heard it: text, top intent, the FAQ it resembles, a button's
    choice entity."""

    text: str
    intent: str | None = None
    confidence: float = 0.0
    faq: str | None = None  # "faq/what_is_consent"
    faq_confidence: float = 0.0
    choice: str | None = None


@dataclass(frozen=True)
class Asked:
    """What is being asked: a step's key, kind, the answers it takes, its words."""

    key: str
    kind: Kind
    answers: tuple[str, ...] = ()
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    terms: tuple[str, ...] = ()
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The answers that move the check toward sharing (the protocol's `toward_sharing`): taken
    # only from the practitioner's own answer word or button, never from a cue alone.
    toward: frozenset[str] = frozenset()
    follow_ups: tuple[FollowUp, ...] = ()

    @property
    def takes_answers(self) -> bool:
        return self.kind in (Kind.CHOICE, Kind.CHECKLIST, Kind.CONFIRM)

    def follow_up(self, follow_up_id: str | None) -> FollowUp | None:
        return next((f for f in self.follow_ups if f.id == follow_up_id), None)

    def asking(self, follow_up: FollowUp) -> Asked:
        """The step while its follow-up is asked: the follow-up's answers and words, and the
        same safety rule (an answer of the follow-up that means a step toward sharing)."""
        return Asked(
            self.key,
            Kind.CHOICE,
            tuple(follow_up.means),
            follow_up.phrases,
            (),
            {},
            frozenset(k for k, v in follow_up.means.items() if v in self.toward),
        )


@dataclass(frozen=True)
class Pending:
    """An answer read back and waiting for confirmation, or a follow-up question waiting for
    its answer (``follow_up``; with a ``value``, the follow-up's answer read back)."""

    key: str
    value: str
    text: str
    follow_up: str | None = None

    def as_slot(self) -> dict[str, str]:
        slot = {"question": self.key, "answer": self.value, "text": self.text}
        if self.follow_up:
            slot["follow_up"] = self.follow_up
        return slot

    @classmethod
    def from_slot(cls, value: Any) -> Pending | None:
        if not isinstance(value, dict) or not value.get("question"):
            return None
        if not value.get("answer") and not value.get("follow_up"):
            return None
        return cls(
            str(value["question"]),
            str(value.get("answer") or ""),
            str(value.get("text") or ""),
            str(value["follow_up"]) if value.get("follow_up") else None,
        )


@dataclass(frozen=True)
class Unusable:
    """The last message a step could not use (to notice the same one again)."""

    key: str
    text: str
    count: int = 1

    def as_slot(self) -> dict[str, Any]:
        return {"question": self.key, "text": self.text, "count": self.count}

    @classmethod
    def from_slot(cls, value: Any) -> Unusable | None:
        if not isinstance(value, dict) or not value.get("question"):
            return None
        return cls(
            str(value["question"]), str(value.get("text") or ""), int(value.get("count") or 1)
        )


class SideKind(str, Enum):
    FAQ = "faq"
    EXPLAIN = "explain"
    UNKNOWN = "unknown"  # a question we cannot place: say so honestly


@dataclass(frozen=True)
class Side:
    kind: SideKind
    faq: str | None = None


@dataclass(frozen=True)
class Reading:
    result: Result
    value: str | None = None
    evidence: Evidence | None = None
    note: str | None = None
    side: Side | None = None
    pending: Pending | None = None
    unusable: Unusable | None = None
    follow_up: FollowUp | None = None  # asked (FOLLOW_UP), or answered (ANSWER, READ_BACK)

    @property
    def takes_value(self) -> bool:
        return self.result is Result.ANSWER and self.value is not None


# --- the words -----------------------------------------------------------------------------------


_CATEGORY_VALUES = {
    "not_sure": (Answer.NOT_SURE.value, False),
    "hedge_not_sure": (Answer.NOT_SURE.value, True),
    "hedge_no": (Answer.NO.value, True),
    "hedge_yes": (Answer.YES.value, True),
    "no": (Answer.NO.value, False),
    "not_asked": (Answer.NOT_ASKED.value, False),
    "yes": (Answer.YES.value, False),
}
_END = r"(?![\w'])"
_NEGATION = re.compile(r"\b(not|never|without|nor|cannot|can't|no)\b|n't\b")


@dataclass(frozen=True)
class _Lexicon:
    fillers: re.Pattern[str]
    heads: tuple[tuple[str, re.Pattern[str]], ...]
    hedges: re.Pattern[str]
    confirm: re.Pattern[str]
    refuse: re.Pattern[str]
    correction: re.Pattern[str]
    separators: re.Pattern[str]
    emoji: tuple[tuple[str, str], ...]
    fuzzy_words: tuple[str, ...]
    fuzzy_threshold: float


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


@cache
def _lexicon(path: str | None = None) -> _Lexicon:
    data = yaml.safe_load(Path(path or ANSWERS_FILE).read_text(encoding="utf-8"))
    heads = tuple(
        (category, re.compile(rf"(?:{_alternation(patterns)}){_END}"))
        for category, patterns in data["answers"].items()
    )
    unknown = {category for category, _ in heads} - set(_CATEGORY_VALUES)
    if unknown:
        raise ValueError(f"{path or ANSWERS_FILE}: unknown answer categories {sorted(unknown)}")
    filler = _alternation(data["fillers"])
    emoji = tuple(
        (symbol, f" {word} ") for word, symbols in data["emoji"].items() for symbol in symbols
    )
    return _Lexicon(
        fillers=re.compile(rf"(?:(?:{filler}){_END}[\s,.!:;-]*)*"),
        heads=heads,
        hedges=re.compile(rf"\b(?:{_alternation(data['hedges'])}){_END}"),
        confirm=re.compile(rf"(?:{_alternation(data['confirm'])}){_END}"),
        refuse=re.compile(rf"(?:{_alternation(data['refuse'])}){_END}"),
        correction=re.compile(rf"(?:{_alternation(data['correction'])}){_END}[\s,.:;-]*"),
        separators=re.compile(_alternation(data["separators"])),
        emoji=tuple(sorted(emoji, key=lambda pair: -len(pair[0]))),
        fuzzy_words=tuple(str(w) for w in data["fuzzy_words"]["words"]),
        fuzzy_threshold=float(data["fuzzy_words"]["threshold"]),
    )


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    # "n't" starts inside a word ("isn't safe"), so it needs no word boundary before it.
    return re.compile(rf"(?:\b|(?=n't))(?:{_alternation(patterns)}){_END}")


def normalise(text: str | None) -> str:
    """Lower case, straight quotes, answer emoji as words (other emoji as a pause: a comma),
    single spaces, and a misspelt first word put right ("definately" → "definitely")."""
    lexicon = _lexicon()
    value = str(text or "")
    for symbol, word in lexicon.emoji:
        value = value.replace(symbol, word)
    value = "".join(
        " , " if unicodedata.category(ch) in ("So", "Sk", "Cs") or ch == "\ufe0f" else ch
        for ch in value
    )
    value = value.lower().translate(str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"}))
    value = value.translate(str.maketrans({"“": '"', "”": '"'}))
    value = re.sub(r"\s+,", ",", " ".join(value.split())).strip(" ,")
    value = _CONTRACTIONS.sub(lambda m: _CONTRACTED[m.group(0)], value)
    return _correct_first_word(value)


# Contractions typed without their apostrophe ("havent", "dont"): put back so the words match.
_CONTRACTED = {
    word: word[:-1] + "'" + word[-1]
    for word in """havent hasnt hadnt didnt dont doesnt isnt wasnt werent arent wont cant couldnt
    wouldnt shouldnt mustnt neednt""".split()
}
_CONTRACTED.update(
    {"havnt": "haven't", "hasent": "hasn't", "didint": "didn't", "dosent": "doesn't"}
)
_CONTRACTED.update(
    {
        "im": "i'm",
        "ive": "i've",
        "youre": "you're",
        "theyre": "they're",
        "thats": "that's",
        "theres": "there's",
        "shes": "she's",
        "whats": "what's",
        "itll": "it'll",
        "theyll": "they'll",
        "shell": "she'll",
        "ill": "i'll",
    }
)
_CONTRACTED["ill"] = "ill"  # "ill" is a word too: only "i'll" when typed so
_CONTRACTIONS = re.compile(r"\b(" + "|".join(sorted(_CONTRACTED, key=len, reverse=True)) + r")\b")


def _correct_first_word(text: str) -> str:
    lexicon = _lexicon()
    first, _, rest = text.partition(" ")
    word = first.strip(",.!?;:")
    if len(word) < 5 or word in lexicon.fuzzy_words:
        return text
    close = difflib.get_close_matches(
        word, lexicon.fuzzy_words, n=1, cutoff=lexicon.fuzzy_threshold
    )
    if not close:
        return text
    return (first.replace(word, close[0], 1) + (" " + rest if rest else "")).strip()


# --- buttons and commands ------------------------------------------------------------------------


def is_payload(text: str | None, intent: str | None = None) -> bool:
    """A button's payload ("/affirm", '/deny{"inform_choice": "no_unsafe"}').

    With ``intent``, only a payload for that intent counts: "/no_such_intent" is not a button.
    """
    if not text or not str(text).startswith("/"):
        return False
    return intent is None or str(text)[1:].startswith(intent)


def _payload(text: str) -> tuple[str, dict[str, Any]]:
    """The intent and entities of a payload ("/affirm{"x": 1}" → ("affirm", {"x": 1}))."""
    body = text[1:]
    name, _, rest = body.partition("{")
    entities: dict[str, Any] = {}
    if rest:
        try:
            loaded = json.loads("{" + rest)
            entities = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            entities = {}
    return name.strip(), entities


# The command words are data (bot/protocol/commands.yml, read by bot/protocol/commands.py).


def asks_to_continue(text: str | None) -> bool:
    """ "continue ISD-000123 …" typed, or the answer's button (``/continue_check{…}``): read as
    `continue_check` whatever the intent model guesses (bot/nlp/commands.py), and leaves the
    question being asked."""
    text = str(text or "")
    continuing = command("continue")
    return continuing.pressed(text) or bool(continuing.pattern("said").match(text))


def asks_to_restart(text: str | None) -> bool:
    """An explicit "start again" (typed or the button), not a guess of the intent model."""
    restart = command("restart")
    return bool(text) and (
        restart.pressed(text) or bool(restart.pattern("anywhere").search(str(text)))
    )


def asks_to_stop(text: str | None) -> bool:
    stop = command("stop")
    return bool(text) and (stop.pressed(text) or bool(stop.pattern("anywhere").search(str(text))))


# --- reading an answer from the words ------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    value: str
    start: int
    end: int
    hedged: bool
    head: bool  # a general answer word at the start (or as the last clause)
    cue: bool = False  # a cue in a reason, not the answer in words of its own


def _allowed(value: str, asked: Asked) -> str | None:
    """``value`` as this step takes it: "not asked" is "no" where it is not an answer."""
    if value in asked.answers:
        return value
    if value == Answer.NOT_ASKED.value and Answer.NO.value in asked.answers:
        return Answer.NO.value
    return None


def _head(text: str, start: int, asked: Asked) -> _Match | None:
    best: tuple[int, int, str] | None = None
    for order, (category, pattern) in enumerate(_lexicon().heads):
        match = pattern.match(text, start)
        if match and match.end() > start and (best is None or match.end() > best[0]):
            best = (match.end(), order, category)
    if best is None:
        return None
    end, _, category = best
    value, hedged = _CATEGORY_VALUES[category]
    value = _allowed(value, asked)
    if value is None:
        return None
    return _Match(value, start, end, hedged, head=True)


def _negated(text: str, start: int, floor: int = 0) -> bool:
    """A negation in the clause just before ``start`` ("hasn't agreed", "not safe to ask",
    "doesn't come close to outweighing"); the answer word itself ("no, it would put …", from
    ``floor``) is not one."""
    before = text[max(floor, start - 50) : start]
    cuts = list(_lexicon().separators.finditer(before))
    clause = before[cuts[-1].end() :] if cuts else before
    if cuts and not clause.strip() and cuts[-1].group(0).strip() in ("and", "or"):
        # a phrase right after "and" / "or" shares the words before them: "no clear and
        # legitimate purpose", "not necessary or proportionate"
        previous = cuts[-2].end() if len(cuts) > 1 else 0
        clause = before[previous : cuts[-1].start()]
    words = clause.split()[-NEGATION_WINDOW:]
    return bool(_NEGATION.search(" ".join(words)))


def _word_matches(text: str, asked: Asked) -> Iterator[tuple[str, bool, re.Match[str]]]:
    """Every place the step's phrases and cues match, negated or not: (the answer as this step
    takes it, whether it is a cue, the match)."""
    for cue, words in ((False, asked.phrases), (True, asked.cues)):
        for value, patterns in words.items():
            allowed = _allowed(value, asked)
            if allowed is None or not patterns:
                continue
            for match in _compiled(tuple(patterns)).finditer(text):
                yield allowed, cue, match


def _phrases(text: str, asked: Asked, floor: int = 0) -> list[_Match]:
    """The phrases and cues that match and are not negated (from ``floor`` on)."""
    found = []
    for allowed, cue, match in _word_matches(text, asked):
        starts_negative = bool(_NEGATION.match(match.group(0)))
        if not starts_negative and _negated(text, match.start(), floor):
            continue
        found.append(_Match(allowed, match.start(), match.end(), False, False, cue))
    return sorted(found, key=lambda m: (m.start, -m.end))


def _clause_around(text: str, start: int, end: int) -> str:
    separators = list(_lexicon().separators.finditer(text))
    left = max((s.end() for s in separators if s.end() <= start), default=0)
    right = min((s.start() for s in separators if s.start() >= end), default=len(text))
    return text[left:right]


def _hedged(text: str, match: _Match) -> bool:
    """The answer is hedged: by its own words, or by a hedge in its clause ("ya think so",
    "I think she agreed"; not "yes because I think they need it": that hedges the reason)."""
    if match.hedged:
        return True
    clause = _clause_around(text, match.start, match.end)
    end = text.find(clause, max(0, match.start - len(clause))) + len(clause)
    if re.match(r"\s*so\b", text[end:]):  # "think so": "so" is not a clause boundary here
        clause = clause.rstrip() + " so"
    return bool(_lexicon().hedges.search(clause))


def _contradicts(text: str, match: _Match, asked: Asked) -> bool:
    """A "yes" whose words deny the question's own terms ("yes, it is not confidential")."""
    if match.value != Answer.YES.value or not asked.terms:
        return False
    rest = text[match.end :]
    for term in asked.terms:
        for found in re.finditer(rf"\b{re.escape(term)}", rest):
            before = rest[max(0, found.start() - 25) : found.start()].split()[-3:]
            if _DENIES.search(" ".join(before)):
                return True
    return False


# Words that deny a question's own term right before it ("not confidential", "isn't identifiable",
# "no purpose"); "without the name" does not.
_DENIES = re.compile(r"\b(not|no)\b|n't\b")
_DENIES_INSIDE = re.compile(r"n't\b|\bnot\b|\bnever\b|\bcannot\b")

_COMPATIBLE = {
    # a choice given with a yes/no word: "no, it isn't safe to tell her", "yes, she knows"
    ("no", "no_unsafe"),
    ("no", "no_inappropriate"),
    ("no", "already_aware"),
    ("yes", "already_aware"),
    # "no, I haven't asked her yet"
    ("no", "not_asked"),
}


@dataclass(frozen=True)
class _Words:
    value: str | None
    evidence: Evidence | None
    end: int  # where the answer's own words end (what follows is the note)
    start: int = 0
    head: bool = False  # the value is the practitioner's own answer ("yes", "she agreed")
    head_word: bool = False  # … given by a general answer word ("yes", "nope", "it's not")


def _from_head(head: _Match, value: str, hedged: bool) -> _Words:
    """``value`` read from the practitioner's own answer word."""
    evidence = Evidence.HEDGE if hedged else Evidence.WORDS
    return _Words(value, evidence, head.end, head.start, head=True, head_word=True)


_ECHO = re.compile(r"[^?.,;!]{1,40}\?\s*")


def _read_words(text: str, asked: Asked) -> _Words:
    """The answer the words give, before any intent model: head word, phrases, hedges."""
    lexicon = _lexicon()
    start = lexicon.fillers.match(text).end()
    echo = _ECHO.match(text, start)
    if echo and _head(text, start, asked) is None and _head(text, echo.end(), asked) is not None:
        # the question echoed first: "confidential? no, but …", "dangerous? no"
        start = echo.end()
    head = _head(text, start, asked)
    echoed = echo is not None and start == echo.end()
    if head is not None and head.value == Answer.NOT_SURE.value:
        # "not sure whether the school name would identify her", "might be, some of it is from
        # her health records": what follows is the doubt, not another answer.
        evidence = Evidence.HEDGE if head.hedged else Evidence.WORDS
        last = _last_clause(text, asked)
        if (
            last is not None
            and last.value != head.value
            and last.start > head.end
            and re.search(r"[,;.!–—-]\s*$", text[: last.start])
        ):
            evidence = Evidence.CONFLICT  # "can't say it's justified, no"
        return _Words(head.value, evidence, head.end, head.start)
    # cues inside a question the message asks are not answers ("not needed? it's absolutely
    # needed"), unless the message is nothing but the question
    asked_part = _without_questions(text)
    in_question = (
        (lambda p: asked_part[p.start] == " " and text[p.start] != " ")
        if asked_part.strip(" ?")
        else (lambda p: False)
    )

    def answering(floor: int = 0) -> list[_Match]:
        """The phrases and cues that answer: not in an echoed or asked question."""
        return [
            p
            for p in _phrases(text, asked, floor)
            if (not echoed or p.start >= start) and not in_question(p)
        ]

    phrases = answering()
    if (
        head is not None
        and not any(p.start < head.end for p in phrases)
        and not _DENIES_INSIDE.search(text[head.start : head.end])
    ):
        # A bare answer word negates no phrase after it ("no, it would put …"); "it doesn't"
        # does ("it doesn't outweigh her right to privacy").
        phrases = answering(head.end)
    doubt = _doubt_later(text, head.end if head is not None else start)
    if doubt is not None and not (head and head.value == doubt.value):
        # "she didn't say either way so I genuinely don't know": doubt stated anywhere wins;
        # with another answer word at the start it is read back.
        return _Words(doubt.value, Evidence.CONFLICT if head else Evidence.WORDS, 0)
    if head is not None:
        # A phrase that overlaps the head word is the more specific reading ("it isn't safe").
        overlapping = [p for p in phrases if p.start < head.end]
        if overlapping:
            head = None
            phrases = overlapping + [p for p in phrases if p not in overlapping]
    if head is None and phrases:
        last = _last_clause(text, asked)
        if last is not None and any(p.value != last.value for p in phrases):
            # "her privacy outweighs it, so no": the answer word at the end says otherwise
            return _Words(last.value, Evidence.CONFLICT, 0)
    if head is None and not phrases:
        head = _last_clause(text, asked)
    if head is None and not phrases:
        return _Words(None, None, 0)
    values = {p.value for p in phrases}
    if head is not None:
        hedged = _hedged(text, head)
        compatible = {p for p in values if (head.value, p) in _COMPATIBLE}
        if compatible and len(compatible) == len(values) and len(values) == 1:
            (value,) = compatible
            return _from_head(head, value, hedged)
        if values - {head.value}:
            if compatible and head.value in values:
                # "no she hasn't been asked, she'd only refuse": which "no" is meant?
                return _Words(sorted(compatible)[0], Evidence.CONFLICT, head.end)
            if head.value in values:
                # The answer word and one of the phrases agree ("no, our secure email is down, so
                # normal email"): the other phrase is read in passing, not as the answer.
                return _from_head(head, head.value, hedged)
            last = phrases[-1]
            return _Words(last.value, Evidence.CONFLICT, head.end)
        if _contradicts(text, head, asked):
            return _Words(head.value, Evidence.CONFLICT, head.end)
        return _from_head(head, head.value, hedged)
    if len(values) > 1:
        return _Words(phrases[-1].value, Evidence.CONFLICT, 0)
    first = phrases[0]
    hedged = any(_hedged(text, p) for p in phrases)
    # the answer in words of its own ("she's agreed to it") counts as the answer word; a cue in a
    # reason ("her ex posted it on facebook") does not
    says = any(not p.cue for p in phrases if p.value == first.value)
    return _Words(first.value, Evidence.HEDGE if hedged else Evidence.WORDS, 0, first.start, says)


_DOUBT_LATER = re.compile(
    r"\b(?:not (?:really |totally |entirely |100% )?sure|unsure|no idea|"
    r"(?:i )?(?:genuinely |really |honestly )?(?:don'?t|do not) know"
    r"(?! what| the | him| her| them| who| whom| his| their| this person| that person)|"
    r"dunno|not certain|"
    r"can'?t say|hard to say|need to check|"
    r"(?:i'?d|i would|i will|i'?ll) (?:need|have) to (?:check|ask|find out))\b"
)


def _doubt_later(text: str, start: int) -> _Match | None:
    """A plain statement of doubt after the start of the message ("…, not sure tbh")."""
    for match in _DOUBT_LATER.finditer(text, start):
        if not _negated(text, match.start(), start):
            return _Match(Answer.NOT_SURE.value, match.start(), match.end(), False, head=False)
    return None


def _last_clause(text: str, asked: Asked) -> _Match | None:
    """An answer word that is the whole of the message's last clause ("..., so yes")."""
    pieces = [m.end() for m in _lexicon().separators.finditer(text) if m.end() < len(text)]
    if not pieces:
        return None
    start = pieces[-1]
    while start < len(text) and text[start] in " ,.;:-–—":
        start += 1
    match = _head(text, start, asked)
    if match is None or text[match.end :].strip(" .!?") != "":
        return None
    return match


def _note(original: str, normalised: str, end: int) -> str | None:
    """The words that came with the answer (the practitioner's reason), as they typed them."""
    if end <= 0:
        rest = original.strip()
    else:
        # The normalised text is the original lower-cased with spaces folded and emoji as words:
        # find the same place in the original by counting the words before it.
        words = len(normalised[:end].split())
        rest = " ".join(original.split()[words:]) if words else original
    rest = rest.strip(" ,.;:!-–—…").strip()
    if len(rest.split()) < NOTE_MIN_WORDS and end > 0:
        return None
    if end <= 0 and len(rest.split()) < NOTE_MIN_WORDS + 1:
        return None
    return rest or None


# --- questions asked alongside or instead --------------------------------------------------------


_QUESTION_START = re.compile(
    r"^(why|what|what's|whats|how|who|whom|when|where|which|explain|help|define|meaning|"
    r"(do|does|did|is|isn't|are|can|could|should|shall|would|will|may|must|am|have|has) "
    r"(i|we|you|they|she|he|it|that|this|there|the|a|consent|information|data)|"
    r"tell me|i don'?t (understand|get)|not sure what|what do you mean|sorry what|eh|huh)\b"
)


def _asks(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.match(text))


def _side(heard: Heard, text: str, answered: bool) -> Side | None:
    faq_ok = bool(heard.faq) and heard.faq_confidence >= FAQ_THRESHOLD
    if not answered:
        if heard.intent == "faq" and faq_ok:
            return Side(SideKind.FAQ, heard.faq)
        if heard.intent == "explain" or (_asks(text) and heard.intent not in ANSWER_INTENTS):
            return Side(SideKind.EXPLAIN)
        return None
    if not _asks(text):
        return None
    # The intent model sees the answer first; the response selector still says which FAQ the
    # whole message is closest to.
    if heard.faq and (
        (faq_ok and heard.intent in SIDE_INTENTS) or heard.faq_confidence >= FAQ_WITH_ANSWER
    ):
        return Side(SideKind.FAQ, heard.faq)
    if heard.intent == "explain":
        return Side(SideKind.EXPLAIN)
    return Side(SideKind.UNKNOWN)


# --- reading -------------------------------------------------------------------------------------


def model_threshold() -> float:
    """Intent confidence under which the model's answer is not even read back
    (``INFOSHARE_MODEL_THRESHOLD``)."""
    return settings.number(settings.MODEL_THRESHOLD, DEFAULT_MODEL_THRESHOLD)


_BARE = re.compile(
    r"(yes|yeah|yep|y|no|nope|n|ok|okay|sure|not sure|dunno|idk|maybe|because|fine|why)[.!?]*"
)


def read(
    asked: Asked,
    heard: Heard,
    pending: Pending | None = None,
    unusable: Unusable | None = None,
) -> Reading:
    """Read ``heard`` at the step ``asked``, given any read-back waiting for an answer and the
    last message this step could not use."""
    raw = heard.text or ""
    text = normalise(raw)
    if pending is not None and pending.key != asked.key:
        pending = None
    if unusable is not None and unusable.key != asked.key:
        unusable = None

    if pending is not None and pending.follow_up:
        follow_up = asked.follow_up(pending.follow_up)
        if follow_up is not None:
            return _read_follow_up(asked, follow_up, heard, pending, unusable)
        pending = None
    if raw.startswith("/"):
        return _read_payload(asked, heard, pending, text, unusable)
    # "training" or "scenario 7" said at a question is a command too (bot/protocol/opening.py)
    said_first = load_commands().said_first
    if text and said_first.match(text) or asks_to_continue(raw) or asks_to_practise(raw):
        return Reading(Result.COMMAND)
    if pending is not None:
        confirmed = _read_confirmation(asked, heard, pending, text)
        if confirmed is not None:
            return confirmed
    if asked.takes_answers:
        reading = _read_answer(asked, heard, text, raw)
    else:
        reading = _read_free_text(asked, heard, text)
    if reading.result in (Result.NOT_UNDERSTOOD, Result.SIDE_QUESTION):
        return _unless_repeated(reading, asked, text, unusable)
    return reading


def _read_payload(
    asked: Asked, heard: Heard, pending: Pending | None, text: str, unusable: Unusable | None
) -> Reading:
    intent, entities = _payload(heard.text)
    if intent in load_commands().intents:  # any command's button
        return Reading(Result.COMMAND)
    if not asked.takes_answers or intent not in ANSWER_INTENTS:
        return _unless_repeated(Reading(Result.NOT_UNDERSTOOD), asked, text, unusable)
    choice = entities.get("inform_choice") or entities.get("answer") or heard.choice
    if entities.get("suggested_by") == "helpdesk":
        # the adviser's suggestion, pressed: only at the question it was given for
        question = str(entities.get("question") or "")
        value = _allowed(str(choice or ""), asked)
        if value and question and asked.key.split(".")[0] == question:
            return _answer(value, Evidence.HELPDESK, None)
        return _unless_repeated(Reading(Result.NOT_UNDERSTOOD), asked, text, unusable)
    if pending is not None:
        if intent == "affirm" and not choice:
            return _answer(pending.value, Evidence.CONFIRMED, None)
        if intent == "deny" and not choice:
            return Reading(Result.RETRY)
    value = choice if choice in asked.answers else _allowed(ANSWER_INTENTS[intent], asked)
    if value is None:
        return _unless_repeated(Reading(Result.NOT_UNDERSTOOD), asked, text, unusable)
    return _answer(value, Evidence.BUTTON, None)


def _answer(value: str, evidence: Evidence, note: str | None, side: Side | None = None) -> Reading:
    return Reading(Result.ANSWER, value, evidence, note, side)


def _read_back(value: str, evidence: Evidence, note: str | None, key: str, text: str) -> Reading:
    return Reading(Result.READ_BACK, value, evidence, note, pending=Pending(key, value, text))


def _read_confirmation(asked: Asked, heard: Heard, pending: Pending, text: str) -> Reading | None:
    """A reply to "I read that as … — is that right?"; None: read it as a fresh answer."""
    lexicon = _lexicon()
    bare = text.strip(" .!?")
    if bare == pending.text.strip(" .!?") or (heard.text or "").strip() == pending.text:
        return _answer(pending.value, Evidence.CONFIRMED, None)
    correction = lexicon.correction.match(text)
    if correction and correction.end() < len(text):
        rest = text[correction.end() :]
        words = _read_words(rest, asked)
        if words.value is not None:
            return _answer(words.value, Evidence.WORDS, None)
    confirm = lexicon.confirm.match(bare)
    if confirm:
        rest = bare[confirm.end() :].strip(" ,.!-")
        if not rest or lexicon.confirm.match(rest) or rest.startswith(("that", "it", "thats")):
            return _answer(pending.value, Evidence.CONFIRMED, None)
    refuse = lexicon.refuse.match(bare)
    if refuse:
        rest = bare[refuse.end() :].strip(" ,.!-")
        if not rest:
            return Reading(Result.RETRY)
        words = _read_words(rest, asked)
        if words.value is not None and words.evidence is Evidence.WORDS:
            return _answer(words.value, Evidence.WORDS, None)
        if lexicon.refuse.match(rest) or rest.startswith(("that", "it", "thats", "you")):
            return Reading(Result.RETRY)
    return None


def _read_answer(asked: Asked, heard: Heard, text: str, raw: str) -> Reading:
    words = _read_words(text, asked) if text else _Words(None, None, 0)
    if words.value is not None:
        note = _note(raw, text, words.end)
        side = _side(heard, text[words.end :], answered=True)
        care = _care(asked, words, text)
        follow_up = _follow_up_touched(asked, text, care.follow_up, words.value)
        if follow_up is not None and words.value != Answer.NOT_SURE.value:
            # The reason touches a qualifier the guidance makes: ask it, in its words.
            pending = Pending(asked.key, "", text, follow_up.id)
            return Reading(
                Result.FOLLOW_UP, note=note, side=side, pending=pending, follow_up=follow_up
            )
        if words.evidence is Evidence.WORDS and not care.read_back:
            return _answer(words.value, Evidence.WORDS, note, side)
        evidence = Evidence.TURNS if words.evidence is Evidence.WORDS else words.evidence
        return _read_back(words.value, evidence or Evidence.HEDGE, note, asked.key, text)
    side = _side(heard, text, answered=False)
    if side is not None:
        return Reading(Result.SIDE_QUESTION, side=side)
    model = ANSWER_INTENTS.get(heard.intent or "")
    if model and heard.confidence >= model_threshold():
        value = heard.choice if heard.choice in asked.answers else _allowed(model, asked)
        if value is not None:
            return _read_back(value, Evidence.MODEL, _note(raw, text, 0), asked.key, text)
    if heard.intent in COMMAND_INTENTS and heard.confidence >= model_threshold():
        return Reading(Result.COMMAND)
    return Reading(Result.NOT_UNDERSTOOD)


# --- the safety rule: never toward sharing on a cue or a turning reason ------------------------

# Words that turn a reason against what came before it ("he has capacity but …", "yes, although
# …", "no names, but it's a small school").
_TURN = re.compile(
    r"\b(?:but|although|though|tho|however|except|apart from|whereas|even though|even so|"
    r"that said|having said that|saying that|mind you|then again|on the other hand|unless|"
    r"other than|besides|instead|"
    # a condition: "yes if …", "as long as …"
    r"only if|only (?:\w+ ){1,3}if|as long as|provided|providing|so long as|"
    # a self-correction: "yes - sorry i mean no"
    r"sorry|i mean|i meant|no wait|scratch that|on second thoughts?|actually no|"
    # a qualifier: "she's agreed, sort of", "not confidential as such"
    r"sort of|kind of|kinda|sorta|as such|in a way|technically|more or less|not exactly|"
    r"not really|not quite|partly|partially|to an extent|"
    # a catch: "anonymised, only thing is she's the only firefighter in the village"
    r"only thing is|the thing is|trouble is|problem is|the catch is|only problem|"
    # "anonymised - well, initials and date of birth are still on it"
    r"(?<=[-–—,;.:] )well|still (on|in|there|visible|named|showing))\b"
)
# Two negations in one clause ("no reason not to", "it's not that she didn't agree", "she didn't
# say no"): the answer is the opposite of its first word, or neither. "no it isn't", "no she
# doesn't" (a pronoun between) say "no" twice.
_NEGATIVE = r"(?:no|not|never|nobody|nothing|none|cannot|\w+n't)"
_TWO_NEGATIVES = re.compile(
    rf"\b{_NEGATIVE}((?:\s+[^\s,.;:!?()–—-]+){{1,5}}?)\s+{_NEGATIVE}(?![\w'])"
)
_ONLY_PRONOUNS = re.compile(
    r"^(\s+(it|it's|its|she|he|they|that's|this|i|i'm|i've|i'd|i'll|we|we've|we're|we'll|you|"
    r"they've|they're|she's|he's|there|really|at|all|yet|way|chance|is|was|are|were|am|been|"
    r"does|did|do|has|have|had|can|will|would|so|just|definitely|certainly|still|even))+$"
)


def _double_negative(text: str, start: int) -> bool:
    for match in _TWO_NEGATIVES.finditer(text, start):
        if not _ONLY_PRONOUNS.match(match.group(1)):
            return True
    return False


@dataclass(frozen=True)
class _Care:
    read_back: bool  # the safety rule: the reading is not taken as it stands
    follow_up: bool  # a follow-up the reason touches is asked instead


def _care(asked: Asked, words: _Words, text: str) -> _Care:
    """The safety rule for reading (DESIGN.md, ../shared/DESIGN.md), for any step, from the
    protocol's answer directions.

    A reading toward sharing is taken only from the practitioner's own answer word (buttons are
    read elsewhere), and never when the same message turns against it: a contrast clause, its own
    cue negated, a cue for another answer. A reading away from sharing that rests on a cue alone
    is read back when the message also has a cue for another answer (not sharing can harm too);
    with a contrast clause, a follow-up the reason touches is asked.
    """
    value = words.value
    if value is None or value == Answer.NOT_SURE.value:
        return _Care(False, False)
    floor = words.end if words.head else 0
    found = _phrases(text, asked, floor)
    others = any(p.value != value for p in found)
    turned = bool(_TURN.search(_without_questions(text), words.end if words.head_word else 0))
    negated = _negated_cue(text, asked, value, floor)
    # words that contradict each other (a hedge is read back as it is)
    unclean = words.evidence in (Evidence.CONFLICT, Evidence.MODEL)
    if (
        _double_negative(text, 0)
        or _negation_then_cue(text, words, asked)
        or not _without_questions(text).strip(" ?")
    ):
        # two negations, a negated cue taken for an answer word, or the whole message a question
        # ("it's not confidential if she's a risk to herself, is it?"): whichever way it goes
        return _Care(True, True)
    echo = _ECHO.match(text, _lexicon().fillers.match(text).end())
    # an answer to a question the practitioner echoed first: "common knowledge? no chance" is
    # not "no, it is not confidential"; with a cue in the echo, whichever way it goes
    echoed = echo is not None and words.start >= echo.end()
    if echoed and any(s < echo.end() for s in _cue_starts(text, asked, None)):
        return _Care(True, True)
    if value in asked.toward:
        unsafe = not words.head or others or turned or negated or echoed
        return _Care(unsafe, unsafe or unclean)
    # away from sharing: an answer in words of its own or a cue, with the other answer's cue or
    # a turn, is read back too (not sharing can harm as well)
    unsure = not words.head_word and (others or turned)
    return _Care(unsure, unsure or turned or unclean)


def _negation_then_cue(text: str, words: _Words, asked: Asked) -> bool:
    """An answer word that is a negation ("it's not", "she hasn't") with a cue right after it:
    the negation is of the cue ("it's not in the public domain", "she hasn't refused"), not an
    answer."""
    if not words.head_word or not _DENIES_INSIDE.search(text[words.start : words.end]):
        return False
    after = text[words.end :]
    if _negates_a_statement(text, words, asked):
        return True
    gap = re.match(r"[\s,]*(?:(?:that|really|actually|even|just|so|exactly|as|been|be)\s+)*", after)
    at = words.end + (gap.end() if gap else 0)
    return any(at <= start <= at + 2 for start in _cue_starts(text, asked, words.value))


# Words that end a negated answer word without making it a statement ("there isn't one tbh").
_ANSWER_ENDS = frozenset(
    "one any anything anyone anybody really honestly tbh though tho yet now either at all "
    "sadly unfortunately afraid mate have got".split()
)


def _negates_a_statement(text: str, words: _Words, asked: Asked) -> bool:
    """A negated verb as the answer word, carried on by words that are neither the question's
    own terms nor an answer ("wouldn't be hard to identify her", "she doesn't know yet", "we
    couldn't do it without the GP"): a statement, not a "no"."""
    head = text[words.start : words.end]
    if re.fullmatch(r"\W*(no+|not( really| at all)?)\W*", head):
        return False  # "no", "not really": the answer word itself
    rest = text[words.end :]
    if not rest or not re.match(r" [a-z]", rest):
        return False  # the answer word ends its clause: "no she doesn't", "it isn't."
    word = rest.split()[0].strip(",.;:!?")
    if word in _ANSWER_ENDS or any(word.startswith(term.split()[0]) for term in asked.terms):
        return False  # "it isn't confidential", "it doesn't outweigh …"
    starts = _cue_starts(text, asked, None)
    return not any(words.end <= s <= words.end + 2 for s in starts)


def _cue_starts(text: str, asked: Asked, value: str | None) -> list[int]:
    """Where a phrase or cue for ``value`` (any, for None) starts, negated or not ("it's not |
    in the public domain" is a negated cue for "no", not a "no")."""
    return [
        match.start()
        for allowed, _, match in _word_matches(text, asked)
        if value is None or allowed == value
    ]


def _without_questions(text: str) -> str:
    """The message with the questions it asks blanked out (same length): "yes, there's a risk
    to the children - do I need to tell her though?" turns nothing."""
    pieces = re.split(r"((?<=[.!;])\s*|\s[-–—]+\s|\?)", text)
    out = []
    for i, piece in enumerate(pieces):
        asked = i + 1 < len(pieces) and pieces[i + 1] == "?"
        out.append(" " * len(piece) if asked else piece)
    return "".join(out)


def _negated_cue(text: str, asked: Asked, value: str, floor: int) -> bool:
    """A cue for ``value`` itself negated ("not that she agreed", "hasn't really consented")."""
    return any(
        allowed == value
        and not _NEGATION.match(match.group(0))
        and _negated(text, match.start(), floor)
        for allowed, _, match in _word_matches(text, asked)
    )


def _already_answers(follow_up: FollowUp, text: str, value: str | None) -> bool:
    """The message itself answers the follow-up the way it was read ("no LPA", "he posted it
    himself")."""
    for answer, patterns in follow_up.phrases.items():
        if follow_up.means.get(answer) == value and _compiled(tuple(patterns)).search(text):
            return True
    return False


def _follow_up_touched(
    asked: Asked, text: str, careful: bool, value: str | None = None
) -> FollowUp | None:
    """The guidance's follow-up to ask: one whose qualifier the reason raises outright, or (when
    the answer cannot be taken as it stands) one the reason touches."""
    for follow_up in asked.follow_ups:
        if follow_up.always and _compiled(follow_up.always).search(text):
            if careful or not _already_answers(follow_up, text, value):
                return follow_up
    if careful:
        for follow_up in asked.follow_ups:
            if _compiled(follow_up.when).search(text):
                return follow_up
    return None


def _read_follow_up(
    asked: Asked, follow_up: FollowUp, heard: Heard, pending: Pending, unusable: Unusable | None
) -> Reading:
    """A reply to the guidance's follow-up question: its answer decides the step's answer (read
    with the same rules: a cue alone toward sharing is read back)."""
    inner = asked.asking(follow_up)
    waiting = Pending(asked.key, pending.value, pending.text) if pending.value else None
    reading = read(inner, heard, waiting, unusable)
    again = Pending(asked.key, "", pending.text, follow_up.id)
    if reading.result is Result.ANSWER and reading.value is not None:
        # the note: the follow-up and the answer given to it, then any reason with that answer
        said = f"{follow_up.label}: {follow_up.labels[reading.value]}"
        return Reading(
            Result.ANSWER,
            follow_up.means[reading.value],
            Evidence.FOLLOW_UP,
            " — ".join(part for part in (said, reading.note) if part),
            reading.side,
            follow_up=follow_up,
        )
    if reading.result is Result.READ_BACK and reading.value is not None:
        return Reading(
            Result.READ_BACK,
            reading.value,
            reading.evidence,
            reading.note,
            pending=Pending(asked.key, reading.value, pending.text, follow_up.id),
            follow_up=follow_up,
        )
    if reading.result in (Result.COMMAND, Result.HELP):
        return Reading(reading.result, unusable=reading.unusable)
    if reading.result is Result.SIDE_QUESTION:
        return Reading(
            Result.SIDE_QUESTION,
            side=reading.side,
            pending=again,
            unusable=reading.unusable,
            follow_up=follow_up,
        )
    return Reading(Result.FOLLOW_UP, pending=again, unusable=reading.unusable, follow_up=follow_up)


def _read_free_text(asked: Asked, heard: Heard, text: str) -> Reading:
    if not text:
        return Reading(Result.NOT_UNDERSTOOD)
    if _BARE.fullmatch(text):
        return Reading(Result.NOT_UNDERSTOOD)
    if _asks(text) and heard.intent in SIDE_INTENTS and heard.confidence >= model_threshold():
        return Reading(Result.SIDE_QUESTION, side=_side(heard, text, answered=False))
    if heard.intent in COMMAND_INTENTS and len(text.split()) <= 3:
        return Reading(Result.COMMAND)
    return Reading(Result.ANSWER, evidence=Evidence.WORDS)


def _unless_repeated(
    reading: Reading, asked: Asked, text: str, unusable: Unusable | None
) -> Reading:
    """The same unusable message again (or a third in a row) gets HELP, never the same reply."""
    if unusable is not None and (unusable.text == text or unusable.count >= 2):
        return Reading(Result.HELP, unusable=Unusable(asked.key, text, unusable.count + 1))
    count = unusable.count + 1 if unusable else 1
    return Reading(
        reading.result,
        side=reading.side,
        unusable=Unusable(asked.key, text, count),
    )


# --- the step being asked ------------------------------------------------------------------------


def asked_for(
    slot: str, checks: Mapping[str, Any] | None = None, protocol: Protocol | None = None
) -> Asked:
    """What the form asks when ``slot`` is requested (for the checklist: its next point)."""
    protocol = protocol or load_protocol()
    form_slot = protocol.form_slot(slot)
    if form_slot is None:
        raise KeyError(f"{slot!r} is not one of the form's slots")
    question = protocol.questions.get(slot)
    if question is not None and question.is_checklist:
        item = next_checklist_item(checks, protocol) or question.checklist[-1]
        answers = item.answers if not item.choices else (*item.answers, Answer.NO.value)
        return Asked(
            step_key(slot, item),
            Kind.CHECKLIST,
            tuple(answers),
            item.phrases,
            question.terms,
            {},
            frozenset(item.toward_sharing),
        )
    if question is not None:
        return Asked(
            slot,
            question.kind,
            form_slot.answers,
            question.phrases,
            question.terms,
            question.cues,
            frozenset(question.toward_sharing),
            question.follow_ups,
        )
    if slot == protocol.record.id:
        return Asked(slot, form_slot.kind, form_slot.answers, protocol.record.phrases)
    return Asked(slot, form_slot.kind, form_slot.answers)
