"""Advice precedents: the answered requests most like the one an adviser has open.

So that the helpdesk answers alike cases alike, the request page lists, beside the request, the
answered ones that were unsure at the same question and whose situation reads most alike — what,
with whom and why, the answers and reasons so far, the practitioner's question (all already
de-identified). Alike is measured with TF-IDF over words and word pairs and cosine similarity
(scikit-learn, which Rasa already installs); a request at the same question always ranks above
one at another. Precedents are shown on the helpdesk pages only, never to practitioners or
through the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SAME_QUESTION_BONUS = 1.0  # above any cosine similarity: the same question first
MIN_SIMILARITY = 0.05  # below this, a case at another question is not "alike"


@dataclass(frozen=True)
class Precedent:
    request: Any  # bot.helpdesk.requests.AdviceRequest
    similarity: float  # cosine similarity of the situations, 0..1
    same_question: bool


def situation(content: dict[str, Any]) -> str:
    """A request's situation as one text, from its de-identified content: what, with whom and
    why, the reasons given with the answers, the practitioner's question. Not the questions'
    own words (every request on the same path shares them) nor the advice."""
    parts = [str(c.get("value") or "") for c in content.get("context", [])]
    parts += [
        str(a.get("value") or "") for a in content.get("answers", []) if a.get("kind") != "answer"
    ]
    parts.append(str(content.get("question") or ""))
    return " ".join(p for p in parts if p.strip())


def rank(request: Any, answered: Sequence[Any], limit: int = 3) -> list[Precedent]:
    """The ``limit`` answered requests most like ``request`` (itself and unanswered ones left
    out), best first."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    candidates = [r for r in answered if r.reference != request.reference and r.advice]
    if not candidates:
        return []
    texts = [situation(request.content)] + [situation(r.content) for r in candidates]
    vectoriser = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, stop_words="english", token_pattern=r"[A-Za-z]{2,}"
    )
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError:  # nothing but stop words anywhere
        return []
    scores = cosine_similarity(matrix[0], matrix[1:])[0]
    found = []
    for candidate, score in zip(candidates, scores, strict=True):
        same = (
            bool(request.unsure_question) and candidate.unsure_question == request.unsure_question
        )
        if same or score >= MIN_SIMILARITY:
            found.append(Precedent(candidate, float(score), same))
    found.sort(
        key=lambda p: p.similarity + (SAME_QUESTION_BONUS if p.same_question else 0.0),
        reverse=True,
    )
    return found[:limit]
