"""Whom to ask for advice: contacts from a config file, with the guidance's own defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot import settings
from bot.protocol.messages import Contact

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "contacts.yml"
FALLBACK = (
    Contact("Your supervisor or line manager"),
    Contact(
        "Your organisation's nominated person "
        "(e.g. designated safeguarding lead, Caldicott Guardian)"
    ),
    Contact("A professional body"),
)


@lru_cache(maxsize=8)
def load_contacts(path: str | None = None) -> tuple[Contact, ...]:
    """Contacts from ``path``, ``$INFOSHARE_CONTACTS_FILE`` or ``config/contacts.yml``.

    A missing or malformed file falls back to the guidance's defaults (supervisor, manager,
    nominated person, professional body) rather than leaving a practitioner with no one to ask.
    """
    file = Path(path) if path else settings.project_file(settings.CONTACTS_FILE, DEFAULT_FILE)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        contacts = tuple(
            Contact(" ".join(str(c["role"]).split()), " ".join(str(c.get("how") or "").split()))
            for c in raw.get("contacts") or ()
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return FALLBACK
    return contacts or FALLBACK
