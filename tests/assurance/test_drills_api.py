"""Drills (record, a finding → problem, the change calendar), the API's tenancy (a customer sees
its own organisation's records read-only; anything else is 404), access (engineers of the
responsible group / managers edit) and bad input → 400 (never 500)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from assurance.calendar import calendar_drill_entries
from assurance.models import AssuranceEvent, DrillFinding
from assurance.services import drill_record, drill_schedule, finding_problem_open, plan_create, plan_update
from opsdesk.errors import ConflictError
from problems.models import Problem
from tickets.models import TicketEvent

from .conftest import SH, at

pytestmark = pytest.mark.django_db
API = "/api/v1/assurance"


def test_drill_recorded_against_the_objective_and_a_finding_opens_a_problem(plan, eng):
    drill = drill_schedule(actor=eng, plan=plan, title="切换演练", scheduled_start=at(2026, 5, 12, 9),
                           scheduled_end=at(2026, 5, 12, 12), now=at(2026, 5, 1))
    drill = drill_record(drill_id=drill.pk, actor=eng, version=drill.version, participants="张工、李工",
                         step_results=[{"step": 0, "done": True}, {"step": 2, "done": False, "notes": "脚本报错"}],
                         recovery_minutes=75, summary="超出目标", findings=["恢复脚本缺少校验", ""], now=at(2026, 5, 12, 13))
    assert drill.rto_minutes == 60 and drill.rto_met is False
    assert [r["done"] for r in drill.step_results] == [True, False, False]
    assert drill.step_results[2]["notes"] == "脚本报错"
    finding = DrillFinding.objects.get(drill=drill)
    problem = finding_problem_open(finding_id=finding.pk, actor=eng, now=at(2026, 5, 13))
    assert finding_problem_open(finding_id=finding.pk, actor=eng, now=at(2026, 5, 14)).pk == problem.pk  # once
    finding.refresh_from_db()
    assert finding.problem_id == problem.pk and list(problem.drill_findings.all()) == [finding]  # both ways
    assert problem.organization_id == plan.organization_id and problem.ci_id == plan.cis.get().pk
    assert "切换演练" in problem.description
    assert TicketEvent.objects.filter(ticket_id=problem.pk, data__assurance__drill=drill.pk).exists()
    assert AssuranceEvent.objects.filter(subject="drill", subject_id=drill.pk, action="problem_opened").exists()
    assert Problem.objects.count() == 1
    # A stale version is refused.
    with pytest.raises(ConflictError):
        drill_record(drill_id=drill.pk, actor=eng, version=1, participants="x", step_results=[], recovery_minutes=1,
                     now=at(2026, 5, 14))


def test_drills_are_on_the_change_calendar(plan, eng, customer):
    drill = drill_schedule(actor=eng, plan=plan, title="日历演练", scheduled_start=at(2026, 5, 12, 9),
                           scheduled_end=at(2026, 5, 12, 12), now=at(2026, 5, 1))
    entries = calendar_drill_entries(user=eng, start=at(2026, 5, 1), end=at(2026, 6, 1))
    assert [(e.kind, e.key, e.url) for e in entries] == [("drill", f"drill-{drill.pk}", f"/assurance/drills/{drill.pk}/")]
    assert calendar_drill_entries(user=eng, start=at(2026, 6, 1), end=at(2026, 7, 1)) == []
    assert calendar_drill_entries(user=eng, start=at(2026, 5, 1), end=at(2026, 6, 1),
                                  ci_id=plan.cis.get().pk)[0].key == f"drill-{drill.pk}"
    assert calendar_drill_entries(user=customer, start=at(2026, 5, 1), end=at(2026, 6, 1)) == []
    from releases.selectors import calendar_entries

    data = calendar_entries(user=eng, start=at(2026, 5, 1), end=at(2026, 6, 1), days=None, zone=SH)
    assert any(e.key == f"drill-{drill.pk}" for e in data.entries)


def test_only_the_groups_engineers_and_managers_edit(plan, outsider, boss, org, grp, eng):
    with pytest.raises(PermissionDenied):
        plan_update(plan_id=plan.pk, actor=outsider, version=None, changes={"name": "x"}, now=at(2026, 2, 1))
    with pytest.raises(PermissionDenied):
        plan_create(actor=outsider, organization=org, name="p", scenario="s", rto_minutes=5, group=grp,
                    now=at(2026, 2, 1))
    assert plan_update(plan_id=plan.pk, actor=boss, version=None, changes={"name": "新名"}, now=at(2026, 2, 1)).name == "新名"


def test_api_tenancy_customer_reads_own_org_only_and_never_writes(api_as, plan, customer, other_customer, job):
    client = api_as(customer)
    assert client.get(f"{API}/emergency-plans/{plan.pk}/").status_code == 200
    assert [p["id"] for p in client.get(f"{API}/emergency-plans/").json()["results"]] == [plan.pk]
    assert client.get(f"{API}/backup-jobs/{job.pk}/").status_code == 200
    assert client.post(f"{API}/emergency-plans/{plan.pk}/review/", {"reviewed_on": "2026-02-01"}, format="json").status_code == 404
    other = api_as(other_customer)
    assert other.get(f"{API}/emergency-plans/{plan.pk}/").status_code == 404
    assert other.get(f"{API}/backup-jobs/{job.pk}/").status_code == 404
    assert other.get(f"{API}/backup-jobs/{job.pk}/runs/").status_code == 404
    assert other.get(f"{API}/emergency-plans/").json()["results"] == []
    assert other.post(f"{API}/backup-jobs/{job.pk}/runs/", {"outcome": "ok", "started_at": "2026-03-01T00:00:00Z"},
                      format="json").status_code == 404


def test_customer_staff_pages_are_404(client, customer, plan):
    client.force_login(customer)
    assert client.get("/assurance/").status_code == 404
    assert client.get(f"/assurance/emergency-plans/{plan.pk}/").status_code == 404


def test_api_writes_and_bad_input_is_400(api_as, eng, org, other_server, server, grp, plan):
    client = api_as(eng)
    made = client.post(f"{API}/emergency-plans/", {"organization": org.pk, "name": "数据库预案", "scenario": "主库损坏",
                                         "steps": ["切换从库", "校验"], "rto_minutes": 30, "group": grp.pk,
                                         "cis": [server.pk]}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["next_review_due"]
    for bad in ({"organization": org.pk, "name": "x", "scenario": "y", "rto_minutes": 0},
                {"organization": org.pk, "name": "x", "scenario": "y", "rto_minutes": 5, "review_interval_months": 99},
                {"organization": org.pk, "name": "x", "scenario": "y", "rto_minutes": 5, "cis": [other_server.pk],
                 "group": grp.pk},
                {"organization": org.pk, "name": "x", "scenario": "y", "rto_minutes": "soon"},
                {"organization": "abc", "name": "x", "scenario": "y", "rto_minutes": 5},
                {"organization": org.pk, "name": "", "scenario": "y", "rto_minutes": 5},
                {"organization": org.pk, "name": "x", "scenario": "y", "rto_minutes": 5, "steps": "not a list"}):
        response = client.post(f"{API}/emergency-plans/", bad, format="json")
        assert response.status_code == 400, (bad, response.status_code, response.content)
    drill = client.post(f"{API}/drills/", {"plan": plan.pk, "scheduled_start": "2026-05-12T09:00:00+08:00",
                                           "scheduled_end": "2026-05-12T11:00:00+08:00"}, format="json")
    assert drill.status_code == 201, drill.content
    assert client.post(f"{API}/drills/", {"plan": plan.pk, "scheduled_start": "2026-05-12T09:00:00+08:00",
                                          "scheduled_end": "2026-05-11T11:00:00+08:00"}, format="json").status_code == 400
    drill_id = drill.json()["id"]
    for bad in ({"participants": ""}, {"participants": "a", "step_results": [{"step": 9, "done": True}]},
                {"participants": "a", "step_results": "all"}, {"participants": "a", "recovery_minutes": -1}):
        response = client.post(f"{API}/drills/{drill_id}/record/", bad, format="json")
        assert response.status_code == 400, (bad, response.status_code, response.content)
    recorded = client.post(f"{API}/drills/{drill_id}/record/", {
        "participants": "张工", "step_results": [{"step": 0, "done": True}], "recovery_minutes": 40,
        "findings": ["备机未预热"], "version": 1}, format="json")
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["rto_met"] is True
    stale = client.post(f"{API}/drills/{drill_id}/record/", {"participants": "x", "version": 1}, format="json")
    assert stale.status_code == 409
    finding_id = recorded.json()["findings"][0]["id"]
    opened = client.post(f"{API}/drills/{drill_id}/findings/{finding_id}/problem/", {}, format="json")
    assert opened.status_code == 201 and opened.json()["findings"][0]["problem_number"].startswith("PRB")
    assert client.post(f"{API}/drills/{drill_id}/findings/999999/problem/", {}, format="json").status_code == 404
    assert client.get(f"{API}/drills/?overdue=maybe").status_code == 400
    assert client.get(f"{API}/backup-jobs/?late=perhaps").status_code == 400
    assert client.get(f"{API}/emergency-plans/abc/").status_code == 404
    job = client.post(f"{API}/backup-jobs/", {"ci": server.pk, "name": "每日备份", "method": "rsync",
                                              "interval_hours": 24, "group": grp.pk}, format="json")
    assert job.status_code == 201 and len(job.json()["token"]) > 20
    assert client.post(f"{API}/backup-jobs/", {"ci": server.pk, "name": "x", "method": "tape"},
                       format="json").status_code == 400
    assert client.post(f"{API}/backup-jobs/", {"ci": server.pk, "name": "x", "interval_hours": 0},
                       format="json").status_code == 400
    run = client.post(f"{API}/backup-jobs/{job.json()['id']}/runs/", {"outcome": "failed",
                                                                     "started_at": "2026-03-01T02:00:00+08:00"},
                      format="json")
    assert run.status_code == 201 and run.json()["source"] == "manual"
    test = client.post(f"{API}/restore-tests/", {"job": job.json()["id"], "scheduled_for": "2026-03-05"}, format="json")
    assert test.status_code == 201
    assert client.post(f"{API}/restore-tests/{test.json()['id']}/record/", {"passed": True}, format="json").status_code == 400
    recorded_test = client.post(f"{API}/restore-tests/{test.json()['id']}/record/", {
        "passed": True, "restored_what": "库", "check_method": "查询", "duration_minutes": 20,
        "performed_at": "2026-03-05T10:00:00+08:00"}, format="json")
    assert recorded_test.status_code == 200 and recorded_test.json()["status"] == "passed"
