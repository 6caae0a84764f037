"""The fault-analysis report: pre-fill, draft edits with optimistic concurrency, publication freezing
content and PDF (later edits never change a published version), the fault report it submits, the
pages and who may see them."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incidents.followups import fault_report_save
from incidents.models import FaultReport, FaultReportStatus, Incident
from opsdesk.errors import ConflictError
from reports.analysis import (
    analysis_prefill,
    analysis_publish,
    analysis_save,
    analysis_version_verify,
)
from reports.analysis_models import FaultAnalysis, FaultAnalysisVersion
from tests.factories import CustomerFactory
from tickets.audit import chain_verify
from tickets.choices import EventAction
from tickets.models import TicketEvent

from .conftest import pdf_text

pytestmark = pytest.mark.django_db

TEXT = {"summary": "All gate cameras lost picture", "impact": "North gate unwatched for 150 minutes",
        "cause": "The camera power supply failed (capacitor aged)", "handling": "Replaced the power supply",
        "restoration": "Standby camera installed at 11:00", "prevention": "Replace PSUs older than 5 years",
        "prepared_by": "Wang Fenxi", "reviewed_by": "Project manager", "customer_signatory": "Zhao Lian"}


def stored_bytes(version: FaultAnalysisVersion) -> bytes:
    with version.pdf.open("rb") as handle:
        return handle.read()


def test_prefill_takes_the_fault_report_then_the_incident(story):
    s = story
    inc = s.inc["inc1"]
    first = analysis_prefill(incident=inc)
    assert first["summary"] == inc.description
    assert first["handling"] == inc.resolution and first["restoration"] == inc.workaround
    fault_report_save(incident_id=inc.pk, author=s.engineer, version=None, now=s.now,
                      data={"summary": "From the report", "cause": "PSU", "handling": "", "prevention": "Check"})
    second = analysis_prefill(incident=Incident.objects.get(pk=inc.pk))
    assert (second["summary"], second["cause"], second["prevention"]) == ("From the report", "PSU", "Check")
    assert second["handling"] == inc.resolution  # an empty section still falls back to the incident


def test_save_records_an_event_and_refuses_a_stale_version(story):
    s = story
    inc = s.inc["inc1"]
    draft = analysis_save(incident_id=inc.pk, actor=s.analyst, data={"cause": "PSU"}, version=0, now=s.now)
    assert draft.version == 1 and draft.content["cause"] == "PSU"
    assert draft.content["summary"] == inc.description  # the rest is the pre-fill
    again = analysis_save(incident_id=inc.pk, actor=s.analyst, data={"cause": "PSU aged"}, version=1, now=s.now)
    assert again.version == 2
    with pytest.raises(ConflictError):
        analysis_save(incident_id=inc.pk, actor=s.analyst, data={"cause": "Someone else"}, version=1, now=s.now)
    assert FaultAnalysis.objects.get(incident=inc).content["cause"] == "PSU aged"
    unchanged = analysis_save(incident_id=inc.pk, actor=s.analyst, data={"cause": "PSU aged"}, version=2, now=s.now)
    assert unchanged.version == 2  # nothing changed, nothing written
    events = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk, action=EventAction.REPORT)
    assert [e.data["version"] for e in events.order_by("seq")] == [1, 2]
    with pytest.raises(ValidationError) as err:
        analysis_save(incident_id=inc.pk, actor=s.analyst, data={"status": "x"}, version=2, now=s.now)
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError):
        analysis_save(incident_id=inc.pk, actor=s.analyst, data={"prepared_by": "x" * 101}, version=2, now=s.now)


def test_only_analysts_and_above_edit(story):
    s = story
    with pytest.raises(PermissionDenied):
        analysis_save(incident_id=s.inc["inc1"].pk, actor=s.engineer, data={"cause": "x"}, version=0, now=s.now)
    with pytest.raises(ValidationError):  # a cancelled incident needs no report
        analysis_save(incident_id=s.inc["inc4"].pk, actor=s.analyst, data={"cause": "x"}, version=0, now=s.now)


def test_publish_needs_a_resolved_incident_and_the_required_sections(story):
    s = story
    open_one = s.inc["inc7"]
    analysis_save(incident_id=open_one.pk, actor=s.analyst, data=TEXT, version=0, now=s.now)
    with pytest.raises(ValidationError) as err:
        analysis_publish(incident_id=open_one.pk, actor=s.analyst, version=None, now=s.now)
    assert "status" in err.value.message_dict
    inc = s.inc["inc1"]
    analysis_save(incident_id=inc.pk, actor=s.analyst, data={"cause": "", "prevention": ""}, version=0, now=s.now)
    with pytest.raises(ValidationError) as err:
        analysis_publish(incident_id=inc.pk, actor=s.analyst, version=None, now=s.now)
    assert set(err.value.message_dict) == {"cause", "prevention"}
    assert not FaultAnalysisVersion.objects.exists()


def test_publish_freezes_content_and_pdf_and_later_edits_make_a_new_version(story, tmp_path):
    s = story
    inc = s.inc["inc1"]
    draft = analysis_save(incident_id=inc.pk, actor=s.analyst, data=TEXT, version=0, now=s.now)
    v1 = analysis_publish(incident_id=inc.pk, actor=s.analyst, version=draft.version, now=s.now, language="en")
    assert v1.number == 1 and v1.published_by == s.analyst and v1.published_at == s.now
    first_bytes = stored_bytes(v1)
    assert hashlib.sha256(first_bytes).hexdigest() == v1.sha256 and v1.size == len(first_bytes)
    text = " ".join(pdf_text(first_bytes, tmp_path).split())
    assert TEXT["cause"] in text and "Version 1" in text and "DRAFT" not in text
    assert v1.content["timeline"] and v1.content["cause"] == TEXT["cause"]
    # the publication is on the incident's public history, inside its hash chain
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=inc.pk, action=EventAction.PUBLISHED)
    assert event.public and event.data == {"analysis": draft.pk, "version": 1, "sha256": v1.sha256}
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[inc.pk])) == []
    # the first publication submits the fault report the SLA clock waits for, with the published text
    report = FaultReport.objects.get(incident=inc)
    assert report.status == FaultReportStatus.SUBMITTED and report.cause == TEXT["cause"]

    with pytest.raises(ValidationError):  # nothing changed since version 1
        analysis_publish(incident_id=inc.pk, actor=s.analyst, version=None, now=s.now)
    later = s.now + timedelta(days=1)
    edited = analysis_save(incident_id=inc.pk, actor=s.analyst, data={"cause": "Capacitor failure in the PSU"},
                           version=draft.version, now=later)
    v1.refresh_from_db()
    assert stored_bytes(v1) == first_bytes and v1.content["cause"] == TEXT["cause"]  # the edit left v1 alone
    v2 = analysis_publish(incident_id=inc.pk, actor=s.analyst, version=edited.version, now=later, language="zh-hans")
    assert v2.number == 2 and v2.sha256 != v1.sha256
    assert "Capacitor failure in the PSU" in " ".join(pdf_text(stored_bytes(v2), tmp_path).split())
    assert stored_bytes(FaultAnalysisVersion.objects.get(pk=v1.pk)) == first_bytes
    assert analysis_version_verify(v1) and analysis_version_verify(v2)
    assert FaultReport.objects.get(incident=inc).cause == TEXT["cause"]  # the submitted report stays frozen
    # a generated fault_analysis report shows the latest published version
    from reports.registry import kind_get

    from .conftest import report_input

    ctx = kind_get("fault_analysis").build(report_input(organization=s.org_a, incident=inc, now=later))
    assert ctx["version_number"] == 2 and not ctx["is_draft"] and ctx["published_by"] == s.analyst.display_name
    assert {x["name"]: x["text"] for x in ctx["sections"]}["cause"] == "Capacitor failure in the PSU"


def test_publish_refuses_a_stale_draft_version(story):
    s = story
    inc = s.inc["inc1"]
    draft = analysis_save(incident_id=inc.pk, actor=s.analyst, data=TEXT, version=0, now=s.now)
    with pytest.raises(ConflictError):
        analysis_publish(incident_id=inc.pk, actor=s.analyst, version=draft.version - 1 or 99, now=s.now)
    assert not FaultAnalysisVersion.objects.exists()


# --- pages -------------------------------------------------------------------------------------------

def test_editor_page_save_and_publish(story, client):
    s = story
    inc = s.inc["inc1"]
    url = reverse("reports:analysis_editor", args=[inc.pk])
    client.force_login(s.analyst)
    page = client.get(url)
    assert page.status_code == 200
    assert inc.description in page.content.decode()  # pre-filled
    saved = client.post(url, {"version": 0, **TEXT, "save": "1"})
    assert saved.status_code == 302
    assert FaultAnalysis.objects.get(incident=inc).content["impact"] == TEXT["impact"]
    stale = client.post(url, {"version": 0, **TEXT, "cause": "My own text", "save": "1"})
    assert stale.status_code == 409
    assert "My own text" in stale.content.decode()  # the typed text is kept
    published = client.post(url, {"version": 1, **TEXT, "language": "en", "publish": "1"})
    assert published.status_code == 302
    version = FaultAnalysisVersion.objects.get()
    download = client.get(reverse("reports:analysis_version_pdf", args=[version.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == stored_bytes(version)
    panel = client.get(reverse("reports:analysis_panel", args=[inc.pk]))
    assert panel.status_code == 200 and "Version 1" in panel.content.decode()
    preview = client.get(reverse("reports:analysis_preview", args=[inc.pk]))
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"


def test_editor_errors_are_shown_not_raised(story, client):
    s = story
    client.force_login(s.analyst)
    url = reverse("reports:analysis_editor", args=[s.inc["inc7"].pk])  # not resolved yet
    response = client.post(url, {"version": 0, **TEXT, "publish": "1"})
    assert response.status_code == 400
    assert "published after the incident is resolved" in response.content.decode()
    too_long = client.post(url, {"version": 1, **TEXT, "prepared_by": "x" * 200, "save": "1"})
    assert too_long.status_code == 400


def test_who_sees_what(story, client):
    s = story
    inc = s.inc["inc1"]
    draft = analysis_save(incident_id=inc.pk, actor=s.analyst, data=TEXT, version=0, now=s.now)
    version = analysis_publish(incident_id=inc.pk, actor=s.analyst, version=draft.version, now=s.now, language="en")
    pdf_url = reverse("reports:analysis_version_pdf", args=[version.pk])
    editor = reverse("reports:analysis_editor", args=[inc.pk])
    # an engineer reads the editor but cannot write
    client.force_login(s.engineer)
    assert client.get(editor).status_code == 200
    assert client.post(editor, {"version": 1, **TEXT, "save": "1"}).status_code == 403
    # the customer of A downloads A's published version, never the editor; B's customer sees nothing
    client.force_login(CustomerFactory(organization=s.org_a))
    assert client.get(pdf_url).status_code == 200
    assert client.get(editor).status_code == 404
    assert client.get(reverse("reports:analysis_preview", args=[inc.pk])).status_code == 404
    client.force_login(CustomerFactory(organization=s.org_b))
    assert client.get(pdf_url).status_code == 404
    client.logout()
    assert client.get(pdf_url).status_code == 302  # to the login page
