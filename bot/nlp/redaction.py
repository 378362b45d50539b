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

from bot.nlp.patterns import PATTERNS_DIR, REDACTION_FILE, load_yaml

NHS_NUMBER = "[NHS_NUMBER]"
NI_NUMBER = "[NI_NUMBER]"
PHONE = "[PHONE]"
EMAIL = "[EMAIL]"
POSTCODE = "[POSTCODE]"
DATE_OF_BIRTH = "[DATE_OF_BIRTH]"
NAME = "[NAME]"
ADDRESS = "[ADDRESS]"
PLACEHOLDERS = (NHS_NUMBER, NI_NUMBER, PHONE, EMAIL, POSTCODE, DATE_OF_BIRTH, NAME, ADDRESS)

ADDRESSES_FILE = PATTERNS_DIR / "addresses.yml"

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


# --- street addresses -------------------------------------------------------------------------
# Found on the words, not with one long pattern: each street type ("Road", "Close") looks back at
# most a few words for the street's name and a house number or name, and forward at most a few
# for the town and postcode, so the cost is linear in the text. The words are data, in
# bot/nlp/patterns/addresses.yml.
_ADDRESS_TOKEN = re.compile(r"\[[A-Z_]+\]|[^\W_]+(?:['’-][^\W_]+|/[0-9]+)*")
_HOUSE_NUMBER = re.compile(r"[0-9]{1,4}[A-Za-z]?(?:[-–/][0-9]{1,4}[A-Za-z]?)?")
_FLAT_NUMBER = re.compile(r"[0-9]{1,4}[A-Za-z]?(?:/[0-9]{1,4})?|[A-Za-z][0-9]{0,3}")  # "3/2"
_OUTWARD_CODE = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")  # "Bristol BS16": a postcode's first half
_NUMBER_WORDS = frozenset({"no", "number", "num"})  # "No. 7 Cedar Drive"
_SPACE = re.compile(r"[ \t]+")
_ABBREVIATED = re.compile(r"\.?[ \t]+")  # "St. Mary's Road"
_COMMA = re.compile(r"[ \t]*,[ \t]*|[ \t]+")  # "flat 3, 27 …" or "flat 3 27 …"
_COMMA_ONLY = re.compile(r"[ \t]*,[ \t]*")
_TOWN_END = re.compile(r"[ \t]*(?:[.;:!?)\n]|$)")  # "…, Leeds." ends the address
_TOWN_COMMA = re.compile(r"[ \t]*,")  # "…, Ancoats, Manchester": a town may follow
_STREET_WORDS_MAX = 4
_TOWN_WORDS_MAX = 3
_TOWN_PARTS_MAX = 3
_TOWN_JOINERS = frozenset({"upon", "on", "le", "in", "under", "by"})  # "Newcastle upon Tyne"


@dataclass(frozen=True)
class _AddressRules:
    types: frozenset[str]  # in any case
    types_capitalised: frozenset[str]  # only when the street is capitalised
    house_words: frozenset[str]
    flat_words: frozenset[str]
    not_street: frozenset[str]
    not_streets: frozenset[str]  # "high court": no street
    cues: frozenset[str]  # "lives at": a street type in lower case is one too
    quick: re.Pattern[str]  # any street type or house word: the text is worth a look


@lru_cache(maxsize=1)
def _address_rules() -> _AddressRules:
    data = load_yaml(ADDRESSES_FILE)

    def words(name: str) -> frozenset[str]:
        return frozenset(str(word).lower() for word in data[name])

    types, capitalised = words("street_types"), words("street_types_capitalised")
    house_words = words("house_words")
    return _AddressRules(
        types=types,
        types_capitalised=capitalised,
        house_words=house_words,
        flat_words=words("flat_words"),
        not_street=words("not_street_words"),
        not_streets=words("not_streets"),
        cues=frozenset(cue.rstrip(":") for cue in words("address_cues")),
        quick=re.compile(
            rf"(?<![\w])(?i:{_alternation(sorted(types | capitalised | house_words))})(?![\w])"
        ),
    )


def _is_word(token: str) -> bool:
    return token.replace("'", "").replace("’", "").replace("-", "").isalpha()


def _capitalised(token: str) -> bool:
    return token[:1].isupper()


