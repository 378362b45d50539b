"""Links in what the assistant says: only ``http``, ``https`` and ``mailto`` stay links.

Bot text is Markdown to the web chat (rasa-webchat renders it with react-markdown and turns that
library's link filter off: ``transformLinkUri: null``), to Microsoft Teams (markdown text and
Adaptive Cards) and to whatever an integration does with the REST channel's replies. A link with
any other scheme (``javascript:``, ``vbscript:``, ``data:``, ``file:`` …) would be live there, and
the helpdesk's advice is typed by a person. :func:`safe_links` keeps

* Markdown links and images ``[text](url "title")``, ``![alt](url)``,
* autolinks ``<url>`` and HTML tags whose attributes hold an address,
* link reference definitions ``[label]: url``,
* bare addresses (``scheme://…``, and ``javascript:…``, ``data:…`` and the like without ``//``)

only when the address has no scheme (a relative address, which takes the page's) or the scheme is
``http``, ``https`` or ``mailto``. Any other link is replaced by its text alone: a Markdown link by
its text, an image by its alt text, an autolink by its address as plain text, an HTML tag with
such an attribute by nothing, a definition by its label; a bare address that can run or open
something loses its scheme (``javascript:alert(1)`` → ``alert(1)``, ``file://srv/a`` → ``srv/a``).
The scheme is read as a browser would after a Markdown renderer: HTML entities decoded
(``java&#115;cript:``), backslash escapes, white space and control characters anywhere dropped
(``\\tjava\\nscript:``), case ignored (``JaVaScRiPt:``); where in doubt, the link goes. A link
is also looked for where CommonMark would not make one but a looser renderer, or a browser given
the text as HTML, might. Text without such a link comes back unchanged (the questions, the
guidance's sentences, placeholders such as ``[NAME]``, citations); tests/unit/test_links.py
checks all of the project's wording, a red-team list, and properties against markdown-it-py.

:func:`safe_message` applies it to a message as Rasa's output channels take it (text, buttons,
cards, images). Pure: no project imports, no I/O. Used by every channel's output
(bot/channels/output.py, bot/channels/teams/channel.py) and when the helpdesk's advice is saved
(bot/helpdesk/requests.py).
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Schemes a bare address may use without "//" that something could still open.
BARE_SCHEMES = frozenset(
    {"javascript", "vbscript", "livescript", "mocha", "data", "file", "blob", "filesystem"}
)
# Keys of a message whose string value is an address (dropped when unsafe), and whose value is
# not shown as text at all (left as it is).
URL_KEYS = frozenset({"url", "image", "image_url", "src", "href", "attachment"})
UNSHOWN_KEYS = frozenset({"payload", "recipient_id", "type", "content_type"})
# Passes over one text before the blunt way is taken (see safe_links); real text needs one or two.
MAX_PASSES = 16

_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# What a renderer or a browser drops from an address (white space, control and format characters)
_IGNORED = "\\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
# A character that ends any scheme before it: not a scheme's, an entity's, an escape's or ignored.
_NOT_SCHEME = re.compile(f"[^A-Za-z0-9+.\\-&#;\\\\{_IGNORED}]")
_DROPPED = re.compile(f"[{_IGNORED}\\\\]")
_ASCII_SPACE = " \t\n\r\f\v"
# An autolink: anything but "<", ">" and white space between them (or to the end of the text).
_AUTOLINK = re.compile(r"<([^<>\s]*)(?:>|\Z)")
# An HTML tag as a browser reads it (a name, then anything up to a ">" outside quotes, or the end
# of the text), and as CommonMark does (attributes by its grammar, then ">").
_BROWSER_TAG = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]*(?=[\s/>]|\Z)(?:\"[^\"]*\"|'[^']*'|[^>])*(?:>|\Z)"
)
_MARKDOWN_TAG = re.compile(
    r"<[A-Za-z][A-Za-z0-9-]*"
    r"(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)*\s*/?>"
)
_EQUALS_VALUE = re.compile(r"=\s*([^\s>]*)")
_EQUALS_QUOTED = re.compile(r"=\s*(?:\"([^\"]*)|'([^']*))")
_DESTINATION_STOP = re.compile(r"[\x00-\x20\x7f]")
_ANGLE_STOP = re.compile(r"[<>\n]")
# A link reference definition, at the start of a line or after a block quote's ">", a list item's
# marker …: wherever it is, for short.
_DEFINITION = re.compile(r"(\[(?:[^\[\]\\]|\\.)+\]:)([ \t]*\n?[ \t]*)(<[^<>\n]*>|\S+)")
# Bare addresses: schemes ("javascript:", "file://", one after another) that do not continue an
# address ("…?next=javascript:…"), before something that is not white space.
_BARE = re.compile(
    r"(?<![A-Za-z0-9+.\-/=?&#%@:\\])((?:[A-Za-z][A-Za-z0-9+.\-]{0,31}:(?://)?)+)(?=[^\s<>])"
)
_BARE_PIECE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]{0,31}):(//)?")
_LINK_MARKUP = re.compile(r"[<>\[\]]")


def link_scheme(address: str) -> str | None:
    """The scheme a browser would see in ``address`` once a Markdown renderer has decoded it
    (lower case), or None for a relative address. Decodes more than any renderer does, so that
    a disguised scheme is found rather than missed."""
    return _scheme_in(address, 0, len(address))


def _scheme_in(text: str, start: int, end: int) -> str | None:
    """:func:`link_scheme` of ``text[start:end]``, reading only as far as a scheme could go."""
    # the scheme, if any, ends at the first ":" and before any character no scheme can hide in
    stop = _NOT_SCHEME.search(text, start, end)
    limit = stop.start() if stop else end
    colon = limit if stop and stop.group(0) == ":" else -1
    if colon == -1 and text.find("&", start, limit) == -1:
        return None  # no ":", not even as an entity
    candidate = text[start : colon + 1 if colon != -1 else limit]
    for _ in range(8):  # entities inside entities ("&amp;#115;"): decode until nothing changes
        decoded = html.unescape(candidate)
        if decoded == candidate:
            break
        candidate = decoded
    candidate = "".join(
        ch for ch in _DROPPED.sub("", candidate) if unicodedata.category(ch)[0] not in "CZ"
    ).lower()
    match = _SCHEME.match(candidate)
    return match.group(1) if match else None


def _safe_in(text: str, start: int, end: int) -> bool:
    scheme = _scheme_in(text, start, end)
    return scheme is None or scheme in SAFE_SCHEMES


def safe_url(address: str) -> bool:
    """May ``address`` be a link: relative, or ``http``, ``https`` or ``mailto``?"""
    return _safe_in(address, 0, len(address))


def safe_links(text: str) -> str:
    """``text`` with every link whose scheme is not ``http``, ``https`` or ``mailto`` replaced by
    its text alone (see the module's docstring); text without one comes back unchanged.

    Each pass only takes away, and the passes repeat until nothing changes (a link taken out can
    leave another behind). A text built to need more than :data:`MAX_PASSES` loses every
    ``<``, ``>``, ``[`` and ``]`` instead, and so every link that is not a bare address."""
    if not isinstance(text, str) or ":" not in text and "&" not in text:
        return text  # no scheme can hide in it (a scheme needs ":", or "&…;" for it)
    for _ in range(MAX_PASSES):
        changed = _bare(_definitions(_inline_links(_tags(_autolinks(text)))))
        if changed == text:
            return text
        text = changed
    return _bare(_LINK_MARKUP.sub("", text))


def safe_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a message as Rasa's output channels take it (``text``, ``buttons``,
    ``quick_replies``, ``elements``, ``image``, ``card`` …) with :func:`safe_links` applied to
    every string shown as text and an unsafe address (``url``, ``image`` …) left out."""
    return _clean(message)


# --- the passes ----------------------------------------------------------------------------------


def _clean(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str):
        return value if key in UNSHOWN_KEYS else safe_links(value)
    if isinstance(value, Mapping):
        cleaned = {}
        for k, v in value.items():
            if k in URL_KEYS and isinstance(v, str):
                if safe_url(v):
                    cleaned[k] = v
                continue
            cleaned[k] = _clean(v, k)
        return cleaned
    if isinstance(value, (list, tuple)):
        return [_clean(item, key if key in UNSHOWN_KEYS else None) for item in value]
    return value


def _autolinks(text: str) -> str:
    """``<javascript:…>`` → its text (also when the ">" never comes)."""
    if "<" not in text:
        return text

    def autolink(match: re.Match[str]) -> str:
        return match.group(0) if safe_url(match.group(1)) else match.group(1)

    return _AUTOLINK.sub(autolink, text)


def _tags(text: str) -> str:
    """``<a href="javascript:…">`` → nothing (also when the ">" never comes); read as a browser
    reads tags, then as CommonMark does (they may disagree on where a tag ends)."""
    if "<" not in text or "=" not in text:
        return text

    def tag(match: re.Match[str]) -> str:
        found = match.group(0)
        values = [m.group(1) for m in _EQUALS_VALUE.finditer(found)]
        values += [m.group(1) or m.group(2) or "" for m in _EQUALS_QUOTED.finditer(found)]
        return found if all(safe_url(value) for value in values) else ""

    return _MARKDOWN_TAG.sub(tag, _BROWSER_TAG.sub(tag, text))


def _escapes_and_parentheses(text: str) -> tuple[bytearray, dict[int, int]]:
    """Which characters a backslash escapes, and the ")" that closes each "(" (they nest)."""
    escaped = bytearray(len(text))
    closing: dict[int, int] = {}
    opened: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            escaped[i + 1] = 1
            i += 2
            continue
        if ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            closing[opened.pop()] = i
        i += 1
    return escaped, closing


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _ASCII_SPACE:
        i += 1
    return i


def _destination(
    text: str, close: int, escaped: bytearray, closing: dict[int, int], stops: list[int]
) -> tuple[int, int, int | None]:
    """The destination of the inline link whose text ends with the "]" at ``close``: (its start,
    its end, the index after the link's ")" or None when it is not a link by CommonMark)."""
    n = len(text)
    begin = _skip_space(text, close + 2)
    end = -1
    if begin < n and text[begin] == "<":
        stop = _ANGLE_STOP.search(text, begin + 1)
        if stop is not None and stop.group(0) == ">":
            end = stop.end()
    if end == -1:  # up to white space, a control character or the ")" of "("
        index = bisect.bisect_left(stops, begin)
        end = min(stops[index] if index < len(stops) else n, closing.get(close + 1, n))
    j = _skip_space(text, end)
    if end < j < n and text[j] in "\"'(":  # a title
        closer = ")" if text[j] == "(" else text[j]
        k = text.find(closer, j + 1)
        while k != -1 and escaped[k]:
            k = text.find(closer, k + 1)
        if k != -1:
            j = _skip_space(text, k + 1)
    if j < n and text[j] == ")":
        return begin, end, j + 1
    return begin, end, None


def _text_start(text: str, close: int, floor: int, escaped: bytearray) -> int | None:
    """The "[" that opens the link text closed by the "]" at ``close`` (brackets nest)."""
    depth = 0
    for i in range(close - 1, floor - 1, -1):
        if escaped[i]:
            continue
        if text[i] == "]":
            depth += 1
        elif text[i] == "[":
            if depth == 0:
                return i
            depth -= 1
    return None


def _inline_links(text: str) -> str:
    """``[text](javascript:…)`` → ``text``; ``![alt](data:…)`` → ``alt``; also when the
    "(" never closes (``[text](javascript:…`` → ``text``)."""
    if "](" not in text:
        return text
    escaped, closing = _escapes_and_parentheses(text)
    stops = [m.start() for m in _DESTINATION_STOP.finditer(text)]
    out: list[str] = []
    cursor = search = 0
    while (close := text.find("](", search)) != -1:
        if escaped[close]:
            search = close + 1
            continue
        begin, end, after = _destination(text, close, escaped, closing, stops)
        bracketed = end - begin >= 2 and text[begin] == "<" and text[end - 1] == ">"
        # read leniently too: everything up to the matching ")", as a looser renderer might
        matching = closing.get(close + 1)
        if _safe_in(text, begin + bracketed, end - bracketed) and (
            matching is None or _safe_in(text, close + 2, matching)
        ):
            search = close + 2
            continue
        if after is None:  # not a link by CommonMark's rules; to a looser reader, perhaps
            after = matching + 1 if matching is not None else end
        opening = _text_start(text, close, cursor, escaped)
        if opening is None:
            out.append(text[cursor : close + 1])
        else:
            if opening > cursor and text[opening - 1] == "!" and not escaped[opening - 1]:
                opening -= 1
                label = text[opening + 2 : close]
            else:
                label = text[opening + 1 : close]
            out.append(text[cursor:opening])
            out.append(label)
        cursor = search = after
    out.append(text[cursor:])
    return "".join(out)


def _definitions(text: str) -> str:
    """``[label]: javascript:…`` → ``[label]:`` (the references to it stay text)."""
    if "]:" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        address = match.group(3)
        if address.startswith("<") and address.endswith(">"):
            address = address[1:-1]
        return match.group(0) if safe_url(address) else match.group(1)

    return _DEFINITION.sub(replace, text)


def _bare(text: str) -> str:
    """``javascript:alert(1)``, ``file://server/x`` → ``alert(1)``, ``server/x``: schemes that
    can run or open something, up to the first that cannot."""

    def replace(match: re.Match[str]) -> str:
        chain = match.group(1)
        for piece in _BARE_PIECE.finditer(chain):
            scheme = piece.group(1).lower()
            if scheme in SAFE_SCHEMES or (piece.group(2) is None and scheme not in BARE_SCHEMES):
                return chain[piece.start() :]
        return ""

    return _BARE.sub(replace, text)
