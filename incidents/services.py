"""Every write to an incident. `incident_transition` is the only writer of `status`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import Contact, Organization, SupportGroup
from cmdb.models import CI
from duty.services import duty_pick_assignee
from opsdesk.bulk import BulkOutcome
from opsdesk.errors import ConflictError
from opsdesk.statements import prepared
from tickets.audit import event_record, ticket_insert_created
from tickets.choices import Channel, EventAction
from tickets.numbering import next_number_and_id
from tickets.services import ticket_lock, ticket_touch, version_check
from tickets.sla.calendar import BusinessCalendar
from tickets.transitions import TicketKindSpec, TransitionContext, accept_stamp, kind_register, transition_run

from . import sla
from .choices import OPEN_STATUSES, CauseCategory, FaultLevel, Impact, IncidentStatus, Urgency, suggest_level
from .models import Incident
from .workflow import INCIDENT_WORKFLOW

User = get_user_model()
OBSERVATION_PERIOD = timedelta(days=7)
DEADLINE_FIELDS = ("respond_due", "onsite_due", "restore_due", "resolve_due")


def sla_calendar() -> BusinessCalendar:
    """The calendar of the code defaults (no holidays): what `seed_bulk` lays out for bulk data.
    Live incidents use their organisation's policy and calendar (incidents/sla/)."""
    return BusinessCalendar()


def _validate_level(*, impact: str, urgency: str, fault_level: str | None, level_reason: str) -> str:
    errors: dict[str, list[str]] = {}
    if impact not in Impact.values:
        errors["impact"] = [_("Choose an impact.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency.")]
    if errors:
        raise ValidationError(errors)
    suggested = suggest_level(impact, urgency)
    level = fault_level or suggested
    if level not in FaultLevel.values:
        raise ValidationError({"fault_level": [_("Choose a fault level I, II, III or IV.")]})
    if level != suggested and not level_reason.strip():
        raise ValidationError({"level_reason": [
            _("Level %(level)s differs from the suggested level %(suggested)s: give a reason.")
            % {"level": level, "suggested": suggested}
        ]})
    return level


