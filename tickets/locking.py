"""Row locking, the optimistic version check and the version bump every ticket write shares."""

from __future__ import annotations

from typing import cast

from opsdesk.errors import ConflictError

from .models import TicketBase


def ticket_lock[T: TicketBase](model: type[T], pk: int) -> T:
    """Load a ticket for writing, holding its row lock until the transaction ends."""
    # The stubs type the abstract base's manager as returning TicketBase; it returns `model`.
    return cast(T, model.objects.select_for_update().get(pk=pk))


def version_check(ticket: TicketBase, version: int | None) -> None:
    if version is not None and int(version) != ticket.version:
        raise ConflictError(current_version=ticket.version)


def ticket_touch(ticket: TicketBase, *, fields: list[str]) -> None:
    """Save the changed fields and bump the version, in one UPDATE."""
    ticket.version += 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])
