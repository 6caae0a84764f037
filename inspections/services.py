"""Every write of the inspections app: round generation (the beat sweep, idempotent per plan and
period), the round's transitions on the kernel's engine, answers (idempotent by the phone's UUID;
a finding opens or links an incident on the CI), store counts (the difference posted as a spares
movement waiting for approval) and the overdue escalation."""

from __future__ import annotations

import logging
import random
import uuid as uuid_lib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cmdb.choices import CIStatus
from cmdb.models import CI
from incidents.choices import OPEN_STATUSES, Impact, Urgency
from incidents.models import Incident
from incidents.services import incident_create
from notifications.choices import NotificationEvent
from notifications.messages import msg, when
from notifications.services import notification_emit
from opsdesk.errors import ConflictError
from spares.choices import MovementKind
from spares.models import SparePart, Stock
from spares.services import movement_request
from tickets.audit import event_record, ticket_insert_created
from tickets.choices import Channel, EventAction
from tickets.locking import ticket_lock
from tickets.numbering import next_number_and_id
from tickets.services import ticket_attachment_add, ticket_comment_add
from tickets.sla_config import PolicyMemo
from tickets.transitions import SystemActor, TicketKindSpec, TransitionContext, kind_register, transition_run

from .choices import ItemKind, RoundStatus, TemplateScope
from .models import (
    Answer,
    ChecklistItem,
    ChecklistTemplate,
    InspectionPlan,
    InspectionRound,
    RoundTarget,
    SetupChange,
    StoreCount,
)
from .recurrence import Rule, due_day, occurrences, period_of
from .workflow import PLAN_MANAGE, ROUND_WORK, ROUND_WORKFLOW, TEMPLATE_MANAGE

log = logging.getLogger(__name__)

GENERATE_AHEAD = timedelta(days=7)  # rounds appear a week before their scheduled day
MAX_TEXT = 4000
MAX_PHOTO_BYTES = 15 * 1024 * 1024
SYSTEM = SystemActor(actor_kind="system")


def _may_work(actor: Any) -> None:
    """Only the roles that do rounds record answers and counts (others: PermissionDenied)."""
    if getattr(actor, "is_customer", True) or not (actor.is_superuser or actor.role in ROUND_WORK):
        raise PermissionDenied


# --- round transitions (the kernel's engine) ----------------------------------------------------

def _missing_answers(ticket: InspectionRound) -> int:
    if ticket.plan.template.scope == TemplateScope.STORE:
        return 0 if ticket.store_counts.exists() else 1
    items = ChecklistItem.objects.filter(template_id=ticket.plan.template_id, is_active=True).count()
    targets = ticket.targets.count()
    answered = Answer.objects.filter(round_id=ticket.pk, current=True, item__is_active=True).count()
    return max(0, items * targets - answered)


def _effects(ctx: TransitionContext) -> None:
    ticket, now = ctx.ticket, ctx.now
    if ctx.action == "start":
        ctx.stamp("started_at", now)
        if ticket.assignee_id is None and getattr(ctx.actor, "is_authenticated", False):
            ctx.stamp("assignee", ctx.actor)
    elif ctx.action == "complete":
        missing = _missing_answers(ticket)
        if missing and not ctx.payload.get("force"):
            raise ValidationError({"answers": [
                _("%(n)s answers are still missing; answer every item on every CI first.") % {"n": missing}]})
        ctx.stamp("completed_at", now)
        ctx.stamp("resolved_at", now)
        ctx.stamp("closed_at", now)
    elif ctx.action == "cancel":
        ctx.stamp("cancel_reason", ctx.reason)
        ctx.stamp("closed_at", now)


ROUND_KIND = kind_register(TicketKindSpec(model=InspectionRound, workflow=ROUND_WORKFLOW, effects=_effects))


def round_transition(*, round_id: int, actor: Any, action: str, version: int | None = None,
                     payload: dict[str, Any] | None = None, now: datetime) -> InspectionRound:
    ticket: InspectionRound = transition_run(spec=ROUND_KIND, ticket_id=round_id, actor=actor, action=action,
                                             version=version, payload=payload, now=now)
    return ticket


# --- plans: which CIs ----------------------------------------------------------------------------

