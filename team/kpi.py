"""The monthly assessment (plan 1.2.10): the desk proposes each engineer's four scores from the
month's data; the manager adjusts with a reason (kept) and publishes.

Measures (each turned into a score by the configuration's thresholds: the lowest score plus the
number of ascending cut points the measure reaches; no data → the configured `no_data_score`):

- satisfaction: the average of the month's ratings (stars 1–5) and call-back satisfaction (1–5)
  of the engineer's tickets;
- workload: (work-logged hours + `hours_per_ticket` × tickets resolved) per available working day
  (the month's working days of the default calendar minus working days on approved leave);
- problems: % of the engineer's problems handled in time (resolved within `problem_days` of being
  opened), counting still-open problems older than that as late;
- recovery: % of the engineer's faults restored by their restore deadline, counting those past
  the deadline this month and not yet restored as late.

The weighted score is Σ weight × score / Σ weights (the plan's 30/20/20/30 by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from accounts.choices import Role
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident
from opsdesk.errors import ConflictError
from problems.choices import OPEN_PROBLEM_STATUSES
from problems.models import Problem
from quality.models import Callback, SatisfactionRating
from tickets.models import ServiceRequest, WorkLog
from tickets.sla.calendar import BusinessCalendar
from tickets.sla_config import policy_for

from .choices import DIMENSIONS, LeaveStatus, ScorecardStatus
from .models import KpiConfig, LeaveRequest, ScoreAdjustment, Scorecard

KPI_MANAGERS = frozenset({Role.MANAGER, Role.REGIONAL_LEAD})
ASSESSED_ROLES = (Role.ENGINEER,)


def can_manage_kpi(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and not user.is_customer
                and (user.is_superuser or user.role in KPI_MANAGERS))


def kpi_config() -> KpiConfig:
    return KpiConfig.objects.filter(is_active=True).order_by("-pk").first() or KpiConfig()


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE or "Asia/Shanghai")
    first = month_start(month)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return datetime(first.year, first.month, 1, tzinfo=tz), datetime(nxt.year, nxt.month, 1, tzinfo=tz)


def score_for(measure: float | None, thresholds: list[float], cfg: KpiConfig) -> int:
    if measure is None:
        return int(cfg.no_data_score)
    return min(int(cfg.scale_max), int(cfg.scale_min) + sum(1 for t in thresholds if measure >= float(t)))


def weighted(scores: dict[str, int], weights: dict[str, Any]) -> Decimal:
    total_weight = sum(Decimal(str(weights.get(d, 0))) for d in DIMENSIONS)
    if not total_weight:
        return Decimal("0.00")
    value = sum(Decimal(str(weights.get(d, 0))) * Decimal(scores[d]) for d in DIMENSIONS) / total_weight
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _working_days(calendar: BusinessCalendar, first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if calendar.day_length(day) > timedelta(0):
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass
class Proposal:
    scores: dict[str, int]
    detail: dict[str, dict[str, Any]]
    total: Decimal


def propose(*, engineer: Any, month: date, cfg: KpiConfig | None = None,
            calendar: BusinessCalendar | None = None) -> Proposal:
    """The desk's proposal for one engineer and month, with each measure's inputs and formula."""
    cfg = cfg or kpi_config()
    start, end = month_bounds(month)
    calendar = calendar or policy_for(organization_id=None, now=start).calendar
    tz = calendar.tz
    thresholds = cfg.thresholds or {}
    detail: dict[str, dict[str, Any]] = {}

    # Customer satisfaction: ratings and call-backs.
    stars = list(SatisfactionRating.objects.filter(assignee=engineer, created_at__gte=start, created_at__lt=end)
                 .values_list("stars", flat=True))
    callbacks = list(Callback.objects.filter(assignee=engineer, called_at__gte=start, called_at__lt=end,
                                             satisfaction__isnull=False).values_list("satisfaction", flat=True))
    values = [int(v) for v in [*stars, *callbacks] if v is not None]
    sat = round(sum(values) / len(values), 2) if values else None
    detail["satisfaction"] = {"measure": sat, "inputs": {"ratings": len(stars), "callbacks": len(callbacks),
                                                         "sum": sum(values)},
                              "formula": "(Σ stars + Σ call-back satisfaction) / (ratings + call-backs)"}

    # Workload per available working day.
    days = _working_days(calendar, start.date(), (end - timedelta(days=1)).date())
    on_leave: set[date] = set()
    for lv_start, lv_end in LeaveRequest.objects.filter(engineer=engineer, status=LeaveStatus.APPROVED,
                                                        starts_at__lt=end, ends_at__gt=start).values_list(
            "starts_at", "ends_at"):
        a, b = lv_start.astimezone(tz).date(), lv_end.astimezone(tz).date()
        on_leave.update(d for d in days if a <= d <= b)
    available = len(days) - len(on_leave)
    minutes = WorkLog.objects.filter(author=engineer, work_date__gte=start.date(), work_date__lt=end.date()).aggregate(
        m=Sum("minutes"))["m"] or 0
    tickets = (Incident.objects.filter(assignee=engineer, resolved_at__gte=start, resolved_at__lt=end).count()
               + ServiceRequest.objects.filter(assignee=engineer, resolved_at__gte=start, resolved_at__lt=end).count())
    hours = Decimal(minutes) / 60
    load = (hours + cfg.hours_per_ticket * tickets) / available if available > 0 else None
    detail["workload"] = {"measure": float(round(load, 2)) if load is not None else None,
                          "inputs": {"worklog_hours": float(round(hours, 2)), "tickets": tickets,
                                     "hours_per_ticket": float(cfg.hours_per_ticket), "working_days": len(days),
                                     "leave_days": len(on_leave), "available_days": available},
                          "formula": "(work-log hours + hours per ticket × tickets) / (working days − leave days)"}

    # Problems handled in time.
    limit = timedelta(days=int(cfg.problem_days))
    handled = list(Problem.objects.filter(assignee=engineer, resolved_at__gte=start, resolved_at__lt=end)
                   .values_list("reported_at", "resolved_at"))
    in_time = len([1 for rep, res in handled if res is not None and res - rep <= limit])
    late_open = Problem.objects.filter(assignee=engineer, status__in=OPEN_PROBLEM_STATUSES,
                                       reported_at__lt=end - limit).count()
    counted = len(handled) + late_open
    detail["problems"] = {"measure": round(100 * in_time / counted, 1) if counted else None,
                          "inputs": {"resolved": len(handled), "in_time": in_time, "open_overdue": late_open,
                                     "days_allowed": int(cfg.problem_days)},
                          "formula": "100 × in time / (resolved + open past the limit)"}

    # Faults restored in time.
    restored = list(Incident.objects.filter(assignee=engineer, restored_at__gte=start, restored_at__lt=end)
                    .values_list("restored_at", "restore_due"))
    rec_in_time = len([1 for at, due in restored if at is not None and (due is None or at <= due)])
    late = Incident.objects.filter(Q(restore_due__gte=start) & Q(restore_due__lt=end), assignee=engineer,
                                   restored_at__isnull=True, status__in=OPEN_STATUSES).count()
    rec_counted = len(restored) + late
    detail["recovery"] = {"measure": round(100 * rec_in_time / rec_counted, 1) if rec_counted else None,
                          "inputs": {"restored": len(restored), "in_time": rec_in_time, "overdue_open": late},
                          "formula": "100 × restored in time / (restored + past the deadline, not restored)"}

    scores = {}
    for dim in DIMENSIONS:
        scores[dim] = score_for(detail[dim]["measure"], list(thresholds.get(dim, [])), cfg)
        detail[dim]["score"] = scores[dim]
        detail[dim]["thresholds"] = list(thresholds.get(dim, []))
    return Proposal(scores=scores, detail=detail, total=weighted(scores, cfg.weights or {}))


@transaction.atomic
def scorecards_propose(*, actor: Any, month: date, now: datetime) -> list[Scorecard]:
    """(Re)compute the month's proposals for every active engineer. Published scorecards stay as
    they are; a manager's adjustments are kept over the new proposal."""
    if not can_manage_kpi(actor):
        raise PermissionDenied
    cfg = kpi_config()
    first = month_start(month)
    start, _end = month_bounds(first)
    calendar = policy_for(organization_id=None, now=start).calendar
    cards = []
    for engineer in get_user_model().objects.filter(role__in=ASSESSED_ROLES, is_active=True).order_by("pk"):
        card = Scorecard.objects.select_for_update().filter(user=engineer, month=first).first()
        if card is not None and card.status == ScorecardStatus.PUBLISHED:
            cards.append(card)
            continue
        proposal = propose(engineer=engineer, month=first, cfg=cfg, calendar=calendar)
        scores = dict(proposal.scores)
        if card is not None:
            for adj in card.adjustments.order_by("adjusted_at", "pk"):
                scores[adj.dimension] = adj.new_score
        weights = dict(cfg.weights or {})
        values = {"proposal": proposal.detail, "scores": scores, "weights": weights,
                  "total": weighted(scores, weights), "computed_at": now}
        if card is None:
            card = Scorecard.objects.create(user=engineer, month=first, **values)
        else:
            for k, v in values.items():
                setattr(card, k, v)
            card.version += 1
            card.save()
        cards.append(card)
    return cards


