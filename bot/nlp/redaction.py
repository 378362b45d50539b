"""Replace personal identifiers in free text with placeholders such as ``[PHONE]``.

Pure regular expressions (no spaCy), linear in the length of the text. Each pattern is
anchored on a non-word boundary, so no pattern rescans a long run of characters from every
position. Placeholders contain no digits, no lower-case letters and no ``@``, so no pattern
matches them again: ``redact`` is idempotent (it also re-applies the passes until nothing
changes, which guards against one replacement uncovering another match).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.nlp.patterns import REDACTION_FILE, load_yaml

NHS_NUMBER = "[NHS_NUMBER]"
NI_NUMBER = "[NI_NUMBER]"
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"
POSTCODE = "[POSTCODE]"
DATE_OF_BIRTH = "[DATE_OF_BIRTH]"
NAME = "[NAME]"
PLACEHOLDERS = (NHS_NUMBER, NI_NUMBER, PHONE, EMAIL, POSTCODE, DATE_OF_BIRTH, NAME)

_MAX_PASSES = 4

# --- e-mail -------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])"
)

# --- NHS number: 10 digits, 3-3-4 with one kind of optional separator, mod-11 check digit --
_NHS = re.compile(r"(?<![\w+])([0-9]{3})([ -]?)([0-9]{3})\2([0-9]{4})(?![\w])")


def nhs_number_is_valid(number: str) -> bool:
    """True for a 10-digit number whose last digit is the NHS modulus-11 check digit."""
    digits = re.sub(r"[ -]", "", number)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    if len(set(digits)) == 1:  # 0000000000, 1111111111, ... are never issued
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs(match: re.Match[str]) -> str:
    return NHS_NUMBER if nhs_number_is_valid(match.group(0)) else match.group(0)


# --- National Insurance number --------------------------------------------------------------
# First letter not D F I Q U V; second not D F I O Q U V; some pairs are never issued.
# "QQ" is HMRC's specimen prefix ("QQ 12 34 56 C"): redacted too, as anyone typing it
# means an NI number.
_NI_FIRST = set("ABCEGHJKLMNOPRSTWXYZ")
_NI_SECOND = set("ABCEGHJKLMNPRSTWXYZ")
_NI_NOT_ISSUED = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
_NI = re.compile(
    r"(?<![\w])([A-Za-z]{2})( ?)([0-9]{2})( ?)([0-9]{2})( ?)([0-9]{2})(?: ?([A-Da-d]))?(?![\w])"
)


def ni_prefix_is_valid(prefix: str) -> bool:
    prefix = prefix.upper()
    if prefix == "QQ":
        return True
    return prefix[0] in _NI_FIRST and prefix[1] in _NI_SECOND and prefix not in _NI_NOT_ISSUED


def _ni(match: re.Match[str]) -> str:
    prefix, suffix = match.group(1), match.group(8)
    if not ni_prefix_is_valid(prefix):
        return match.group(0)
    spaced = match.group(2) == match.group(4) == match.group(6) == " "
    if suffix is None and not (spaced and prefix.isupper()):
        # "AB 12 34 56" without its letter still looks like an NI number; "ab123456" not
        return match.group(0)
    return NI_NUMBER


# --- dates ------------------------------------------------------------------------------------
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?)"
)
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)[0-9]{2}"
_TEXT_DATE = re.compile(
    rf"(?<![\w])(?:{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR})(?![\w])",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"(?<![\w/.-])([0-9]{1,2})([/.-])([0-9]{1,2})\2((?:19|20)[0-9]{2}|[0-9]{2})"
    r"(?![\w/-])(?!\.[0-9])"
)
_ISO_DATE = re.compile(r"(?<![\w/.-])((?:19|20)[0-9]{2})-([01][0-9])-([0-3][0-9])(?![\w/-])")
_DOB_CUE = (
    r"(?:born(?:\s+(?:on|in))?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday(?:\s+is)?)"
)
_PARTIAL_DATE = (
    rf"(?:{_DAY}(?:\s+of)?\s+{_MONTH}|{_MONTH}\s+{_DAY}|{_MONTH},?\s+{_YEAR}"
    rf"|[0-9]{{1,2}}[/.-][0-9]{{1,2}}|{_YEAR})"
)
_DOB_PARTIAL = re.compile(
    rf"(?<![\w])(?P<cue>{_DOB_CUE}\s*(?:[:=-]|is|was)?\s*)(?P<date>{_PARTIAL_DATE})(?![\w/])",
    re.IGNORECASE,
)


def _day_month_ok(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _numeric_date(match: re.Match[str]) -> str:
    first, separator, second, year = match.group(1), match.group(2), match.group(3), match.group(4)
    if len(year) == 2 and separator == ".":  # "1.2.10" is more likely a version number
        return match.group(0)
    a, b = int(first), int(second)
    if _day_month_ok(a, b) or _day_month_ok(b, a):  # UK order, or US order
        return DATE_OF_BIRTH
    return match.group(0)


def _iso_date(match: re.Match[str]) -> str:
    ok = _day_month_ok(int(match.group(3)), int(match.group(2)))
    return DATE_OF_BIRTH if ok else match.group(0)


def _dob_partial(match: re.Match[str]) -> str:
    return match.group("cue") + DATE_OF_BIRTH


# --- UK phone numbers -----------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)44[ -]?(?:\(0\)[ -]?)?[1-9](?:[ -]?[0-9]){8,9}"  # +44 7700 900123
    r"|\(0[1-9][0-9]{1,4}\)[ -]?[0-9](?:[ -]?[0-9]){4,8}"  # (01632) 960001
    r"|0[1-9](?:[ -]?[0-9]){8,9}"  # 07700 900123, 020 7946 0000
    r")(?![0-9])"
)


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    if digits.startswith("0044"):
        digits = digits[4:]
    elif match.group(0).startswith("+44"):
        digits = digits[2:]
    national = digits if digits.startswith("0") else "0" + digits
    return PHONE if len(national) in (10, 11) else match.group(0)


# --- UK postcodes -----------------------------------------------------------------------------
_POSTCODE = re.compile(
    r"(?<![\w])(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})(?![\w])",
    re.IGNORECASE,
)
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}


def _postcode(match: re.Match[str]) -> str:
    text = match.group(0)
    if not text.isupper() and text[-2:].lower() in _ORDINAL_SUFFIXES:  # "y7 3rd", "a4 5th"
        return text
    return POSTCODE


# --- names --------------------------------------------------------------------------------------
_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_NAME_WORD = rf"[{_UPPER}][{_LOWER}]*(?:['’-]?[{_UPPER}][{_LOWER}]+)*"
_NAME_PART = rf"(?:[{_UPPER}]\.(?=[ \t])|{_NAME_WORD})"  # "J." or "Smith"
_NAME_SEQUENCE = rf"{_NAME_PART}(?:[ \t]+{_NAME_PART}){{0,2}}"


@dataclass(frozen=True)
class _NameRules:
    title: re.Pattern[str]
    cue: re.Pattern[str]
    possessive: re.Pattern[str]
    not_names: frozenset[str]


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _name_rules() -> _NameRules:
    data = load_yaml(REDACTION_FILE)
    titles = _alternation(data["titles"])
    capitalised = _alternation(data["titles_capitalised"])
    cues = _alternation(data["cues"]).replace(r"\ ", r"\s+")
    relatives = _alternation(data["relatives"]).replace(r"\ ", r"\s+")
    words = {str(word) for word in data["not_names"]}
    words |= {str(word) for word in data["titles"] + data["titles_capitalised"]}
    not_names = frozenset(word.lower().replace("’", "'") for word in words)
    return _NameRules(
        title=re.compile(
            rf"(?<![\w])(?P<title>(?:(?i:{titles})|{capitalised})\.?[ \t]+)"
            rf"(?P<name>{_NAME_SEQUENCE})(?![\w])"
        ),
        cue=re.compile(
            rf"(?<![\w])(?P<cue>(?i:{cues})[ \t]*:?[ \t]+)(?P<name>{_NAME_SEQUENCE})(?![\w])"
        ),
        possessive=re.compile(
            rf"(?<![\w'’])(?P<name>{_NAME_WORD})(?P<rest>['’]s[ \t]+(?i:{relatives}))(?![\w])"
        ),
        not_names=not_names,
    )


def _is_name_word(word: str, not_names: frozenset[str]) -> bool:
    bare = word.rstrip(".")
    if bare.lower().replace("’", "'") in not_names:
        return False
    if len(bare) == 1:  # an initial
        return True
    return any(char.islower() for char in bare)


def _replace_name(prefix: str, sequence: str, not_names: frozenset[str]) -> str:
    """Replace the leading run of name words of ``sequence``; keep the words after it."""
    parts = sequence.split()
    taken = 0
    while taken < len(parts) and _is_name_word(parts[taken], not_names):
        taken += 1
    # initials alone ("Dr A", "the boy called A B") are not taken for a name
    if taken == 0 or all(len(part.rstrip(".")) == 1 for part in parts[:taken]):
        return prefix + sequence
    rest = " ".join(parts[taken:])
    return prefix + NAME + (" " + rest if rest else "")


def _redact_names(text: str) -> str:
    rules = _name_rules()

    def titled(match: re.Match[str]) -> str:
        return _replace_name(match.group("title"), match.group("name"), rules.not_names)

    def cued(match: re.Match[str]) -> str:
        return _replace_name(match.group("cue"), match.group("name"), rules.not_names)

    def possessive(match: re.Match[str]) -> str:
        name = match.group("name")
        if not _is_name_word(name, rules.not_names) or len(name) == 1:
            return match.group(0)
        return NAME + match.group("rest")

    text = rules.title.sub(titled, text)
    text = rules.cue.sub(cued, text)
    return rules.possessive.sub(possessive, text)


# --- the redactor ---------------------------------------------------------------------------
_PASSES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, EMAIL),
    (_NHS, _nhs),
    (_NI, _ni),
    (_TEXT_DATE, DATE_OF_BIRTH),
    (_ISO_DATE, _iso_date),
    (_NUMERIC_DATE, _numeric_date),
    (_DOB_PARTIAL, _dob_partial),
    (_PHONE, _phone),
    (_POSTCODE, _postcode),
)


def _redact_numbers(text: str) -> str:
    for pattern, replacement in _PASSES:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str) -> str:
    """``text`` with NHS and NI numbers, phone numbers, e-mail addresses, postcodes, dates
    and people's names replaced by ``[NHS_NUMBER]``, ``[NI_NUMBER]``, ``[PHONE]``,
    ``[EMAIL]``, ``[POSTCODE]``, ``[DATE_OF_BIRTH]`` and ``[NAME]``.

    Every pass runs the numbers, the name lists (:mod:`bot.nlp.names`), titles and cues, until
    a pass changes nothing: what was redacted can be the context that shows another word is a
    name ("Smith . Jack's": once Smith is ``[NAME]``, Jack is read as a name too), so the
    result is redacted again until it stays as it is (``redact(redact(t)) == redact(t)``). Text
    with nothing to redact costs one pass; the name lists cost the most."""
    if not text:
        return text
    from bot.nlp.names import replace_names  # (here: `python -m bot.nlp.names` builds it)

    for _ in range(_MAX_PASSES):
        redacted = _redact_names(replace_names(_redact_numbers(text), NAME))
        if redacted == text:
            break
        text = redacted
    return text