@transaction.atomic
def incident_create(
    *, actor: Any, organization: Organization, title: str, description: str = "", impact: str = Impact.LOW,
    urgency: str = Urgency.LOW, fault_level: str | None = None, level_reason: str = "",
    contact: Contact | None = None, ci: CI | None = None, channel: str = Channel.PHONE,
    reported_at: datetime | None = None, now: datetime,
) -> Incident:
    if actor.is_customer and organization.pk != actor.organization_id:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the incident a short title.")]
    if contact is not None and contact.organization_id != organization.pk:
        errors["contact"] = [_("This contact belongs to another organisation.")]
    if ci is not None and ci.organization_id != organization.pk:
        errors["ci"] = [_("This device belongs to another organisation.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    reported_at = reported_at or now
    if reported_at > now + timedelta(minutes=5):
        errors["reported_at"] = [_("The report time cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    level = _validate_level(impact=impact, urgency=urgency, fault_level=fault_level, level_reason=level_reason)
    number, pk = next_number_and_id(Incident.NUMBER_PREFIX, Incident)
    incident = Incident(
        pk=pk, number=number, title=title.strip(), description=description.strip(),
        organization=organization, contact=contact, ci=ci, channel=channel, impact=impact, urgency=urgency,
        fault_level=level, level_reason=level_reason.strip(), reported_at=reported_at, created_by=actor,
        status=IncidentStatus.NEW,
    )
    plan = sla.incident_sla_prepare(incident=incident, now=now)
    # The same three INSERTs on every create: prepared per connection (bound on the server, parsed once).
    with prepared(connection):
        ticket_insert_created(ticket=incident, actor=actor, now=now, public=True, data={
            "number": incident.number, "title": incident.title, "fault_level": level,
            "suggested_level": suggest_level(impact, urgency), "level_reason": incident.level_reason,
            "channel": channel, "organization": organization.pk, "contact": contact.pk if contact else None,
            "ci": ci.pk if ci else None, "reported_at": reported_at,
        })
        sla.incident_sla_start(incident=incident, prepared=plan, actor=actor, now=now)
    return incident


UPDATABLE_FIELDS = ("title", "description", "contact", "ci", "impact", "urgency", "fault_level", "level_reason")


def _as_json(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


@transaction.atomic
def incident_update(*, incident_id: int, actor: Any, version: int | None, changes: dict[str, Any],
                    now: datetime) -> Incident:
    """Edit descriptive fields; a fault-level change recomputes deadlines and needs a reason."""
    if actor.is_customer:
        raise PermissionDenied
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    incident = ticket_lock(Incident, incident_id)
    version_check(incident, version)
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise ValidationError({"status": [_("A closed or cancelled incident cannot be edited.")]})
    diff: dict[str, list[Any]] = {}
    for name, value in changes.items():
        old = getattr(incident, name)
        if _as_json(old) != _as_json(value):
            diff[name] = [_as_json(old), _as_json(value)]
            setattr(incident, name, value)
    if not diff:
        return incident
    if "title" in diff and not incident.title.strip():
        raise ValidationError({"title": [_("Give the incident a short title.")]})
    if incident.contact is not None and incident.contact.organization_id != incident.organization_id:
        raise ValidationError({"contact": [_("This contact belongs to another organisation.")]})
    if incident.ci is not None and incident.ci.organization_id != incident.organization_id:
        raise ValidationError({"ci": [_("This device belongs to another organisation.")]})
    if {"fault_level", "impact", "urgency"} & set(diff):
        reason = changes.get("level_reason", "") if "level_reason" in diff else ""
        if "fault_level" in diff and not str(reason).strip():
            suggested = suggest_level(incident.impact, incident.urgency)
            if incident.fault_level != suggested:
                raise ValidationError({"level_reason": [_("Say why the fault level changes.")]})
        incident.fault_level = _validate_level(
            impact=incident.impact, urgency=incident.urgency, fault_level=incident.fault_level,
            level_reason=incident.level_reason,
        )
    silent: list[str] = []
    if "fault_level" in diff:
        before = {name: getattr(incident, name) for name in DEADLINE_FIELDS}
        silent = sla.incident_sla_level_changed(incident=incident, old_level=diff["fault_level"][0], now=now)
        diff.update({name: [before[name], getattr(incident, name)] for name in DEADLINE_FIELDS
                     if before[name] != getattr(incident, name)})
    ticket_touch(incident, fields=[f for f in UPDATABLE_FIELDS if f in diff] + [
        f for f in DEADLINE_FIELDS if f in diff] + silent)
    event_record(ticket=incident, actor=actor, action=EventAction.UPDATED, now=now, data={"changes": diff})
    if "fault_level" in diff:
        sla.incident_sla_after_update(incident=incident, old_level=diff["fault_level"][0], actor=actor, now=now)
    return incident


def _pk_or_none(value: Any) -> int | None:
    """An id from untrusted input (API JSON, form data), or None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _resolve_assignment(payload: dict[str, Any]) -> tuple[Any, SupportGroup | None]:
    assignee: Any = payload.get("assignee")
    group: Any = payload.get("group")
    if assignee not in (None, "") and not isinstance(assignee, User):
        pk = _pk_or_none(assignee)
        assignee = User.objects.filter(pk=pk, is_active=True).exclude(role="customer").first() if pk else None
        if assignee is None:
            raise ValidationError({"assignee": [_("No active staff member with this id.")]})
    if group not in (None, "") and not isinstance(group, SupportGroup):
        pk = _pk_or_none(group)
        group = SupportGroup.objects.filter(pk=pk, is_active=True).first() if pk else None
        if group is None:
            raise ValidationError({"group": [_("No active support group with this id.")]})
    if not assignee and not group:
        raise ValidationError({"assignee": [_("Choose an engineer, a support group, or both.")]})
    if assignee and assignee.role == "customer":
        raise ValidationError({"assignee": [_("Incidents are assigned to staff, not customers.")]})
    return assignee or None, group or None


def _open_loads(group: SupportGroup) -> dict[int, int]:
    """Open incidents per member of `group` (least-loaded auto-assignment)."""
    rows = (Incident.objects.filter(assignee__support_groups=group, status__in=OPEN_STATUSES)
            .values("assignee_id").annotate(n=Count("pk")))
    return {r["assignee_id"]: r["n"] for r in rows}


def _incident_effects(ctx: TransitionContext) -> None:
    """What each action stamps on an incident, then the SLA clocks (incidents/sla.py)."""
    incident, action, payload, now, stamp = ctx.ticket, ctx.action, ctx.payload, ctx.now, ctx.stamp
    if action == "assign":
        assignee, group = _resolve_assignment(payload)
        if group is None and assignee is not None:
            group = incident.group if incident.group and assignee.support_groups.filter(pk=incident.group_id).exists() else None
        if assignee is None and group is not None:
            # The group's auto-assignment option picks among those on duty now (duty roster).
            assignee = duty_pick_assignee(group=group, at=now, ci_class_id=incident.ci.ci_class_id if incident.ci_id
                                          and incident.ci else None, loads=_open_loads(group))
        stamp("assignee", assignee)
        stamp("group", group)
    elif action == "accept":
        accept_stamp(ctx)
    elif action == "arrive":
        stamp("onsite_at", now)
        if incident.responded_at is None:
            stamp("responded_at", now)
    elif action == "pend":
        stamp("sla_paused_at", now)
    elif action == "restore":
        stamp("restored_at", now)
        stamp("workaround", str(payload["workaround"]).strip())
    elif action == "resolve":
        if payload["cause_category"] not in CauseCategory.values:
            raise ValidationError({"cause_category": [_("Choose a cause category.")]})
        stamp("cause_category", payload["cause_category"])
        stamp("resolution", str(payload["resolution"]).strip())
        if incident.restored_at is None:
            stamp("restored_at", now)
        if payload.get("workaround") and not incident.workaround:
            stamp("workaround", str(payload["workaround"]).strip())
        stamp("resolved_at", now)
    elif action == "observe":
        stamp("observation_until", now + sla.observation_period(incident=incident, now=now))
    elif action == "close":
        stamp("closed_at", now)
    elif action == "reopen":
        stamp("reopen_count", incident.reopen_count + 1)
        stamp("resolved_at", None)
        stamp("observation_until", None)
    elif action == "cancel":
        stamp("cancel_reason", ctx.reason)
        stamp("closed_at", now)
    # Columns the SLA moves without recording them in the event (`sla_next_due`).
    ctx.changed.extend(sla.incident_sla_transition(incident=incident, action=action, now=now, stamp=stamp))


INCIDENT_KIND = kind_register(TicketKindSpec(model=Incident, workflow=INCIDENT_WORKFLOW, effects=_incident_effects))


@transaction.atomic
def incident_transition(*, incident_id: int, actor: Any, action: str, version: int | None = None,
                        payload: dict[str, Any] | None = None, now: datetime) -> Incident:
    """Move an incident through its table (the transition engine writes the status)."""
    incident: Incident = transition_run(spec=INCIDENT_KIND, ticket_id=incident_id, actor=actor, action=action,
                                        version=version, payload=payload, now=now)
    return incident


# --- bulk actions ------------------------------------------------------------------------------


def _bulk_each(*, actor: Any, ids: list[int], apply: Any) -> list[BulkOutcome]:
    """Run `apply(incident)` for each visible incident in its own transaction; a refusal (workflow,
    permission, bad input, stale record) is recorded with its reason and the next item goes on."""
    visible = {inc.pk: inc for inc in Incident.objects.visible_to(actor).filter(pk__in=ids).only("pk", "number", "title")}
    outcomes: list[BulkOutcome] = []
    for pk in ids:
        incident = visible.get(pk)
        if incident is None:
            outcomes.append(BulkOutcome(pk=pk, label=f"#{pk}", done=False, reason=str(_("Not found."))))
            continue
        label = f"{incident.number} {incident.title}"
        try:
            apply(incident)
        except ConflictError as exc:
            outcomes.append(BulkOutcome(pk=pk, label=label, done=False, reason=exc.message))
        except ValidationError as exc:  # TransitionNotAllowed included: the workflow's own reason
            outcomes.append(BulkOutcome(pk=pk, label=label, done=False, reason=" ".join(exc.messages)))
        except PermissionDenied:
            outcomes.append(BulkOutcome(pk=pk, label=label, done=False,
                                        reason=str(_("You may not do this to this incident."))))
        else:
            outcomes.append(BulkOutcome(pk=pk, label=label, done=True))
    return outcomes


def incident_bulk_assign(*, actor: Any, ids: list[int], assignee: Any, group: Any, now: datetime) -> list[BulkOutcome]:
    """Assign each chosen incident through the transition engine ("assign"), one by one."""
    payload = {"assignee": assignee, "group": group}
    return _bulk_each(actor=actor, ids=ids, apply=lambda inc: incident_transition(
        incident_id=inc.pk, actor=actor, action="assign", payload=dict(payload), now=now))


def incident_bulk_comment(*, actor: Any, ids: list[int], body: str, public: bool, now: datetime) -> list[BulkOutcome]:
    """Add the same comment (or internal note) to each chosen incident through the timeline service."""
    from tickets.services import ticket_comment_add

    return _bulk_each(actor=actor, ids=ids, apply=lambda inc: ticket_comment_add(
        ticket=inc, author=actor, body=body, public=public, now=now))
