#!/usr/bin/env python3
"""Summarise a `rasa test nlu` run as Markdown and flag the costly confusions.

Reads what Rasa 3.6 writes into the `--out` directory of
`rasa test nlu --nlu tests/nlu/test_nlu.yml --model <model> --out results/nlu`:

- `intent_report.json` (required): sklearn's classification report per intent, plus
  `accuracy`, `macro avg`, `weighted avg` and `micro avg`; each intent also has `confused_with`.
- `intent_errors.json` (optional): misclassified examples, each
  `{"text", "intent", "intent_prediction": {"name", "confidence"}}`. Rasa only writes it when
  there is at least one error, so a missing file means no errors.
- `response_selection_report.json` / `response_selection_errors.json` (optional): the same for
  the `faq/<key>` retrieval intent (errors carry `intent_response_key_target` and
  `intent_response_key_prediction`).

Writes `<results>/summary.md`, prints it, and with `--max-costly N` exits 1 when more than N
examples whose true intent is `deny`, `not_sure` or `not_asked` were predicted as `affirm` —
the mistake that would turn a "no" or "not sure" into a "yes".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INTENT_REPORT = "intent_report.json"
INTENT_ERRORS = "intent_errors.json"
RESPONSE_REPORT = "response_selection_report.json"
RESPONSE_ERRORS = "response_selection_errors.json"
SUMMARY = "summary.md"

#: A prediction of POSITIVE_INTENT for one of these true intents is a costly confusion.
COSTLY_TARGETS: frozenset[str] = frozenset({"deny", "not_sure", "not_asked"})
POSITIVE_INTENT = "affirm"
#: The intents that answer a question; confusions among them are listed separately.
ANSWER_INTENTS: tuple[str, ...] = ("affirm", "deny", "not_sure", "not_asked")

#: Keys of the sklearn report that are aggregates, not labels.
AGGREGATE_KEYS: frozenset[str] = frozenset({"accuracy", "macro avg", "weighted avg", "micro avg"})


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall, F1 and support of one label (intent or faq/<key>)."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int
    confused_with: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportScores:
    """A parsed classification report: per-label rows and the overall figures."""

    rows: tuple[LabelScore, ...]
    accuracy: float
    weighted_f1: float
    macro_f1: float
    support: int


@dataclass(frozen=True)
class Misprediction:
    """One misclassified test example."""

    text: str
    target: str
    predicted: str
    confidence: float | None


@dataclass(frozen=True)
class Summary:
    """Everything the Markdown summary shows."""

    intents: ReportScores
    intent_errors: tuple[Misprediction, ...]
    responses: ReportScores | None = None
    response_errors: tuple[Misprediction, ...] = ()

    @property
    def costly(self) -> tuple[Misprediction, ...]:
        return costly_confusions(self.intent_errors)

    @property
    def answer_confusions(self) -> tuple[Misprediction, ...]:
        return tuple(
            e
            for e in self.intent_errors
            if e.target in ANSWER_INTENTS and e.predicted in ANSWER_INTENTS
        )


class ReportError(Exception):
    """The results directory does not hold a usable `rasa test nlu` report."""


def _float(value: Any) -> float:
    return float(value) if value is not None else 0.0


def parse_report(report: Mapping[str, Any]) -> ReportScores:
    """Turn an sklearn/Rasa classification report dict into `ReportScores`."""
    rows = []
    for label, scores in report.items():
        if label in AGGREGATE_KEYS or not isinstance(scores, Mapping):
            continue
        rows.append(
            LabelScore(
                label=label,
                precision=_float(scores.get("precision")),
                recall=_float(scores.get("recall")),
                f1=_float(scores.get("f1-score")),
                support=int(scores.get("support", 0)),
                confused_with=dict(scores.get("confused_with") or {}),
            )
        )
    rows.sort(key=lambda r: r.label)
    weighted = report.get("weighted avg") or {}
    macro = report.get("macro avg") or {}
    if "accuracy" in report:
        accuracy = _float(report["accuracy"])
    else:  # older reports carry accuracy as the micro average only
        accuracy = _float((report.get("micro avg") or {}).get("f1-score"))
    support = int(weighted.get("support", sum(r.support for r in rows)))
    return ReportScores(
        rows=tuple(rows),
        accuracy=accuracy,
        weighted_f1=_float(weighted.get("f1-score")),
        macro_f1=_float(macro.get("f1-score")),
        support=support,
    )


def parse_intent_errors(errors: Iterable[Mapping[str, Any]]) -> tuple[Misprediction, ...]:
    """Parse `intent_errors.json` entries."""
    parsed = []
    for error in errors:
        prediction = error.get("intent_prediction") or {}
        parsed.append(
            Misprediction(
                text=str(error.get("text", "")),
                target=str(error.get("intent", "")),
                predicted=str(prediction.get("name", "")),
                confidence=prediction.get("confidence"),
            )
        )
    return tuple(parsed)


def parse_response_errors(errors: Iterable[Mapping[str, Any]]) -> tuple[Misprediction, ...]:
    """Parse `response_selection_errors.json` entries."""
    parsed = []
    for error in errors:
        prediction = error.get("intent_response_key_prediction") or {}
        parsed.append(
            Misprediction(
                text=str(error.get("text", "")),
                target=str(error.get("intent_response_key_target", "")),
                predicted=str(prediction.get("name", "")),
                confidence=prediction.get("confidence"),
            )
        )
    return tuple(parsed)


def costly_confusions(errors: Iterable[Misprediction]) -> tuple[Misprediction, ...]:
    """Errors whose true intent is a no / not sure / not asked but predicted as `affirm`."""
    return tuple(e for e in errors if e.target in COSTLY_TARGETS and e.predicted == POSITIVE_INTENT)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path} is not valid JSON: {exc}") from exc


def load_summary(results_dir: Path) -> Summary:
    """Read the files `rasa test nlu --out results_dir` wrote."""
    intent_report_path = results_dir / INTENT_REPORT
    if not intent_report_path.is_file():
        raise ReportError(
            f"{intent_report_path} not found: run "
            f"`rasa test nlu --nlu tests/nlu/test_nlu.yml --out {results_dir}` first"
        )
    intent_report = _read_json(intent_report_path)
    if not isinstance(intent_report, Mapping):
        raise ReportError(f"{intent_report_path} does not hold a report object")

    errors_path = results_dir / INTENT_ERRORS
    intent_errors = parse_intent_errors(_read_json(errors_path)) if errors_path.is_file() else ()

    responses: ReportScores | None = None
    response_errors: tuple[Misprediction, ...] = ()
    response_report_path = results_dir / RESPONSE_REPORT
    if response_report_path.is_file():
        response_report = _read_json(response_report_path)
        if isinstance(response_report, Mapping) and response_report:
            responses = parse_report(response_report)
        response_errors_path = results_dir / RESPONSE_ERRORS
        if response_errors_path.is_file():
            response_errors = parse_response_errors(_read_json(response_errors_path))

    return Summary(
        intents=parse_report(intent_report),
        intent_errors=intent_errors,
        responses=responses,
        response_errors=response_errors,
    )


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _score_table(scores: ReportScores, label_header: str) -> list[str]:
    lines = [
        f"| {label_header} | precision | recall | F1 | support | confused with |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in scores.rows:
        confused = ", ".join(
            f"{label} ({count})"
            for label, count in sorted(row.confused_with.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        lines.append(
            f"| {row.label} | {row.precision:.3f} | {row.recall:.3f} | {row.f1:.3f} "
            f"| {row.support} | {confused} |"
        )
    return lines


def _error_lines(errors: Sequence[Misprediction]) -> list[str]:
    lines = ["| text | true | predicted | confidence |", "| --- | --- | --- | ---: |"]
    for e in errors:
        confidence = f"{e.confidence:.3f}" if e.confidence is not None else ""
        lines.append(f"| {_md_escape(e.text)} | {e.target} | {e.predicted} | {confidence} |")
    return lines


def render_markdown(summary: Summary, max_costly: int | None = None) -> str:
    """Render the summary as Markdown."""
    intents = summary.intents
    costly = summary.costly
    out = [
        "# NLU evaluation summary",
        "",
        f"- Test examples: {intents.support}",
        f"- Intent accuracy: {intents.accuracy:.3f}",
        f"- Intent weighted F1: {intents.weighted_f1:.3f} (macro F1 {intents.macro_f1:.3f})",
        f"- Misclassified intents: {len(summary.intent_errors)}",
        f"- **Costly confusions** (deny / not_sure / not_asked predicted as affirm): "
        f"**{len(costly)}**" + (f" (allowed: {max_costly})" if max_costly is not None else ""),
    ]
    if summary.responses is not None:
        out.append(
            f"- FAQ response selection accuracy: {summary.responses.accuracy:.3f} "
            f"(weighted F1 {summary.responses.weighted_f1:.3f}, "
            f"{len(summary.response_errors)} errors)"
        )
    out += ["", "## Intents", ""]
    out += _score_table(intents, "intent")
    out += ["", "## Costly confusions", ""]
    if costly:
        out += _error_lines(costly)
    else:
        out.append("None.")
    other_answer = [e for e in summary.answer_confusions if e not in costly]
    if other_answer:
        out += ["", "## Other confusions between answer intents", ""]
        out += _error_lines(other_answer)
    rest = [e for e in summary.intent_errors if e not in costly and e not in other_answer]
    if rest:
        out += ["", "## Other intent errors", ""]
        out += _error_lines(rest)
    if summary.responses is not None:
        out += ["", "## FAQ response selection", ""]
        out += _score_table(summary.responses, "faq key")
        if summary.response_errors:
            out += ["", "### FAQ response selection errors", ""]
            out += _error_lines(summary.response_errors)
    return "\n".join(out) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Summarise a `rasa test nlu` run and flag costly confusions."
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=Path("results/nlu"),
        help="the --out directory of `rasa test nlu` (default: results/nlu)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the Markdown summary (default: <results>/summary.md)",
    )
    parser.add_argument(
        "--max-costly",
        type=int,
        default=None,
        metavar="N",
        help="exit with status 1 if more than N costly confusions are found",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        summary = load_summary(args.results)
    except ReportError as exc:
        print(f"nlu_report: {exc}", file=sys.stderr)
        return 2
    markdown = render_markdown(summary, args.max_costly)
    out_path: Path = args.out or args.results / SUMMARY
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(markdown, encoding="utf-8")
    print(markdown)
    costly = len(summary.costly)
    if args.max_costly is not None and costly > args.max_costly:
        print(
            f"nlu_report: {costly} costly confusions (more than {args.max_costly} allowed)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
