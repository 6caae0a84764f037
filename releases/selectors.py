"""Permission-scoped reads of releases and of the change calendar. Every one starts from
`visible_to(user)` (releases, changes) or the user's organisation (freeze and maintenance windows)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from changes.choices import ChangeStatus, WindowKind
from changes.conflicts import (
    ACTIVE_STATUSES,
    Conflict,
    ConflictKind,
    maintenance_window_label,
    window_contains,
)
from changes.models import Change, FreezeWindow, MaintenanceWindow
from changes.selectors import change_base, change_calendar_list
from tickets.selectors import ticket_timeline

from .calendar import Entry, local_start
from .choices import ReleaseStatus
from .filtersets import ReleaseFilterSet
from .models import Deployment, Release, ReleaseChange

LIST_RELATED = ("organization", "created_by")
# Not on the calendar: what will not happen.
HIDDEN_CHANGE_STATUSES = (ChangeStatus.REJECTED, ChangeStatus.CANCELLED)
# Conflicts are marked on changes still to be carried out (drafts included: that is when they help).
CONFLICT_CHECKED_STATUSES = (ChangeStatus.DRAFT, *ACTIVE_STATUSES)


def _is_customer(user: Any) -> bool:
    return bool(getattr(user, "is_customer", True)) and not getattr(user, "is_superuser", False)


def release_base(*, user: Any) -> QuerySet[Release]:
    return Release.objects.visible_to(user)


def release_list(*, user: Any, filters: Any = None) -> QuerySet[Release]:
    qs = release_base(user=user).select_related(*LIST_RELATED).annotate(change_count=Count("release_changes"))
    if filters:
        fs = ReleaseFilterSet(filters, queryset=qs)
        if not fs.is_valid():
            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


def release_get(*, user: Any, pk: Any) -> Release:
    try:
        return release_base(user=user).select_related(*LIST_RELATED).get(pk=int(pk))
    except (Release.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def release_change_list(*, user: Any, release: Release) -> QuerySet[Change]:
    """The changes a (visible) release groups, by planned start."""
    ids = ReleaseChange.objects.filter(release_id=release.pk).values("change_id")
    return (change_base(user=user).filter(pk__in=ids).select_related("organization", "assignee")
            .order_by("planned_start", "number"))


def release_change_options(*, user: Any, release: Release) -> QuerySet[Change]:
    """Changes that could join the release: same organisation, still to be carried out, and in no
    other open release."""
    taken = ReleaseChange.objects.filter(open=True).exclude(release_id=release.pk).values("change_id")
    return (change_base(user=user).filter(organization_id=release.organization_id)
            .exclude(status__in=(*HIDDEN_CHANGE_STATUSES, ChangeStatus.CLOSED))
            .exclude(pk__in=taken).order_by("-reported_at", "-id"))


def deployment_list(*, user: Any, release: Release) -> QuerySet[Deployment]:
    visible = release_base(user=user).filter(pk=release.pk).values("pk")
    return (Deployment.objects.filter(release__in=visible).select_related("deployed_by", "recorded_by")
            .order_by("started_at", "id"))


def release_timeline(*, user: Any, release: Release) -> list[Any]:
    return ticket_timeline(user=user, ticket=release)


def release_list_for_change(*, user: Any, change_id: int) -> QuerySet[Release]:
    """The releases that group a change: the open one first, then finished ones, newest first."""
    return (release_base(user=user).filter(release_changes__change_id=change_id)
            .order_by("-release_changes__open", "-reported_at", "-id"))


# --- The change calendar ---------------------------------------------------------------------


@dataclass
class CalendarData:
    entries: list[Entry]
    maintenance_shown: bool
    conflict_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def calendar_sources() -> list[Any]:
    """Callables `(user=, start=, end=, organization_id=, ci_id=) -> list[Entry]` of higher apps,
    named in settings.CALENDAR_SOURCES (a lower app never imports a higher one)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    return [import_string(path) for path in getattr(settings, "CALENDAR_SOURCES", [])]


