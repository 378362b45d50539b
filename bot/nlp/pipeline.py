"""Cached access to the spaCy pipeline (spaCy is imported on first use, not at import)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The installed ``en_infoshare`` pipeline, or one built in memory if it is missing/stale."""
    import spacy

    from bot.nlp.build import PACKAGE_NAME, build_pipeline, expected_version, installed_version

    installed = installed_version()
    if installed == expected_version():
        try:
            return spacy.load(PACKAGE_NAME)
        except OSError as error:  # broken install: fall through to the in-memory build
            logger.warning("cannot load %s (%s)", PACKAGE_NAME, error)
    elif installed is None:
        logger.warning("spaCy package %s is not installed", PACKAGE_NAME)
    else:
        logger.warning(
            "installed %s %s does not match the current patterns (%s)",
            PACKAGE_NAME,
            installed,
            expected_version(),
        )
    logger.warning("building the pipeline in memory; run `python -m bot.nlp.build`")
    return build_pipeline()