def plan_ci_queryset(plan: InspectionPlan) -> QuerySet[CI]:
    """The CIs a plan covers now: its explicit list, else its organisation's CIs in use filtered by
    class, site and location (retired CIs are never inspected)."""
    explicit = list(plan.cis.values_list("pk", flat=True)) if plan.pk else []
    qs = CI.objects.filter(organization_id=plan.organization_id).exclude(status=CIStatus.RETIRED)
    if explicit:
        return qs.filter(pk__in=explicit)
    if plan.ci_class_id:
        qs = qs.filter(ci_class_id=plan.ci_class_id)
    if plan.site:
        qs = qs.filter(site=plan.site)
    if plan.location:
        qs = qs.filter(location__icontains=plan.location)
    return qs


def plan_ci_ids(plan: InspectionPlan, *, period_start: date, covered: list[int] | None = None) -> list[int]:
    """The CIs of the plan's round for the period (`covered`: the plan's CIs, when the caller has them)."""
    ids = covered if covered is not None else list(plan_ci_queryset(plan).order_by("pk").values_list("pk", flat=True))
    if plan.sample_size and plan.sample_size < len(ids):
        # A spot check's sample: random, but the same for the same plan and period (re-runnable).
        ids = sorted(random.Random(f"{plan.pk}:{period_start.isoformat()}").sample(ids, plan.sample_size))
    return ids


def plan_rule(plan: InspectionPlan) -> Rule:
    return Rule(frequency=plan.frequency, day_rule=plan.day_rule, nth=plan.nth, weekday=plan.weekday)


def plan_clean(plan: InspectionPlan) -> None:
    errors: dict[str, list[str]] = {}
    scope = plan.template.scope if plan.template_id else TemplateScope.CI
    if scope == TemplateScope.STORE and plan.storeroom_id is None:
        errors["storeroom"] = [_("A store check names the storeroom it counts.")]
    if scope == TemplateScope.CI and plan.storeroom_id is not None:
        errors["storeroom"] = [_("Only a store check names a storeroom.")]
    if plan.storeroom is not None and plan.storeroom.organization_id not in (None, plan.organization_id):
        errors["storeroom"] = [_("The storeroom belongs to another organisation.")]
    if plan.sample_size == 0:
        errors["sample_size"] = [_("A sample has at least one CI; leave it empty to inspect every CI.")]
    if plan.ends_on and plan.ends_on < plan.starts_on:
        errors["ends_on"] = [_("The plan cannot end before it starts.")]
    if plan.group is not None and plan.assignee_id is not None and not plan.group.members.filter(
            pk=plan.assignee_id).exists():
        errors["assignee"] = [_("The engineer is not a member of the responsible group.")]
    if errors:
        raise ValidationError(errors)


# --- generation (beat) ---------------------------------------------------------------------------

@dataclass
class GenerateSummary:
    created: int = 0
    existing: int = 0
    failed: int = 0
    round_ids: list[int] = field(default_factory=list)


def _local_midnight_after(day: date, tz: Any) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def _round_create(*, plan: InspectionPlan, period_start: date, period_end: date, scheduled_for: date,
                  due: datetime, now: datetime, covered: Callable[[], list[int]]) -> InspectionRound | None:
    """One round and its CIs, or None when the plan already has this period's round. The plan's row
    lock serialises two sweeps; the unique constraint is the last word."""
    with transaction.atomic():
        InspectionPlan.objects.select_for_update().filter(pk=plan.pk).first()
        if InspectionRound.objects.filter(plan_id=plan.pk, period_start=period_start).exists():
            return None
        template = plan.template
        title = f"{template.name} · {plan.name} · {period_start:%Y-%m-%d}"
        ci_ids = (plan_ci_ids(plan, period_start=period_start, covered=covered())
                  if template.scope == TemplateScope.CI else [])
        number, pk = next_number_and_id(InspectionRound.NUMBER_PREFIX, InspectionRound)
        ticket = InspectionRound(
            pk=pk, number=number, title=title[:200],
            organization_id=plan.organization_id, group_id=plan.group_id, assignee_id=plan.assignee_id,
            channel=Channel.INSPECTION, reported_at=now, plan=plan, status=RoundStatus.SCHEDULED,
            period_start=period_start, period_end=period_end, scheduled_for=scheduled_for, due_at=due,
        )
        try:
            with transaction.atomic():  # a savepoint: the round and its event, or neither
                ticket_insert_created(ticket=ticket, actor=None, now=now, public=True, data={
                    "number": ticket.number, "title": ticket.title, "plan": plan.pk, "period_start": period_start,
                    "scheduled_for": scheduled_for, "due_at": due, "cis": len(ci_ids)})
        except IntegrityError:
            return None
        RoundTarget.objects.bulk_create(
            [RoundTarget(round=ticket, ci_id=ci_id, position=i) for i, ci_id in enumerate(ci_ids)],
            batch_size=5000)
        return ticket


