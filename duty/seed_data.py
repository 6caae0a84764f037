"""Duty roster demo data for `manage.py seed_demo` (settings.DEMO_SEEDERS): a day/night rotation
for each demo support group, the regional lead as duty lead, holiday duty on the default
calendar's holidays, round-robin auto-assignment for the first group. Idempotent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.models import SupportGroup
from tickets.models import WorkCalendar

from .choices import AutoAssign, DutyRole, RuleKind
from .models import DutyMember, DutyRule, GroupRouting


def _rule(group: SupportGroup, people: list[Any], **fields: Any) -> DutyRule:
    rule = DutyRule.objects.create(group=group, **fields)
    DutyMember.objects.bulk_create([DutyMember(rule=rule, user=p, position=i) for i, p in enumerate(people)])
    return rule


def seed(*, now: datetime, stdout: Any) -> None:
    if DutyRule.objects.exists():
        stdout.write("Duty roster demo data exists already: nothing added.")
        return
    tz = ZoneInfo(settings.TIME_ZONE or "Asia/Shanghai")
    monday = (now.astimezone(tz) - timedelta(days=now.astimezone(tz).weekday())).date() - timedelta(days=7)
    calendar = WorkCalendar.objects.filter(code="cn-default").first()
    made = 0
    for index, group in enumerate(SupportGroup.objects.filter(is_active=True).order_by("pk")):
        people = list(group.members.filter(is_active=True).order_by("pk"))
        if not people:
            continue
        # Day shift 08:30–18:00 and night shift 18:00–08:30, each handed over daily in turn.
        _rule(group, people, name=f"{group.name} 白班", role=DutyRole.PRIMARY, shift_length=timedelta(days=1),
              starts_at=datetime.combine(monday, time(8, 30), tz), window_start=time(8, 30), window_end=time(18, 0))
        _rule(group, people[::-1], name=f"{group.name} 夜班", role=DutyRole.PRIMARY, shift_length=timedelta(days=1),
              starts_at=datetime.combine(monday, time(18, 0), tz), window_start=time(18, 0), window_end=time(8, 30))
        _rule(group, people, name=f"{group.name} 备班", role=DutyRole.STANDBY, shift_length=timedelta(days=7),
              starts_at=datetime.combine(monday, time(8, 30), tz))
        if group.lead_id:
            _rule(group, [group.lead], name=f"{group.name} 值班长", role=DutyRole.LEAD,
                  starts_at=datetime.combine(monday, time(0, 0), tz))
        if calendar is not None:
            _rule(group, people, name=f"{group.name} 节假日值班", kind=RuleKind.HOLIDAY, role=DutyRole.PRIMARY,
                  shift_length=timedelta(days=1), calendar=calendar, starts_at=datetime.combine(monday, time(0, 0), tz))
        if index == 0:
            GroupRouting.objects.get_or_create(group=group, defaults={"auto_assign": AutoAssign.ROUND_ROBIN})
        made += 1
    stdout.write(f"Duty roster: rotations for {made} support groups.")
