"""Progress updates, the fault report and spare loans: services, API and pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.followups import (
    fault_report_save,
    fault_report_submit,
    progress_update_add,
    spare_loan_create,
    spare_loan_return,
)
from incidents.models import FaultReport, ProgressUpdate, SpareLoan
from opsdesk.errors import ConflictError
from tests.factories import CIFactory
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db

SECTIONS = {"summary": "Core switch down", "cause": "PSU failed", "handling": "Swapped PSU",
            "prevention": "Redundant PSU"}


# --- services -----------------------------------------------------------------------------

def test_progress_update_is_public_and_restarts_the_clock(make_incident, org_a, lead, now):
    inc = make_incident(organization=org_a, status="in_progress", impact="high", urgency="high")
    update = progress_update_add(incident_id=inc.pk, author=lead, body="  Engineer on the way  ", now=now)
    assert update.body == "Engineer on the way"
    event = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk, action="progress").get()
    assert event.public and event.data["progress"] == update.pk


def test_progress_update_rules(make_incident, org_a, lead, customer_a, now):
    inc = make_incident(organization=org_a, status="in_progress")
    with pytest.raises(PermissionDenied):
        progress_update_add(incident_id=inc.pk, author=customer_a, body="x", now=now)
    with pytest.raises(ValidationError) as err:
        progress_update_add(incident_id=inc.pk, author=lead, body="   ", now=now)
    assert "body" in err.value.message_dict
    done = make_incident(organization=org_a, status="resolved")
    with pytest.raises(ValidationError):
        progress_update_add(incident_id=done.pk, author=lead, body="late", now=now)
    assert ProgressUpdate.objects.count() == 0


def test_fault_report_draft_version_and_submit(make_incident, org_a, lead, now):
    inc = make_incident(organization=org_a, status="in_progress")
    report = fault_report_save(incident_id=inc.pk, author=lead, data={"summary": "draft"}, version=None, now=now)
    assert report.version == 1 and report.status == "draft"
    report = fault_report_save(incident_id=inc.pk, author=lead, data={"cause": "x"}, version=1, now=now)
    assert report.version == 2
    with pytest.raises(ConflictError) as conflict:
        fault_report_save(incident_id=inc.pk, author=lead, data={"cause": "stale"}, version=1, now=now)
    assert conflict.value.current_version == 2
    assert FaultReport.objects.get().cause == "x"
    with pytest.raises(ValidationError) as err:  # not resolved yet
        fault_report_submit(incident_id=inc.pk, author=lead, now=now)
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        fault_report_save(incident_id=inc.pk, author=lead, data={"verdict": "x"}, version=2, now=now)
    assert "verdict" in err.value.message_dict


def test_fault_report_submit_needs_every_section(make_incident, org_a, lead, now):
    inc = make_incident(organization=org_a, status="resolved")
    fault_report_save(incident_id=inc.pk, author=lead, data={"summary": "only this"}, version=None, now=now)
    with pytest.raises(ValidationError) as err:
        fault_report_submit(incident_id=inc.pk, author=lead, now=now)
    assert set(err.value.message_dict) == {"cause", "handling", "prevention"}
    fault_report_save(incident_id=inc.pk, author=lead, data=SECTIONS, version=None, now=now)
    report = fault_report_submit(incident_id=inc.pk, author=lead, now=now)
    assert report.status == "submitted" and report.submitted_at == now
    with pytest.raises(ValidationError):
        fault_report_save(incident_id=inc.pk, author=lead, data={"summary": "edit"}, version=None, now=now)


def test_spare_loan_lifecycle(make_incident, org_a, org_b, lead, ci_a, now):
    inc = make_incident(organization=org_a, status="in_progress", ci=ci_a)
    standby = CIFactory(organization=org_a, name="spare-switch")
    loan = spare_loan_create(incident_id=inc.pk, actor=lead, description="", faulty_ci=None, standby_ci=standby,
                             note="lent for repair", now=now)
    assert loan.faulty_ci == ci_a and loan.description == "spare-switch"
    with pytest.raises(ValidationError) as err:
        spare_loan_create(incident_id=inc.pk, actor=lead, description="x", faulty_ci=CIFactory(organization=org_b),
                          standby_ci=None, note="", now=now)
    assert "faulty_ci" in err.value.message_dict
    spare_loan_return(loan_id=loan.pk, actor=lead, now=now)
    with pytest.raises(ValidationError):
        spare_loan_return(loan_id=loan.pk, actor=lead, now=now)
    actions = list(TicketEvent.objects.filter(ticket_id=inc.pk, action="loan").values_list("data__action", flat=True))
    assert actions == ["lent", "returned"]


# --- API ----------------------------------------------------------------------------------

def test_progress_api_customer_reads_own_org_only(api_as, make_incident, org_a, lead, customer_a, customer_b):
    inc = make_incident(organization=org_a, status="in_progress", impact="high", urgency="high")
    res = api_as(lead).post(f"/api/v1/incidents/{inc.pk}/progress/", {"body": "PSU ordered"}, format="json")
    assert res.status_code == 201 and res.json()["body"] == "PSU ordered"
    assert api_as(lead).post(f"/api/v1/incidents/{inc.pk}/progress/", {"body": ""}, format="json").status_code == 400
    listed = api_as(customer_a).get(f"/api/v1/incidents/{inc.pk}/progress/").json()["results"]
    assert [p["body"] for p in listed] == ["PSU ordered"]
    assert api_as(customer_a).post(f"/api/v1/incidents/{inc.pk}/progress/", {"body": "x"},
                                   format="json").status_code == 403
    assert api_as(customer_b).get(f"/api/v1/incidents/{inc.pk}/progress/").status_code == 404


def test_fault_report_api_409_on_stale_version(api_as, make_incident, org_a, lead, customer_a):
    inc = make_incident(organization=org_a, status="resolved")
    client = api_as(lead)
    url = f"/api/v1/incidents/{inc.pk}/fault-report/"
    assert client.get(url).status_code == 404
    res = client.put(url, {"summary": "first"}, format="json")
    assert res.status_code == 200 and res.json()["version"] == 1
    assert client.put(url, {"version": 1, "cause": "second"}, format="json").json()["version"] == 2
    stale = client.put(url, {"version": 1, "cause": "lost race"}, format="json")
    assert stale.status_code == 409 and stale.json()["version"] == 2
    assert client.get(url).json()["cause"] == "second"
    assert api_as(customer_a).get(url).status_code == 404  # drafts are internal
    client = api_as(lead)  # api_as re-authenticates the one shared client
    bad = client.post(url + "submit/", {"version": 2}, format="json")
    assert bad.status_code == 400 and {"handling", "prevention"} <= set(bad.json())
    client.put(url, {"version": 2, **SECTIONS}, format="json")
    done = client.post(url + "submit/", {"version": 3}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert api_as(customer_a).get(url).json()["status"] == "submitted"


def test_loans_api(api_as, make_incident, org_a, lead, customer_a, customer_b, ci_a):
    inc = make_incident(organization=org_a, status="in_progress", ci=ci_a)
    client = api_as(lead)
    res = client.post(f"/api/v1/incidents/{inc.pk}/loans/", {"description": "Spare NVR"}, format="json")
    assert res.status_code == 201, res.json()
    loan = res.json()
    assert loan["faulty_ci"] == ci_a.pk and loan["returned_at"] is None
    assert client.post(f"/api/v1/incidents/{inc.pk}/loans/", {}, format="json").status_code == 400
    assert [x["id"] for x in client.get("/api/v1/loans/?open=true").json()["results"]] == [loan["id"]]
    assert api_as(customer_b).get(f"/api/v1/loans/{loan['id']}/").status_code == 404
    assert api_as(customer_a).post(f"/api/v1/loans/{loan['id']}/return/").status_code == 403
    client = api_as(lead)
    assert client.post(f"/api/v1/loans/{loan['id']}/return/").json()["returned_at"]
    assert client.post(f"/api/v1/loans/{loan['id']}/return/").status_code == 400
    assert client.get("/api/v1/loans/?open=true").json()["results"] == []
    assert SpareLoan.objects.count() == 1


# --- pages --------------------------------------------------------------------------------

def test_detail_page_panels_and_forms(client_as, make_incident, org_a, lead):
    inc = make_incident(organization=org_a, status="in_progress", impact="high", urgency="high")
    client = client_as(lead)
    page = client.get(f"/incidents/{inc.pk}/").content.decode()
    assert 'data-sla-panel' in page and "data-due=" in page and "sla-countdown.js" in page
    assert "Next update due" in page
    res = client.post(f"/incidents/{inc.pk}/progress/", {"progress-body": "Spare switch on site"})
    assert res.status_code == 302
    assert "Spare switch on site" in client.get(f"/incidents/{inc.pk}/").content.decode()
    res = client.post(f"/incidents/{inc.pk}/loans/", {"loan-description": "Spare switch", "loan-note": ""})
    assert res.status_code == 302 and SpareLoan.objects.filter(incident=inc).exists()


def test_fault_report_page_conflict_keeps_text(client_as, make_incident, org_a, lead, now):
    inc = make_incident(organization=org_a, status="resolved")
    client = client_as(lead)
    url = f"/incidents/{inc.pk}/fault-report/"
    assert client.post(url, {"report-version": "0", "report-summary": "mine", "save": ""}).status_code == 302
    fault_report_save(incident_id=inc.pk, author=lead, data={"summary": "theirs"}, version=1, now=now)
    res = client.post(url, {"report-version": "1", "report-summary": "my late edit", "save": ""})
    assert res.status_code == 409
    body = res.content.decode()
    assert "my late edit" in body and "theirs" in body and 'value="2"' in body
    res = client.post(url, {"report-version": "2", **{f"report-{k}": v for k, v in SECTIONS.items()}, "submit": ""})
    assert res.status_code == 302
    assert FaultReport.objects.get(incident=inc).status == "submitted"


def test_new_pages_staff_only(client_as, lead, customer_a):
    urls = ["/sla/fault-reports/overdue/", "/sla/major-incidents/", "/sla/replacements/", "/sla/loans/",
            "/sla/replacements/?month=2026-02", "/sla/replacements/?month=garbage"]
    for url in urls:
        assert client_as(lead).get(url).status_code == 200, url
    for url in urls:
        assert client_as(customer_a).get(url).status_code == 404, url
