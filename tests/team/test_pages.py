"""The team's pages render for the people who use them (zh-hans), refuse the others with 404, and
the portal's leave approval works end to end; the scorecards export as PDF and Excel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from duty.choices import DutyRole
from duty.models import DutyMember, DutyRule
from incidents.models import Incident
from team.choices import LeaveStatus
from team.kpi import scorecards_propose
from team.models import LeaveRequest, TrainingAttendee
from team.services import leave_create, leave_transition
from tests.factories import CustomerFactory, UserFactory
from tickets.approvals import approval_decide, approval_pending


@pytest.fixture
def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def test_roster_panel_and_queue_show_who_is_on_duty(zh, crew, now):
    rule = DutyRule.objects.create(group=crew["group"], role=DutyRole.PRIMARY, starts_at=now - timedelta(hours=1))
    DutyMember.objects.create(rule=rule, user=crew["eng"])
    zh.force_login(crew["dispatcher"])
    for url in (reverse("duty:panel"), reverse("duty:roster"), reverse("incidents:hotline")):
        response = zh.get(url)
        assert response.status_code == 200, url
    assert "Wang Wu" in zh.get(reverse("duty:panel")).content.decode()
    assert "值班" in zh.get(reverse("duty:roster")).content.decode()
    assert reverse("duty:panel") in zh.get(reverse("incidents:queue")).content.decode()
    zh.force_login(crew["customer"])
    assert zh.get(reverse("duty:panel")).status_code == 404


def test_leave_pages_and_the_portal_approval(zh, crew, org_a, org_b, operator, now):
    from incidents.services import incident_create, incident_transition

    for org, title in ((org_a, "alpha-own-incident"), (org_b, "beta-secret-incident")):
        inc = incident_create(actor=operator, organization=org, title=title, now=now)
        incident_transition(incident_id=inc.pk, actor=crew["dispatcher"], action="assign",
                            payload={"assignee": crew["eng"].pk}, now=now)
    zh.force_login(crew["eng"])
    assert zh.get(reverse("team:leave_new")).status_code == 200
    response = zh.post(reverse("team:leave_new"), {
        "organization": org_a.pk, "leave_type": "annual", "stand_in": crew["mate"].pk,
        "starts_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M"),
        "duties": "Inspection round, site A", "duties_to": crew["mate"].pk,
        **{f"incident_{pk}": crew["mate"].pk for pk in Incident.objects.values_list("pk", flat=True)}})
    assert response.status_code == 302, response.content.decode()[-2000:]
    leave = LeaveRequest.objects.get()
    assert leave.status == LeaveStatus.COMPANY_APPROVAL
    assert zh.get(reverse("team:leave_list")).status_code == 200
    assert zh.get(reverse("team:detail", args=[leave.pk])).status_code == 200
    # The lead decides on the staff page; the customer in the portal.
    zh.force_login(crew["lead"])
    page = zh.get(reverse("team:detail", args=[leave.pk])).content.decode()
    assert reverse("team:leave_decide", args=[leave.pk]) in page
    assert zh.post(reverse("team:leave_decide", args=[leave.pk]), {"decision": "approve"}).status_code == 302
    zh.force_login(crew["customer"])
    assert zh.get(reverse("team:leave_list")).status_code == 404
    listing = zh.get(reverse("portal:leave_list")).content.decode()
    assert leave.number in listing
    page = zh.get(reverse("portal:leave", args=[leave.pk])).content.decode()
    assert "alpha-own-incident" in page and "Inspection round" in page
    assert "beta-secret-incident" not in page  # another customer's work stays invisible
    assert zh.post(reverse("portal:leave_decide", args=[leave.pk]), {"decision": "reject"}).status_code == 400
    assert zh.post(reverse("portal:leave_decide", args=[leave.pk]), {"decision": "approve"}).status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    other = CustomerFactory(username="leave_other")
    zh.force_login(other)
    assert zh.get(reverse("portal:leave", args=[leave.pk])).status_code == 404


def test_a_draft_leave_is_invisible_in_the_portal(zh, crew, org_a, now):
    leave = leave_create(actor=crew["eng"], engineer=crew["eng"], organization=org_a, starts_at=now + timedelta(days=2),
                         ends_at=now + timedelta(days=3), stand_in=crew["mate"], now=now)
    leave_transition(leave_id=leave.pk, actor=crew["eng"], action="submit", now=now)
    zh.force_login(crew["customer"])
    assert zh.get(reverse("portal:leave", args=[leave.pk])).status_code == 404  # the company has not approved
    approval_decide(approval_id=approval_pending(ticket=leave).pk, actor=crew["lead"], decision="approve", now=now)
    assert zh.get(reverse("portal:leave", args=[leave.pk])).status_code == 200


def test_kpi_pages_and_exports(zh, crew, now):
    zh.force_login(crew["manager"])
    month = now.strftime("%Y-%m")
    assert zh.post(reverse("team:kpi_propose"), {"month": month}).status_code == 302
    page = zh.get(reverse("team:kpi") + f"?month={month}")
    assert page.status_code == 200 and "Wang Wu" in page.content.decode()
    pdf = zh.get(reverse("team:kpi_export", args=["pdf"]) + f"?month={month}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = zh.get(reverse("team:kpi_export", args=["xlsx"]) + f"?month={month}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert zh.get(reverse("team:oncall") + f"?month={month}").status_code == 200
    card = scorecards_propose(actor=crew["manager"], month=now.date(), now=now)[0]
    assert zh.get(reverse("team:scorecard", args=[card.pk])).status_code == 200
    assert zh.post(reverse("team:scorecard_adjust", args=[card.pk]),
                   {"dimension": "workload", "score": 9, "reason": "x", "version": card.version}).status_code == 400
    # The engineer sees only their own published scorecards.
    zh.force_login(crew["eng"])
    assert zh.get(reverse("team:kpi")).status_code == 302
    assert zh.get(reverse("team:kpi_mine")).status_code == 200
    assert zh.get(reverse("team:scorecard", args=[card.pk])).status_code == 404
    assert zh.get(reverse("team:kpi_export", args=["pdf"])).status_code == 404


def test_training_session_with_attendance(zh, crew, org_a, now):
    zh.force_login(crew["lead"])
    response = zh.post(reverse("team:training_new"), {
        "title": "Using the portal", "audience": "customer", "organization": org_a.pk,
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"), "ends_at": (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "attendees": [crew["customer"].pk], "names": "Li Lei\nHan Meimei"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    rows = list(TrainingAttendee.objects.order_by("pk"))
    assert len(rows) == 3
    detail = response["Location"]
    assert zh.get(detail).status_code == 200
    zh.post(reverse("team:training_attendance", args=[rows[0].session_id]), {f"a_{rows[0].pk}": "attended"})
    rows[0].refresh_from_db()
    assert rows[0].status == "attended"
    assert zh.get(reverse("team:training")).status_code == 200
    outsider = UserFactory(username="train_op", role=Role.OPERATOR)
    zh.force_login(outsider)
    assert zh.get(reverse("team:training_new")).status_code == 404


def test_training_sessions_are_counted_in_the_proactive_service_report(crew, org_a, org_b, now):
    from reports.periods import period_parse
    from reports.registry import ReportInput, kind_get
    from team.training import training_create

    start = now.replace(day=1, hour=10)
    for org, present in ((org_a, 2), (org_b, 1)):
        session = training_create(actor=crew["lead"], title="Portal", audience="customer", organization=org,
                                  starts_at=start, ends_at=start + timedelta(hours=1), names=["A", "B", "C"], now=now)
        ids = list(session.attendees.values_list("pk", flat=True))[:present]
        TrainingAttendee.objects.filter(pk__in=ids).update(status="attended")
    period = period_parse(now.strftime("%Y-%m"))
    ctx = kind_get("proactive_service").build(ReportInput(organization=org_a, start=period.start, end=period.end,
                                                          period_label=period.text, now=now))
    assert ctx["training_sessions"] == {"total": 1, "attended": 2}


def test_a_roster_manager_books_special_support_for_a_customer(zh, crew, org_a, now):
    from duty.selectors import duty_on_now

    form = {"kind": "special", "group": crew["group"].pk, "role": "primary", "people": [crew["mate"].pk],
            "starts_at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), "reason": "Board meeting"}
    zh.force_login(crew["eng"])
    assert zh.post(reverse("duty:entry_create"), {**form, "organization": org_a.pk}).status_code == 404
    zh.force_login(crew["dispatcher"])
    assert zh.post(reverse("duty:entry_create"), form).status_code == 400  # special support names the customer
    assert zh.post(reverse("duty:entry_create"), {**form, "organization": org_a.pk}).status_code == 302
    assert [d.name for d in duty_on_now(crew["group"], at=now + timedelta(hours=1))] == ["Zhao Liu"]


def test_a_hand_over_left_empty_goes_to_the_stand_in(zh, crew, org_a, operator, now):
    """Each open incident needs a taker; a choice left empty means the stand-in, not an error."""
    from incidents.services import incident_create, incident_transition

    mine = []
    for title in ("first-open", "second-open"):
        inc = incident_create(actor=operator, organization=org_a, title=title, now=now)
        incident_transition(incident_id=inc.pk, actor=crew["dispatcher"], action="assign",
                            payload={"assignee": crew["eng"].pk}, now=now)
        mine.append(inc)
    zh.force_login(crew["eng"])
    page = zh.get(reverse("team:leave_new")).content.decode()
    assert "值班顶岗人" in page
    response = zh.post(reverse("team:leave_new"), {
        "organization": org_a.pk, "leave_type": "annual", "stand_in": crew["mate"].pk,
        "starts_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M"),
        f"incident_{mine[0].pk}": crew["lead"].pk})  # the second one is left empty
    assert response.status_code == 302, response.content.decode()[-2000:]
    leave = LeaveRequest.objects.get()
    takers = {item.incident_id: item.to_user_id for item in leave.handover.all() if item.incident_id}
    assert takers == {mine[0].pk: crew["lead"].pk, mine[1].pk: crew["mate"].pk}
