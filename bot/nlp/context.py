"""What is to be shared, with whom and why, from a practitioner's opening message.

The spans are the practitioner's own words, found by the way sharing is said ("tell X about Y",
"share Y with X", "pass Y on to X", "send X Y", "X have asked for Y": ``patterns/frames.yml``),
with the purpose cut off first ("because …", "so that …": ``patterns/purpose.yml``). What no frame
finds is looked for with the entity ruler's lists of recipients and kinds of information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.nlp.patterns import PATTERNS_DIR, load_yaml
from bot.nlp.purpose import find_purpose

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

FRAMES_FILE = PATTERNS_DIR / "frames.yml"
MAX_SPAN_WORDS = 20

# Words that introduce the recipient: "tell the police", "with the school nurse", "to housing".
_RECIPIENT_CUES = frozenset(
    """with to tell telling told inform informing notify notifying alert alerting contact
    contacting call calling ring ringing phone phoning email e-mail emailing ask asking give
    giving send sending pass passing share sharing refer referring disclose disclosing update
    updating forward forwarding show showing speak speaking talk talking copy cc""".split()
)
# Skipped when looking back from an entity for a cue: "tell the child's GP".
_DETERMINERS = frozenset(
    "the a an his her their my our your its this that these those 's ’s".split()
)
# Between coordinated entities: "phone number and address", "the GP, the school nurse".
_COORDINATION = _DETERMINERS | {"and", "or", ",", "&", "/", "also", "both"}
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


@dataclass(frozen=True)
class Context:
    information: str | None = None
    recipient: str | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class _Frames:
    frames: tuple[tuple[str, re.Pattern[str]], ...]
    trailing: tuple[re.Pattern[str], ...]
    leading: tuple[re.Pattern[str], ...]
    vague: re.Pattern[str]
    not_recipients: re.Pattern[str]


@lru_cache(maxsize=1)
def _frames() -> _Frames:
    data = load_yaml(FRAMES_FILE)
    parts = {name: str(value) for name, value in data["parts"].items()}

    def expand(regex: str) -> str:
        return re.sub(
            r"\{(\w+)\}", lambda m: parts[m.group(1)] if m.group(1) in parts else m.group(0), regex
        )

    def whole(key: str) -> re.Pattern[str]:
        return re.compile("^(?:" + "|".join(f"(?:{p})" for p in data[key]) + r")$", re.I)

    return _Frames(
        frames=tuple((f["name"], re.compile(expand(f["regex"]), re.I)) for f in data["frames"]),
        trailing=tuple(re.compile(p, re.I) for p in data["trailing"]),
        leading=tuple(re.compile(p, re.I) for p in data["leading"]),
        vague=whole("vague"),
        not_recipients=whole("not_recipients"),
    )


def _tidy(span: str | None, recipient: bool = False) -> str | None:
    if not span:
        return None
    frames = _frames()
    value = " ".join(span.split()).strip(" ,;:-–—\"'")
    for _ in range(3):
        before = value
        for pattern in frames.trailing:
            value = pattern.sub("", value).strip(" ,;:-–—\"'")
        for pattern in frames.leading:
            value = pattern.sub("", value).strip()
        if value == before:
            break
    if not value or frames.vague.match(value) or len(value.split()) > MAX_SPAN_WORDS:
        return None
    if recipient and frames.not_recipients.match(value):
        return None
    return value


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def frame_spans(text: str) -> tuple[str | None, str | None, str | None]:
    """(information, recipient, frame name) from the way sharing is said, or Nones.

    The first frame that finds both wins; otherwise what the first frames found of each is
    put together ("refer the family to the food bank and include their benefits in the
    referral": the referral's recipient, the inclusion's information).
    """
    frames = _frames()
    partial: dict[str, str | None] = {"information": None, "recipient": None, "frame": None}
    for sentence in reversed(_sentences(text)):
        for name, pattern in frames.frames:
            match = pattern.search(sentence)
            if not match:
                continue
            groups = match.groupdict()
            information = _tidy(groups.get("information"))
            recipient = _tidy(groups.get("recipient"), recipient=True)
            if information and recipient:
                # A frame earlier in the list already said what is shared: it is the better
                # reading ("… and include X in the referral" over "refer the family to …").
                return partial["information"] or information, recipient, name
            if information and not partial["information"]:
                partial.update(information=information, frame=partial["frame"] or name)
            if recipient and not partial["recipient"]:
                partial.update(recipient=recipient, frame=partial["frame"] or name)
    return partial["information"], partial["recipient"], partial["frame"]


# --- the entity ruler (fallback) ----------------------------------------------------------------


def _is_possessor(doc: Doc, entity: Span) -> bool:
    """In "dad's criminal record", dad is whose information it is, not the recipient."""
    return entity.end < len(doc) and doc[entity.end].lower_ in ("'s", "’s")


def _after_cue(doc: Doc, entity: Span) -> bool:
    index = entity.start - 1
    while index >= 0 and entity.start - index <= 4:
        word = doc[index].lower_
        if word in _RECIPIENT_CUES:
            return True
        if word not in _DETERMINERS and doc[index + 1].lower_ not in ("'s", "’s"):
            return False
        index -= 1
    return False


def _coordinated(doc: Doc, first: Span, others: list[Span]) -> list[Span]:
    """``first`` and the entities listed right after it ("X, Y and Z")."""
    chosen = [first]
    for entity in others:
        if entity.start <= chosen[-1].start:
            continue
        gap = doc[chosen[-1].end : entity.start]
        if not all(token.lower_ in _COORDINATION for token in gap):
            break
        chosen.append(entity)
    return chosen


def _describe(entities: list[Span]) -> str | None:
    values: dict[str, str] = {}
    for entity in entities:
        value = " ".join(entity.text.split())
        values.setdefault(value.lower(), value)
    names = list(values.values())
    if not names:
        return None
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _pick(doc: Doc, candidates: list[Span], preferred: list[Span]) -> str | None:
    pool = preferred or candidates
    return _describe(_coordinated(doc, pool[0], candidates)) if pool else None


_SPEAKER = re.compile(
    r"\b(?:i'?m|i am|im|as|i work(?: as| in| for| with)?|we'?re|we are|from)"
    r"\s+(?:a|an|the|in)?\s*$",
    re.I,
)


def _speakers_role(doc: Doc, entity: Span) -> bool:
    """ "I'm a health visitor", "district nurse here", "I work in adult social care": who is
    speaking, not whom to tell."""
    before = doc[max(0, entity.start - 4) : entity.start].text
    after = doc[entity.end : entity.end + 1].text.lower()
    return bool(_SPEAKER.search(before)) or after == "here"


def entity_spans(text: str) -> tuple[str | None, str | None]:
    """(information, recipient) from the entity ruler's lists: a recipient only where a word of
    sharing points to it ("tell …", "to …", "with …"), never the speaker's own role."""
    from bot.nlp.pipeline import get_nlp

    doc = get_nlp()(text)
    information = [e for e in doc.ents if e.label_ == "information" and not _speakers_role(doc, e)]
    recipients = [
        e
        for e in doc.ents
        if e.label_ == "recipient" and not _is_possessor(doc, e) and not _speakers_role(doc, e)
    ]
    cued = [e for e in recipients if _after_cue(doc, e)]
    return _pick(doc, information, []), _pick(doc, cued, cued)


def extract_context(text: str) -> Context:
    """Information, recipient and purpose of an opening message; None where not found."""
    if not text or not text.strip():
        return Context()
    found = find_purpose(text)
    clause = text
    if found:
        # Take the purpose out, marker and all; what comes after it stays ("In order to get her
        # rehoused, can I share the MARAC outcome with housing?").
        start, purpose, marker = found
        end = text.find(purpose, start)
        end = end + len(purpose) if end >= 0 else len(text)
        clause = text[:marker] + " " + text[end:].lstrip(" ,;:-–—")
    information, recipient, _ = frame_spans(clause)
    if not information or not recipient:
        entity_information, entity_recipient = entity_spans(clause)
        information = information or entity_information
        recipient = recipient or entity_recipient
    return Context(information, recipient, found[1] if found else None)
