"""The decision flow's table (docs/design.md §3), written by hand as the oracle: every path, its
outcome, the questions on its record's path and where advice was needed (used by
tests/unit/test_protocol.py and tests/integration/test_continuing.py)."""

from __future__ import annotations

from bot.protocol import Outcome

# (answers in the order asked, expected outcome, expected path incl. Q7 when asked, advice at)
PATHS = [
    ("purpose=no", Outcome.DO_NOT_SHARE, "purpose record", None),
    ("purpose=not_sure", Outcome.SEEK_ADVICE, "purpose", "purpose"),
    (
        "purpose=yes identifiable=no appropriate=yes",
        Outcome.SHARE,
        "purpose identifiable appropriate record",
        None,
    ),
    (
        "purpose=yes identifiable=not_sure",
        Outcome.SEEK_ADVICE,
        "purpose identifiable",
        "identifiable",
    ),
    (
        "purpose=yes identifiable=yes confidential=no appropriate=yes",
        Outcome.SHARE,
        "purpose identifiable confidential appropriate record",
        None,
    ),
    (
        "purpose=yes identifiable=yes confidential=not_sure",
        Outcome.SEEK_ADVICE,
        "purpose identifiable confidential",
        "confidential",
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=yes appropriate=yes",
        Outcome.SHARE,
        "purpose identifiable confidential consent appropriate record",
        None,
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=not_sure",
        Outcome.SEEK_ADVICE,
        "purpose identifiable confidential consent",
        "consent",
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=no public_interest=yes "
        "appropriate=yes",
        Outcome.SHARE,
        "purpose identifiable confidential consent public_interest appropriate record",
        None,
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=no public_interest=no",
        Outcome.DO_NOT_SHARE,
        "purpose identifiable confidential consent public_interest record",
        None,
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=no public_interest=not_sure",
        Outcome.SEEK_ADVICE,
        "purpose identifiable confidential consent public_interest",
        "public_interest",
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=not_asked consent_unsafe=no",
        Outcome.SEEK_CONSENT,
        "purpose identifiable confidential consent consent_unsafe record",
        None,
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=not_asked consent_unsafe=not_sure",
        Outcome.SEEK_ADVICE,
        "purpose identifiable confidential consent consent_unsafe",
        "consent_unsafe",
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=not_asked consent_unsafe=yes "
        "public_interest=yes appropriate=yes",
        Outcome.SHARE,
        "purpose identifiable confidential consent consent_unsafe public_interest appropriate "
        "record",
        None,
    ),
    (
        "purpose=yes identifiable=yes confidential=yes consent=not_asked consent_unsafe=yes "
        "public_interest=no",
        Outcome.DO_NOT_SHARE,
        "purpose identifiable confidential consent consent_unsafe public_interest record",
        None,
    ),
    (
        "purpose=yes identifiable=no appropriate=not_sure",
        Outcome.SEEK_ADVICE,
        "purpose identifiable appropriate",
        "appropriate",
    ),
]


def parse(answers: str) -> dict[str, str]:
    """ "purpose=yes identifiable=no" → {"purpose": "yes", "identifiable": "no"}."""
    return dict(pair.split("=") for pair in answers.split())