def rounds_generate(*, now: datetime, plan_ids: list[int] | None = None, until: date | None = None) -> GenerateSummary:
    """Create every active plan's rounds from its current period up to `until` (default: a week
    ahead). Idempotent: run it as often as you like, from as many beats as you like. One plan that
    fails is logged and skipped; the others still get their rounds."""
    summary = GenerateSummary()
    memo = PolicyMemo(now=now)
    active = InspectionPlan.objects.filter(is_active=True).select_related("template")
    if plan_ids is not None:
        active = active.filter(pk__in=plan_ids)
    plans = list(active.order_by("pk"))
    # What exists already is read once (the common case for every beat after the first); a round
    # not in this set is still created under the plan's lock and the unique constraint.
    known = set(InspectionRound.objects.filter(plan_id__in=[p.pk for p in plans], period_start__gte=(
        now - timedelta(days=200)).date()).values_list("plan_id", "period_start"))
    for plan in plans:
        try:
            cache: dict[str, list[int]] = {}

            def covered(plan: InspectionPlan = plan, cache: dict[str, list[int]] = cache) -> list[int]:
                if "ids" not in cache:  # the plan's CIs, read once per run (a weekly plan has 4–5 rounds a month)
                    cache["ids"] = list(plan_ci_queryset(plan).order_by("pk").values_list("pk", flat=True))
                return list(cache["ids"])

            calendar = memo.get(plan.organization_id).calendar
            today = now.astimezone(calendar.tz).date()
            last = until or (today + GENERATE_AHEAD)
            if plan.ends_on is not None:
                last = min(last, plan.ends_on)
            first = max(plan.starts_on, period_of(plan.frequency, today)[0])

            def is_working(day: date, cal: Any = calendar) -> bool:
                return bool(cal.periods_on(day))

            for occ in occurrences(plan_rule(plan), first, last, is_working):
                if occ.period_start < period_of(plan.frequency, plan.starts_on)[0]:
                    continue
                if (plan.pk, occ.period_start) in known:
                    summary.existing += 1
                    continue
                due = _local_midnight_after(due_day(occ.scheduled_for, plan.due_working_days, is_working),
                                            calendar.tz)
                made = _round_create(plan=plan, period_start=occ.period_start, period_end=occ.period_end,
                                     scheduled_for=occ.scheduled_for, due=due, now=now, covered=covered)
                if made is None:
                    summary.existing += 1
                else:
                    summary.created += 1
                    summary.round_ids.append(made.pk)
        except Exception:  # one bad plan never stops the sweep
            log.exception("inspection round generation failed for plan %s", plan.pk)
            summary.failed += 1
    return summary


# --- answers ---------------------------------------------------------------------------------------

def _parse_uuid(value: Any) -> uuid_lib.UUID:
    try:
        return uuid_lib.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError({"uuid": [_("Send the answer's id as a UUID.")]}) from None


def _parse_reading(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError({"reading": [_("Enter a number.")]})
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({"reading": [_("Enter a number.")]}) from None
    if not number.is_finite() or abs(number) >= Decimal("1e9"):
        raise ValidationError({"reading": [_("Enter a number.")]})
    return number.quantize(Decimal("0.001"))


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "pass", "yes", "ok"):
        return True
    if text in ("false", "0", "fail", "no"):
        return False
    return None


def _open_incident_on(ci_id: int) -> Incident | None:
    return (Incident.objects.filter(ci_id=ci_id, status__in=OPEN_STATUSES)
            .order_by("-reported_at", "-id").first())


def _finding_text(answer: Answer, item: ChecklistItem, ci: CI, ticket: InspectionRound) -> str:
    if item.kind == ItemKind.READING:
        limits = f"{item.min_value if item.min_value is not None else '–'} … " \
                 f"{item.max_value if item.max_value is not None else '–'} {item.unit}"
        value = _("reading %(value)s %(unit)s outside %(limits)s") % {
            "value": answer.reading, "unit": item.unit, "limits": limits.strip()}
    elif item.kind == ItemKind.CHOICE:
        value = dict(item.option_pairs()).get(answer.choice, answer.choice)
    else:
        value = _("failed")
    lines = [_("Inspection %(number)s found on %(ci)s: %(item)s — %(value)s.") % {
        "number": ticket.number, "ci": ci.name, "item": item.text, "value": value}]
    if answer.note:
        lines.append(answer.note)
    return "\n".join(lines)


