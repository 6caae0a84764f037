"""Every permission-scoped read of the spare-parts store. Figures are summed in SQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from cmdb.models import CI
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident, SpareLoan
from incidents.selectors import FAULT_MONTH_TZ, ci_replacement_list, incident_base, spare_loan_list
from tickets.choices import SLATargetName, TicketKind
from tickets.models import SLAClock

from .choices import RMA_CLOSED, MovementKind, MovementStatus
from .filtersets import MovementFilterSet, SparePartFilterSet
from .models import Movement, Replacement, SparePart, Stock, Storeroom, WarrantyReturn

# BRIEF R-SLA: a fault not fixed in time gets a standby device within 24 h.
LEND_WITHIN = timedelta(hours=24)


def _id(pk: Any) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < value < 2**63:
        raise Http404
    return value


def _filtered(filterset_class: Any, filters: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    if not filters:
        return qs
    fs = filterset_class(filters, queryset=qs)
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return fs.qs


# --- Storerooms and stock -------------------------------------------------------------------

def storeroom_list(*, user: Any, active_only: bool = False) -> QuerySet[Storeroom]:
    qs = Storeroom.objects.visible_to(user).select_related("organization")
    return qs.filter(is_active=True) if active_only else qs


def storeroom_get(*, user: Any, pk: Any) -> Storeroom:
    try:
        return storeroom_list(user=user).get(pk=_id(pk))
    except Storeroom.DoesNotExist:
        raise Http404 from None


def stock_list(*, user: Any, part: SparePart | None = None) -> QuerySet[Stock]:
    qs = Stock.objects.visible_to(user).select_related("part", "storeroom", "storeroom__organization")
    return qs.filter(part=part) if part is not None else qs


# --- Parts ----------------------------------------------------------------------------------

def quantity_expression(user: Any) -> Any:
    """Units of the part in stock across the storerooms `user` may see (0 when none), as a subquery."""
    held = (Stock.objects.visible_to(user).filter(part_id=OuterRef("pk")).order_by()
            .values("part_id").annotate(total=Sum("quantity")).values("total"))
    return Coalesce(Subquery(held, output_field=IntegerField()), Value(0))


def spare_part_list(*, user: Any, filters: Any = None) -> QuerySet[SparePart]:
    """Visible parts with `quantity` (total in stock) and `below_reorder` annotated in SQL."""
    qs = (SparePart.objects.visible_to(user).select_related("ci_class")
          .annotate(quantity=quantity_expression(user))
          .annotate(pending=Coalesce(Subquery(
              Movement.objects.filter(part_id=OuterRef("pk"), status=MovementStatus.PENDING).order_by()
              .values("part_id").annotate(n=Count("id")).values("n"), output_field=IntegerField()), Value(0))))
    return _filtered(SparePartFilterSet, filters, qs)


def spare_part_get(*, user: Any, pk: Any) -> SparePart:
    try:
        return spare_part_list(user=user).get(pk=_id(pk))
    except SparePart.DoesNotExist:
        raise Http404 from None


def reorder_list(*, user: Any) -> QuerySet[SparePart]:
    """Active parts whose stock summed over every storeroom (the caller may see) is at or below their
    reorder level (levels of 0 never reorder), biggest shortfall first. One query: a JOIN with
    GROUP BY part, HAVING total <= level (cheaper than a correlated subquery per part)."""
    mine = Q() if not getattr(user, "is_customer", False) else Q(stock__storeroom__organization_id=user.organization_id)
    total = Coalesce(Sum("stock__quantity", filter=mine), Value(0))
    low = Q(quantity__lte=F("reorder_level"))  # quantity: the annotation
    return (SparePart.objects.visible_to(user).filter(is_active=True, reorder_level__gt=0)
            .annotate(quantity=total).filter(low)
            .annotate(shortfall=F("reorder_level") - F("quantity"))
            .order_by("-shortfall", "name", "id"))


def parts_for_ci(*, user: Any, ci: CI) -> QuerySet[SparePart]:
    """Parts that fit `ci`: of its model when the CI names one, else of its CI class."""
    qs = spare_part_list(user=user).filter(is_active=True)
    if ci.model.strip():
        return qs.filter(model__iexact=ci.model.strip())
    return qs.filter(ci_class_id=ci.ci_class_id)


# --- Movements ------------------------------------------------------------------------------

MOVEMENT_RELATED = ("part", "from_storeroom", "to_storeroom", "incident", "change", "requested_by", "decided_by")


def movement_list(*, user: Any, part: SparePart | None = None, filters: Any = None) -> QuerySet[Movement]:
    qs = Movement.objects.visible_to(user).select_related(*MOVEMENT_RELATED)
    if part is not None:
        qs = qs.filter(part=part)
    return _filtered(MovementFilterSet, filters, qs)


def movement_get(*, user: Any, pk: Any) -> Movement:
    try:
        return movement_list(user=user).get(pk=_id(pk))
    except Movement.DoesNotExist:
        raise Http404 from None


def movement_pending_list(*, user: Any) -> QuerySet[Movement]:
    """The approval queue, oldest request first."""
    return movement_list(user=user).filter(status=MovementStatus.PENDING).order_by("requested_at", "id")


def incident_movement_list(*, user: Any, incident_id: int) -> QuerySet[Movement]:
    return movement_list(user=user).filter(incident_id=incident_id).order_by("requested_at", "id")


# --- Loans ----------------------------------------------------------------------------------

def loan_list(*, user: Any, now: datetime, open_only: bool = True, ci: CI | None = None) -> QuerySet[SpareLoan]:
    """Spare-device loans (the incidents app's records) with what the store knows: the part and
    storeroom a unit came from, and `overdue` (past its due-back time, not returned)."""
    issued = Movement.objects.filter(loan_id=OuterRef("pk"), kind=MovementKind.ISSUE).order_by("id")
    qs = spare_loan_list(user=user, open_only=open_only).annotate(
        store_part=Subquery(issued.values("part__name")[:1]),
        store_part_id=Subquery(issued.values("part_id")[:1]),
        store_room=Subquery(issued.values("from_storeroom__name")[:1]),
        overdue=Exists(SpareLoan.objects.filter(pk=OuterRef("pk"), returned_at__isnull=True, due_back__lt=now)),
    )
    if ci is not None:
        qs = qs.filter(Q(faulty_ci=ci) | Q(standby_ci=ci))
    return qs


def loan_due_list(*, user: Any, now: datetime) -> QuerySet[Incident]:
    """Faults not fixed in time and no standby device lent yet (BRIEF R-SLA: lend one within 24 h):
    open incidents not restored whose running restore target has passed, oldest breach first, with
    `restore_was_due` and `lend_by` (= restore_was_due + 24 h) annotated. One query."""
    restore = SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=OuterRef("pk"),
                                      target=SLATargetName.RESTORE, met_at__isnull=True, paused_at__isnull=True,
                                      due_at__lt=now)
    return (incident_base(user=user).filter(status__in=OPEN_STATUSES, restored_at__isnull=True)
            .annotate(restore_was_due=Subquery(restore.values("due_at")[:1]))
            .filter(restore_was_due__isnull=False)
            .exclude(Exists(SpareLoan.objects.filter(incident_id=OuterRef("pk"))))
            .annotate(lend_by=ExpressionWrapper(F("restore_was_due") + LEND_WITHIN,
                                                output_field=DateTimeField()))
            .select_related("organization", "ci")
            .order_by("restore_was_due", "id"))


# --- Replacements ---------------------------------------------------------------------------

def month_param(raw: str) -> date | None:
    """`YYYY-MM` (or a date in it) → the first of that month; empty or unreadable → None (every month)."""
    parts = (raw or "").strip().split("-")
    try:
        year, month = int(parts[0]), int(parts[1])
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except (IndexError, ValueError):
        return None


# --- Replacement records ---------------------------------------------------------------------------

def replacement_list(*, user: Any) -> QuerySet[Replacement]:
    return (Replacement.objects.filter(ci__in=CI.objects.visible_to(user))
            .select_related("ci", "ci__organization", "replaced_by", "decided_by"))


def replacement_get(*, user: Any, pk: Any) -> Replacement:
    try:
        return replacement_list(user=user).get(pk=_id(pk))
    except Replacement.DoesNotExist:
        raise Http404 from None


def replacement_flagged(*, user: Any, month: date | None, limit: int = 200) -> list[dict[str, Any]]:
    """Devices flagged for replacement (incidents.selectors.ci_replacement_list, one aggregated
    query) joined with the decision recorded for that device and month (one more query for the page)."""
    rows = []
    for row in ci_replacement_list(user=user, month=month)[:limit]:
        flagged = row["month"]
        if isinstance(flagged, datetime):  # TruncMonth in the fault zone: midnight local on the 1st
            flagged = flagged.astimezone(FAULT_MONTH_TZ).date()
        rows.append({**row, "month_date": flagged})
    records = {(r.ci_id, r.month): r for r in replacement_list(user=user).filter(
        ci_id__in={row["ci_id"] for row in rows}, month__in={row["month_date"] for row in rows})}
    return [{**row, "record": records.get((row["ci_id"], row["month_date"]))} for row in rows]


def rma_list(*, user: Any, open_only: bool = False) -> QuerySet[WarrantyReturn]:
    """Warranty returns of the devices the user may see."""
    qs = (WarrantyReturn.objects.filter(ci__in=CI.objects.visible_to(user))
          .select_related("ci", "ci__organization", "part", "created_by"))
    return qs.exclude(status__in=RMA_CLOSED) if open_only else qs


def rma_get(*, user: Any, pk: Any) -> WarrantyReturn:
    try:
        return rma_list(user=user).get(pk=_id(pk))
    except WarrantyReturn.DoesNotExist:
        raise Http404 from None
