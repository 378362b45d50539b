"""Checks on the NLU training data, the held-out test set, the FAQ answers and nlu_report.py.

- every contract intent (and every required faq/<key>) is in the training data and the test set;
- every faq/<key> has exactly one `utter_faq/<key>` answer in domain/faq.yml, and vice versa;
- no duplicates within a file, and no overlap between training and test data, comparing
  examples lower-cased with punctuation stripped;
- enough examples per intent, and a test set of roughly a fifth to a quarter of the training set;
- scripts/nlu_report.py on a tiny fake `rasa test nlu` output.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "data" / "nlu.yml"
TEST = ROOT / "tests" / "nlu" / "test_nlu.yml"
FAQ_DOMAIN = ROOT / "domain" / "faq.yml"
REPORT_SCRIPT = ROOT / "scripts" / "nlu_report.py"

CONTRACT_INTENTS = (
    "affirm",
    "deny",
    "not_sure",
    "not_asked",
    "start_check",
    "restart",
    "go_back",
    "explain",
    "change_answer",
    "greet",
    "goodbye",
    "thanks",
    "out_of_scope",
    "faq",
)
REQUIRED_FAQ_KEYS = (
    "what_is_personal_information",
    "what_is_confidential",
    "what_is_public_interest",
    "what_is_consent",
    "data_protection_barrier",
    "no_protocol",
    "who_to_ask",
    "golden_rules",
    "capacity",
    "competent_adult",
    "record_keeping",
    "what_is_this",
    "anonymise",
)
MIN_TRAINING_EXAMPLES = {"affirm": 40, "deny": 40, "not_sure": 40, "start_check": 60}
MIN_OTHER_INTENT = 15
MIN_FAQ_KEY = 10

_ANNOTATION = re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)|\[([^\]]*)\]\{[^}]*\}")
_APOSTROPHES = re.compile(r"['’`]")
_NON_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Lower-case, drop entity annotations, apostrophes and other punctuation."""
    text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _APOSTROPHES.sub("", text.lower())
    return " ".join(_NON_WORD.sub(" ", text).split())


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(label, example) pairs from a Rasa NLU YAML file; label is `intent` or `faq/<key>`."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs: list[tuple[str, str]] = []
    for block in document.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((block["intent"], line[2:].strip()))
    return pairs


def intents_of(pairs: list[tuple[str, str]]) -> set[str]:
    return {label.split("/", 1)[0] for label, _ in pairs}


def faq_keys_of(pairs: list[tuple[str, str]]) -> set[str]:
    return {label.split("/", 1)[1] for label, _ in pairs if label.startswith("faq/")}


@pytest.fixture(scope="module")
def train() -> list[tuple[str, str]]:
    return read_examples(TRAIN)


@pytest.fixture(scope="module")
def test_set() -> list[tuple[str, str]]:
    return read_examples(TEST)


@pytest.fixture(scope="module")
def faq_responses() -> dict:
    return yaml.safe_load(FAQ_DOMAIN.read_text(encoding="utf-8"))["responses"]


# --- the data files -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["train", "test"])
def test_rasa_reads_the_file_like_we_do(path: Path) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    ours = read_examples(path)
    assert len(data.intent_examples) == len(ours)
    labels = {e.get("intent_response_key") or e.get("intent") for e in data.intent_examples}
    assert labels == {label for label, _ in ours}


def test_rasa_reads_the_faq_domain(faq_responses: dict) -> None:
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(FAQ_DOMAIN))
    assert set(domain.responses) == set(faq_responses)


@pytest.mark.parametrize("intent", CONTRACT_INTENTS)
def test_contract_intent_in_training_data(train: list, intent: str) -> None:
    assert intent in intents_of(train)


@pytest.mark.parametrize("intent", CONTRACT_INTENTS)
def test_contract_intent_in_test_set(test_set: list, intent: str) -> None:
    assert intent in intents_of(test_set)


@pytest.mark.parametrize("key", REQUIRED_FAQ_KEYS)
def test_required_faq_key_present(train: list, test_set: list, key: str) -> None:
    assert key in faq_keys_of(train)
    assert key in faq_keys_of(test_set)


def test_test_set_covers_every_training_label(train: list, test_set: list) -> None:
    train_labels = {label for label, _ in train}
    test_labels = {label for label, _ in test_set}
    assert train_labels - test_labels == set(), "labels never tested"
    assert test_labels - train_labels == set(), "labels tested but never trained"


