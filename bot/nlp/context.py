"""What is to be shared, with whom and why, from a practitioner's opening message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.nlp.pipeline import get_nlp
from bot.nlp.purpose import find_purpose

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

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


@dataclass(frozen=True)
class Context:
    information: str | None = None
    recipient: str | None = None
    purpose: str | None = None


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


def extract_context(text: str) -> Context:
    """Information and recipient from the entity ruler, purpose from the purpose markers;
    None where not found.

    Entities inside the purpose clause are not taken for the recipient ("... to help them
    work with the family"), nor for the information unless there is no other; a possessor
    ("dad's record") is not a recipient; a recipient after "tell/with/to/..." is preferred
    to an earlier one ("I'm a teacher. Can I tell the GP ..."); entities listed together are
    joined ("phone number and address").
    """
    if not text or not text.strip():
        return Context()
    doc = get_nlp()(text)
    found = find_purpose(text)
    purpose_start = found[0] if found else len(text)
    entities = [entity for entity in doc.ents if entity.start_char < purpose_start]
    information = [entity for entity in entities if entity.label_ == "information"]
    if not information:
        information = [entity for entity in doc.ents if entity.label_ == "information"]
    recipients = [
        entity
        for entity in entities
        if entity.label_ == "recipient" and not _is_possessor(doc, entity)
    ]
    return Context(
        information=_pick(doc, information, []),
        recipient=_pick(doc, recipients, [e for e in recipients if _after_cue(doc, e)]),
        purpose=found[1] if found else None,
    )
