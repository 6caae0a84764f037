"""Issue #15: a customer asks for special support at a meeting or event from the portal; staff
accept it by booking the duty (it shows in "who is on duty" for that time) or decline with a
reason; the customer can withdraw while it waits. Tenancy: another organisation's request is 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from accounts.choices import Role
from duty.models import DutyRule, SupportRequest
from duty.selectors import duty_on_now
from notifications.models import Notification
from tests.factories import PASSWORD, CustomerFactory, SupportGroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def local(dt) -> str:
    from django.utils import timezone

    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def people(org_a, org_b):
    eng = UserFactory(username="sup_eng", role=Role.ENGINEER)
    group = SupportGroupFactory(name="Support crew")
    group.members.add(eng)
    return {"eng": eng, "group": group, "dispatcher": UserFactory(username="sup_disp", role=Role.DISPATCHER),
            "cust_a": CustomerFactory(username="sup_cust_a", organization=org_a),
            "cust_b": CustomerFactory(username="sup_cust_b", organization=org_b),
            "auditor_a": UserFactory(username="sup_aud_a", role=Role.AUDITOR, organization=org_a)}


def ask(client: Client, now, **extra):
    data = {"title": "年度工作会议 =cmd", "place": "三楼会议室", "needs": "视频会议保障",
            "starts_at": local(now + timedelta(days=2)), "ends_at": local(now + timedelta(days=2, hours=3)), **extra}
    return client.post("/portal/support/", data)


def test_request_accept_books_the_duty(people, org_a, now):
    cust = login(people["cust_a"])
    bad = ask(cust, now, ends_at=local(now + timedelta(days=1)))
    assert bad.status_code == 400 and SupportRequest.objects.count() == 0
    assert ask(cust, now).status_code == 302
    req = SupportRequest.objects.get()
    assert req.organization == org_a and req.status == "requested"
    # The roster's deciders hear of it in their inbox (no rule configured: the in-app fall-back), with a
    # human date in the organisation's time zone, and a link to the request; the engineer does not.
    heard = Notification.objects.get(user=people["dispatcher"], event="support.requested")
    assert "年度工作会议" in heard.title and heard.link == f"/duty/support/{req.pk}/"
    assert "+00:00" not in heard.body and "三楼会议室" in heard.body
    assert not Notification.objects.filter(user=people["eng"]).exists()
    staff = login(people["dispatcher"])
    page = staff.get(f"/duty/support/{req.pk}/")
    assert page.status_code == 200 and "三楼会议室" in page.content.decode()
    # an engineer cannot book the roster
    assert login(people["eng"]).post(f"/duty/support/{req.pk}/accept/", {
        "group": people["group"].pk, "role": "primary", "people": [people["eng"].pk],
        "version": req.version}).status_code == 404
    done = staff.post(f"/duty/support/{req.pk}/accept/", {
        "group": people["group"].pk, "role": "primary", "people": [people["eng"].pk], "note": "two engineers",
        "version": req.version})
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status == "accepted" and req.duty_rule.kind == "special"
    answer = Notification.objects.get(user=people["cust_a"], event="support.answered")
    assert "年度工作会议" in answer.title and answer.link == "/portal/support/"
    assert not Notification.objects.filter(user=people["cust_b"]).exists()
    assert req.duty_rule.organization_id == org_a.pk
    at = req.starts_at + timedelta(hours=1)
    assert [(d.user_id, d.kind) for d in duty_on_now(people["group"], at=at)] == [(people["eng"].pk, "special")]
    # the customer sees who will be there; the other organisation sees nothing of it
    html = cust.get("/portal/support/").content.decode()
    assert people["eng"].display_name in html
    other = login(people["cust_b"])
    assert "三楼会议室" not in other.get("/portal/support/").content.decode()
    assert other.post(f"/portal/support/{req.pk}/withdraw/").status_code == 404
    # answered: not again, not withdrawn
    assert staff.post(f"/duty/support/{req.pk}/decline/", {"reason": "x", "version": req.version}).status_code == 400
    assert DutyRule.objects.filter(kind="special").count() == 1


def test_decline_needs_a_reason_and_withdraw(people, now):
    cust = login(people["cust_a"])
    ask(cust, now)
    ask(cust, now, title="second")
    first, second = SupportRequest.objects.order_by("pk")
    staff = login(people["dispatcher"])
    assert staff.post(f"/duty/support/{first.pk}/decline/", {"reason": "", "version": first.version}).status_code == 400
    assert staff.post(f"/duty/support/{first.pk}/decline/", {"reason": "no staff that day",
                                                             "version": first.version}).status_code == 302
    first.refresh_from_db()
    assert first.status == "declined" and "no staff that day" in cust.get("/portal/support/").content.decode()
    declined = Notification.objects.get(user=people["cust_a"], event="support.answered")
    assert "no staff that day" in declined.body
    # the auditor sees the requests but can neither ask nor withdraw
    auditor = login(people["auditor_a"])
    assert "second" in auditor.get("/portal/support/").content.decode()
    assert auditor.post(f"/portal/support/{second.pk}/withdraw/").status_code == 403
    assert cust.post(f"/portal/support/{second.pk}/withdraw/").status_code == 302
    second.refresh_from_db()
    assert second.status == "withdrawn"
    assert staff.post(f"/duty/support/{second.pk}/accept/", {
        "group": people["group"].pk, "role": "primary", "people": [people["eng"].pk],
        "version": second.version}).status_code == 400
