"""The command words as data (``commands.yml``): go back, change an answer, start again, stop,
continue a check, practise, join a cohort (pure: regular expressions only).

Each command has its intent (its button sends ``/<intent>``), the words that are the command when
said first at a question (``first``), and named patterns — each built as ``before (?:word|…)
after`` from the file and compiled once, when the file is first read. The readers
(``asks_to_restart``, ``asks_to_stop``, ``asks_to_continue`` in :mod:`bot.protocol.reading`,
``asks_to_practise`` in :mod:`bot.protocol.opening`, ``cohort_code`` and ``scenario_number`` in
:mod:`bot.training.practice`) ask these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

COMMANDS_FILE = Path(__file__).with_name("commands.yml")
# The commands the readers ask for by name: the file must have each.
NAMES = ("go_back", "change_answer", "restart", "stop", "continue", "practise")
_PATTERN_KEYS = frozenset({"before", "words", "after", "ignore_case", "dotall"})


@dataclass(frozen=True)
class Command:
    name: str
    intent: str
    first: tuple[str, ...]  # said first at a question (after a polite opening): the command
    patterns: Mapping[str, re.Pattern[str]]

    def pressed(self, text: str | None) -> bool:
        """The command's button (or its payload typed): ``/<intent>…``."""
        return str(text or "").startswith(f"/{self.intent}")

    def pattern(self, name: str) -> re.Pattern[str]:
        return self.patterns[name]


@dataclass(frozen=True)
class Commands:
    commands: Mapping[str, Command]
    said_first: re.Pattern[str]  # a command said first at a question, after a polite opening
    intents: frozenset[str]  # every command's intent: its button is the command

    def __getitem__(self, name: str) -> Command:
        return self.commands[name]


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _words(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(w, str) and w for w in raw):
        raise ValueError(f"{where}: a list of words (regular expressions) is needed")
    return tuple(raw)


def _pattern(raw: Any, where: str) -> re.Pattern[str]:
    """``before (?:word|word|…) after``, from a pattern's entry."""
    if not isinstance(raw, dict) or set(raw) - _PATTERN_KEYS:
        raise ValueError(f"{where}: a pattern has only {sorted(_PATTERN_KEYS)}")
    flags = (re.IGNORECASE if raw.get("ignore_case") else 0) | (
        re.DOTALL if raw.get("dotall") else 0
    )
    before = str(raw.get("before", r"\b"))
    after = str(raw.get("after", r"\b"))
    words = _words(raw.get("words"), f"{where}.words")
    try:
        return re.compile(f"{before}(?:{_alternation(words)}){after}", flags)
    except re.error as error:
        raise ValueError(f"{where}: {error}") from error


def parse_commands(data: Mapping[str, Any], where: str = "commands") -> Commands:
    raw_commands = data.get("commands")
    if not isinstance(raw_commands, dict):
        raise ValueError(f"{where}: no commands")
    commands: dict[str, Command] = {}
    for name, raw in raw_commands.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("intent"), str):
            raise ValueError(f"{where}.{name}: a command needs its intent")
        patterns = {
            key: _pattern(value, f"{where}.{name}.{key}")
            for key, value in raw.items()
            if key not in ("intent", "first")
        }
        first = _words(raw["first"], f"{where}.{name}.first") if "first" in raw else ()
        commands[name] = Command(str(name), raw["intent"], first, patterns)
    missing = set(NAMES) - set(commands)
    if missing:
        raise ValueError(f"{where}: no {sorted(missing)}")
    politely = _words(data.get("politely"), f"{where}.politely")
    firsts = [word for command in commands.values() for word in command.first]
    said_first = re.compile(
        rf"^(?:{'|'.join(f'(?:{p}) ' for p in politely)})?(?:{_alternation(firsts)})\b"
    )
    return Commands(commands, said_first, frozenset(c.intent for c in commands.values()))


@cache
def load_commands(path: str | None = None) -> Commands:
    """The command words, read and compiled once per process."""
    file = Path(path or COMMANDS_FILE)
    with file.open(encoding="utf-8") as handle:
        return parse_commands(yaml.safe_load(handle), file.name)


def command(name: str) -> Command:
    return load_commands()[name]


__all__ = ["COMMANDS_FILE", "Command", "Commands", "command", "load_commands", "parse_commands"]