def test_every_faq_key_has_exactly_one_response(train: list, faq_responses: dict) -> None:
    keys = faq_keys_of(train)
    response_keys = {
        name.split("/", 1)[1] for name in faq_responses if name.startswith("utter_faq/")
    }
    assert keys - response_keys == set(), "faq keys without an answer"
    assert response_keys - keys == set(), "answers without training examples"
    assert set(faq_responses) == {f"utter_faq/{k}" for k in keys}


def test_faq_responses_have_text(faq_responses: dict) -> None:
    for name, variations in faq_responses.items():
        assert variations and all(v.get("text", "").strip() for v in variations), name


def test_old_act_is_explained_once(faq_responses: dict) -> None:
    texts = [v["text"] for variations in faq_responses.values() for v in variations]
    assert sum("Data Protection Act 2018" in t for t in texts) == 1


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["train", "test"])
def test_no_duplicates_within_file(path: Path) -> None:
    counts = Counter(normalise(text) for _, text in read_examples(path))
    assert [text for text, n in counts.items() if n > 1] == []


def test_no_overlap_between_training_and_test(train: list, test_set: list) -> None:
    trained = {normalise(text) for _, text in train}
    overlap = sorted(text for _, text in test_set if normalise(text) in trained)
    assert overlap == []


@pytest.mark.parametrize("path", [TRAIN, TEST], ids=["train", "test"])
def test_no_entity_annotations(path: Path) -> None:
    annotated = [text for _, text in read_examples(path) if _ANNOTATION.search(text)]
    assert annotated == [], "entities are extracted by the spaCy entity ruler, not DIET"


def test_enough_training_examples(train: list) -> None:
    counts = Counter(label for label, _ in train)
    too_few = {
        label: n
        for label, n in counts.items()
        if n
        < (
            MIN_FAQ_KEY
            if label.startswith("faq/")
            else MIN_TRAINING_EXAMPLES.get(label, MIN_OTHER_INTENT)
        )
    }
    assert too_few == {}


def test_test_set_size(train: list, test_set: list) -> None:
    ratio = len(test_set) / len(train)
    assert 0.15 <= ratio <= 0.35, ratio


def test_normalise() -> None:
    assert normalise("Don't know!") == normalise("dont know") == "dont know"
    assert normalise("  Yes,  [consent](question) ") == "yes consent"
    assert normalise("50/50") == "50 50"


# --- scripts/nlu_report.py -------------------------------------------------------------------


@pytest.fixture(scope="module")
def nlu_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nlu_report", REPORT_SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def _row(p: float, r: float, f1: float, n: int, confused: dict | None = None) -> dict:
    return {
        "precision": p,
        "recall": r,
        "f1-score": f1,
        "support": n,
        "confused_with": confused or {},
    }


FAKE_INTENT_REPORT = {
    "affirm": _row(0.6, 1.0, 0.75, 3),
    "deny": _row(1.0, 0.5, 0.667, 2, {"affirm": 1}),
    "not_sure": _row(1.0, 0.5, 0.667, 2, {"affirm": 1}),
    "faq": _row(1.0, 1.0, 1.0, 1),
    "accuracy": 0.75,
    "macro avg": _row(0.9, 0.75, 0.77, 8),
    "weighted avg": _row(0.85, 0.75, 0.76, 8),
    "micro avg": _row(0.75, 0.75, 0.75, 8),
}
FAKE_INTENT_ERRORS = [
    {
        "text": "I'm not sure it is",
        "intent": "not_sure",
        "intent_prediction": {"name": "affirm", "confidence": 0.61},
    },
    {
        "text": "probably not | maybe",
        "intent": "deny",
        "intent_prediction": {"name": "affirm", "confidence": 0.52},
    },
    {
        "text": "start again",
        "intent": "restart",
        "intent_prediction": {"name": "start_check", "confidence": 0.7},
    },
    {
        "text": "yes and no",
        "intent": "not_sure",
        "intent_prediction": {"name": "deny", "confidence": 0.4},
    },
]
FAKE_RESPONSE_REPORT = {
    "faq/golden_rules": _row(1.0, 1.0, 1.0, 1),
    "faq/capacity": _row(0.0, 0.0, 0.0, 1, {"faq/golden_rules": 1}),
    "accuracy": 0.5,
    "macro avg": _row(0.5, 0.5, 0.5, 2),
    "weighted avg": _row(0.5, 0.5, 0.5, 2),
}
FAKE_RESPONSE_ERRORS = [
    {
        "text": "can a child consent",
        "intent_response_key_target": "faq/capacity",
        "intent_response_key_prediction": {"name": "faq/golden_rules", "confidence": 0.3},
    },
]


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    (tmp_path / "intent_report.json").write_text(json.dumps(FAKE_INTENT_REPORT))
    (tmp_path / "intent_errors.json").write_text(json.dumps(FAKE_INTENT_ERRORS))
    (tmp_path / "response_selection_report.json").write_text(json.dumps(FAKE_RESPONSE_REPORT))
    (tmp_path / "response_selection_errors.json").write_text(json.dumps(FAKE_RESPONSE_ERRORS))
    return tmp_path


