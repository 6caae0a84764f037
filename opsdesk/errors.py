"""Domain errors raised by services; the API and views turn them into 400/409 answers."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """A write carried a stale version: someone else changed the record first (HTTP 409)."""

    def __init__(self, *, current_version: int, message: str | None = None) -> None:
        self.current_version = current_version
        self.message = message or str(
            _("This record was changed by someone else (now version %(version)s). Reload it and apply your change again.")
            % {"version": current_version}
        )
        super().__init__(self.message)


class TransitionNotAllowed(ValidationError):
    """The action is not allowed from the current status or for this user (HTTP 400)."""

    def __init__(self, message: str, *, allowed: Sequence[str]) -> None:
        self.allowed = list(allowed)
        super().__init__({"action": [message]})
