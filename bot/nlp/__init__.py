"""Natural-language helpers for the "Can I share?" assistant.

Nothing heavy happens at import time: spaCy is imported (and the ``en_infoshare`` pipeline
loaded) on the first call of :func:`get_nlp` / :func:`extract_context`. :func:`redact`,
:func:`safeguarding_signs` and :func:`extract_purpose` never need spaCy.
"""

from bot.nlp.context import Context, extract_context
from bot.nlp.pipeline import get_nlp
from bot.nlp.purpose import extract_purpose
from bot.nlp.redaction import PLACEHOLDERS, nhs_number_is_valid, redact
from bot.nlp.safeguarding import safeguarding_signs

__all__ = [
    "PLACEHOLDERS",
    "Context",
    "extract_context",
    "extract_purpose",
    "get_nlp",
    "nhs_number_is_valid",
    "redact",
    "safeguarding_signs",
]
