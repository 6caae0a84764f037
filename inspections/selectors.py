"""Every permission-scoped read of the inspections app. Rounds start from `visible_to(user)`
(customers: their organisation only); invisible is 404."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import OPEN_ROUND_STATUSES, Frequency, RoundStatus
from .models import (
    Answer,
    ChecklistItem,
    ChecklistTemplate,
    InspectionPlan,
    InspectionRound,
    RoundTarget,
    SetupChange,
    StoreCount,
    bilingual_lazy,
)
from .recurrence import Rule, due_day, occurrences


def round_base(*, user: Any) -> QuerySet[InspectionRound]:
    return InspectionRound.objects.visible_to(user)


def round_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[InspectionRound]:
    qs = round_base(user=user).select_related("plan", "plan__template", "organization", "group", "assignee")
    return qs.order_by("scheduled_for", "id")


def round_get(*, user: Any, pk: Any) -> InspectionRound:
    try:
        return round_list(user=user).get(pk=int(pk))
    except (InspectionRound.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def rounds_open_for(*, user: Any, now: datetime) -> QuerySet[InspectionRound]:
    """The user's work list: open rounds assigned to them or to one of their groups, due first."""
    groups = list(user.support_groups.values_list("pk", flat=True)) if user.is_authenticated else []
    return (round_list(user=user).filter(status__in=OPEN_ROUND_STATUSES)
            .filter(Q(assignee_id=user.pk) | Q(group_id__in=groups, assignee__isnull=True))
            .order_by("due_at", "id"))


def plan_list(*, user: Any) -> QuerySet[InspectionPlan]:
    qs = InspectionPlan.objects.select_related("template", "organization", "group", "ci_class", "storeroom")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_customer and not user.is_superuser:
        return qs.filter(organization_id=user.organization_id)
    return qs


def round_items(*, ticket: InspectionRound) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(template_id=ticket.plan.template_id, is_active=True)
                .order_by("position", "id"))


def round_targets(*, ticket: InspectionRound) -> list[RoundTarget]:
    return list(RoundTarget.objects.filter(round_id=ticket.pk).select_related("ci", "ci__ci_class")
                .order_by("position", "id"))


def round_answers(*, ticket: InspectionRound) -> list[Answer]:
    return list(Answer.objects.filter(round_id=ticket.pk, current=True)
                .select_related("incident", "answered_by").order_by("target_id", "item_id"))


def round_store_counts(*, ticket: InspectionRound) -> list[StoreCount]:
    return list(StoreCount.objects.filter(round_id=ticket.pk).select_related("part", "movement")
                .order_by("part__part_number"))


def round_progress(*, ticket: InspectionRound) -> dict[str, int]:
    items = ChecklistItem.objects.filter(template_id=ticket.plan.template_id, is_active=True).count()
    targets = RoundTarget.objects.filter(round_id=ticket.pk).count()
    answers = Answer.objects.filter(round_id=ticket.pk, current=True)
    answered = answers.count()
    return {"expected": items * targets, "answered": answered, "findings": answers.filter(finding=True).count(),
            "cis": targets}


def inspection_stats(*, user: Any, start: date, end: date, organization_id: int | None = None,
                     plan_id: int | None = None) -> list[dict[str, Any]]:
    """Completion and findings per plan, organisation and month, for rounds scheduled in [start, end]."""
    rounds = round_base(user=user).filter(scheduled_for__range=(start, end))
    if organization_id is not None:
        rounds = rounds.filter(organization_id=organization_id)
    if plan_id is not None:
        rounds = rounds.filter(plan_id=plan_id)
    rows = (rounds.annotate(month=TruncMonth("scheduled_for"))
            .values("month", "plan_id", "plan__name", "organization_id", "organization__name")
            .annotate(rounds=Count("id"),
                      done=Count("id", filter=Q(status=RoundStatus.DONE)),
                      overdue=Count("id", filter=Q(escalated_at__isnull=False)),
                      cancelled=Count("id", filter=Q(status=RoundStatus.CANCELLED)))
            .order_by("month", "organization__name", "plan__name"))
    per_plan_month: dict[tuple[int, Any], int] = {}
    for plan_id_, month, n in (Answer.objects.filter(round__in=rounds, current=True, finding=True)
                               .annotate(month=TruncMonth("round__scheduled_for"))
                               .values("round__plan_id", "month").annotate(n=Count("id"))
                               .values_list("round__plan_id", "month", "n")):
        per_plan_month[(plan_id_, month)] = n
    out = []
    for each in rows:
        row: dict[str, Any] = dict(each)
        month = row["month"]
        row["month"] = month.strftime("%Y-%m") if hasattr(month, "strftime") else str(month)[:7]
        row["findings"] = per_plan_month.get((row["plan_id"], month), 0)
        row["completion"] = round(100 * row["done"] / row["rounds"]) if row["rounds"] else 0
        out.append(row)
    return out


