"""Writes to the SLA configuration (DESIGN.md rule 10: configuration is data): policies with their
targets per fault level, and work calendars with their dated days and confirmed years.

Validation lives here, so the API, the admin and scripts refuse the same things with the same field
messages. Nothing is hard-deleted that tickets refer to: a policy is deactivated, not removed."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import CalendarDayKind, CalendarDaySource, ClockKind, SLATargetName
from .models import CalendarDay, CalendarYear, SLAPolicy, SLATarget, WorkCalendar

FAULT_LEVELS = ("I", "II", "III", "IV")
POLICY_FIELDS = ("name", "organization", "calendar", "warn_thresholds", "observation_days", "escalation_step",
                 "is_active")
CALENDAR_FIELDS = ("code", "name", "time_zone", "week", "makeup_weekday", "holiday_country")
MIN_DURATION = timedelta(seconds=1)
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def sla_config_can_write(user: Any) -> bool:
    """Superusers and project managers edit SLA configuration; other staff read it."""
    return bool(user and user.is_active and (user.is_superuser or getattr(user, "role", "") == "manager"))


def _check_writer(actor: Any) -> None:
    if not sla_config_can_write(actor):
        raise PermissionDenied


# --- validation ---------------------------------------------------------------------------

def thresholds_validate(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationError({"warn_thresholds": [_("Give a list of whole percentages, e.g. [50, 75, 90].")]})
    if any(v < 1 or v > 99 for v in value):
        raise ValidationError({"warn_thresholds": [_("Each warning threshold is a percentage from 1 to 99.")]})
    if any(b <= a for a, b in zip(value, value[1:], strict=False)):
        raise ValidationError({"warn_thresholds": [_("List the warning thresholds in ascending order, each once.")]})
    return list(value)


def target_validate(target: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if target.get("fault_level") not in FAULT_LEVELS:
        errors["fault_level"] = [_("Choose a fault level I, II, III or IV.")]
    if target.get("target") not in SLATargetName.values:
        errors["target"] = [_("Choose one of: %(names)s.") % {"names": ", ".join(SLATargetName.values)}]
    clock = target.get("clock") or ClockKind.ALWAYS
    if clock not in ClockKind.values:
        errors["clock"] = [_("Choose 24x7 or business.")]
    duration, days = target.get("duration"), target.get("business_days")
    if duration is not None and days is not None:
        errors["business_days"] = [_("A target has one unit: give a duration or business days, not both.")]
    if duration is not None and (not isinstance(duration, timedelta) or duration < MIN_DURATION):
        errors["duration"] = [_("A duration is at least 1 second.")]
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        errors["business_days"] = [_("Business days is a whole number of at least 1.")]
    if days is not None and clock != ClockKind.BUSINESS and "business_days" not in errors:
        errors["clock"] = [_("Business days are counted on the business calendar: choose the business clock.")]
    if errors:
        raise ValidationError(errors)
    return {"fault_level": target["fault_level"], "target": target["target"], "duration": duration,
            "business_days": days, "clock": clock}


def targets_validate(targets: Any) -> list[dict[str, Any]]:
    """Every target valid, each (level, target) once. Errors name the target they belong to."""
    if not isinstance(targets, list):
        raise ValidationError({"targets": [_("Give a list of targets.")]})
    clean: list[dict[str, Any]] = []
    messages: list[str] = []
    seen: set[tuple[str, str]] = set()
    for item in targets:
        label = f"{item.get('fault_level', '?')}/{item.get('target', '?')}"
        try:
            one = target_validate(dict(item))
        except ValidationError as exc:
            messages += [f"{label}: {m}" for ms in exc.message_dict.values() for m in ms]
            continue
        key = (one["fault_level"], one["target"])
        if key in seen:
            messages.append(f"{label}: " + _("this target is listed twice."))
            continue
        seen.add(key)
        clean.append(one)
    if messages:
        raise ValidationError({"targets": messages})
    return clean


def week_validate(week: Any) -> dict[str, list[list[str]]]:
    message = _('Working hours per weekday: {"0": [["09:00", "12:00"], ["13:30", "18:00"]], …, "6": []} '
                '(0 = Monday), each period start before end, in order, not overlapping.')
    if not isinstance(week, dict) or set(week) - {str(d) for d in range(7)}:
        raise ValidationError({"week": [message]})
    clean: dict[str, list[list[str]]] = {}
    for day in range(7):
        periods = week.get(str(day), [])
        if not isinstance(periods, list):
            raise ValidationError({"week": [message]})
        last_end = ""
        for period in periods:
            if (not isinstance(period, list | tuple) or len(period) != 2
                    or not all(isinstance(t, str) and HHMM.match(t) for t in period)
                    or period[0] >= period[1] or period[0] < last_end):
                raise ValidationError({"week": [message]})
            last_end = period[1]
        clean[str(day)] = [list(p) for p in periods]
    return clean


def _time_zone_validate(name: Any) -> str:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": [_("Unknown time zone (use a name like Asia/Shanghai).")]}) from None
    return str(name)


def days_validate(days: Any) -> list[dict[str, Any]]:
    if not isinstance(days, list):
        raise ValidationError({"days": [_("Give a list of dated days.")]})
    seen: set[date] = set()
    clean = []
    for item in days:
        day = item.get("date")
        if not isinstance(day, date):
            raise ValidationError({"days": [_("Each day needs a date (YYYY-MM-DD).")]})
        if day in seen:
            raise ValidationError({"days": [_("%(date)s is listed twice.") % {"date": day.isoformat()}]})
        if item.get("kind") not in CalendarDayKind.values:
            raise ValidationError({"days": [_("%(date)s: choose holiday or workday.") % {"date": day.isoformat()}]})
        seen.add(day)
        clean.append({"date": day, "kind": item["kind"], "name": str(item.get("name") or "")[:100],
                      "source": item.get("source") or CalendarDaySource.ADMIN})
    return clean


def years_validate(years: Any) -> list[dict[str, Any]]:
    if not isinstance(years, list):
        raise ValidationError({"years": [_("Give a list of years.")]})
    seen: set[int] = set()
    clean = []
    for item in years:
        year = item.get("year")
        if not isinstance(year, int) or not 2000 <= year <= 2100 or year in seen:
            raise ValidationError({"years": [_("Each year (2000–2100) once.")]})
        seen.add(year)
        clean.append({"year": year, "confirmed": bool(item.get("confirmed")), "note": str(item.get("note") or "")[:200]})
    return clean


# --- policies -----------------------------------------------------------------------------

def _policy_apply(policy: SLAPolicy, data: dict[str, Any]) -> None:
    for name in POLICY_FIELDS:
        if name in data:
            setattr(policy, name, data[name])
    errors: dict[str, list[str]] = {}
    if not str(policy.name or "").strip():
        errors["name"] = [_("Give the policy a name.")]
    if policy.escalation_step is not None and policy.escalation_step < MIN_DURATION:
        errors["escalation_step"] = [_("A duration is at least 1 second.")]
    if policy.observation_days is not None and policy.observation_days > 365:
        errors["observation_days"] = [_("At most 365 days.")]
    if errors:
        raise ValidationError(errors)
    policy.warn_thresholds = thresholds_validate(policy.warn_thresholds)
    if policy.organization_id is None and policy.is_active:
        clash = SLAPolicy.objects.filter(organization__isnull=True, is_active=True).exclude(pk=policy.pk)
        if clash.exists():
            raise ValidationError({"organization": [
                _("There is already an active default policy: choose an organisation, or deactivate that one.")]})


def _targets_replace(policy: SLAPolicy, targets: list[dict[str, Any]]) -> None:
    keep: list[int] = []
    for item in targets:
        row, _created = SLATarget.objects.update_or_create(
            policy=policy, fault_level=item["fault_level"], target=item["target"],
            defaults={"duration": item["duration"], "business_days": item["business_days"], "clock": item["clock"]})
        keep.append(row.pk)
    # Targets are configuration, not history: running clocks keep the deadlines they were given.
    SLATarget.objects.filter(policy=policy).exclude(pk__in=keep).delete()


@transaction.atomic
def sla_policy_create(*, actor: Any, data: dict[str, Any]) -> SLAPolicy:
    _check_writer(actor)
    data = dict(data)
    targets = targets_validate(data.pop("targets", []))
    policy = SLAPolicy(warn_thresholds=[50, 75, 90])
    _policy_apply(policy, data)
    policy.save()
    _targets_replace(policy, targets)
    return policy


@transaction.atomic
def sla_policy_update(*, policy_id: int, actor: Any, data: dict[str, Any]) -> SLAPolicy:
    """Change a policy; `targets`, when given, is the complete new list (matched by level and target)."""
    _check_writer(actor)
    data = dict(data)
    targets = targets_validate(data.pop("targets")) if "targets" in data else None
    policy = SLAPolicy.objects.select_for_update().get(pk=policy_id)
    _policy_apply(policy, data)
    policy.save()
    if targets is not None:
        _targets_replace(policy, targets)
    return policy


# --- calendars ----------------------------------------------------------------------------

def _calendar_apply(calendar: WorkCalendar, data: dict[str, Any]) -> None:
    for name in CALENDAR_FIELDS:
        if name in data:
            setattr(calendar, name, data[name])
    errors: dict[str, list[str]] = {}
    if not str(calendar.name or "").strip():
        errors["name"] = [_("Give the calendar a name.")]
    if not str(calendar.code or "").strip():
        errors["code"] = [_("Give the calendar a short code.")]
    elif WorkCalendar.objects.filter(code=calendar.code).exclude(pk=calendar.pk).exists():
        errors["code"] = [_("Another calendar has this code.")]
    if not 0 <= int(calendar.makeup_weekday) <= 6:
        errors["makeup_weekday"] = [_("0 = Monday … 6 = Sunday.")]
    if errors:
        raise ValidationError(errors)
    calendar.time_zone = _time_zone_validate(calendar.time_zone)
    calendar.week = week_validate(calendar.week)


def _days_replace(calendar: WorkCalendar, days: list[dict[str, Any]]) -> None:
    keep = []
    for item in days:
        row, _created = CalendarDay.objects.update_or_create(
            calendar=calendar, date=item["date"],
            defaults={"kind": item["kind"], "name": item["name"], "source": item["source"]})
        keep.append(row.pk)
    CalendarDay.objects.filter(calendar=calendar).exclude(pk__in=keep).delete()


def _years_replace(calendar: WorkCalendar, years: list[dict[str, Any]]) -> None:
    keep = []
    for item in years:
        row, _created = CalendarYear.objects.update_or_create(
            calendar=calendar, year=item["year"], defaults={"confirmed": item["confirmed"], "note": item["note"]})
        keep.append(row.pk)
    CalendarYear.objects.filter(calendar=calendar).exclude(pk__in=keep).delete()


@transaction.atomic
def work_calendar_create(*, actor: Any, data: dict[str, Any]) -> WorkCalendar:
    _check_writer(actor)
    data = dict(data)
    days = days_validate(data.pop("days", []))
    years = years_validate(data.pop("years", []))
    calendar = WorkCalendar()
    _calendar_apply(calendar, data)
    calendar.save()
    _days_replace(calendar, days)
    _years_replace(calendar, years)
    return calendar


@transaction.atomic
def work_calendar_update(*, calendar_id: int, actor: Any, data: dict[str, Any]) -> WorkCalendar:
    """Change a calendar; `days` / `years`, when given, are the complete new lists (matched by date / year)."""
    _check_writer(actor)
    data = dict(data)
    days = days_validate(data.pop("days")) if "days" in data else None
    years = years_validate(data.pop("years")) if "years" in data else None
    calendar = WorkCalendar.objects.select_for_update().get(pk=calendar_id)
    _calendar_apply(calendar, data)
    calendar.save()
    if days is not None:
        _days_replace(calendar, days)
    if years is not None:
        _years_replace(calendar, years)
    return calendar
