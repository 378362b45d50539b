"""E-mail to the helpdesk when a practitioner asks for advice.

Sent through ``INFOSHARE_SMTP_URL`` (``smtp://[user:password@]host[:port]``, ``?starttls=1`` for
STARTTLS, or ``smtps://`` for TLS from the start) to the addresses in ``config/helpdesk.yml``
(``INFOSHARE_HELPDESK_FILE``). Without a URL, or without recipients, notifications are off and
:func:`status` says so (the Rasa server logs it at start-up).

The message carries what an adviser needs to pick the request up — its reference, whether it is
urgent, where the practitioner was unsure, and the helpdesk page's address — and nothing of the
case: e-mail leaves the system, so the case stays on the helpdesk page.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import yaml

from bot import settings

logger = logging.getLogger(__name__)

DEFAULT_FILE = settings.PROJECT / "config" / "helpdesk.yml"
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool  # TLS from the start (smtps)
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]


class NotifyError(RuntimeError):
    """The e-mail could not be sent (the request itself is kept)."""


def _recipients(path: Path) -> tuple[str, tuple[str, ...]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        notify = data.get("notify") or {}
        sender = str(notify.get("from") or "").strip()
        to = tuple(str(a).strip() for a in notify.get("to") or () if str(a).strip())
    except (OSError, yaml.YAMLError, AttributeError, TypeError):
        return "", ()
    return sender, to


def config() -> SmtpConfig | None:
    """The SMTP settings, or None when notifications are off."""
    url = settings.get(settings.SMTP_URL)
    sender, recipients = _recipients(settings.project_file(settings.HELPDESK_FILE, DEFAULT_FILE))
    if not url or not recipients:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise NotifyError(f"{settings.SMTP_URL} must be smtp://host[:port] or smtps://host[:port]")
    query = parse_qs(parsed.query)
    return SmtpConfig(
        host=parsed.hostname,
        port=parsed.port or (465 if parsed.scheme == "smtps" else 25),
        tls=parsed.scheme == "smtps",
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        sender=sender or "no-reply@localhost",
        recipients=recipients,
    )


def status() -> str:
    """One line for the logs: where notifications go, or why they are off."""
    try:
        current = config()
    except NotifyError as error:
        return f"Helpdesk e-mail is off: {error}"
    if current is None:
        return (
            f"Helpdesk e-mail is off: set {settings.SMTP_URL} and the recipients in "
            f"{settings.project_file(settings.HELPDESK_FILE, DEFAULT_FILE)}"
        )
    return (
        f"Helpdesk e-mail goes to {', '.join(current.recipients)} through "
        f"{current.host}:{current.port}"
    )


@lru_cache(maxsize=1)
def log_status_once() -> None:
    logger.info(status())


def message(
    reference: str, urgent: bool, unsure_title: str | None, page_url: str | None
) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"{'URGENT: ' if urgent else ''}Advice request {reference} — Can I share?"
    lines = [
        f"A practitioner has asked the helpdesk for advice: {reference}.",
        "",
        "URGENT: the conversation showed safeguarding signs." if urgent else "",
        f"They were not sure at: {unsure_title}" if unsure_title else "",
        "",
        f"Open it on the helpdesk page: {page_url}"
        if page_url
        else "Open it on the helpdesk page.",
        "",
        "The case is on the helpdesk page only; this e-mail holds nothing of it.",
    ]
    mail.set_content("\n".join(line for line in lines if line is not None))
    return mail


def send(reference: str, urgent: bool, unsure_title: str | None) -> bool:
    """E-mail the helpdesk; False when notifications are off. Raises NotifyError on failure."""
    current = config()
    if current is None:
        return False
    base = settings.get(settings.PUBLIC_URL).rstrip("/")
    mail = message(
        reference, urgent, unsure_title, f"{base}/helpdesk/requests/{reference}" if base else None
    )
    mail["From"] = current.sender
    mail["To"] = ", ".join(current.recipients)
    try:
        if current.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                current.host,
                current.port,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(current.host, current.port, timeout=TIMEOUT_SECONDS)
        with client:
            if current.starttls:
                client.starttls(context=ssl.create_default_context())
            if current.user:
                client.login(current.user, current.password or "")
            client.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        raise NotifyError(f"the helpdesk e-mail for {reference} was not sent: {error}") from error
    return True