def rounds_upcoming(*, user: Any, start: datetime, end: datetime, group_id: int | None = None) -> QuerySet[InspectionRound]:
    qs = round_list(user=user).filter(scheduled_for__gte=start.date(), scheduled_for__lte=end.date()).exclude(
        status=RoundStatus.CANCELLED)
    if group_id is not None:
        qs = qs.filter(group_id=group_id)
    return qs


def inspection_report(*, start: datetime | None, end: datetime | None, organization_id: int | None) -> dict[str, Any]:
    """The inspection figures a report prints (reports/kinds): rounds scheduled in [start, end)
    (aware datetimes, end exclusive; None = open), done, overdue, completion per checklist, the
    answers, findings and the incidents they opened or joined, and the findings (at most 200).
    Reports scope by organisation themselves (they run without a user)."""
    rounds = InspectionRound.objects.exclude(status=RoundStatus.CANCELLED)
    if organization_id is not None:
        rounds = rounds.filter(organization_id=organization_id)
    if start is not None:
        rounds = rounds.filter(scheduled_for__gte=timezone.localtime(start).date())
    if end is not None:
        rounds = rounds.filter(scheduled_for__lt=timezone.localtime(end).date())
    totals = rounds.aggregate(rounds=Count("id"), done=Count("id", filter=Q(status=RoundStatus.DONE)),
                              overdue=Count("id", filter=Q(escalated_at__isnull=False)))
    totals["cis"] = RoundTarget.objects.filter(round__in=rounds).values("ci_id").distinct().count()
    answers = Answer.objects.filter(round__in=rounds, current=True)
    findings = answers.filter(finding=True)
    templates: dict[int, dict[str, Any]] = {}
    for counted in (rounds.values("plan__template_id").annotate(
            rounds=Count("id", distinct=True), done=Count("id", filter=Q(status=RoundStatus.DONE), distinct=True))
            .order_by("plan__template_id")):
        templates[counted["plan__template_id"]] = {"rounds": counted["rounds"], "done": counted["done"], "findings": 0}
    for template_id, n in (findings.values_list("round__plan__template_id").annotate(n=Count("id"))
                           .values_list("round__plan__template_id", "n")):
        templates.setdefault(template_id, {"rounds": 0, "done": 0})["findings"] = n
    by_template = []
    for template in ChecklistTemplate.objects.filter(pk__in=templates).order_by("code"):
        figures = templates[template.pk]
        by_template.append({"name": bilingual_lazy(template.name, template.name_en),
                            "form": bilingual_lazy(template.form_name, template.form_name_en), **figures,
                            "completion": round(100 * figures["done"] / figures["rounds"]) if figures["rounds"] else None})
    finding_rows = [{
        "round": a.round.number, "date": timezone.localtime(a.received_at).strftime("%Y-%m-%d"),
        "ci": a.target.ci.name, "item": bilingual_lazy(a.item.text, a.item.text_en), "value": _answer_text(a),
        "incident": a.incident.number if a.incident is not None else ""}
        for a in findings.select_related("round", "target__ci", "item", "incident").order_by("received_at", "id")[:200]]
    return {
        **totals, "answers": answers.count(), "findings": findings.count(),
        "incidents": findings.exclude(incident__isnull=True).values("incident_id").distinct().count(),
        "completion": round(100 * totals["done"] / totals["rounds"]) if totals["rounds"] else None,
        "by_template": by_template, "finding_rows": finding_rows,
    }


