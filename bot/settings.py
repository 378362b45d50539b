"""Every setting the assistant reads from its environment, in one place.

Other modules ask here (``settings.database_url()``, ``settings.get(settings.SECRET_KEY)``);
none reads ``os.environ`` itself. :data:`SETTINGS` lists them all with what they do (the table in
docs/configuration.md is checked against it: tests/unit/test_settings.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    help: str


DATABASE_URL = "DATABASE_URL"
TRACKER_DATABASE_URL = "TRACKER_DATABASE_URL"
VAR_DIR = "INFOSHARE_VAR_DIR"
API_TOKEN = "INFOSHARE_API_TOKEN"
SECRET_KEY = "INFOSHARE_SECRET_KEY"
PUBLIC_URL = "INFOSHARE_PUBLIC_URL"
CORS_ORIGINS = "INFOSHARE_CORS_ORIGINS"
CONTACTS_FILE = "INFOSHARE_CONTACTS_FILE"
LOCAL_NOTES_FILE = "INFOSHARE_LOCAL_NOTES_FILE"
MODEL_THRESHOLD = "INFOSHARE_MODEL_THRESHOLD"
SMTP_URL = "INFOSHARE_SMTP_URL"
HELPDESK_FILE = "INFOSHARE_HELPDESK_FILE"
ADVICE_CLOSE_DAYS = "INFOSHARE_ADVICE_CLOSE_DAYS"
RETAIN_CONVERSATIONS_DAYS = "INFOSHARE_RETAIN_CONVERSATIONS_DAYS"
RETAIN_ADVICE_DAYS = "INFOSHARE_RETAIN_ADVICE_DAYS"
RETAIN_TRAINING_DAYS = "INFOSHARE_RETAIN_TRAINING_DAYS"
RETAIN_RECORDS_DAYS = "INFOSHARE_RETAIN_RECORDS_DAYS"
RETAIN_SIGN_INS_DAYS = "INFOSHARE_RETAIN_SIGN_INS_DAYS"
REDIS_URL = "INFOSHARE_REDIS_URL"
REDIS_PREFIX = "INFOSHARE_REDIS_PREFIX"
RATE_LIMIT = "INFOSHARE_RATE_LIMIT"
RATE_LIMIT_ADDRESS = "INFOSHARE_RATE_LIMIT_ADDRESS"
RATE_LIMIT_TOTAL = "INFOSHARE_RATE_LIMIT_TOTAL"
RATE_LIMIT_EXEMPT = "INFOSHARE_RATE_LIMIT_EXEMPT"
REST_ACCESS = "INFOSHARE_REST_ACCESS"
HTTP_API = "INFOSHARE_HTTP_API"
SESSION_IDLE_MINUTES = "INFOSHARE_SESSION_IDLE_MINUTES"
SESSION_HOURS = "INFOSHARE_SESSION_HOURS"
SIGN_IN_NAME_LIMIT = "INFOSHARE_SIGN_IN_NAME_LIMIT"
SIGN_IN_ADDRESS_LIMIT = "INFOSHARE_SIGN_IN_ADDRESS_LIMIT"
ACTION_ENDPOINT_URL = "ACTION_ENDPOINT_URL"
ACTIONS_PORT = "ACTIONS_PORT"
ACTIONS_TOKEN = "INFOSHARE_ACTIONS_TOKEN"
MICROSOFT_APP_ID = "MICROSOFT_APP_ID"
MICROSOFT_APP_PASSWORD = "MICROSOFT_APP_PASSWORD"
MICROSOFT_APP_TENANT_ID = "MICROSOFT_APP_TENANT_ID"
BOTFRAMEWORK_OPENID_URL = "BOTFRAMEWORK_OPENID_URL"
BOTFRAMEWORK_TOKEN_URL = "BOTFRAMEWORK_TOKEN_URL"
BOTFRAMEWORK_ISSUER = "BOTFRAMEWORK_ISSUER"
BOTFRAMEWORK_SCOPE = "BOTFRAMEWORK_SCOPE"
BOTFRAMEWORK_SERVICE_URLS = "BOTFRAMEWORK_SERVICE_URLS"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        DATABASE_URL,
        "records (and, by default, conversations): SQLAlchemy URL; default "
        "a SQLite file in the var directory",
    ),
    Setting(TRACKER_DATABASE_URL, "Rasa's SQL tracker store; default DATABASE_URL"),
    Setting(
        VAR_DIR,
        "runtime files (SQLite database, generated token and key, logs); default "
        "var/ in the project",
    ),
    Setting(
        API_TOKEN,
        "token of Rasa's HTTP API; generated into the var directory when unset (never printed "
        "in full)",
    ),
    Setting(
        SECRET_KEY,
        "signs the links to the records' printable summaries, the helpdesk's cookies and the web "
        "chat's conversation ids (32 random bytes or more); "
        "generated into the var directory when unset",
    ),
    Setting(PUBLIC_URL, "the address users reach the assistant at, for links"),
    Setting(CORS_ORIGINS, "origins (space-separated) allowed to embed the web chat"),
    Setting(CONTACTS_FILE, "whom to ask for advice; default config/contacts.yml"),
    Setting(
        LOCAL_NOTES_FILE,
        "the organisation's local notes on the FAQ answers; default config/local_notes.yml",
    ),
    Setting(
        SMTP_URL,
        "the helpdesk's e-mail: smtp://[user:password@]host[:port] (STARTTLS with "
        "?starttls=1) or smtps://…; notifications are off without it",
    ),
    Setting(HELPDESK_FILE, "who is told of new advice requests; default config/helpdesk.yml"),
    Setting(
        ADVICE_CLOSE_DAYS,
        "days after which an answered advice request the practitioner did not continue is "
        "closed; default 14 (0: never)",
    ),
    Setting(
        RETAIN_CONVERSATIONS_DAYS,
        "retention: a conversation (Rasa's tracker events) is deleted this many days after its "
        "last event; default 30 (0: kept)",
    ),
    Setting(
        RETAIN_ADVICE_DAYS,
        "retention: an advice request is deleted this many days after it was closed; default 90 "
        "(0: kept)",
    ),
    Setting(
        RETAIN_TRAINING_DAYS,
        "retention: a cohort with its training runs and answers is deleted this many days after "
        "the cohort was created (a run outside a cohort, after the run); default 365 (0: kept)",
    ),
    Setting(
        RETAIN_RECORDS_DAYS,
        "retention: decision records are deleted this many days after completion, per local "
        "policy; default 0 (kept)",
    ),
    Setting(
        RETAIN_SIGN_INS_DAYS,
        "retention: helpdesk sessions are deleted this many days after they were last used, and "
        "wrong-sign-in counters (names typed, addresses) this long after their window began; "
        "default 30 (0: kept)",
    ),
    Setting(
        MODEL_THRESHOLD,
        "intent confidence under which the model's guess of an answer is "
        "not even read back (default 0.5)",
    ),
    Setting(
        REDIS_URL,
        "several Rasa servers: redis://host:port/db for Rasa's lock store, the web chat's "
        "socket.io messages between servers and the per-conversation rate limit; unset: one "
        "server, all in memory",
    ),
    Setting(
        REDIS_PREFIX,
        "several deployments on one Redis: a letters-and-digits prefix for their keys and "
        "channels; default infoshare",
    ),
    Setting(
        RATE_LIMIT,
        "messages one conversation may send per window: COUNT/SECONDS, default 60/60 "
        "(0 switches the limit off)",
    ),
    Setting(
        RATE_LIMIT_ADDRESS,
        "messages from one source address (all conversations) per window: COUNT/SECONDS, "
        "default 240/60 (0: off)",
    ),
    Setting(
        RATE_LIMIT_TOTAL,
        "messages the whole deployment takes per window: COUNT/SECONDS, default 1200/60 (0: off)",
    ),
    Setting(
        HTTP_API,
        "Rasa's HTTP API (conversations, status, model): on, or off (default); when on, every "
        "conversation read or change through it is in the audit log",
    ),
    Setting(
        REST_ACCESS,
        "who may use the REST channel: local (default: callers on this machine; others need a "
        "channel token), token (every caller needs one) or open (anyone)",
    ),
    Setting(
        RATE_LIMIT_EXEMPT,
        "addresses (space-separated) counted per conversation only: a trusted integration's "
        "host; default none",
    ),
    Setting(
        SESSION_IDLE_MINUTES,
        "helpdesk pages: a session unused for this many minutes ends; default 60",
    ),
    Setting(
        SESSION_HOURS, "helpdesk pages: a session ends this many hours after sign-in; default 8"
    ),
    Setting(
        SIGN_IN_NAME_LIMIT,
        "helpdesk sign-in: wrong passwords for one name (known or not) before it is blocked for "
        "15 minutes; default 5",
    ),
    Setting(
        SIGN_IN_ADDRESS_LIMIT,
        "helpdesk sign-in: wrong passwords from one address (all names) before it is blocked "
        "for 15 minutes; default 50",
    ),
    Setting(ACTION_ENDPOINT_URL, "the action server, for Rasa (set by make run)"),
    Setting(ACTIONS_PORT, "the action server's port (default 5055)"),
    Setting(
        ACTIONS_TOKEN,
        "the token Rasa sends the action server, which answers no one else; generated into the "
        "var directory when unset (the same for both servers)",
    ),
    Setting(
        MICROSOFT_APP_ID, "Microsoft Teams: the Azure Bot's app id (the channel is off without it)"
    ),
    Setting(MICROSOFT_APP_PASSWORD, "Microsoft Teams: the app's client secret"),
    Setting(
        MICROSOFT_APP_TENANT_ID,
        "Microsoft Teams: the tenant, for a single-tenant app; only its conversations are answered",
    ),
    Setting(BOTFRAMEWORK_OPENID_URL, "Bot Framework: OpenID configuration (tests only)"),
    Setting(BOTFRAMEWORK_TOKEN_URL, "Bot Framework: token endpoint (tests only)"),
    Setting(BOTFRAMEWORK_ISSUER, "Bot Framework: token issuer (tests only)"),
    Setting(BOTFRAMEWORK_SCOPE, "Bot Framework: token scope (tests only)"),
    Setting(
        BOTFRAMEWORK_SERVICE_URLS,
        "Bot Framework: the service URL prefixes the bot posts to (space-separated; default "
        "https://smba.trafficmanager.net/; a sovereign cloud's, or the tests' fake)",
    ),
)


def environment() -> Mapping[str, str]:
    return os.environ


def get(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """A setting's value, stripped; ``default`` when unset or blank."""
    value = (environment() if environ is None else environ).get(name, "")
    value = str(value).strip()
    return value or default