def _photo_copy(answer: Answer) -> UploadedFile:
    answer.photo.open("rb")
    try:
        content = answer.photo.read()
    finally:
        answer.photo.close()
    name = str(answer.photo.name or "photo").rsplit("/", 1)[-1]
    return SimpleUploadedFile(name, content, content_type="image/jpeg" if name.lower().endswith(
        (".jpg", ".jpeg")) else "image/png" if name.lower().endswith(".png") else "application/octet-stream")


def _finding_to_incident(*, answer: Answer, item: ChecklistItem, ticket: InspectionRound, actor: Any,
                         now: datetime) -> Incident:
    """Open an incident on the CI (channel inspection) with the finding and the photo, or, when the
    CI has an open incident, add the finding (and photo) to that one."""
    ci = answer.target.ci
    text = _finding_text(answer, item, ci, ticket)
    incident = _open_incident_on(ci.pk)
    if incident is None:
        title = _("Inspection finding: %(item)s — %(ci)s") % {"item": item.text, "ci": ci.name}
        incident = incident_create(actor=actor, organization=ticket.organization, title=title[:200],
                                   description=text, ci=ci, channel=Channel.INSPECTION, impact=Impact.LOW,
                                   urgency=Urgency.MEDIUM, now=now)
    else:
        ticket_comment_add(ticket=incident, author=actor, body=text, public=False, now=now)
    if answer.photo:
        ticket_attachment_add(ticket=incident, author=actor, upload=_photo_copy(answer), public=False, now=now)
    event_record(ticket=ticket, actor=actor, action=EventAction.LINKED, now=now, data={
        "number": incident.number, "incident": incident.pk, "ci": ci.pk, "item": item.pk})
    return incident


def _answer_values(item: ChecklistItem, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"passed": None, "reading": None, "choice": "", "text": ""}
    if item.kind == ItemKind.PASS_FAIL:
        passed = _as_bool(data.get("passed"))
        if passed is None:
            raise ValidationError({"passed": [_("Answer pass or fail.")]})
        values["passed"] = passed
    elif item.kind == ItemKind.READING:
        if data.get("reading") in (None, ""):
            raise ValidationError({"reading": [_("Enter the reading.")]})
        values["reading"] = _parse_reading(data.get("reading"))
    elif item.kind == ItemKind.CHOICE:
        choice = str(data.get("choice") or "").strip()
        if choice not in dict(item.option_pairs()):
            raise ValidationError({"choice": [_("Choose one of the listed answers.")]})
        values["choice"] = choice
    else:
        text = str(data.get("text") or "").strip()
        if not text:
            raise ValidationError({"text": [_("Write the answer.")]})
        if len(text) > MAX_TEXT:
            raise ValidationError({"text": [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]})
        values["text"] = text
    return values


