"""Staff pages and the htmx panels: list, create from incidents, detail with workflow buttons,
edit with version (409 keeps the text), linking, known-error search, candidates, panels."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from problems.models import Problem, ProblemIncident
from problems.services import problem_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, analyst):
    client.force_login(analyst)
    return client


def test_list_and_nav(staff, make_problem, org_a):
    p = make_problem(organization=org_a, title="核心交换机端口故障")
    r = staff.get(reverse("problems:list"))
    assert r.status_code == 200 and p.number in r.text and 'href="/problems/"' in r.text
    r = staff.get(reverse("problems:list"), {"q": "交换机端口"})
    assert p.number in r.text
    r = staff.get(reverse("problems:list"), {"status": "nope"})
    assert r.status_code == 200 and p.number not in r.text


def test_create_from_incidents_preselected(staff, make_incident, org_a, ci_a):
    i1 = make_incident(organization=org_a, ci=ci_a, title="端口灯不亮")
    i2 = make_incident(organization=org_a, ci=ci_a)
    r = staff.get(reverse("problems:new"), {"incidents": f"{i1.pk},{i2.pk}"})
    assert r.status_code == 200 and i1.number in r.text and i2.number in r.text and "端口灯不亮" in r.text
    r = staff.post(reverse("problems:new"), {"organization": org_a.pk, "title": "端口反复故障", "priority": "2",
                                             "ci": ci_a.pk, "incidents": f"{i1.pk},{i2.pk}"})
    p = Problem.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("problems:detail", args=[p.pk])
    assert set(ProblemIncident.objects.values_list("incident_id", flat=True)) == {i1.pk, i2.pk}
    r = staff.post(reverse("problems:new"), {"organization": org_a.pk, "title": "", "priority": "2"})
    assert r.status_code == 400


def test_create_refuses_foreign_incidents(staff, make_incident, org_a, org_b):
    foreign = make_incident(organization=org_b)
    r = staff.post(reverse("problems:new"), {"organization": org_a.pk, "title": "x", "priority": "3",
                                             "incidents": str(foreign.pk)})
    assert r.status_code == 400 and foreign.number in r.text and not Problem.objects.exists()


def test_detail_buttons_follow_the_workflow(staff, make_problem, org_a):
    p = make_problem(organization=org_a)
    r = staff.get(reverse("problems:detail", args=[p.pk]))
    actions = set(re.findall(r'data-action="([a-z_]+)"', r.text))
    assert actions == {"investigate", "known_error", "cancel"}  # `fix` is the changes app's
    r = staff.post(reverse("problems:transition", args=[p.pk]),
                   {"action": "known_error", "known_error-version": p.version,
                    "known_error-root_cause": "固件缺陷", "known_error-workaround": "重启端口"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "known_error" and p.workaround == "重启端口"
    r = staff.post(reverse("problems:transition", args=[p.pk]), {"action": "close", "close-version": p.version})
    assert r.status_code == 400
    r = staff.post(reverse("problems:transition", args=[p.pk]), {"action": "fix", "fix-change_number": "CHG-1"})
    assert r.status_code == 400
    r = staff.post(reverse("problems:transition", args=[p.pk]), {"action": "cancel", "cancel-version": 1,
                                                                  "cancel-reason": "x"})
    assert r.status_code == 409


def test_edit_conflict_keeps_the_text(staff, make_problem, org_a, analyst, now):
    p = make_problem(organization=org_a)
    data = {"edit-version": p.version, "edit-title": p.title, "edit-priority": "3", "edit-workaround": "我的方案"}
    from problems.services import problem_update
    problem_update(problem_id=p.pk, actor=analyst, version=p.version, changes={"root_cause": "别人写的"}, now=now)
    r = staff.post(reverse("problems:edit", args=[p.pk]), data)
    assert r.status_code == 409 and "我的方案" in r.text and "别人写的" in r.text
    data["edit-version"] = p.version + 1
    assert staff.post(reverse("problems:edit", args=[p.pk]), data).status_code == 302
    assert Problem.objects.get(pk=p.pk).workaround == "我的方案"


def test_link_by_number_and_unlink(staff, make_problem, make_incident, org_a):
    p = make_problem(organization=org_a)
    inc = make_incident(organization=org_a)
    r = staff.post(reverse("problems:link", args=[p.pk]), {"incidents": f"{inc.number}, INC-999999"})
    assert r.status_code == 400 and "INC-999999" in r.text
    r = staff.post(reverse("problems:link", args=[p.pk]), {"incidents": inc.number.lower()})
    assert r.status_code == 302
    assert f"Linked: {inc.number}" in staff.get(reverse("problems:detail", args=[p.pk])).text
    r = staff.post(reverse("problems:unlink", args=[p.pk, inc.pk]))
    assert r.status_code == 302 and not ProblemIncident.objects.filter(unlinked_at__isnull=True).exists()


def test_known_error_page(staff, make_problem, analyst, org_a, now):
    p = make_problem(organization=org_a, title="核心交换机端口故障", root_cause="r", workaround="切换备用端口")
    p = problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)
    r = staff.get(reverse("problems:known_errors"), {"q": "交换机端口"})
    assert r.status_code == 200 and p.known_error_id in r.text and "切换备用端口" in r.text
    r = staff.get(reverse("problems:known_errors"), {"q": "打印机"})
    assert p.known_error_id not in r.text


def test_candidates_one_click(staff, make_incident, org_a, ci_a):
    incs = [make_incident(organization=org_a, ci=ci_a) for _ in range(3)]
    r = staff.get(reverse("problems:candidates"))
    [key] = re.findall(r'name="key" value="([^"]+)"', r.text)
    r = staff.post(reverse("problems:candidate_open"), {"key": key})
    p = Problem.objects.get()
    assert r.status_code == 302 and p.ci == ci_a
    assert set(ProblemIncident.objects.values_list("incident_id", flat=True)) == {i.pk for i in incs}
    r = staff.post(reverse("problems:candidate_open"), {"key": key})  # no longer a candidate
    assert r.status_code == 302 and Problem.objects.count() == 1


def test_incident_panel(staff, make_problem, make_incident, analyst, org_a, ci_a, now):
    inc = make_incident(organization=org_a, ci=ci_a, title="三楼交换机端口灯不亮")
    ke = make_problem(organization=org_a, title="核心交换机端口故障", root_cause="r", workaround="切换备用端口")
    ke = problem_transition(problem_id=ke.pk, actor=analyst, action="known_error", now=now)
    open_p = make_problem(organization=org_a, title="待关联的问题")
    r = staff.get(reverse("problems:incident_panel", args=[inc.pk]))
    assert r.status_code == 200
    assert f"known error {ke.known_error_id} — workaround: 切换备用端口" in r.text
    assert open_p.number in r.text and f"?incidents={inc.pk}" in r.text
    r = staff.post(reverse("problems:incident_link", args=[inc.pk]), {"problem": open_p.pk})
    assert r.status_code == 302 and r["Location"] == reverse("incidents:detail", args=[inc.pk])
    r = staff.get(reverse("problems:incident_panel", args=[inc.pk]))
    assert "待关联的问题" in r.text and "Not linked to a problem" not in r.text
    # the incident page loads the panel
    assert reverse("problems:incident_panel", args=[inc.pk]) in staff.get(
        reverse("incidents:detail", args=[inc.pk])).text


def test_hotline_panel(staff, make_problem, analyst, org_a, ci_a, now):
    ke = make_problem(organization=org_a, title="UPS battery alarm", root_cause="r", workaround="Use the bypass",
                      ci=ci_a)
    ke = problem_transition(problem_id=ke.pk, actor=analyst, action="known_error", now=now)
    url = reverse("problems:hotline_panel")
    assert ke.known_error_id in staff.get(url, {"ci": ci_a.pk}).text
    assert ke.known_error_id in staff.get(url, {"title": "ups battery alarm again"}).text
    assert ke.known_error_id not in staff.get(url, {"title": "printer jam"}).text
    assert staff.get(url, {"ci": "abc", "organization": "x"}).status_code == 200
    assert url in staff.get(reverse("incidents:hotline")).text


def test_customers_get_404(client, customer_a, make_problem, make_incident, org_a):
    p = make_problem(organization=org_a)
    inc = make_incident(organization=org_a)
    client.force_login(customer_a)
    for url in (reverse("problems:list"), reverse("problems:detail", args=[p.pk]),
                reverse("problems:incident_panel", args=[inc.pk]), reverse("problems:known_errors"),
                reverse("problems:candidates")):
        assert client.get(url).status_code == 404
    assert client.post(reverse("problems:transition", args=[p.pk]), {"action": "cancel"}).status_code == 404