def _answer_text(answer: Answer) -> str:
    if answer.passed is not None:
        return "✓" if answer.passed else "✗"
    if answer.reading is not None:
        return f"{format(answer.reading.normalize(), 'f')} {answer.item.unit}".strip()
    if answer.choice:
        return dict(answer.item.option_pairs()).get(answer.choice, answer.choice)
    return answer.text[:80]


def plan_get(*, user: Any, pk: Any) -> InspectionPlan:
    """A plan for the staff pages (customers never reach them: 404)."""
    if not getattr(user, "is_authenticated", False) or user.is_customer:
        raise Http404
    try:
        if not 0 < int(pk) < 2**31:
            raise Http404
        return plan_list(user=user).get(pk=int(pk))
    except (InspectionPlan.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


CHANGE_LABELS = {"cis": _("configuration items"), "added": _("items added"), "removed": _("items removed"),
                 "edited": _("items edited"), "is_active": _("active"), "copied_from": _("copied from")}


def _labelled(changes: list[SetupChange], model: Any) -> list[SetupChange]:
    """Each change with `labels`: the changed fields' names as the page's language says them."""
    for change in changes:
        labels = []
        for name in change.changes or {}:
            label = CHANGE_LABELS.get(name)
            if label is None:
                try:
                    label = model._meta.get_field(name).verbose_name
                except FieldDoesNotExist:  # a field since removed: its name is all there is
                    label = name
            labels.append(str(label))
        change.labels = labels  # type: ignore[attr-defined]
    return changes


def plan_changes(*, plan: InspectionPlan) -> list[SetupChange]:
    return _labelled(list(SetupChange.objects.filter(plan=plan).select_related("actor")[:50]), InspectionPlan)


PREVIEW_SPAN: dict[str, int] = {Frequency.WEEKLY: 70, Frequency.MONTHLY: 220, Frequency.QUARTERLY: 600,
                Frequency.HALF_YEARLY: 1200}


def plan_preview(*, plan: InspectionPlan, today: date, count: int = 6) -> list[dict[str, date]]:
    """The next `count` rounds the plan would get from `today` (or its start), on its organisation's
    SLA calendar: the same recurrence code and working days the beat sweep uses."""
    from tickets.sla_config import PolicyMemo

    memo = PolicyMemo(now=timezone.now())
    calendar = memo.get(plan.organization_id).calendar

    def is_working(day: date) -> bool:
        return bool(calendar.periods_on(day))

    start = max(today, plan.starts_on) if plan.starts_on else today
    end = start + timedelta(days=PREVIEW_SPAN.get(str(plan.frequency), 400))
    if plan.ends_on is not None:
        end = min(end, plan.ends_on)
    rule = Rule(frequency=plan.frequency, day_rule=plan.day_rule, nth=plan.nth, weekday=plan.weekday)
    out = []
    for occ in occurrences(rule, start, end, is_working)[:count]:
        out.append({"scheduled": occ.scheduled_for, "period_start": occ.period_start, "period_end": occ.period_end,
                    "due": due_day(occ.scheduled_for, plan.due_working_days, is_working)})
    return out


def template_list(*, user: Any) -> QuerySet[ChecklistTemplate]:
    if not getattr(user, "is_authenticated", False) or user.is_customer:
        return ChecklistTemplate.objects.none()
    return ChecklistTemplate.objects.select_related("copied_from").annotate(
        n_items=Count("items", filter=Q(items__is_active=True)), n_plans=Count("plans", distinct=True)).order_by(
        "copied_from_id", "code")


def template_get(*, user: Any, pk: Any) -> ChecklistTemplate:
    try:
        if not 0 < int(pk) < 2**31:
            raise Http404
        return template_list(user=user).get(pk=int(pk))
    except (ChecklistTemplate.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def template_items(*, template: ChecklistTemplate) -> list[ChecklistItem]:
    return list(template.items.filter(is_active=True).order_by("position", "id"))


def template_changes(*, template: ChecklistTemplate) -> list[SetupChange]:
    return _labelled(list(SetupChange.objects.filter(template=template).select_related("actor")[:50]),
                     ChecklistTemplate)