@transaction.atomic
def answer_record(*, round_id: int, actor: Any, data: dict[str, Any], photo: UploadedFile | None = None,
                  now: datetime) -> tuple[Answer, bool]:
    """Record one answer sent by the phone. `data`: uuid, ci (or target), item, passed / reading /
    choice / text, note, answered_at. Returns (answer, created): a UUID seen before returns the
    stored answer unchanged (created False), so a phone may resend after a dropped connection."""
    _may_work(actor)
    answer_id = _parse_uuid(data.get("uuid"))
    known = Answer.objects.filter(uuid=answer_id).first()
    if known is not None:
        if known.round_id != round_id:
            raise ValidationError({"uuid": [_("This answer id was used for another round.")]})
        return known, False
    ticket = ticket_lock(InspectionRound, round_id)
    known = Answer.objects.filter(uuid=answer_id).first()  # a concurrent resend won the lock first
    if known is not None:
        return known, False
    if ticket.status not in (RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS):
        raise ValidationError({"round": [_("This round is closed; answers are no longer accepted.")]})
    raw_ci, raw_item = data.get("ci"), data.get("item")
    target = None
    if str(raw_ci or "").isdigit() and len(str(raw_ci)) < 19:
        target = RoundTarget.objects.filter(round_id=ticket.pk, ci_id=int(str(raw_ci))).select_related("ci").first()
    if target is None:
        raise ValidationError({"ci": [_("This CI is not part of the round.")]})
    item = None
    if str(raw_item or "").isdigit() and len(str(raw_item)) < 19:
        item = ChecklistItem.objects.filter(pk=int(str(raw_item)), template_id=ticket.plan.template_id).first()
    if item is None:
        raise ValidationError({"item": [_("This item is not on the round's checklist.")]})
    values = _answer_values(item, data)
    note = str(data.get("note") or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]})
    if photo is not None:
        if photo.size is None or photo.size > MAX_PHOTO_BYTES or photo.size == 0:
            raise ValidationError({"photo": [_("The photo is empty or larger than %(mb)s MB.")
                                             % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)}]})
        if not (photo.content_type or "").startswith("image/"):
            raise ValidationError({"photo": [_("Send a picture (JPEG, PNG, …).")]})
    answered_at = data.get("answered_at")
    if not isinstance(answered_at, datetime) or answered_at > now + timedelta(minutes=5):
        answered_at = now
    previous = Answer.objects.filter(target=target, item=item, current=True).first()
    if photo is None and item.photo_required and not (previous and previous.photo):
        raise ValidationError({"photo": [_("This item needs a photo.")]})
    out = item.kind == ItemKind.READING and item.out_of_limits(values["reading"])
    finding = (out or values["passed"] is False
               or (item.kind == ItemKind.CHOICE and values["choice"] in (item.finding_options or [])))
    if previous is not None:
        Answer.objects.filter(pk=previous.pk).update(current=False)
    answer = Answer(uuid=answer_id, round=ticket, target=target, item=item, note=note, finding=finding,
                    out_of_limits=out, answered_by=actor, answered_at=answered_at, received_at=now, **values)
    if photo is None and previous is not None and previous.photo:
        answer.photo = previous.photo.name
    elif photo is not None:
        answer.photo.save((photo.name or "photo.jpg")[-60:], photo, save=False)
    answer.save(force_insert=True)
    if ticket.status == RoundStatus.SCHEDULED:
        ticket = round_transition(round_id=ticket.pk, actor=actor, action="start", now=now)
    already_reported = previous is not None and previous.finding and previous.incident_id
    if finding and not already_reported:
        incident = _finding_to_incident(answer=answer, item=item, ticket=ticket, actor=actor, now=now)
        Answer.objects.filter(pk=answer.pk).update(incident=incident)
        answer.incident = incident
    elif finding and previous is not None:
        Answer.objects.filter(pk=answer.pk).update(incident_id=previous.incident_id)
        answer.incident_id = previous.incident_id
    return answer, True


# --- store check ---------------------------------------------------------------------------------

@transaction.atomic
def store_count_record(*, round_id: int, actor: Any, part_id: int, counted: Any, now: datetime,
                       client_uuid: Any = None) -> StoreCount:
    """Count one part in the store check's storeroom. The booked figure is the stock now; a
    difference is posted as a receive (more found) or a write-off (fewer found) that waits for a
    manager's approval in spares. `client_uuid`: the id the phone gave the count in its offline
    queue; sending it again returns the stored count (accepted once)."""
    _may_work(actor)
    parsed_uuid = _parse_uuid(client_uuid) if client_uuid not in (None, "") else None
    ticket = ticket_lock(InspectionRound, round_id)
    if parsed_uuid is not None:
        known = StoreCount.objects.filter(uuid=parsed_uuid).first()
        if known is not None:
            if known.round_id != ticket.pk:
                raise ValidationError({"uuid": [_("This id belongs to another round.")]})
            known.replayed = True  # type: ignore[attr-defined]
            return known
    plan = ticket.plan
    if plan.template.scope != TemplateScope.STORE or plan.storeroom_id is None:
        raise ValidationError({"round": [_("This round is not a store check.")]})
    if ticket.status not in (RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS):
        raise ValidationError({"round": [_("This round is closed; counts are no longer accepted.")]})
    if isinstance(counted, bool) or not str(counted).strip().isdigit() or int(str(counted).strip()) > 1_000_000:
        raise ValidationError({"counted": [_("Enter the number of units counted (0 or more).")]})
    part = SparePart.objects.filter(pk=part_id).first()
    if part is None:
        raise ValidationError({"part": [_("Unknown spare part.")]})
    if StoreCount.objects.filter(round_id=ticket.pk, part_id=part.pk).exists():
        raise ValidationError({"part": [_("This part was already counted in this round.")]})
    counted_n = int(str(counted).strip())
    booked = (Stock.objects.filter(part_id=part.pk, storeroom_id=plan.storeroom_id)
              .values_list("quantity", flat=True).first() or 0)
    count = StoreCount(round=ticket, part=part, storeroom_id=plan.storeroom_id, booked=booked, counted=counted_n,
                       counted_by=actor, counted_at=now, uuid=parsed_uuid)
    difference = counted_n - booked
    if difference:
        note = _("Store check %(number)s: counted %(counted)s, booked %(booked)s.") % {
            "number": ticket.number, "counted": counted_n, "booked": booked}
        room = plan.storeroom
        movement = movement_request(
            part_id=part.pk, kind=MovementKind.RECEIVE if difference > 0 else MovementKind.WRITE_OFF,
            quantity=abs(difference), actor=actor, now=now, reference=ticket.number, note=note,
            to_storeroom=room if difference > 0 else None, from_storeroom=room if difference < 0 else None,
            approval_required=True)
        count.movement = movement
    count.save(force_insert=True)
    if ticket.status == RoundStatus.SCHEDULED:
        ticket = round_transition(round_id=ticket.pk, actor=actor, action="start", now=now)
    event_record(ticket=ticket, actor=actor, action=EventAction.UPDATED, now=now, data={
        "store_count": {"part": part.pk, "booked": booked, "counted": counted_n,
                        "movement": count.movement_id}})
    return count