@transaction.atomic
def scorecard_adjust(*, actor: Any, scorecard_id: int, dimension: str, score: int, reason: str,
                     version: int | None, now: datetime) -> Scorecard:
    if not can_manage_kpi(actor):
        raise PermissionDenied
    card = Scorecard.objects.select_for_update().get(pk=scorecard_id)
    if version is not None and int(version) != card.version:
        raise ConflictError(current_version=card.version)
    errors: dict[str, list[str]] = {}
    if dimension not in DIMENSIONS:
        errors["dimension"] = [_("Choose one of the four dimensions.")]
    cfg = kpi_config()
    if not isinstance(score, int) or not cfg.scale_min <= score <= cfg.scale_max:
        errors["score"] = [_("A score is a whole number from %(low)s to %(high)s.") % {
            "low": cfg.scale_min, "high": cfg.scale_max}]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the score changes.")]
    if card.status == ScorecardStatus.PUBLISHED:
        errors["scorecard"] = [_("A published scorecard is not changed.")]
    if errors:
        raise ValidationError(errors)
    old = int(card.scores.get(dimension, 0))
    ScoreAdjustment.objects.create(scorecard=card, dimension=dimension, old_score=old, new_score=score,
                                   reason=reason.strip(), adjusted_by=actor, adjusted_at=now)
    card.scores = {**card.scores, dimension: score}
    card.total = weighted(card.scores, card.weights)
    card.version += 1
    card.save(update_fields=["scores", "total", "version"])
    return card


@transaction.atomic
def scorecards_publish(*, actor: Any, month: date, now: datetime) -> int:
    if not can_manage_kpi(actor):
        raise PermissionDenied
    return Scorecard.objects.filter(month=month_start(month), status=ScorecardStatus.PROPOSED).update(
        status=ScorecardStatus.PUBLISHED, published_at=now, published_by=actor)
