"""The manager's plan and checklist pages (issue #14, "a manager defines plans"): a manager creates
a plan in zh-hans, sees its next due dates move over the National Day holiday, gets field messages
for bad input and 409 on a stale edit, switches it off; other staff read (403 on writing),
customers 404. Checklist copies are edited with the item formset; the originals stay untouched."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from accounts.choices import Role
from inspections.admin import InspectionPlanAdminForm
from inspections.models import ChecklistItem, ChecklistTemplate, InspectionPlan, SetupChange
from tests.factories import CustomerFactory, UserFactory

from .conftest import at


@pytest.fixture(autouse=True)
def language_back():
    """The zh-hans requests leave Chinese active in this thread: later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def manager(db):
    return UserFactory(username="pm", name="项目经理", role=Role.MANAGER)


def client_for(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def plan_post(org, group, cameras, **kw):
    data = {"name": "北区摄像机月度巡检", "template": ChecklistTemplate.objects.get(code="monthly-system").pk,
            "organization": org.pk, "ci_class": "", "site": "", "location": "", "cis": [c.pk for c in cameras[:3]],
            "sample_size": "", "storeroom": "", "frequency": "monthly", "day_rule": "nth_weekday", "nth": "1",
            "weekday": "0", "due_working_days": "3", "group": group.pk, "assignee": "", "starts_on": "2026-09-20",
            "ends_on": "", "save": "1"}
    data.update(kw)
    return data


@time_machine.travel(at(2026, 9, 20), tick=False)
def test_manager_creates_a_plan_with_preview_over_the_holiday(manager, org, group, cameras):
    client = client_for(manager)
    page = client.get("/inspections/plans/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "新建巡检计划" in body and 'type="date"' in body and 'value="2026-09-20"' in body

    # Bad input: field messages next to the fields, nothing saved.
    bad = client.post("/inspections/plans/new/", plan_post(org, group, cameras, nth="0", ends_on="2026-01-01",
                                                           cis=[999999]))
    assert bad.status_code == 400 and InspectionPlan.objects.count() == 0
    form = bad.context["form"]
    assert "nth" in form.errors and "cis" in form.errors

    bad_end = client.post("/inspections/plans/new/", plan_post(org, group, cameras, ends_on="2026-01-01"))
    assert bad_end.status_code == 400
    assert bad_end.context["form"].errors["ends_on"] == ["计划的结束日期不能早于开始日期。"]

    # A store template without a storeroom: plan_clean's message on the storeroom field.
    store = client.post("/inspections/plans/new/", plan_post(
        org, group, cameras, template=ChecklistTemplate.objects.get(code="spares-store-check").pk))
    assert store.status_code == 400 and "storeroom" in store.context["form"].errors

    # Refresh: the preview of the next dates, nothing saved. "First Monday" of October 2026 is
    # 5 Oct, inside the National Day holiday (1–7 Oct): the round moves to Thursday 8 Oct.
    preview = client.post("/inspections/plans/new/", plan_post(org, group, cameras, preview="1"))
    assert preview.status_code == 200 and InspectionPlan.objects.count() == 0
    dates = [row["scheduled"] for row in preview.context["preview"]]
    assert dates == [date(2026, 10, 8), date(2026, 11, 2), date(2026, 12, 7), date(2027, 1, 4),
                     date(2027, 2, 1), date(2027, 3, 1)]
    # Due within 3 working days of 8 Oct: Thu 8, Fri 9, Sat 10 Oct (a make-up working day).
    assert preview.context["preview"][0]["due"] == date(2026, 10, 10)
    assert "2026-10-08" in preview.content.decode() and "星期四" in preview.content.decode()

    saved = client.post("/inspections/plans/new/", plan_post(org, group, cameras))
    assert saved.status_code == 302, saved.context and saved.context["form"].errors
    plan = InspectionPlan.objects.get()
    assert plan.day_rule == "nth_weekday" and plan.due_working_days == 3
    assert sorted(plan.cis.values_list("pk", flat=True)) == sorted(c.pk for c in cameras[:3])
    change = SetupChange.objects.get(plan=plan)
    assert change.action == "created" and change.actor == manager and "frequency" in change.changes

    detail = client.get(saved["Location"])
    assert detail.status_code == 200 and "2026-10-08" in detail.content.decode()

    # Edit with a stale version: 409 and nothing changed; with the current one: saved and logged.
    edit = plan_post(org, group, cameras, name="改名", version=str(plan.version))
    assert client.post(f"/inspections/plans/{plan.pk}/edit/", edit).status_code == 302
    stale = client.post(f"/inspections/plans/{plan.pk}/edit/", {**edit, "name": "再改"})
    assert stale.status_code == 409
    plan.refresh_from_db()
    assert plan.name == "改名" and plan.version == 2
    assert SetupChange.objects.filter(plan=plan, action="updated").get().changes["name"] == [
        "北区摄像机月度巡检", "改名"]

    # A stale switch: 409 with the page; a huge id: 404, not a database error.
    assert client.post(f"/inspections/plans/{plan.pk}/active/", {"active": "0", "version": "1"}).status_code == 409
    assert client.get("/inspections/plans/99999999999999999999/").status_code == 404
    assert client.get("/inspections/templates/99999999999999999999/").status_code == 404
    # Switch off: kept, not deleted.
    off = client.post(f"/inspections/plans/{plan.pk}/active/", {"active": "0", "version": "2"})
    assert off.status_code == 302
    plan.refresh_from_db()
    assert not plan.is_active and InspectionPlan.objects.filter(pk=plan.pk).exists()


def test_who_may_write_plans(make_plan, org, eng, cameras, group):
    plan = make_plan("monthly-system")
    for role in (Role.REGIONAL_LEAD, Role.SUPERVISOR):
        assert client_for(UserFactory(role=role)).get("/inspections/plans/new/").status_code == 200
    engineer = client_for(eng)
    assert engineer.get("/inspections/plans/").status_code == 200
    assert engineer.get(f"/inspections/plans/{plan.pk}/").status_code == 200
    assert engineer.get("/inspections/plans/new/").status_code == 403
    assert engineer.post("/inspections/plans/new/", plan_post(org, group, cameras)).status_code == 403
    assert engineer.post(f"/inspections/plans/{plan.pk}/active/", {"active": "0"}).status_code == 403
    assert engineer.get(f"/inspections/plans/{plan.pk}/edit/").status_code == 403
    customer = client_for(CustomerFactory(organization=org))
    for url in ("/inspections/plans/", "/inspections/plans/new/", f"/inspections/plans/{plan.pk}/",
                f"/inspections/plans/{plan.pk}/edit/", "/inspections/templates/"):
        assert customer.get(url).status_code == 404, url
    assert customer.post(f"/inspections/plans/{plan.pk}/active/", {"active": "0"}).status_code == 404
    plan.refresh_from_db()
    assert plan.is_active


def test_admin_form_runs_plan_clean(org):
    template = ChecklistTemplate.objects.get(code="spares-store-check")
    form = InspectionPlanAdminForm(data={"name": "x", "template": template.pk, "organization": org.pk,
                                         "frequency": "monthly", "day_rule": "nth_working_day", "nth": 1,
                                         "weekday": 0, "due_working_days": 5, "starts_on": "2026-01-01",
                                         "created_at": "2026-01-01 00:00", "is_active": True})
    assert not form.is_valid() and "storeroom" in form.errors


def test_manager_copies_and_edits_a_template(manager, eng):
    original = ChecklistTemplate.objects.get(code="monthly-system")
    before = list(original.items.values_list("text", flat=True))
    client = client_for(manager)
    listing = client.get("/inspections/templates/")
    assert listing.status_code == 200 and original.name in listing.content.decode()
    assert client.get(f"/inspections/templates/{original.pk}/").status_code == 200
    assert client.get(f"/inspections/templates/{original.pk}/edit/").status_code == 403  # originals stay
    assert client_for(eng).post(f"/inspections/templates/{original.pk}/copy/").status_code == 403
    copied = client.post(f"/inspections/templates/{original.pk}/copy/")
    assert copied.status_code == 302
    copy = ChecklistTemplate.objects.get(copied_from=original)
    items = list(copy.items.order_by("position"))
    assert [i.text for i in items] == before
    page = client.get(copied["Location"])
    assert page.status_code == 200
    formset = page.context["formset"]
    assert (copy.copied_from_version, copy.version) == (original.version, 1)
    data = {"t-name": copy.name, "t-name_en": copy.name_en, "t-form_name": copy.form_name,
            "t-form_name_en": copy.form_name_en, "t-version": str(copy.version)}
    mgmt = {"items-TOTAL_FORMS": str(len(formset.forms)), "items-INITIAL_FORMS": str(len(items)),
            "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000"}
    data.update(mgmt)
    for n, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            key = f"items-{n}-{name}"
            if name == "id":
                value = form.instance.pk or ""
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
                continue
            data[key] = "" if value is None else value
    # Move the last item first, remove the second, add a reading with a bad range, then fix it.
    last = len(items) - 1
    data[f"items-{last}-ORDER"] = "0"
    data["items-1-DELETE"] = "on"
    new = len(items)
    data.update({f"items-{new}-text": "UPS 电池电压", f"items-{new}-kind": "reading", f"items-{new}-unit": "V",
                 f"items-{new}-min_value": "14", f"items-{new}-max_value": "12", f"items-{new}-ORDER": "99"})
    bad = client.post(f"/inspections/templates/{copy.pk}/edit/", data)
    assert bad.status_code == 400
    assert "max_value" in bad.context["formset"].forms[new].errors
    data[f"items-{new}-min_value"] = "11"
    ok = client.post(f"/inspections/templates/{copy.pk}/edit/", data)
    assert ok.status_code == 302, ok.context and ok.context["formset"].errors
    active = list(ChecklistItem.objects.filter(template=copy, is_active=True).order_by("position"))
    assert active[0].text == items[last].text and active[-1].text == "UPS 电池电压"
    assert items[1].text not in [i.text for i in active]
    assert ChecklistItem.objects.filter(pk=items[1].pk, is_active=False).exists()  # switched off, kept
    assert list(original.items.values_list("text", flat=True)) == before
    assert SetupChange.objects.filter(template=copy, action="updated", actor=manager).exists()
    copy.refresh_from_db()
    assert copy.version == 2
    # Someone who opened the editor before that save sends version 1: 409, nothing changed, input kept.
    data["t-name"] = "过期的名字"
    stale = client.post(f"/inspections/templates/{copy.pk}/edit/", data)
    assert stale.status_code == 409
    assert "过期的名字" in stale.content.decode()
    copy.refresh_from_db()
    assert copy.version == 2 and copy.name != "过期的名字"