# --- overdue rounds --------------------------------------------------------------------------------

def _escalate_one(*, round_id: int, now: datetime) -> bool:
    with transaction.atomic():
        # The row lock, then the conditions again: a second sweep (or a round completed meanwhile) stops here.
        ticket = ticket_lock(InspectionRound, round_id)
        if ticket.escalated_at is not None or ticket.due_at >= now or not ticket.is_open:
            return False
        ticket.escalated_at = now
        ticket.save(update_fields=["escalated_at"])
        recipients: list[Any] = []
        group = ticket.group
        if group is not None and group.lead is not None:
            recipients.append(group.lead)
        if ticket.assignee is not None and ticket.assignee not in recipients:
            recipients.append(ticket.assignee)
        event_record(ticket=ticket, actor=None, action=EventAction.ESCALATED, now=now, data={
            "reason": "overdue", "due_at": ticket.due_at, "to": [u.pk for u in recipients]})
        # Through the notification rules (event "escalation": the rules' channels, people's preferences,
        # quiet hours, digests), rendered per reader (language, the organisation's time zone). With no
        # rule reaching anyone, the group lead and the engineer get it in their in-app inbox.
        notification_emit(
            event=NotificationEvent.ESCALATION, fault_level=None, organization_id=ticket.organization_id,
            dedup_key=f"inspection:{ticket.pk}:overdue", now=now, context={
                "title": msg(gettext_noop("Inspection round overdue: %(number)s"), number=ticket.number),
                "body": msg(gettext_noop("%(title)s was due on %(due)s."), title=ticket.title, due=when(ticket.due_at)),
                "link": reverse("inspections:detail", args=[ticket.pk]), "number": ticket.number,
                "assignee_id": ticket.assignee_id, "group_lead_id": group.lead_id if group is not None else None,
                "target_user_ids": [u.pk for u in recipients], "fallback_user_ids": [u.pk for u in recipients],
            })
        return True


def rounds_escalate_overdue(*, now: datetime) -> int:
    """Escalate each overdue open round once (notify the group lead and the engineer). Idempotent;
    one failing round is logged and the others still go."""
    ids = list(InspectionRound.objects.filter(
        escalated_at__isnull=True, due_at__lt=now,
        status__in=(RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS)).values_list("pk", flat=True)[:1000])
    done = 0
    for pk in ids:
        try:
            done += _escalate_one(round_id=pk, now=now)
        except Exception:
            log.exception("inspection round %s: escalation failed", pk)
    return done



# --- plans and templates: the manager's pages -------------------------------------------------------

PLAN_FIELDS = ("name", "template", "organization", "ci_class", "site", "location", "sample_size", "storeroom",
               "frequency", "day_rule", "nth", "weekday", "due_working_days", "group", "assignee", "starts_on",
               "ends_on")


def may_manage_plans(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and not user.is_customer
                and (user.is_superuser or user.role in PLAN_MANAGE))


def may_manage_templates(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and not user.is_customer
                and (user.is_superuser or user.role in TEMPLATE_MANAGE))


