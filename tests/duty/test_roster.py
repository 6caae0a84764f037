"""Roster resolution: rotations across midnight, layers, holiday duty, overrides, an approved swap,
event duty; `duty_on_now` in one query; routing (level I paging, escalation, auto-assignment)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from duty.choices import AutoAssign, DutyRole, RuleKind, RuleStatus
from duty.models import DutyMember, DutyRule, GroupRouting, Skill
from duty.roster import Row, resolve
from duty.selectors import duty_hours, duty_on_now
from duty.services import duty_entry_create, duty_swap_decide, duty_swap_request
from incidents.services import incident_create, incident_transition
from tests.factories import CIFactory, SupportGroupFactory, UserFactory
from tickets.models import CalendarDay, EscalationStep, TicketEvent, WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def names(on_duty) -> list[str]:
    return [d.name for d in on_duty]


# --- the arithmetic, pure ------------------------------------------------------------------------

NIGHTS = Row(pk=1, group_id=1, group_name="G", region="", kind=RuleKind.ROTATION, role=DutyRole.PRIMARY,
             starts_at=sh(2026, 12, 1, 18, 0), ends_at=None, members=((1, "Ann"), (2, "Bo"), (3, "Cy")),
             shift_length=timedelta(days=1), window_start=time(18, 0), window_end=time(8, 30))


def test_night_rotation_across_midnight_belongs_to_the_evening_before():
    # Night of 1→2 Dec: Ann (before and after midnight); night of 2→3 Dec: Bo; 4→5 Dec: Ann again.
    assert names(resolve([NIGHTS], sh(2026, 12, 1, 23, 59), tz=SH)) == ["Ann"]
    assert names(resolve([NIGHTS], sh(2026, 12, 2, 0, 30), tz=SH)) == ["Ann"]
    assert names(resolve([NIGHTS], sh(2026, 12, 2, 8, 29), tz=SH)) == ["Ann"]
    assert names(resolve([NIGHTS], sh(2026, 12, 2, 8, 30), tz=SH)) == []  # day time: the window is closed
    assert names(resolve([NIGHTS], sh(2026, 12, 2, 18, 0), tz=SH)) == ["Bo"]
    assert names(resolve([NIGHTS], sh(2026, 12, 3, 3, 0), tz=SH)) == ["Bo"]
    assert names(resolve([NIGHTS], sh(2026, 12, 4, 20, 0), tz=SH)) == ["Ann"]
    assert names(resolve([NIGHTS], sh(2026, 12, 1, 17, 0), tz=SH)) == []  # before the first handoff


def test_layers_override_swap_and_event_duty():
    weekly = Row(pk=2, group_id=1, group_name="G", region="", kind=RuleKind.ROTATION, role=DutyRole.PRIMARY,
                 starts_at=sh(2026, 11, 30, 9), ends_at=None, members=((4, "Dee"), (5, "Eve")),
                 shift_length=timedelta(days=7), layer=0)
    swap = Row(pk=3, group_id=1, group_name="G", region="", kind=RuleKind.SWAP, role=DutyRole.PRIMARY,
               starts_at=sh(2026, 12, 2, 0, 0), ends_at=sh(2026, 12, 2, 12, 0), members=((6, "Fay"),), replaces_id=1)
    event = Row(pk=4, group_id=1, group_name="G", region="", kind=RuleKind.EVENT, role=DutyRole.PRIMARY,
                starts_at=sh(2026, 12, 2, 6, 0), ends_at=sh(2026, 12, 2, 7, 0), members=((7, "Gus"),))
    rows = [weekly, NIGHTS, swap, event]
    # Nights are layer 0 too but started later: the newer rotation wins its window; days: the weekly one.
    assert names(resolve(rows, sh(2026, 12, 1, 12, 0), tz=SH)) == ["Dee"]
    assert names(resolve(rows, sh(2026, 12, 1, 22, 0), tz=SH)) == ["Ann"]
    # The swap replaces Ann (whom it names) after midnight; event duty adds Gus 06:00-07:00.
    assert names(resolve(rows, sh(2026, 12, 2, 1, 0), tz=SH)) == ["Fay"]
    assert sorted(names(resolve(rows, sh(2026, 12, 2, 6, 30), tz=SH))) == ["Fay", "Gus"]
    # A swap naming someone not on duty changes nothing.
    assert names(resolve([weekly, swap], sh(2026, 12, 2, 1, 0), tz=SH)) == ["Dee"]
    # The weekly rotation hands over after seven days.
    assert names(resolve([weekly], sh(2026, 12, 7, 9, 0), tz=SH)) == ["Eve"]


def test_holiday_duty_wins_on_the_calendars_holidays_only():
    weekly = Row(pk=2, group_id=1, group_name="G", region="", kind=RuleKind.ROTATION, role=DutyRole.PRIMARY,
                 starts_at=sh(2026, 11, 30, 9), ends_at=None, members=((4, "Dee"),), layer=5)
    holiday = Row(pk=5, group_id=1, group_name="G", region="", kind=RuleKind.HOLIDAY, role=DutyRole.PRIMARY,
                  starts_at=sh(2026, 1, 1), ends_at=None, members=((8, "Hal"),), holidays=frozenset({date(2027, 1, 1)}))
    assert names(resolve([weekly, holiday], sh(2027, 1, 1, 10), tz=SH)) == ["Hal"]
    assert names(resolve([weekly, holiday], sh(2027, 1, 2, 10), tz=SH)) == ["Dee"]


# --- the query and the services ------------------------------------------------------------------

@pytest.fixture
def team(db):
    lead = UserFactory(username="duty_lead", name="Lead Li", role=Role.ENGINEER)
    a = UserFactory(username="duty_a", name="Ann", role=Role.ENGINEER)
    b = UserFactory(username="duty_b", name="Bo", role=Role.ENGINEER)
    group = SupportGroupFactory(name="Duty group", region="North", lead=lead)
    group.members.add(a, b)
    return {"lead": lead, "a": a, "b": b, "group": group}


def rotation(group, people, *, starts_at, shift=timedelta(hours=12), role=DutyRole.PRIMARY, kind=RuleKind.ROTATION,
             **extra) -> DutyRule:
    rule = DutyRule.objects.create(group=group, kind=kind, role=role, starts_at=starts_at, shift_length=shift, **extra)
    for i, person in enumerate(people):
        DutyMember.objects.create(rule=rule, user=person, position=i)
    return rule


def test_duty_on_now_is_one_query_and_filters_by_group_and_region(team):
    g = team["group"]
    rotation(g, [team["a"], team["b"]], starts_at=sh(2026, 12, 1, 8, 30))
    rotation(g, [team["lead"]], starts_at=sh(2026, 12, 1, 0, 0), shift=None, role=DutyRole.LEAD)
    other = SupportGroupFactory(name="South", region="South")
    rotation(other, [UserFactory(username="south_eng", name="Sam")], starts_at=sh(2026, 12, 1))
    with CaptureQueriesContext(connection) as queries:
        now = duty_on_now(at=sh(2026, 12, 1, 21, 0))
    assert len(queries) == 1 if connection.vendor == "postgresql" else len(queries) <= 3
    assert [(d.name, d.role) for d in now if d.group_id == g.pk] == [("Lead Li", "lead"), ("Bo", "primary")]
    assert names(duty_on_now(region="South", at=sh(2026, 12, 1, 21, 0))) == ["Sam"]
    assert names(duty_on_now(g, at=sh(2026, 12, 2, 9, 0))) == ["Lead Li", "Ann"]


def test_holiday_duty_reads_the_sla_calendar(team):
    cal = WorkCalendar.objects.create(code="duty-cal", name="Duty calendar")
    CalendarDay.objects.create(calendar=cal, date=date(2027, 1, 1), kind="holiday", name="New Year")
    g = team["group"]
    rotation(g, [team["a"]], starts_at=sh(2026, 12, 1), shift=None)
    rotation(g, [team["b"]], starts_at=sh(2026, 12, 1), shift=None, kind=RuleKind.HOLIDAY, calendar=cal)
    assert names(duty_on_now(g, at=sh(2027, 1, 1, 15))) == ["Bo"]
    assert names(duty_on_now(g, at=sh(2027, 1, 2, 15))) == ["Ann"]


def test_swap_needs_the_group_leads_approval(team, now):
    g = team["group"]
    start = now - timedelta(hours=1)
    rotation(g, [team["a"]], starts_at=start, shift=None)
    swap = duty_swap_request(actor=team["a"], group=g, with_user=team["b"], starts_at=now, ends_at=now + timedelta(hours=4),
                             now=now)
    assert swap.status == RuleStatus.PENDING
    assert names(duty_on_now(g, at=now + timedelta(minutes=5))) == ["Ann"]  # pending: no effect
    with pytest.raises(PermissionDenied):
        duty_swap_decide(actor=team["b"], rule_id=swap.pk, approve=True, now=now)
    duty_swap_decide(actor=team["lead"], rule_id=swap.pk, approve=True, now=now)
    assert names(duty_on_now(g, at=now + timedelta(minutes=5))) == ["Bo"]
    assert names(duty_on_now(g, at=now + timedelta(hours=5))) == ["Ann"]
    with pytest.raises(ValidationError):
        duty_swap_request(actor=team["b"], group=g, with_user=team["a"], starts_at=now + timedelta(hours=6),
                          ends_at=now + timedelta(hours=7), now=now)  # Bo is not on duty then


def test_special_support_books_extra_duty_for_a_customer(team, org_a, now):
    g = team["group"]
    supervisor = UserFactory(username="duty_sup", role=Role.SUPERVISOR)
    rotation(g, [team["a"]], starts_at=now - timedelta(days=1), shift=None)
    with pytest.raises(ValidationError):
        duty_entry_create(actor=supervisor, group=g, kind=RuleKind.SPECIAL, people=[team["b"]], starts_at=now,
                          ends_at=now + timedelta(hours=3), now=now)
    duty_entry_create(actor=supervisor, group=g, kind=RuleKind.SPECIAL, people=[team["b"]], organization=org_a,
                      starts_at=now, ends_at=now + timedelta(hours=3), reason="Board meeting", now=now)
    assert sorted(names(duty_on_now(g, at=now + timedelta(hours=1)))) == ["Ann", "Bo"]
    with pytest.raises(PermissionDenied):
        duty_entry_create(actor=team["a"], group=g, kind=RuleKind.OVERRIDE, people=[team["b"]], starts_at=now,
                          ends_at=now + timedelta(hours=1), now=now)


def test_on_call_hours_split_business_off_hours_and_holidays(team):
    cal = WorkCalendar.objects.create(code="cn-default", name="Default")
    CalendarDay.objects.create(calendar=cal, date=date(2027, 1, 1), kind="holiday", name="New Year")
    rotation(team["group"], [team["a"]], starts_at=sh(2026, 12, 31, 8, 0), shift=None,
             ends_at=sh(2027, 1, 1, 20, 0))
    hours = {h.name: h for h in duty_hours(start=sh(2026, 12, 31), end=sh(2027, 1, 2))}
    ann = hours["Ann"]
    # 31 Dec (Thursday) 08:00-24:00: 7.5 h business (09-12, 13:30-18), 8.5 h off-hours; 1 Jan 00-20: holiday.
    assert (ann.business, ann.off_hours, ann.holiday) == (timedelta(hours=7.5), timedelta(hours=8.5),
                                                          timedelta(hours=20))


def test_on_call_hours_are_exact_to_the_minute_not_sampled(team):
    """Hand-overs off the quarter hour and a night window across midnight: the hours are cut at every
    change of the roster, not sampled (a 15-minute sample would give 12 h 8 min / 3 h 52 min here)."""
    WorkCalendar.objects.create(code="cn-default", name="Default")
    rotation(team["group"], [team["a"], team["b"]], starts_at=sh(2026, 12, 30, 8, 7),
             ends_at=sh(2026, 12, 31, 8, 7))  # 12-hour turns: Ann 08:07-20:07, Bo 20:07-08:07
    rotation(team["group"], [team["lead"]], starts_at=sh(2026, 12, 29), shift=None, role=DutyRole.LEAD,
             window_start=time(22, 10), window_end=time(6, 20))  # the lead's nights only
    hours = {h.name: h for h in duty_hours(start=sh(2026, 12, 30), end=sh(2026, 12, 31))}
    # Wednesday 30 Dec: business 09:00-12:00 and 13:30-18:00 (7.5 h).
    assert (hours["Ann"].business, hours["Ann"].off_hours) == (timedelta(hours=7.5), timedelta(hours=4.5))
    assert (hours["Bo"].business, hours["Bo"].off_hours) == (timedelta(0), timedelta(hours=3, minutes=53))
    # 00:00-06:20 and 22:10-24:00 = 8 h 10 min, all off-hours.
    assert (hours["Lead Li"].business, hours["Lead Li"].off_hours) == (timedelta(0), timedelta(hours=8, minutes=10))
    assert sum((h.total for h in hours.values()), timedelta(0)) == timedelta(hours=12 + 3, minutes=53 + 8 * 60 + 10)


# --- routing -------------------------------------------------------------------------------------

def test_level_one_pages_the_on_duty_engineer_and_lead(team, operator, org_a, now):
    regional = UserFactory(username="duty_regional", role=Role.REGIONAL_LEAD)
    rotation(team["group"], [team["b"]], starts_at=now - timedelta(hours=1), shift=None)
    rotation(team["group"], [team["lead"]], starts_at=now - timedelta(hours=1), shift=None, role=DutyRole.LEAD)
    inc = incident_create(actor=operator, organization=org_a, title="Core down", impact="high", urgency="high", now=now)
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=inc.pk, action="notified")
    assert sorted(event.data["on_duty"]) == sorted([team["b"].pk, team["lead"].pk])
    assert set(event.data["recipients"]) == {regional.pk, team["b"].pk, team["lead"].pk}


def test_escalation_to_the_group_lead_reaches_the_duty_lead(team, operator, org_a, now):
    from incidents.sla.escalation import escalation_recipients

    EscalationStep.objects.create(level=1, recipient="group_lead")
    stand_in = UserFactory(username="duty_standin", role=Role.ENGINEER)
    inc = incident_create(actor=operator, organization=org_a, title="Slow", now=now)
    inc = incident_transition(incident_id=inc.pk, actor=UserFactory(username="disp", role=Role.DISPATCHER),
                              action="assign", payload={"group": team["group"].pk, "assignee": team["a"].pk}, now=now)
    assert escalation_recipients(inc, level=1)[1]["target_user_ids"] == [team["lead"].pk]
    rotation(team["group"], [stand_in], starts_at=now - timedelta(hours=1), shift=None, role=DutyRole.LEAD)
    assert escalation_recipients(inc, level=1)[1]["target_user_ids"] == [stand_in.pk]


@pytest.mark.parametrize("mode", [AutoAssign.ROUND_ROBIN, AutoAssign.LEAST_LOADED])
def test_auto_assignment_among_those_on_duty_with_the_skill(team, operator, dispatcher, org_a, now, mode):
    g = team["group"]
    c = UserFactory(username="duty_c", name="Cy", role=Role.ENGINEER)
    off = UserFactory(username="duty_off", name="Off", role=Role.ENGINEER)
    g.members.add(c, off)
    rotation(g, [team["a"], team["b"], c], starts_at=now - timedelta(hours=1), shift=None)
    GroupRouting.objects.create(group=g, auto_assign=mode)
    picks = []
    for i in range(3):
        inc = incident_create(actor=operator, organization=org_a, title=f"T{i}", now=now)
        inc = incident_transition(incident_id=inc.pk, actor=dispatcher, action="assign", payload={"group": g.pk},
                                  now=now)
        picks.append(inc.assignee_id)
    assert sorted(picks) == sorted([team["a"].pk, team["b"].pk, c.pk])  # each once, never the one off duty
    ci = CIFactory(organization=org_a)
    Skill.objects.create(user=c, ci_class=ci.ci_class)
    inc = incident_create(actor=operator, organization=org_a, title="Skilled", ci=ci, now=now)
    inc = incident_transition(incident_id=inc.pk, actor=dispatcher, action="assign", payload={"group": g.pk}, now=now)
    assert inc.assignee_id == c.pk


def test_without_the_option_a_group_assignment_stays_unassigned(team, operator, dispatcher, org_a, now):
    rotation(team["group"], [team["a"]], starts_at=now - timedelta(hours=1), shift=None)
    inc = incident_create(actor=operator, organization=org_a, title="T", now=now)
    inc = incident_transition(incident_id=inc.pk, actor=dispatcher, action="assign",
                              payload={"group": team["group"].pk}, now=now)
    assert inc.assignee_id is None
