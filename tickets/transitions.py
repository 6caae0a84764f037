"""The one transition engine: the only writer of `status` on every ticket kind (DESIGN.md rule 1).

`transition_run` does what every kind needs — lock the row, the tenancy check, the optimistic version
check (stale → ConflictError, HTTP 409), the kind's workflow table (refused → TransitionNotAllowed
with the allowed actions), stamping times, bumping `version`, the `transition` event in the ticket's
hash chain — and each kind supplies only a `TicketKindSpec`: its model, its workflow table and its
effects (before the status moves: stamp the kind's columns, check, write linked records; after the
event: follow-ups such as linked tickets, search indexes, notifications queued on commit).

Who acts is a user or a `SystemActor`: the sweep ("system"), or someone answering through a signed
single-use link ("signed_link"). A system actor may take only the transitions whose `actors` name
its kind in the workflow table; its `user` (if any) is recorded as the event's actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .audit import event_record
from .choices import EventAction
from .locking import ticket_lock, ticket_touch, version_check
from .models import TicketBase
from .workflow import Transition, Workflow

ACTOR_USER = "user"
ACTOR_SYSTEM = "system"  # the SLA / observation sweep, periodic tasks
ACTOR_SIGNED_LINK = "signed_link"  # a contact answering through an e-mailed single-use link (no login)


@dataclass(frozen=True)
class SystemActor:
    """A non-user actor. `user` is who the event names (the system account, the contact's portal
    user) or None; `name` says who it was when there is no account (the contact's name)."""

    actor_kind: str
    user: Any = None
    name: str = ""

    is_superuser = False
    is_customer = False
    is_staff = False
    is_authenticated = False
    is_active = True
    role = None
    organization_id = None

    @property
    def pk(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def username(self) -> str:
        return str(getattr(self.user, "username", "") or "")

    @property
    def display_name(self) -> str:
        return self.name or str(getattr(self.user, "display_name", "") or "")


def actor_kind(actor: Any) -> str:
    return str(getattr(actor, "actor_kind", ACTOR_USER))


def actor_user(actor: Any) -> Any:
    """The account behind an actor (a user is its own; a system actor's may be None)."""
    return actor.user if isinstance(actor, SystemActor) else actor


def as_json(value: Any) -> Any:
    """A column value as it goes into an event's old → new pair (related rows by id)."""
    return value.pk if hasattr(value, "pk") else value


@dataclass
class TransitionContext:
    """One transition in flight, handed to the kind's effects. Effects stamp columns through
    `stamp` (recorded in the event as old → new), may change `target`, `public`, add to `data`, or
    set `record = False` to save what they stamped without a transition event (e.g. a CAB vote that
    does not decide yet — the vote has its own event)."""

    ticket: Any
    actor: Any
    action: str
    transition: Transition
    payload: dict[str, Any]
    now: datetime
    old_status: str
    target: str | None
    reason: str
    options: dict[str, Any]
    data: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    public: bool = True
    record: bool = True
    skip_unchanged: bool = False

    def stamp(self, name: str, value: Any) -> None:
        old = getattr(self.ticket, name)
        if self.skip_unchanged and old == value:
            return
        setattr(self.ticket, name, value)
        self.changed.append(name)
        self.data.setdefault("changes", {})[name] = [as_json(old), as_json(value)]


def accept_stamp(ctx: TransitionContext) -> None:
    """The shared `accept`: the actor becomes the assignee when nobody is; the first response is stamped."""
    if ctx.ticket.assignee_id is None:
        ctx.stamp("assignee", ctx.actor)
    if ctx.ticket.responded_at is None:
        ctx.stamp("responded_at", ctx.now)


Effect = Callable[[TransitionContext], None]
Prepare = Callable[[Any, Any, str, dict[str, Any]], None]  # (ticket, actor, action, payload) before the check

CUSTOMERS_OWN_ORGANISATION = "own_organisation"  # a customer acts on its organisation's tickets only
CUSTOMERS_NEVER = "never"  # customers never act on this kind (problems)


@dataclass(frozen=True)
class TicketKindSpec:
    """What a kind gives the engine: the model, its table, its effects."""

    model: type[TicketBase]
    workflow: Workflow
    effects: Effect | None = None  # before the status moves (stamps, checks, linked records)
    after: Effect | None = None  # after the event (follow-ups); not run when nothing was recorded
    prepare: Prepare | None = None  # fill payload defaults before the table is checked
    customers: str = CUSTOMERS_OWN_ORGANISATION
    skip_unchanged: bool = False  # stamping a column with its current value records nothing
    url_name: str = ""  # the staff page of one ticket (reversed with its pk), e.g. "changes:detail"


def _tenancy_check(spec: TicketKindSpec, ticket: TicketBase, actor: Any) -> None:
    """The rule of `TicketQuerySet.visible_to` on the locked row: a customer of another organisation
    gets "does not exist" (HTTP 404), never a hint that the ticket is there."""
    if not getattr(actor, "is_customer", False):
        return
    if spec.customers == CUSTOMERS_NEVER:
        raise PermissionDenied
    if ticket.organization_id != actor.organization_id:
        raise spec.model.DoesNotExist


@transaction.atomic
def transition_run(
    *, spec: TicketKindSpec, ticket_id: int, actor: Any, action: str, version: int | None = None,
    payload: dict[str, Any] | None = None, now: datetime, options: dict[str, Any] | None = None,
) -> Any:
    """Lock, tenancy, version, table, effects, status, version bump, event, follow-ups."""
    payload = dict(payload or {})
    ticket: Any = ticket_lock(spec.model, ticket_id)
    _tenancy_check(spec, ticket, actor)
    version_check(ticket, version)
    if spec.prepare is not None:
        spec.prepare(ticket, actor, action, payload)
    transition = spec.workflow.check(ticket, actor, action, payload)
    reason = str(payload.get("reason") or "").strip()
    ctx = TransitionContext(
        ticket=ticket, actor=actor, action=action, transition=transition, payload=payload, now=now,
        old_status=ticket.status, target=transition.target, reason=reason, options=dict(options or {}),
        data={"action": action}, skip_unchanged=spec.skip_unchanged,
    )
    if reason:
        ctx.data["reason"] = reason
    if spec.effects is not None:
        spec.effects(ctx)
    if not ctx.record:
        ticket_touch(ticket, fields=ctx.changed)
        return ticket
    if ctx.target is not None and ctx.target != ctx.old_status:
        ticket.status = ctx.target
        ctx.changed.append("status")
        ctx.data["status"] = [ctx.old_status, ctx.target]
    ticket_touch(ticket, fields=ctx.changed)
    event_record(ticket=ticket, actor=actor_user(actor), action=EventAction.TRANSITION, now=now, data=ctx.data,
                 public=ctx.public)
    if spec.after is not None:
        spec.after(ctx)
    return ticket


# --- a registry, so generic code (the approval step) can move any kind -------------------------

_KINDS: dict[str, TicketKindSpec] = {}


def kind_register(spec: TicketKindSpec) -> TicketKindSpec:
    """Make a kind known by its `KIND` (called where the kind defines its spec)."""
    _KINDS[spec.model.KIND] = spec
    return spec


def kind_spec(kind: str) -> TicketKindSpec:
    if kind not in _KINDS:
        # Kinds register where they define their spec (their services module): load them once.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("services")
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"No transition spec registered for ticket kind {kind!r}") from None


def kind_model(kind: str) -> type[TicketBase]:
    return kind_spec(kind).model