def _shown(value: Any) -> Any:
    """A value as the change log keeps it (JSON): a related object as its id and name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "pk"):
        return [value.pk, str(value)]
    return str(value)


def _plan_apply(plan: InspectionPlan, data: dict[str, Any]) -> dict[str, list[Any]]:
    changed: dict[str, list[Any]] = {}
    for name in PLAN_FIELDS:
        if name not in data:
            continue
        field: Any = plan._meta.get_field(name)
        after = data[name]
        if field.is_relation:  # compare ids: an unset relation of a new plan has no object to read
            before = getattr(plan, field.attname)
            before_shown = _shown(getattr(plan, name)) if before is not None else None
            after_id = after.pk if after is not None else None
            if before != after_id:
                changed[name] = [before_shown, _shown(after)]
                setattr(plan, name, after)
            continue
        before = getattr(plan, name)
        if isinstance(after, str):
            after = after.strip()
        if name in ("site", "location") and after is None:
            after = ""
        if before != after:
            changed[name] = [_shown(before), _shown(after)]
            setattr(plan, name, after)
    return changed


def _plan_save(plan: InspectionPlan, *, cis: Any, changed: dict[str, list[Any]]) -> None:
    plan_clean(plan)
    try:
        plan.full_clean(exclude=["cis", "created_at"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    plan.save()
    if cis is not None:
        wanted = sorted({ci.pk for ci in cis})
        if any(ci.organization_id != plan.organization_id for ci in cis):
            raise ValidationError({"cis": [_("Every CI must belong to the plan's organisation.")]})
        before = sorted(plan.cis.values_list("pk", flat=True))
        if wanted != before:
            plan.cis.set(wanted)
            changed["cis"] = [before, wanted]


@transaction.atomic
def plan_create(*, actor: Any, data: dict[str, Any], cis: list[CI] | None = None, now: datetime) -> InspectionPlan:
    """A new plan (manager, regional lead, supervisor). `data`: the plan's fields (PLAN_FIELDS)."""
    if not may_manage_plans(actor):
        raise PermissionDenied
    plan = InspectionPlan(created_at=now)
    changed = _plan_apply(plan, data)
    _plan_save(plan, cis=cis or [], changed=changed)
    created = {name: [None, _shown(getattr(plan, name))] for name in PLAN_FIELDS}  # the whole first state
    created["cis"] = [None, changed.get("cis", [None, []])[1]]
    SetupChange.objects.create(plan=plan, action="created", changes=created, actor=actor, at=now)
    return plan


@transaction.atomic
def plan_update(*, plan_id: int, actor: Any, data: dict[str, Any], cis: list[CI] | None = None,
                version: int | None, now: datetime) -> InspectionPlan:
    """Edit a plan; `version` is what the editor read (a stale one: ConflictError, HTTP 409). Rounds
    already generated keep their CIs and dates; the next sweep uses the new rule."""
    if not may_manage_plans(actor):
        raise PermissionDenied
    plan = InspectionPlan.objects.select_for_update().get(pk=plan_id)
    if version is not None and version != plan.version:
        raise ConflictError(current_version=plan.version)
    changed = _plan_apply(plan, data)
    _plan_save(plan, cis=cis, changed=changed)
    if changed:
        plan.version += 1
        plan.save(update_fields=["version"])
        SetupChange.objects.create(plan=plan, action="updated", changes=changed, actor=actor, at=now)
    return plan


@transaction.atomic
def plan_set_active(*, plan_id: int, actor: Any, active: bool, version: int | None, now: datetime) -> InspectionPlan:
    """Switch a plan off (no more rounds; its rounds and answers stay) or on again."""
    if not may_manage_plans(actor):
        raise PermissionDenied
    plan = InspectionPlan.objects.select_for_update().get(pk=plan_id)
    if version is not None and version != plan.version:
        raise ConflictError(current_version=plan.version)
    if plan.is_active != active:
        plan.is_active = active
        plan.version += 1
        plan.save(update_fields=["is_active", "version"])
        SetupChange.objects.create(plan=plan, action="activated" if active else "deactivated",
                                   changes={"is_active": [not active, active]}, actor=actor, at=now)
    return plan


ITEM_FIELDS = ("text", "text_en", "kind", "unit", "min_value", "max_value", "photo_required")


