"""The workflow engine: a ticket type's transition table is data (its `workflow.py`), checked by
its transition service and drawn by the UI, so the buttons shown are exactly the allowed moves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from opsdesk.errors import TransitionNotAllowed

Guard = Callable[[Any, Any], bool]  # (ticket, user) -> may this user take this action on it now?


@dataclass(frozen=True)
class Transition:
    action: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the status stays (the action only stamps a time, e.g. arrival)
    roles: frozenset[str]
    requires: tuple[str, ...] = ()  # payload fields that must be non-empty
    guard: Guard | None = None
    style: str = "secondary"  # how the UI draws the button
    # Non-user actors (tickets.transitions.SystemActor kinds, e.g. "system", "signed_link") that may
    # take this action; users are admitted by `roles`.
    actors: frozenset[str] = frozenset()

    def permits(self, ticket: Any, user: Any) -> bool:
        if ticket.status not in self.sources:
            return False
        kind = getattr(user, "actor_kind", "user")
        if kind != "user":
            if kind not in self.actors:
                return False
        elif not (user.is_superuser or user.role in self.roles):
            return False
        return self.guard is None or self.guard(ticket, user)


@dataclass(frozen=True)
class Workflow:
    transitions: tuple[Transition, ...]
    by_action: dict[str, Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_action", {t.action: t for t in self.transitions})

    @property
    def actions(self) -> list[str]:
        return list(self.by_action)

    def allowed(self, ticket: Any, user: Any) -> list[Transition]:
        return [t for t in self.transitions if t.permits(ticket, user)]

    def check(self, ticket: Any, user: Any, action: str, payload: dict[str, Any]) -> Transition:
        """Return the transition for `action`, or raise with the actions that are allowed."""
        allowed = [t.action for t in self.allowed(ticket, user)]
        transition = self.by_action.get(action)
        if transition is None:
            raise TransitionNotAllowed(
                _("Unknown action “%(action)s”. Allowed now: %(allowed)s.")
                % {"action": action, "allowed": ", ".join(allowed) or _("none")},
                allowed=allowed,
            )
        if not transition.permits(ticket, user):
            raise TransitionNotAllowed(
                _("“%(action)s” is not allowed while the ticket is %(status)s. Allowed now: %(allowed)s.")
                % {"action": action, "status": ticket.get_status_display(), "allowed": ", ".join(allowed) or _("none")},
                allowed=allowed,
            )
        missing = [name for name in transition.requires if not str(payload.get(name) or "").strip()]
        if missing:
            from django.core.exceptions import ValidationError

            raise ValidationError({name: [_("This field is required for “%(action)s”.") % {"action": action}] for name in missing})
        return transition


def sources(*statuses: Iterable[str] | str) -> frozenset[str]:
    out: set[str] = set()
    for s in statuses:
        out.update([s] if isinstance(s, str) else s)
    return frozenset(out)
