"""Every write to a problem. `problem_transition` is the only writer of `status`.

The search vector is refreshed by these services (never by save()): `_search_refresh` after any
write that changes number, title, description, root cause or workaround."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from accounts.models import Organization, SupportGroup
from cmdb.models import CI
from incidents.choices import CauseCategory
from incidents.models import Incident
from tickets.audit import event_record, ticket_insert_created
from tickets.choices import EventAction
from tickets.models import TicketEvent
from tickets.numbering import next_number_and_id
from tickets.services import ticket_lock, ticket_touch, version_check
from tickets.transitions import CUSTOMERS_NEVER, TicketKindSpec, TransitionContext, kind_register, transition_run

from .choices import OPEN_PROBLEM_STATUSES, ProblemPriority, ProblemStatus
from .models import Problem, ProblemIncident
from .search import TSVectorField, vector_literal
from .workflow import PROBLEM_OPEN, PROBLEM_WORK, PROBLEM_WORKFLOW

MAX_LINK_BATCH = 100


def _as_json(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def _require_staff(actor: Any, roles: frozenset[str] = PROBLEM_OPEN) -> None:
    if actor.is_customer or not (actor.is_superuser or actor.role in roles):
        raise PermissionDenied


def _search_refresh(problem: Problem) -> None:
    """Store the problem's search vector: number and title weigh most (A), then workaround and root
    cause (B), then the description (C). PostgreSQL only; SQLite searches the fields directly."""
    if connection.vendor != "postgresql":
        return
    literal = vector_literal([
        ("A", problem.number), ("A", problem.title), ("B", problem.workaround), ("B", problem.root_cause),
        ("C", problem.description),
    ])
    Problem.objects.filter(pk=problem.pk).update(search_vector=Cast(Value(literal), output_field=TSVectorField()))


def _validate_fields(*, organization: Organization, title: str, ci: CI | None, priority: str,
                     cause_category: str, group: SupportGroup | None, assignee: Any) -> None:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the problem a short title.")]
    if ci is not None and ci.organization_id != organization.pk:
        errors["ci"] = [_("This device belongs to another organisation.")]
    if priority not in ProblemPriority.values:
        errors["priority"] = [_("Choose a priority.")]
    if cause_category and cause_category not in CauseCategory.values:
        errors["cause_category"] = [_("Choose a cause category.")]
    if group is not None and not group.is_active:
        errors["group"] = [_("No active support group with this id.")]
    if assignee is not None and (assignee.is_customer or not assignee.is_active):
        errors["assignee"] = [_("Problems are assigned to active staff, not customers.")]
    if errors:
        raise ValidationError(errors)


def _incidents_for_link(*, problem: Problem, incident_ids: Iterable[Any]) -> list[Incident]:
    """The incidents to link, validated: they exist and belong to the problem's organisation."""
    ids: list[int] = []
    for raw in incident_ids:
        if isinstance(raw, Incident):
            raw = raw.pk
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"incidents": [_("Give incident ids.")]}) from None
        if not 0 < value < 2**63:
            raise ValidationError({"incidents": [_("Give incident ids.")]})
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_LINK_BATCH:
        raise ValidationError({"incidents": [_("Link at most %(max)s incidents at once.") % {"max": MAX_LINK_BATCH}]})
    found = {i.pk: i for i in Incident.objects.filter(pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise ValidationError({"incidents": [_("No incident with id %(ids)s.") % {"ids": ", ".join(missing)}]})
    foreign = [found[pk].number for pk in ids if found[pk].organization_id != problem.organization_id]
    if foreign:
        raise ValidationError({"incidents": [
            _("%(numbers)s belong(s) to another organisation than the problem.") % {"numbers": ", ".join(foreign)}
        ]})
    return [found[pk] for pk in sorted(ids)]


def _link(*, problem: Problem, incidents: list[Incident], actor: Any, now: datetime) -> list[Incident]:
    """Link the incidents not yet linked; events on both chains. The caller holds the problem lock."""
    active = set(ProblemIncident.objects.filter(problem=problem, unlinked_at__isnull=True)
                 .values_list("incident_id", flat=True))
    added: list[Incident] = []
    for incident in incidents:  # sorted by pk: a fixed lock order
        if incident.pk in active:
            continue
        locked = ticket_lock(Incident, incident.pk)
        ProblemIncident.objects.create(problem=problem, incident=locked, linked_by=actor, linked_at=now)
        event_record(ticket=problem, actor=actor, action=EventAction.LINKED, now=now,
                     data={"incident": locked.pk, "number": locked.number})
        event_record(ticket=locked, actor=actor, action=EventAction.LINKED, now=now,
                     data={"problem": problem.pk, "number": problem.number})
        added.append(locked)
    return added


@transaction.atomic
def problem_create(
    *, actor: Any, organization: Organization, title: str, description: str = "",
    priority: str = ProblemPriority.MEDIUM, ci: CI | None = None, cause_category: str = "", root_cause: str = "",
    workaround: str = "", assignee: Any = None, group: SupportGroup | None = None,
    incident_ids: Iterable[Any] = (), now: datetime,
) -> Problem:
    """Open a problem, directly or from incidents (linked at once, same organisation)."""
    _require_staff(actor)
    _validate_fields(organization=organization, title=title, ci=ci, priority=priority,
                     cause_category=cause_category, group=group, assignee=assignee)
    problem = Problem(
        title=title.strip(), description=(description or "").strip(),
        organization=organization, ci=ci, priority=priority, cause_category=cause_category or "",
        root_cause=(root_cause or "").strip(), workaround=(workaround or "").strip(), assignee=assignee, group=group,
        reported_at=now, created_by=actor,
        status=ProblemStatus.NEW,
    )
    incidents = _incidents_for_link(problem=problem, incident_ids=incident_ids)
    problem.number, problem.pk = next_number_and_id(Problem.NUMBER_PREFIX, Problem)
    ticket_insert_created(ticket=problem, actor=actor, now=now, public=True, data={
        "number": problem.number, "title": problem.title, "organization": organization.pk,
        "priority": priority, "ci": ci.pk if ci else None, "cause_category": problem.cause_category,
    })
    _link(problem=problem, incidents=incidents, actor=actor, now=now)
    _search_refresh(problem)
    return problem


UPDATABLE_FIELDS = ("title", "description", "priority", "ci", "cause_category", "root_cause", "workaround",
                    "assignee", "group")
SEARCHED_FIELDS = {"title", "description", "root_cause", "workaround"}


@transaction.atomic
def problem_update(*, problem_id: int, actor: Any, version: int | None, changes: dict[str, Any],
                   now: datetime) -> Problem:
    """Edit descriptive fields (root cause and workaround included) with optimistic concurrency."""
    _require_staff(actor, PROBLEM_WORK)
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    problem = ticket_lock(Problem, problem_id)
    version_check(problem, version)
    if problem.status in (ProblemStatus.CLOSED, ProblemStatus.CANCELLED):
        raise ValidationError({"status": [_("A closed or cancelled problem cannot be edited.")]})
    diff: dict[str, list[Any]] = {}
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "cause_category" and value is None:
            value = ""
        old = getattr(problem, name)
        if _as_json(old) != _as_json(value):
            diff[name] = [_as_json(old), _as_json(value)]
            setattr(problem, name, value)
    if not diff:
        return problem
    _validate_fields(organization=problem.organization, title=problem.title, ci=problem.ci,
                     priority=problem.priority, cause_category=problem.cause_category, group=problem.group,
                     assignee=problem.assignee)
    if problem.known_error and not (problem.root_cause and problem.workaround):
        raise ValidationError({name: [_("A known error keeps its root cause and workaround.")]
                               for name in ("root_cause", "workaround") if not getattr(problem, name)})
    ticket_touch(problem, fields=[f for f in UPDATABLE_FIELDS if f in diff])
    event_record(ticket=problem, actor=actor, action=EventAction.UPDATED, now=now, data={"changes": diff})
    if SEARCHED_FIELDS & set(diff):
        _search_refresh(problem)
    return problem


def _problem_prepare(problem: Any, actor: Any, action: str, payload: dict[str, Any]) -> None:
    if action == "known_error":  # the root cause and workaround may already be on the problem
        for name in ("root_cause", "workaround"):
            if not str(payload.get(name) or "").strip():
                payload[name] = getattr(problem, name)


def _problem_effects(ctx: TransitionContext) -> None:
    """What each action stamps on a problem."""
    problem, action, payload, now, stamp = ctx.ticket, ctx.action, ctx.payload, ctx.now, ctx.stamp
    if action == "investigate":
        if problem.responded_at is None:
            stamp("responded_at", now)
    elif action == "known_error":
        stamp("root_cause", str(payload["root_cause"]).strip())
        stamp("workaround", str(payload["workaround"]).strip())
        stamp("known_error", True)
        if problem.known_error_at is None:
            stamp("known_error_at", now)
        if problem.responded_at is None:
            stamp("responded_at", now)
        ctx.data["known_error_id"] = problem.known_error_id
    elif action == "resolve":
        stamp("resolution", str(payload["resolution"]).strip())
        stamp("resolved_at", now)
    elif action == "fix":
        change_number = str(payload["change_number"]).strip()[:20]
        stamp("fix_change_number", change_number)
        stamp("fixed_at", now)
        stamp("resolved_at", now)
        if not problem.resolution:
            stamp("resolution", _("Fixed by change %(number)s.") % {"number": change_number})
    elif action == "close":
        stamp("closed_at", now)
    elif action == "reopen":
        stamp("resolved_at", None)
        stamp("fixed_at", None)
    elif action == "cancel":
        stamp("cancel_reason", ctx.reason)
        stamp("closed_at", now)


def _problem_after(ctx: TransitionContext) -> None:
    if {"root_cause", "workaround"} & set(ctx.changed):
        _search_refresh(ctx.ticket)


PROBLEM_KIND = kind_register(TicketKindSpec(
    model=Problem, workflow=PROBLEM_WORKFLOW, effects=_problem_effects, after=_problem_after,
    prepare=_problem_prepare, customers=CUSTOMERS_NEVER, skip_unchanged=True,
))


@transaction.atomic
def problem_transition(*, problem_id: int, actor: Any, action: str, version: int | None = None,
                       payload: dict[str, Any] | None = None, now: datetime) -> Problem:
    """Move a problem through its table (the transition engine writes the status)."""
    problem: Problem = transition_run(spec=PROBLEM_KIND, ticket_id=problem_id, actor=actor, action=action,
                                      version=version, payload=payload, now=now)
    return problem


@transaction.atomic
def problem_link_incidents(*, problem_id: int, actor: Any, incident_ids: Iterable[Any], version: int | None = None,
                           now: datetime) -> Problem:
    """Link more incidents (same organisation). Already linked ones are skipped; linking bumps the
    problem's version when anything was added."""
    _require_staff(actor)
    problem = ticket_lock(Problem, problem_id)
    version_check(problem, version)
    if problem.status in (ProblemStatus.CLOSED, ProblemStatus.CANCELLED):
        raise ValidationError({"incidents": [_("A closed or cancelled problem takes no more incidents.")]})
    incidents = _incidents_for_link(problem=problem, incident_ids=incident_ids)
    if not incidents:
        raise ValidationError({"incidents": [_("Choose at least one incident.")]})
    if _link(problem=problem, incidents=incidents, actor=actor, now=now):
        ticket_touch(problem, fields=[])
    return problem


@transaction.atomic
def problem_unlink_incident(*, problem_id: int, actor: Any, incident_id: Any, version: int | None = None,
                            now: datetime) -> Problem:
    """Unlink one incident: the link row is stamped (kept), events on both chains."""
    _require_staff(actor)
    problem = ticket_lock(Problem, problem_id)
    version_check(problem, version)
    try:
        pk = int(incident_id)
    except (TypeError, ValueError):
        raise ValidationError({"incident": [_("Give an incident id.")]}) from None
    link = (ProblemIncident.objects.select_for_update()
            .filter(problem=problem, incident_id=pk, unlinked_at__isnull=True).first()
            if 0 < pk < 2**63 else None)
    if link is None:
        raise ValidationError({"incident": [_("This incident is not linked to the problem.")]})
    incident = ticket_lock(Incident, pk)
    link.unlinked_at, link.unlinked_by = now, actor
    link.save(update_fields=["unlinked_at", "unlinked_by"])
    event_record(ticket=problem, actor=actor, action=EventAction.UNLINKED, now=now,
                 data={"incident": incident.pk, "number": incident.number})
    event_record(ticket=incident, actor=actor, action=EventAction.UNLINKED, now=now,
                 data={"problem": problem.pk, "number": problem.number})
    ticket_touch(problem, fields=[])
    return problem


@transaction.atomic
def problem_fix_by_change(*, problem: Problem, change_number: str, actor: Any, now: datetime) -> Problem:
    """A change that fixes the problem was closed successfully (called by the changes app).

    An open problem (new / investigating / known error) goes to resolved through the workflow's `fix`
    transition, with the change number recorded; closing stays a person's decision once the fix has
    held. Safe to call twice: a problem already fixed by this change is returned unchanged. A problem
    already resolved, closed or cancelled otherwise keeps its status; the change is recorded on its
    history once (and as the fixing change if none was recorded)."""
    change_number = (change_number or "").strip()[:20]
    if not change_number:
        raise ValidationError({"change_number": [_("Give the change number.")]})
    locked = ticket_lock(Problem, problem.pk)
    if locked.fix_change_number == change_number:
        return locked
    if locked.status in OPEN_PROBLEM_STATUSES:
        return problem_transition(problem_id=locked.pk, actor=actor, action="fix",
                                  payload={"change_number": change_number}, now=now)
    already = TicketEvent.objects.filter(ticket_kind=Problem.KIND, ticket_id=locked.pk, action=EventAction.LINKED,
                                         data__change=change_number).exists()
    if already:
        return locked
    data: dict[str, Any] = {"change": change_number, "fixed": True}
    if not locked.fix_change_number and locked.status != ProblemStatus.CANCELLED:
        data["changes"] = {"fix_change_number": ["", change_number]}
        locked.fix_change_number = change_number
        locked.fixed_at = locked.fixed_at or now
        ticket_touch(locked, fields=["fix_change_number", "fixed_at"])
    event_record(ticket=locked, actor=actor, action=EventAction.LINKED, now=now, data=data)
    return locked