@transaction.atomic
def template_copy(*, template_id: int, actor: Any, now: datetime) -> ChecklistTemplate:
    """An editable copy of a checklist template with its active items (the original is untouched)."""
    if not may_manage_templates(actor):
        raise PermissionDenied
    source = ChecklistTemplate.objects.get(pk=template_id)
    base = f"{source.code[:44]}-copy"
    code, n = base, 1
    while ChecklistTemplate.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    copy = ChecklistTemplate.objects.create(
        code=code, name=(source.name + "（副本）")[:200], name_en=(source.name_en + " (copy)")[:200] if source.name_en else "",
        form_name=source.form_name, form_name_en=source.form_name_en, scope=source.scope, copied_from=source,
        copied_from_version=source.version)
    ChecklistItem.objects.bulk_create([
        ChecklistItem(template=copy, position=i + 1, text=item.text, text_en=item.text_en, kind=item.kind,
                      unit=item.unit, min_value=item.min_value, max_value=item.max_value, options=item.options,
                      finding_options=item.finding_options, photo_required=item.photo_required)
        for i, item in enumerate(source.items.filter(is_active=True).order_by("position", "id"))])
    SetupChange.objects.create(template=copy, action="copied",
                               changes={"copied_from": [source.pk, source.code], "version": [None, source.version]},
                               actor=actor, at=now)
    return copy


@transaction.atomic
def template_update(*, template_id: int, actor: Any, header: dict[str, Any], items: list[dict[str, Any]],
                    now: datetime, version: int | None = None) -> ChecklistTemplate:
    """Save a copy's names and items. `items`: in the new order, each with `id` (None: a new item),
    the ITEM_FIELDS and `remove` (the item is switched off, never deleted: old answers keep it).
    `version` is what the editor read: a stale one is a ConflictError (HTTP 409); a save that changes
    something raises the version by one."""
    if not may_manage_templates(actor):
        raise PermissionDenied
    template = ChecklistTemplate.objects.select_for_update().get(pk=template_id)
    if template.copied_from_id is None:
        raise ValidationError(_("Only a copy can be edited; copy this template first."))
    if version is not None and version != template.version:
        raise ConflictError(current_version=template.version)
    changed: dict[str, Any] = {}
    for name in ("name", "name_en", "form_name", "form_name_en"):
        if name in header and getattr(template, name) != header[name]:
            changed[name] = [getattr(template, name), header[name]]
            setattr(template, name, header[name])
    if not template.name or not template.form_name:
        raise ValidationError({"name": [_("The template needs a Chinese name and record form.")]})
    template.save()
    existing = {i.pk: i for i in template.items.all()}
    position = 0
    for row in items:
        item = existing.get(row.get("id") or 0)
        if row.get("remove"):
            if item is not None and item.is_active:
                item.is_active = False
                item.save(update_fields=["is_active"])
                changed.setdefault("removed", []).append(item.text)
            continue
        low, high = row.get("min_value"), row.get("max_value")
        if low is not None and high is not None and low > high:
            raise ValidationError({"items": [_("%(item)s: the lower limit is above the upper limit.")
                                             % {"item": row.get("text", "")}]})
        if item is None:
            if row.get("kind") == ItemKind.CHOICE:
                raise ValidationError({"items": [_("%(item)s: a new item cannot be a choice (its options are "
                                                   "kept in the admin); use pass / fail, a reading or text.")
                                                 % {"item": row.get("text", "")}]})
            item = ChecklistItem(template=template)
            changed.setdefault("added", []).append(row.get("text", ""))
        elif row.get("kind") == ItemKind.CHOICE and item.kind != ItemKind.CHOICE:
            raise ValidationError({"items": [_("%(item)s: only an item copied as a choice can be a choice.")
                                             % {"item": row.get("text", "")}]})
        position += 1
        before = {name: getattr(item, name) for name in ITEM_FIELDS}
        for name in ITEM_FIELDS:
            if name in row:
                setattr(item, name, row[name] if row[name] is not None or name in ("min_value", "max_value")
                        else "")
        if item.pk and (before != {name: getattr(item, name) for name in ITEM_FIELDS} or item.position != position):
            changed.setdefault("edited", []).append(item.text)
        item.position = position
        item.is_active = True
        item.save()
    if changed:
        template.version += 1
        template.save(update_fields=["version"])
        changed["version"] = [template.version - 1, template.version]
        SetupChange.objects.create(template=template, action="updated", changes=_jsonable(changed), actor=actor,
                                   at=now)
    return template


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _shown(value)
