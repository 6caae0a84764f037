"""Scheduling conflicts of a change's planned window: other changes on the same CIs in the same
time, freeze windows, and time outside the organisation's agreed maintenance windows. Each is a
`Conflict`; `blocking` ones refuse scheduling (unless a manager overrides them with a reason)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import ChangeStatus, WindowKind
from .models import Change, FreezeWindow, MaintenanceWindow

# Changes that still hold (or are about to hold) their window; draft, rejected, cancelled and
# finished ones do not collide with anything.
ACTIVE_STATUSES = (
    ChangeStatus.SUBMITTED, ChangeStatus.ASSESSED, ChangeStatus.CAB_APPROVAL, ChangeStatus.CUSTOMER_APPROVAL,
    ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING,
)


class ConflictKind:
    OVERLAP = "overlap"
    FREEZE = "freeze"
    OUTSIDE_MAINTENANCE = "outside_maintenance"


@dataclass(frozen=True)
class Conflict:
    kind: str
    message: str
    blocking: bool
    other: object | None = None


def _local(value: datetime | None) -> datetime:
    assert value is not None  # only changes with a planned window are compared
    return timezone.localtime(value, timezone.get_default_timezone())


def _overlapping_changes(*, change: Change, start: datetime, end: datetime,
                         ci_ids: Iterable[int] | None) -> list[Conflict]:
    if ci_ids is None:
        ci_ids = list(change.cis.values_list("pk", flat=True)) if change.pk else []
    ci_ids = list(ci_ids)
    if not ci_ids:
        return []
    others = (
        Change.objects.filter(cis__in=ci_ids, status__in=ACTIVE_STATUSES, planned_start__lt=end, planned_end__gt=start)
        .exclude(pk=change.pk).distinct().order_by("planned_start", "id")
    )
    return [
        Conflict(
            kind=ConflictKind.OVERLAP, blocking=False, other=other,
            message=_("%(number)s changes the same configuration item from %(start)s to %(end)s.") % {
                "number": other.number, "start": _local(other.planned_start).strftime("%Y-%m-%d %H:%M"),
                "end": _local(other.planned_end).strftime("%Y-%m-%d %H:%M"),
            },
        )
        for other in others
    ]


def _freeze_windows(*, change: Change, start: datetime, end: datetime) -> list[Conflict]:
    windows = FreezeWindow.objects.filter(
        Q(organization__isnull=True) | Q(organization_id=change.organization_id),
        is_active=True, start__lt=end, end__gt=start,
    ).order_by("start", "id")
    return [
        Conflict(
            kind=ConflictKind.FREEZE, blocking=window.blocking, other=window,
            message=_("Inside the freeze window “%(name)s” (%(start)s – %(end)s).") % {
                "name": window.name, "start": _local(window.start).strftime("%Y-%m-%d %H:%M"),
                "end": _local(window.end).strftime("%Y-%m-%d %H:%M"),
            },
        )
        for window in windows
    ]


def weekly_occurrences(window: MaintenanceWindow, *, around: datetime) -> list[tuple[datetime, datetime]]:
    """The window's occurrences (local wall clock, aware) that could contain `around`: the one
    starting in the week of `around`, and the ones a week before and after."""
    assert window.weekday is not None and window.start_time is not None and window.end_time is not None
    local = _local(around)
    zone = local.tzinfo
    monday = local.date() - timedelta(days=local.weekday())
    occurrences = []
    for week in (-1, 0, 1):
        day = monday + timedelta(days=window.weekday + 7 * week)
        opens = datetime.combine(day, window.start_time, tzinfo=zone)
        closes_day = day if window.end_time > window.start_time else day + timedelta(days=1)
        occurrences.append((opens, datetime.combine(closes_day, window.end_time, tzinfo=zone)))
    return occurrences


def window_contains(window: MaintenanceWindow, *, start: datetime, end: datetime) -> bool:
    if window.kind == WindowKind.ONE_OFF:
        assert window.start is not None and window.end is not None
        return window.start <= start and end <= window.end
    return any(opens <= start and end <= closes for opens, closes in weekly_occurrences(window, around=start))


def _maintenance_windows(*, change: Change, start: datetime, end: datetime) -> list[Conflict]:
    # An organisation's windows are a handful of rows; containment of a weekly slot is clock
    # arithmetic in the local zone, done here rather than in SQL.
    windows = list(MaintenanceWindow.objects.filter(organization_id=change.organization_id, is_active=True))
    if not windows or any(window_contains(w, start=start, end=end) for w in windows):
        return []
    return [Conflict(
        kind=ConflictKind.OUTSIDE_MAINTENANCE, blocking=any(w.blocking for w in windows), other=None,
        message=_("Outside the maintenance windows agreed with the organisation (%(windows)s).") % {
            "windows": "; ".join(maintenance_window_label(w) for w in windows),
        },
    )]


def maintenance_window_label(window: MaintenanceWindow) -> str:
    if window.kind == WindowKind.ONE_OFF:
        assert window.start is not None and window.end is not None
        return f"{_local(window.start):%Y-%m-%d %H:%M} – {_local(window.end):%Y-%m-%d %H:%M}"
    assert window.start_time is not None and window.end_time is not None
    return f"{window.get_weekday_display()} {window.start_time:%H:%M}–{window.end_time:%H:%M}"


def change_conflicts(*, change: Change, start: datetime, end: datetime,
                     ci_ids: Iterable[int] | None = None) -> list[Conflict]:
    """Every conflict of running `change` in [start, end): blocking ones first. `ci_ids` replaces
    the change's saved CIs (for a form that has not been saved yet)."""
    conflicts = [
        *_freeze_windows(change=change, start=start, end=end),
        *_maintenance_windows(change=change, start=start, end=end),
        *_overlapping_changes(change=change, start=start, end=end, ci_ids=ci_ids),
    ]
    return sorted(conflicts, key=lambda c: not c.blocking)