def test_report_parses_scores(nlu_report: ModuleType, results_dir: Path) -> None:
    summary = nlu_report.load_summary(results_dir)
    assert [r.label for r in summary.intents.rows] == ["affirm", "deny", "faq", "not_sure"]
    assert summary.intents.accuracy == pytest.approx(0.75)
    assert summary.intents.weighted_f1 == pytest.approx(0.76)
    assert summary.intents.support == 8
    deny = next(r for r in summary.intents.rows if r.label == "deny")
    assert (deny.precision, deny.recall, deny.support) == (1.0, 0.5, 2)
    assert summary.responses is not None
    assert summary.responses.accuracy == pytest.approx(0.5)
    assert len(summary.response_errors) == 1


def test_report_finds_costly_confusions(nlu_report: ModuleType, results_dir: Path) -> None:
    summary = nlu_report.load_summary(results_dir)
    assert [(e.target, e.text) for e in summary.costly] == [
        ("not_sure", "I'm not sure it is"),
        ("deny", "probably not | maybe"),
    ]
    assert [e.text for e in summary.answer_confusions] == [
        "I'm not sure it is",
        "probably not | maybe",
        "yes and no",
    ]


def test_report_markdown(nlu_report: ModuleType, results_dir: Path) -> None:
    markdown = nlu_report.render_markdown(nlu_report.load_summary(results_dir), max_costly=0)
    assert "Intent accuracy: 0.750" in markdown
    assert "(deny / not_sure / not_asked predicted as affirm): **2** (allowed: 0)" in markdown
    assert "| deny | 1.000 | 0.500 | 0.667 | 2 | affirm (1) |" in markdown
    assert "probably not \\| maybe" in markdown  # table cells are escaped
    assert "## Other confusions between answer intents" in markdown
    assert "| start again | restart | start_check | 0.700 |" in markdown
    assert "| faq/capacity | 0.000 | 0.000 | 0.000 | 1 | faq/golden_rules (1) |" in markdown


def test_report_main_exit_codes(
    nlu_report: ModuleType, results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert nlu_report.main(["--results", str(results_dir)]) == 0
    assert (results_dir / "summary.md").read_text().startswith("# NLU evaluation summary")
    assert "# NLU evaluation summary" in capsys.readouterr().out
    assert nlu_report.main(["--results", str(results_dir), "--max-costly", "2"]) == 0
    assert nlu_report.main(["--results", str(results_dir), "--max-costly", "1"]) == 1
    out = results_dir / "elsewhere" / "s.md"
    assert nlu_report.main(["--results", str(results_dir), "--out", str(out)]) == 0
    assert out.is_file()


def test_report_without_errors_file(nlu_report: ModuleType, tmp_path: Path) -> None:
    # Rasa writes intent_errors.json only when something was misclassified.
    (tmp_path / "intent_report.json").write_text(json.dumps(FAKE_INTENT_REPORT))
    summary = nlu_report.load_summary(tmp_path)
    assert summary.intent_errors == () and summary.costly == ()
    assert summary.responses is None
    assert nlu_report.main(["--results", str(tmp_path), "--max-costly", "0"]) == 0


def test_report_missing_results(nlu_report: ModuleType, tmp_path: Path) -> None:
    assert nlu_report.main(["--results", str(tmp_path / "nothing")]) == 2
