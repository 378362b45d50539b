"""The helpdesk: advisers' accounts, API tokens and advice requests (issue "The helpdesk")."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.helpdesk.accounts import Accounts
from bot.helpdesk.audit import AuditLog
from bot.helpdesk.requests import AdviceRequests
from bot.records import default_repository


@lru_cache(maxsize=1)
def audit_log() -> Any:
    """The process's audit log, on the records' own engine."""
    return AuditLog(default_repository().engine)


@lru_cache(maxsize=1)
def stores() -> tuple[Any, Any]:
    """The process's accounts and advice requests, on the records' own engine (one pool)."""
    engine = default_repository().engine
    return Accounts(engine), AdviceRequests(engine)