def var_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The runtime directory (``INFOSHARE_VAR_DIR``, default ``var/`` in the project), created
    if missing."""
    path = Path(get(VAR_DIR, "", environ) or PROJECT / "var").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def project_file(name: str, default: Path, environ: Mapping[str, str] | None = None) -> Path:
    """A configuration file: the setting ``name`` if set, else ``default``."""
    value = get(name, "", environ)
    return Path(value).expanduser() if value else default


REST_ACCESS_MODES = ("local", "token", "open")


def rest_access(environ: Mapping[str, str] | None = None) -> str:
    """``INFOSHARE_REST_ACCESS``: who may use the REST channel (local, token or open; default
    local); ValueError for anything else."""
    mode = get(REST_ACCESS, "local", environ).lower()
    if mode not in REST_ACCESS_MODES:
        choices = ", ".join(REST_ACCESS_MODES)
        raise ValueError(f"{REST_ACCESS} is one of {choices}, not {mode!r}")
    return mode


def http_api_on(environ: Mapping[str, str] | None = None) -> bool:
    """``INFOSHARE_HTTP_API``: Rasa's HTTP API (``/conversations/…``, ``/status``, ``/model``)
    is on only when it is ``on``; off, nothing can read or change a conversation over HTTP but
    the channels. ValueError for anything but on or off."""
    value = get(HTTP_API, "off", environ).lower()
    if value not in ("on", "off"):
        raise ValueError(f"{HTTP_API} is on or off, not {value!r}")
    return value == "on"


def number(name: str, default: float) -> float:
    try:
        return float(get(name, str(default)))
    except ValueError:
        return default