def url_or_blank(name: str, pk: int) -> str:
    """The URL, or "" while the page it names does not exist (the changes pages are another app's)."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def calendar_organization_id(*, user: Any, organization_id: int | None) -> int | None:
    """Customers see their own organisation whatever they ask for."""
    if _is_customer(user):
        return int(user.organization_id)
    return organization_id


def calendar_changes(*, user: Any, start: datetime, end: datetime, organization_id: int | None,
                     ci_id: int | None) -> list[Change]:
    qs = change_calendar_list(user=user, start=start, end=end).exclude(status__in=HIDDEN_CHANGE_STATUSES)
    if _is_customer(user):
        qs = qs.exclude(status=ChangeStatus.DRAFT)  # drafts are the desk's own working notes
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    if ci_id:
        qs = qs.filter(cis__id=ci_id)
    return list(qs)


def calendar_releases(*, user: Any, start: datetime, end: datetime, organization_id: int | None,
                      ci_id: int | None) -> list[Release]:
    qs = (release_base(user=user).select_related("organization")
          .filter(planned_start__lt=end, planned_end__gt=start).exclude(status=ReleaseStatus.CANCELLED))
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    if ci_id:
        qs = qs.filter(pk__in=ReleaseChange.objects.filter(change__cis__id=ci_id).values("release_id"))
    return list(qs.annotate(change_count=Count("release_changes")).order_by("planned_start", "id"))


def _freeze_scope(*, user: Any, organization_id: int | None) -> Q:
    if _is_customer(user) or organization_id:
        return Q(organization__isnull=True) | Q(organization_id=organization_id)
    return Q()


def calendar_freeze_windows(*, user: Any, start: datetime, end: datetime,
                            organization_id: int | None) -> list[FreezeWindow]:
    return list(FreezeWindow.objects.filter(_freeze_scope(user=user, organization_id=organization_id),
                                            is_active=True, start__lt=end, end__gt=start)
                .select_related("organization").order_by("start", "id"))


def maintenance_occurrences(windows: list[MaintenanceWindow], *, days: tuple[date, ...],
                            zone: tzinfo) -> list[tuple[MaintenanceWindow, datetime, datetime]]:
    """The windows' occurrences overlapping the shown days (weekly ones expanded on the local wall
    clock, starting the day before the first so an overnight slot shows on the first morning)."""
    start, end = local_start(days[0], zone), local_start(days[-1] + timedelta(days=1), zone)
    out: list[tuple[MaintenanceWindow, datetime, datetime]] = []
    for window in windows:
        if window.kind == WindowKind.ONE_OFF:
            if window.start is not None and window.end is not None and window.start < end and window.end > start:
                out.append((window, window.start, window.end))
            continue
        if window.weekday is None or window.start_time is None or window.end_time is None:
            continue
        for day in (days[0] - timedelta(days=1), *days):
            if day.weekday() != window.weekday:
                continue
            opens = datetime.combine(day, window.start_time, tzinfo=zone)
            closes_day = day if window.end_time > window.start_time else day + timedelta(days=1)
            closes = datetime.combine(closes_day, window.end_time, tzinfo=zone)
            if opens < end and closes > start:
                out.append((window, opens, closes))
    return out


def _local_text(value: datetime, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def calendar_conflicts(changes: list[Change], *, zone: tzinfo) -> dict[int, list[Conflict]]:
    """The conflicts `changes.conflicts.change_conflicts` finds for each change, computed for all of
    them at once: one query for the freeze windows, one for the maintenance windows, one for the
    other changes on the same CIs, whatever the number of changes (the calendar shows dozens)."""
    checked = [c for c in changes if c.status in CONFLICT_CHECKED_STATUSES
               and c.planned_start is not None and c.planned_end is not None]
    out: dict[int, list[Conflict]] = {c.pk: [] for c in changes}
    if not checked:
        return out
    lo = min(c.planned_start for c in checked if c.planned_start is not None)
    hi = max(c.planned_end for c in checked if c.planned_end is not None)
    org_ids = {c.organization_id for c in checked}
    freezes = list(FreezeWindow.objects.filter(Q(organization__isnull=True) | Q(organization_id__in=org_ids),
                                               is_active=True, start__lt=hi, end__gt=lo).order_by("start", "id"))
    maintenance: dict[int, list[MaintenanceWindow]] = defaultdict(list)
    for slot in MaintenanceWindow.objects.filter(organization_id__in=org_ids, is_active=True):
        maintenance[slot.organization_id].append(slot)
    # CIs come prefetched with the calendar's changes (change_calendar_list).
    ci_sets = {c.pk: {ci.pk for ci in c.cis.all()} for c in checked}
    all_cis = set().union(*ci_sets.values())
    others: list[Any] = []  # (id, number, planned_start, planned_end, ci id): one row per change and CI
    if all_cis:
        others = list(Change.objects.filter(cis__in=all_cis, status__in=ACTIVE_STATUSES, planned_start__lt=hi,
                                            planned_end__gt=lo)
                      .values_list("pk", "number", "planned_start", "planned_end", "cis").distinct())
    for change in checked:
        start, end = change.planned_start, change.planned_end
        assert start is not None and end is not None
        found: list[Conflict] = []
        for window in freezes:
            if (window.organization_id in (None, change.organization_id)
                    and window.start < end and window.end > start):
                found.append(Conflict(
                    kind=ConflictKind.FREEZE, blocking=window.blocking, other=window,
                    message=_("Inside the freeze window “%(name)s” (%(start)s – %(end)s).") % {
                        "name": window.name, "start": _local_text(window.start, zone),
                        "end": _local_text(window.end, zone)}))
        windows = maintenance.get(change.organization_id, [])
        if windows and not any(window_contains(w, start=start, end=end) for w in windows):
            found.append(Conflict(
                kind=ConflictKind.OUTSIDE_MAINTENANCE, blocking=any(w.blocking for w in windows), other=None,
                message=_("Outside the maintenance windows agreed with the organisation (%(windows)s).") % {
                    "windows": "; ".join(maintenance_window_label(w) for w in windows)}))
        seen: set[int] = set()
        for pk, number, other_start, other_end, ci in sorted(others, key=lambda row: (row[2], row[0])):
            if pk == change.pk or pk in seen or ci not in ci_sets[change.pk]:
                continue
            if other_start < end and other_end > start:
                seen.add(pk)
                found.append(Conflict(
                    kind=ConflictKind.OVERLAP, blocking=False, other=pk,
                    message=_("%(number)s changes the same configuration item from %(start)s to %(end)s.") % {
                        "number": number, "start": _local_text(other_start, zone),
                        "end": _local_text(other_end, zone)}))
        out[change.pk] = sorted(found, key=lambda c: not c.blocking)
    return out


def calendar_entries(*, user: Any, start: datetime, end: datetime, days: tuple[date, ...] | None, zone: tzinfo,
                     organization_id: int | None = None, ci_id: int | None = None,
                     with_conflicts: bool = True) -> CalendarData:
    """Everything the change calendar shows in [start, end): changes (with their conflicts),
    releases, freeze windows, and — for one organisation and shown `days` — its maintenance windows."""
    organization_id = calendar_organization_id(user=user, organization_id=organization_id)
    changes = calendar_changes(user=user, start=start, end=end, organization_id=organization_id, ci_id=ci_id)
    conflicts = calendar_conflicts(changes, zone=zone) if with_conflicts else {}
    entries: list[Entry] = []
    for change in changes:
        assert change.planned_start is not None and change.planned_end is not None
        entries.append(Entry(
            kind="change", key=f"change-{change.pk}", title=change.title, start=change.planned_start,
            end=change.planned_end, number=change.number, url=url_or_blank("changes:detail", change.pk),
            status=change.status, status_label=str(change.get_status_display()), type=change.type,
            type_label=str(change.get_type_display()), organization=change.organization.name,
            conflicts=conflicts.get(change.pk, []), obj=change))
    for release in calendar_releases(user=user, start=start, end=end, organization_id=organization_id, ci_id=ci_id):
        assert release.planned_start is not None and release.planned_end is not None
        entries.append(Entry(
            kind="release", key=f"release-{release.pk}", title=f"{release.title} ({release.release_version})",
            start=release.planned_start, end=release.planned_end, number=release.number,
            url=url_or_blank("releases:detail", release.pk), status=release.status,
            status_label=str(release.get_status_display()), organization=release.organization.name, obj=release))
    for window in calendar_freeze_windows(user=user, start=start, end=end, organization_id=organization_id):
        entries.append(Entry(
            kind="freeze", key=f"freeze-{window.pk}", title=window.name, start=window.start, end=window.end,
            blocking=window.blocking, organization=window.organization.name if window.organization else "",
            obj=window))
    for source in calendar_sources():  # higher apps' entries (settings.CALENDAR_SOURCES), e.g. inspection rounds
        entries.extend(source(user=user, start=start, end=end, organization_id=organization_id, ci_id=ci_id))
    maintenance_shown = bool(organization_id) and days is not None
    if organization_id and days:
        slots = list(MaintenanceWindow.objects.filter(organization_id=organization_id, is_active=True)
                     .select_related("organization"))
        for slot, opens, closes in maintenance_occurrences(slots, days=days, zone=zone):
            entries.append(Entry(
                kind="maintenance", key=f"maintenance-{slot.pk}-{opens.isoformat()}",
                title=slot.name or str(_("Maintenance window")), start=opens, end=closes,
                blocking=slot.blocking, organization=slot.organization.name, obj=slot))
    entries.sort(key=lambda e: (e.start, e.key))
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        counts[entry.kind] += 1
    return CalendarData(entries=entries, maintenance_shown=maintenance_shown,
                        conflict_count=sum(1 for e in entries if e.conflicts), counts=dict(counts))
