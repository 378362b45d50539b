"""Answers to questions about information sharing (the ``faq/<key>`` retrieval intent).

Each answer (``faq.yml``) is a list of parts: guidance items, checked against ``guidance.txt``
like the protocol's, and the assistant's own words (``say``: about this assistant, or pointing to
a key question — never advice). Where an answer cites key questions, the paragraph references come
from the protocol. Anything else an organisation wants to add is a *local note* in
``config/local_notes.yml`` (``INFOSHARE_LOCAL_NOTES_FILE``), shown marked as the organisation's
own note, not the guidance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot import settings
from bot.protocol.model import GuidanceText, Protocol, guidance_items, load_protocol

FAQ_FILE = Path(__file__).with_name("faq.yml")
LOCAL_NOTES_FILE = Path(__file__).resolve().parents[2] / "config" / "local_notes.yml"
LOCAL_NOTES_ENV = "INFOSHARE_LOCAL_NOTES_FILE"  # bot.settings.LOCAL_NOTES_FILE
LOCAL_NOTE_LABEL = "Local note from your organisation (not part of the guidance)"
SECTION_NAMES = {
    "introduction": "Information Sharing Protocol, section 1: Introduction",
    "myth_buster": "Myth Buster on Data Protection",
    "golden_rules": "Seven Golden Rules for Information Sharing",
}


@dataclass(frozen=True)
class Part:
    """One paragraph of an answer: a guidance item, or the assistant's own words."""

    text: str
    guidance: GuidanceText | None = None
    bullet: bool = False


@dataclass(frozen=True)
class FaqAnswer:
    key: str
    parts: tuple[Part, ...]
    questions: tuple[str, ...] = ()  # key question numbers it draws on ("4", "5")
    sections: tuple[str, ...] = ()  # other sections it draws on ("introduction")

    def guidance(self) -> tuple[GuidanceText, ...]:
        return tuple(part.guidance for part in self.parts if part.guidance)


def _part(raw: Any) -> Part:
    if isinstance(raw, dict) and "say" in raw:
        return Part(" ".join(str(raw["say"]).split()), bullet=bool(raw.get("bullet")))
    (item,) = guidance_items([raw], "")
    bullet = isinstance(raw, dict) and bool(raw.get("bullet"))
    return Part(item.text, item, bullet)


@cache
def load_faq(path: str | None = None) -> dict[str, FaqAnswer]:
    raw = yaml.safe_load(Path(path or FAQ_FILE).read_text(encoding="utf-8"))
    answers = {}
    for key, answer in raw["answers"].items():
        answers[key] = FaqAnswer(
            key=key,
            parts=tuple(_part(part) for part in answer["parts"]),
            questions=tuple(str(q) for q in answer.get("questions") or ()),
            sections=tuple(str(s) for s in answer.get("sections") or ()),
        )
    return answers


def load_local_notes(path: str | None = None) -> dict[str, str]:
    """The organisation's local notes by FAQ key (a missing or broken file: none)."""
    file = Path(path) if path else settings.project_file(LOCAL_NOTES_ENV, LOCAL_NOTES_FILE)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        notes = raw.get("notes") or {}
        return {str(k): " ".join(str(v).split()) for k, v in notes.items() if v}
    except (OSError, yaml.YAMLError, AttributeError):
        return {}


def references(answer: FaqAnswer, protocol: Protocol | None = None) -> str:
    """Where the answer comes from: "(Key question 4; Guidance paras 3.17 - 3.37.)"."""
    protocol = protocol or load_protocol()
    cited = []
    for number in answer.questions:
        if number == protocol.record.number:
            paragraphs = protocol.record.paragraphs
        else:
            paragraphs = next(
                q for q in protocol.questions.values() if q.number == number
            ).paragraphs
        cited.append((f"key question {number}", paragraphs))
    names = [SECTION_NAMES[s] for s in answer.sections]
    if not cited and not names:
        return ""
    parts = names[:]
    if cited:
        questions = " and ".join(c[0] for c in cited)
        paragraphs = " and ".join(dict.fromkeys(c[1] for c in cited))
        parts.append(
            f"{questions[0].upper()}{questions[1:]}; {protocol.guidance}, paragraphs {paragraphs}"
        )
    return "(" + "; ".join(parts) + ".)"


def render(
    key: str, local_notes: dict[str, str] | None = None, protocol: Protocol | None = None
) -> str:
    """The answer's text: its parts, its references, and the organisation's note if any."""
    answer = load_faq()[key]
    paragraphs: list[str] = []
    for part in answer.parts:
        if part.bullet and paragraphs and paragraphs[-1].startswith("• "):
            paragraphs[-1] += f"\n• {part.text}"
        else:
            paragraphs.append(f"• {part.text}" if part.bullet else part.text)
    refs = references(answer, protocol)
    if refs:
        paragraphs.append(refs)
    note = (load_local_notes() if local_notes is None else local_notes).get(key)
    if note:
        paragraphs.append(f"{LOCAL_NOTE_LABEL}: {note}")
    return "\n\n".join(paragraphs)