class _AddressFinder:
    """The street addresses of one text, as (start, end) character spans."""

    def __init__(self, text: str, rules: _AddressRules) -> None:
        self.text = text
        self.rules = rules
        self.tokens = [(m.start(), m.end(), m.group()) for m in _ADDRESS_TOKEN.finditer(text)]

    def gap(self, left: int, right: int) -> str:
        """The characters between token ``left`` and token ``right`` (= left + 1)."""
        return self.text[self.tokens[left][1] : self.tokens[right][0]]

    def joined(self, left: int, pattern: re.Pattern[str] = _SPACE) -> bool:
        return (
            0 <= left < len(self.tokens) - 1
            and pattern.fullmatch(self.gap(left, left + 1)) is not None
        )

    def word(self, i: int) -> str:
        return self.tokens[i][2]

    def is_type(self, i: int) -> bool:
        lower = self.word(i).lower()
        return lower in self.rules.types or (
            lower in self.rules.types_capitalised and _capitalised(self.word(i))
        )

    def street_word(self, i: int) -> bool:
        word = self.word(i)
        return _is_word(word) and word.lower() not in self.rules.not_street

    def is_building(self, i: int) -> bool:
        """A house word that can stand for the street after a flat: "Flat 11 Kestrel House"."""
        return self.word(i).lower() in self.rules.house_words and _capitalised(self.word(i))

    def find(self) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(self.tokens):
            lower = self.word(i).lower()
            candidate = lower in self.rules.types or lower in self.rules.types_capitalised
            found = (candidate or self.is_building(i)) and self.address_at(i)
            if found:
                start, end = found
                spans.append((self.tokens[start][0], self.tokens[end][1]))
                i = end + 1
            else:
                i += 1
        return spans

    def address_at(self, i: int) -> tuple[int, int] | None:
        """The tokens of the address whose street type is token ``i``, if it is one."""
        strong = self.word(i).lower() in self.rules.types
        building = not strong and self.word(i).lower() not in self.rules.types_capitalised
        # the street's name: up to four words before the type ("St Mary's", "Canal")
        first = i
        while first > 0 and i - first < _STREET_WORDS_MAX:
            before = first - 1
            abbreviated = self.word(before).lower() in ("st", "mt")
            if not self.joined(before, _ABBREVIATED if abbreviated else _SPACE):
                break
            if not self.street_word(before):
                if self.word(before).lower() == "the" and self.house_number(before - 1):
                    first = before  # "12 The Avenue"
                break
            first = before
        if first == i:
            return None
        street = " ".join(self.word(k).lower() for k in range(first, i + 1))
        if any(street == name or street.endswith(" " + name) for name in self.rules.not_streets):
            return None  # "2 High Court hearings"
        lower_case = not all(_capitalised(self.word(k)) for k in range(first, i + 1))
        if not strong and lower_case and building:
            return None
        if building:  # only after a flat's number: "Flat 11 Kestrel House"
            number = first - 1
            if not (
                number >= 1
                and _FLAT_NUMBER.fullmatch(self.word(number))
                and self.joined(number, _SPACE)
                and self.flat_word(number - 1)
            ):
                return None
            return number - 1, self.after_street(i)
        start = self.before_street(first)
        if start is None:
            return None
        if not strong and lower_case and not self.cue_before(start):
            return None  # "5 minutes walk", but "lives at 9 orchard way"
        return start, self.after_street(i)

    def cue_before(self, start: int) -> bool:
        """Whether one or two words before token ``start`` say an address follows."""
        words = [self.word(k).lower() for k in range(max(0, start - 2), start)]
        return any(" ".join(words[n:]) in self.rules.cues for n in range(len(words)))

    def house_number(self, i: int) -> bool:
        return (
            i >= 0
            and _HOUSE_NUMBER.fullmatch(self.word(i)) is not None
            and self.joined(i, _SPACE)
            and self.text[self.tokens[i][0] - 1 : self.tokens[i][0]] not in ("£", "$", "€", "#")
        )

    def before_street(self, first: int) -> int | None:
        """Where the address starts: a house number or name before the street's first word."""
        number = first - 1
        if number >= 0 and self.house_number(number):
            start = number
            if self.flat_word(number - 1):  # "flat 27 Wharf Road"
                return number - 1
            prefix = number - 1
            if (
                prefix >= 0
                and self.word(prefix).lower() in _NUMBER_WORDS
                and self.joined(prefix, _ABBREVIATED)
            ):
                return prefix  # "No. 7 Cedar Drive"
            house = self.house_name(number)
            return self.flat(house if house is not None else start)
        house = self.house_name(first)
        if house is not None:  # "Rose Cottage, Mill Lane"
            return self.flat(house)
        flat = first - 1  # "flat 3, Wharf Road"
        if (
            flat >= 1
            and self.joined(flat, _COMMA_ONLY)
            and _FLAT_NUMBER.fullmatch(self.word(flat))
            and self.flat_word(flat - 1)
        ):
            return flat - 1
        return None

    def flat_word(self, i: int) -> bool:
        return i >= 0 and self.word(i).lower() in self.rules.flat_words and self.joined(i, _SPACE)

    def flat(self, start: int) -> int:
        """``start``, or the start of "flat 3, " before it."""
        number = start - 1
        if (
            number >= 1
            and self.joined(number, _COMMA)
            and _FLAT_NUMBER.fullmatch(self.word(number))
            and self.flat_word(number - 1)
        ):
            return number - 1
        return start

    def house_name(self, after: int) -> int | None:
        """The first token of a house name ending just before ", " + token ``after``."""
        last = after - 1
        if last < 1 or not self.joined(last, _COMMA_ONLY):
            return None
        if self.word(last).lower() not in self.rules.house_words:
            return None
        first = last
        while first > 0 and last - first < _TOWN_WORDS_MAX and self.joined(first - 1):
            if not self.street_word(first - 1):
                break
            first -= 1
        if first == last:
            return None  # "the house, Mill Lane": no name
        if first > 0 and self.word(first - 1) == "The" and self.joined(first - 1):
            first -= 1  # "The Old Rectory, Church Lane"
        return first

    def after_street(self, end: int) -> int:
        """The last token of the address: the street's, or its town's and postcode's."""
        while end + 1 < len(self.tokens) and self.joined(end) and self.is_type(end + 1):
            end += 1  # "Church Street Mews"
        confirmed = end
        for _ in range(_TOWN_PARTS_MAX):
            following = end + 1
            if following >= len(self.tokens) or not self.joined(end, _COMMA):
                break
            if self.postcode(following):
                return following  # "27 Wharf Road LS2 7EH"
            town_end = self.town(following)
            if town_end is None:
                break
            comma = _COMMA_ONLY.fullmatch(self.gap(end, following)) is not None
            capitalised = all(
                _capitalised(self.word(k)) or self.word(k) in _TOWN_JOINERS
                for k in range(following, town_end + 1)
            )
            if town_end + 1 < len(self.tokens) and self.postcode(town_end + 1):
                if self.joined(town_end, _COMMA):
                    return town_end + 1  # "Manchester M1 3HE", "Bristol BS16"
            if not (comma and capitalised):
                break
            after = self.tokens[town_end][1]
            if _TOWN_END.match(self.text, after):
                return town_end  # "…, Leeds."
            if not _TOWN_COMMA.match(self.text, after):
                break
            end = town_end  # "…, Ancoats, Manchester M1 3HE": kept if a town follows
        return confirmed

    def postcode(self, i: int) -> bool:
        word = self.word(i)
        return word == POSTCODE or _OUTWARD_CODE.fullmatch(word) is not None

    def town(self, first: int) -> int | None:
        """The last token of a town's name (up to three words) starting at ``first``."""
        if not _is_word(self.word(first)) or self.word(first).lower() in self.rules.not_street:
            return None
        last = first
        while (
            last + 1 < len(self.tokens)
            and last - first + 1 < _TOWN_WORDS_MAX
            and self.joined(last)
            and _is_word(self.word(last + 1))
            and (
                self.word(last + 1) in _TOWN_JOINERS
                or (
                    _capitalised(self.word(last + 1))
                    and self.word(last + 1).lower() not in self.rules.not_street
                )
            )
        ):
            last += 1
        while self.word(last) in _TOWN_JOINERS and last > first:
            last -= 1
        return last


def _redact_addresses(text: str) -> str:
    rules = _address_rules()
    if not rules.quick.search(text):
        return text
    spans = _AddressFinder(text, rules).find()
    for start, end in reversed(spans):
        text = text[:start] + ADDRESS + text[end:]
    return text


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
        redacted = _redact_names(replace_names(_redact_addresses(_redact_numbers(text)), NAME))
        if redacted == text:
            break
        text = redacted
    return text
