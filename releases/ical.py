"""The change calendar as an RFC 5545 iCalendar feed (changes, releases, freeze windows), built
with the `icalendar` package rather than by hand: it folds long lines, escapes text and encodes
times as the RFC wants, which is where hand-written feeds usually break in Outlook."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from changes.choices import ChangeStatus

from .calendar import Entry
from .choices import ReleaseStatus

# What a subscription carries: the recent past and the coming year.
FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=366)
PRODID = "-//OpsDesk//Change calendar//EN"

CONFIRMED_CHANGE = {ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING, ChangeStatus.IMPLEMENTED,
                    ChangeStatus.REVIEW, ChangeStatus.CLOSED}
CONFIRMED_RELEASE = {ReleaseStatus.SCHEDULED, ReleaseStatus.DEPLOYING, ReleaseStatus.DEPLOYED,
                     ReleaseStatus.VERIFIED, ReleaseStatus.CLOSED}


def feed_range(now: datetime) -> tuple[datetime, datetime]:
    return now - FEED_PAST, now + FEED_FUTURE


def _uid_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "opsdesk.local"


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


def _describe(entry: Entry) -> str:
    lines: list[str] = []
    if entry.organization:
        lines.append(_("Organisation: %(name)s") % {"name": entry.organization})
    if entry.status_label:
        lines.append(_("Status: %(status)s") % {"status": entry.status_label})
    if entry.kind == "change":
        change = entry.obj
        lines.append(_("Type: %(type)s, risk: %(risk)s") % {"type": entry.type_label,
                                                            "risk": change.get_risk_display()})
        cis = ", ".join(ci.name for ci in change.cis.all())
        if cis:
            lines.append(_("Configuration items: %(cis)s") % {"cis": cis})
    if entry.kind == "release":
        lines.append(_("Changes: %(count)s") % {"count": getattr(entry.obj, "change_count", 0)})
    if entry.kind == "freeze":
        lines.append(_("Blocking: no change may be carried out.") if entry.blocking
                     else _("Warning only: changes are discouraged."))
        if entry.obj.reason:
            lines.append(entry.obj.reason)
    for conflict in entry.conflicts:
        lines.append(_("Conflict: %(message)s") % {"message": conflict.message})
    return "\n".join(lines)


def _summary(entry: Entry) -> str:
    if entry.kind == "freeze":
        return _("Change freeze: %(name)s") % {"name": entry.title}
    text = f"{entry.number} {entry.title}"
    return f"⚠ {text}" if entry.conflicts else text


def _status(entry: Entry) -> str | None:
    if entry.kind == "change":
        return "CONFIRMED" if entry.status in CONFIRMED_CHANGE else "TENTATIVE"
    if entry.kind == "release":
        return "CONFIRMED" if entry.status in CONFIRMED_RELEASE else "TENTATIVE"
    return None


CATEGORY = {"change": "Change", "release": "Release", "freeze": "Freeze", "maintenance": "Maintenance",
            "inspection": "Inspection", "drill": "Drill"}


def calendar_ics(entries: Iterable[Entry], *, name: str, now: datetime) -> bytes:
    """The entries as one VCALENDAR. Times are UTC (no VTIMEZONE needed); an event's SEQUENCE is
    its record's version, so subscribers replace the copy they hold when it changes."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add("x-published-ttl", "PT1H")
    host = _uid_host()
    stamp = now.astimezone(UTC)
    for entry in entries:
        if entry.kind == "maintenance":
            continue
        event = Event()
        event.add("uid", f"{entry.key}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start.astimezone(UTC))
        event.add("dtend", entry.end.astimezone(UTC))
        event.add("summary", _summary(entry))
        description = _describe(entry)
        if description:
            event.add("description", description)
        event.add("categories", [CATEGORY.get(entry.kind, entry.kind.title())])
        status = _status(entry)
        if status:
            event.add("status", status)
        if entry.kind == "freeze":
            event.add("transp", "TRANSPARENT")
        version = getattr(entry.obj, "version", None)
        if isinstance(version, int):
            event.add("sequence", version)
        updated = getattr(entry.obj, "updated_at", None)
        if isinstance(updated, datetime):
            event.add("last-modified", updated.astimezone(UTC))
        if entry.url:
            event.add("url", _absolute(entry.url))
        cal.add_component(event)
    return cal.to_ical()
