"""System checks of the ticket kernel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def audit_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The audit chain's HMAC key should be its own secret (tickets/audit.py)."""
    if getattr(settings, "AUDIT_HMAC_KEY", ""):
        return []
    return [Warning(
        "AUDIT_HMAC_KEY is not set: the audit chain is keyed with a key derived from SECRET_KEY.",
        hint="Set AUDIT_HMAC_KEY (and AUDIT_HMAC_KEY_ID) from the environment, kept outside the database and its "
             "backups; events already written keep verifying with the derived key while SECRET_KEY is unchanged "
             "(README, 'Audit history').",
        id="tickets.W001",
    )]
