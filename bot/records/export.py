"""Decision records as JSON (the contract of ../shared/DESIGN.md) and CSV (for spreadsheets).

CSV layout: one row per record, a header row with the same field names as the JSON, in the same
order. Lists and objects (``path``, ``answers``, ``checks``, ``golden_rules``) are compact JSON
inside their cell, booleans are ``true``/``false``, null is an empty cell. By default a text cell
starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` so that a
spreadsheet shows it rather than running it as a formula; pass ``protect_formulas=False`` for the
raw values.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from bot.records.repository import RECORD_FIELDS, DecisionRecord

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_json(records: Iterable[DecisionRecord]) -> str:
    """A JSON array of the records' DESIGN.md objects (UTF-8 text, not ASCII-escaped)."""
    return json.dumps([record.to_dict() for record in records], ensure_ascii=False, indent=2)


def to_csv(records: Iterable[DecisionRecord], *, protect_formulas: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RECORD_FIELDS)
    writer.writeheader()
    for record in records:
        writer.writerow(
            {
                name: csv_cell(value, protect_formulas=protect_formulas)
                for name, value in record.to_dict().items()
            }
        )
    return buffer.getvalue()


def csv_cell(value: Any, *, protect_formulas: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if protect_formulas and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text
