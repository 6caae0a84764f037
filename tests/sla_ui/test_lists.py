"""The `sla` block, the work lists by nearest deadline, SLA filters, CIs flagged for replacement and
the cost of the new list pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.followups import fault_report_save, spare_loan_create
from incidents.models import Incident
from incidents.selectors import ci_fault_count_this_month, ci_replacement_list, incident_dispatch_queue
from incidents.sla import sla_sweep
from tests.factories import CIFactory
from tickets.models import SLAClock

pytestmark = pytest.mark.django_db


def test_sla_block_has_targets(api_as, make_incident, org_a, dispatcher):
    inc = make_incident(organization=org_a, impact="high", urgency="high")  # level I
    body = api_as(dispatcher).get(f"/api/v1/incidents/{inc.pk}/").json()
    sla = body["sla"]
    assert {"respond_due", "onsite_due", "restore_due", "resolve_due", "paused", "breached", "targets"} <= set(sla)
    targets = {t["target"]: t for t in sla["targets"]}
    assert {"respond", "onsite", "restore", "resolve"} <= set(targets)
    respond = targets["respond"]
    assert set(respond) >= {"target", "label", "due_at", "state", "warned_pct", "met_at", "breached_at",
                            "seconds_left"}
    assert respond["state"] == "running" and 0 < respond["seconds_left"] <= 15 * 60
    listed = api_as(dispatcher).get("/api/v1/incidents/").json()["results"][0]["sla"]["targets"]
    assert [t["target"] for t in listed] == [t["target"] for t in sla["targets"]]


def test_queue_is_ordered_by_nearest_deadline_nulls_last(api_as, make_incident, org_a, dispatcher, now):
    minor = make_incident(organization=org_a, impact="low", urgency="low", title="q-minor")          # IV
    major = make_incident(organization=org_a, impact="high", urgency="high", title="q-major")        # I, 15 min
    older = make_incident(organization=org_a, impact="high", urgency="high", title="q-older",
                          reported_at=now - timedelta(minutes=5))                                  # I, 10 min
    no_clock = make_incident(organization=org_a, impact="high", urgency="high", title="no clock")
    Incident.objects.filter(pk=no_clock.pk).update(sla_next_due=None)
    expected = [older.pk, major.pk, no_clock.pk, minor.pk]  # level I first (no deadline last within it), then IV
    assert [i.pk for i in incident_dispatch_queue(user=dispatcher)] == expected
    client = api_as(dispatcher)
    seen, url = [], "/api/v1/incidents/queue/?page_size=1"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == expected  # keyset paging copes with the NULL deadline
    back = client.get(client.get("/api/v1/incidents/queue/?page_size=3").json()["next"]).json()
    assert [r["id"] for r in client.get(back["previous"]).json()["results"]] == expected[:3]
    from django.test import Client

    web = Client()
    web.force_login(dispatcher)
    page = web.get("/queue/").content.decode()
    assert page.index("q-older") < page.index("q-major") < page.index("no clock") < page.index("q-minor")


def test_sla_filters_breached_and_at_risk(api_as, make_incident, org_a, dispatcher, now):
    late = make_incident(organization=org_a, impact="high", urgency="high", title="late",
                         reported_at=now - timedelta(hours=2))
    risky = make_incident(organization=org_a, impact="high", urgency="high", title="risky",
                          reported_at=now - timedelta(minutes=10))
    calm = make_incident(organization=org_a, impact="low", urgency="low", title="calm")
    sla_sweep(now=now)
    client = api_as(dispatcher)
    breached = {r["id"] for r in client.get("/api/v1/incidents/?sla=breached").json()["results"]}
    at_risk = {r["id"] for r in client.get("/api/v1/incidents/?sla=at_risk").json()["results"]}
    assert late.pk in breached and risky.pk not in breached and calm.pk not in breached
    assert risky.pk in at_risk and calm.pk not in at_risk
    assert client.get("/api/v1/incidents/?sla=soon").status_code == 400
    queue = {r["id"] for r in client.get("/api/v1/incidents/queue/?sla=breached").json()["results"]}
    assert queue == breached
    from django.test import Client

    web = Client()
    web.force_login(dispatcher)
    page = web.get("/incidents/?sla=breached").content.decode()
    assert "late" in page and "calm" not in page
    assert "risky" in web.get("/queue/?sla=at_risk").content.decode()


def _faults(make_incident, org, ci, times):
    for at in times:
        make_incident(organization=org, ci=ci, reported_at=at, title=f"fault {at:%m-%d %H:%M}")


def test_ci_replacement_month_in_shanghai(make_incident, org_a, dispatcher, now):
    flagged = CIFactory(organization=org_a, name="nvr-flagged")
    boundary = CIFactory(organization=org_a, name="nvr-boundary")
    two = CIFactory(organization=org_a, name="nvr-two")
    march = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    _faults(make_incident, org_a, flagged, [march, march + timedelta(days=1), march + timedelta(days=2)])
    _faults(make_incident, org_a, two, [march, march + timedelta(days=3)])
    # 2026-03-31 16:30 UTC is already 1 April 00:30 in Shanghai: only 2 March faults for this CI.
    _faults(make_incident, org_a, boundary, [march, march + timedelta(days=5),
                                             datetime(2026, 3, 31, 16, 30, tzinfo=UTC)])
    cancelled = make_incident(organization=org_a, ci=two, reported_at=march, status="cancelled")
    assert cancelled.status == "cancelled"  # a cancelled incident is not a fault
    rows = list(ci_replacement_list(user=dispatcher, month=date(2026, 3, 1)))
    assert [(r["ci_id"], r["faults"]) for r in rows] == [(flagged.pk, 3)]
    assert rows[0]["month"].astimezone().strftime("%Y-%m") == "2026-03"
    assert list(ci_replacement_list(user=dispatcher, month=date(2026, 4, 1))) == []
    with CaptureQueriesContext(connection) as ctx:
        all_months = list(ci_replacement_list(user=dispatcher))
    assert len(ctx.captured_queries) == 1 and "GROUP BY" in ctx.captured_queries[0]["sql"].upper()
    assert [r["ci_id"] for r in all_months] == [flagged.pk]
    assert ci_fault_count_this_month(flagged, now=datetime(2026, 3, 20, tzinfo=UTC)) == 3
    assert ci_fault_count_this_month(boundary, now=datetime(2026, 4, 2, tzinfo=UTC)) == 1


def test_ci_page_says_flagged(client_as, make_incident, org_a, lead, now):
    ci = CIFactory(organization=org_a, name="camera-7")
    _faults(make_incident, org_a, ci, [now - timedelta(minutes=m) for m in (1, 2, 3)])
    page = client_as(lead).get(f"/cmdb/{ci.pk}/").content.decode()
    assert "3 faults this month — flagged for replacement" in page
    page = client_as(lead).get(f"/sla/replacements/?month={now.astimezone().strftime('%Y-%m')}").content.decode()
    assert "camera-7" in page


# --- query-count guards ---------------------------------------------------------------------

@pytest.fixture
def grow(make_incident, org_a, lead, now):
    state = {"n": 0}

    def more(n):
        for i in range(state["n"], n):
            ci = CIFactory(organization=org_a)
            late = make_incident(organization=org_a, status="resolved", ci=ci,
                                 reported_at=now - timedelta(days=5), title=f"resolved {i}")
            Incident.objects.filter(pk=late.pk).update(resolved_at=now - timedelta(days=4))
            SLAClock.objects.filter(ticket_kind="incident", ticket_id=late.pk, target="report").update(
                due_at=now - timedelta(days=1))
            fault_report_save(incident_id=late.pk, author=lead, data={"summary": "s"}, version=None, now=now)
            major = make_incident(organization=org_a, status="in_progress", impact="high", urgency="high", ci=ci)
            spare_loan_create(incident_id=major.pk, actor=lead, description=f"spare {i}", faulty_ci=None,
                              standby_ci=None, note="", now=now)
            for _ in range(3):
                make_incident(organization=org_a, ci=ci)
        state["n"] = n

    return more


PAGES = ["/sla/fault-reports/overdue/", "/sla/major-incidents/", "/sla/replacements/", "/sla/loans/", "/queue/",
         "/incidents/"]


def test_new_list_pages_cost_a_fixed_number_of_queries(client_as, lead, grow):
    client = client_as(lead)

    def counts():
        out = {}
        for url in PAGES:
            client.get(url)  # the steady state: the per-process picker cache filled (tickets.forms.PICKERS)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out[url] = len(ctx.captured_queries)
        return out

    grow(2)
    small = counts()
    grow(5)
    assert counts() == small
    page = client.get("/sla/fault-reports/overdue/").content.decode()
    assert page.count('data-due-state="breached"') == 5
    assert client.get("/sla/loans/").content.decode().count("spare ") >= 5


def test_api_lists_cost_a_fixed_number_of_queries(api_as, lead, grow):
    client = api_as(lead)
    urls = ["/api/v1/incidents/", "/api/v1/incidents/queue/", "/api/v1/loans/", "/api/v1/loans/?open=true"]

    def counts():
        out = {}
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out[url] = len(ctx.captured_queries)
        return out

    grow(2)
    small = counts()
    grow(5)
    assert counts() == small
