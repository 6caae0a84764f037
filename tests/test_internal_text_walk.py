"""Internal text never reaches a customer (issue #11, finding 4).

Organisation A's tickets get internal notes, internal attachments, work logs, a CAB rejection and
internal comments on every ticket type, each carrying a unique canary string. Then, signed in as
A's OWN customer, the test walks EVERY URL pattern of the project (the root resolver, so a new page
or API endpoint is covered without touching this file) with A's ids in the path parameters, reads
every answer — JSON, HTML, PDF (pdftotext) and Excel (every cell) — and every e-mail that left for a
customer address (bodies and attached reports), and asserts that no canary appears anywhere.

The walk helpers and A's objects come from the tenancy walk (tests/test_tenancy_walk.py and
tests/tenancy_contrib/); this file adds the internal texts on top.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver

from accounts.choices import Role
from accounts.models import Contact
from changes.models import CAB, Change
from changes.services import change_create, change_transition
from incidents.followups import fault_report_save
from incidents.models import Incident
from opsdesk.celery import app as celery_app
from problems.models import Problem
from releases.models import Release
from reports.models import ReportEmail, ReportRun
from reports.services import report_email_send, report_generate, report_publish, report_request
from tests.factories import UserFactory
from tests.test_tenancy_walk import SKIP_PREFIXES, build_urls, tenants, walk  # noqa: F401 - `tenants` is a fixture
from tickets.models import Approver, ServiceRequest
from tickets.services import ticket_attachment_add, ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db

CUSTOMER_EMAIL = "alpha-customer@alpha.example"
CONTACT_EMAIL = "alpha-contact@alpha.example"


def _internal_notes(ticket: Any, *, tag: str, author: Any, now: Any, canaries: list[str]) -> None:
    """An internal comment, an internal attachment (name and body) and a work log, each with a canary."""
    comment, att_body, worklog = (f"CANARY-{tag}-INTERNAL-COMMENT", f"CANARY-{tag}-ATTACHMENT-BODY",
                                  f"CANARY-{tag}-WORKLOG")
    att_name = f"canary-{tag.lower()}-internal.txt"
    ticket_comment_add(ticket=ticket, author=author, body=comment, public=False, now=now)
    ticket_attachment_add(ticket=ticket, author=author, public=False, now=now,
                          upload=SimpleUploadedFile(att_name, att_body.encode()))
    ticket_worklog_add(ticket=ticket, author=author, minutes=15, note=worklog, work_date=None, now=now)
    canaries += [comment, att_body, att_name, worklog]


@pytest.fixture
def internal(tenants: dict[str, Any], engineer: Any, now: Any) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    ids = tenants["ids"]
    org_a = tenants["org_a"]
    customer = UserFactory(username="alpha_own_cust", role=Role.CUSTOMER, organization=org_a, email=CUSTOMER_EMAIL)
    incident = Incident.objects.get(pk=ids["incident"][0])
    Contact.objects.filter(pk=incident.contact_id).update(email=CONTACT_EMAIL, user=customer)
    canaries: list[str] = []
    manager = UserFactory(username="alpha_canary_manager", role=Role.MANAGER)
    _internal_notes(incident, tag="INC", author=engineer, now=now, canaries=canaries)
    _internal_notes(ServiceRequest.objects.get(pk=ids["request"][0]), tag="REQ", author=engineer, now=now,
                    canaries=canaries)
    _internal_notes(Problem.objects.get(pk=ids["problem"][0]), tag="PRB", author=engineer, now=now,
                    canaries=canaries)
    release = Release.objects.get(pk=ids["release"][0])
    ticket_comment_add(ticket=release, author=manager, body="CANARY-REL-INTERNAL-COMMENT", public=False, now=now)
    canaries.append("CANARY-REL-INTERNAL-COMMENT")

    # A change the CAB rejects: the vote comment and the rejection reason are internal.
    cab = CAB.objects.get(name="Alpha walk CAB")
    cab_member = cab.members.get()
    start = now + timedelta(days=9)
    change = change_create(
        actor=engineer, organization=org_a, title="Alpha canary change", reason="public reason",
        implementation_plan="public plan", backout_plan="public backout", test_plan="public test",
        risk_answers={"service_impact": "one", "outage": "no", "experience": "routine", "backout": "easy",
                      "tested": "yes"},
        planned_start=start, planned_end=start + timedelta(hours=1), cis=[incident.ci], contact=incident.contact,
        now=now)
    for actor, action, payload in ((engineer, "submit", {}), (cab_member, "assess", {}),
                                   (cab_member, "request_approval", {"cab": cab.pk}),
                                   (cab_member, "reject", {"reason": "CANARY-CAB-REJECTION-REASON"})):
        change = change_transition(change_id=change.pk, actor=actor, action=action, payload=payload, now=now)
    assert change.status == "rejected" and change.reject_reason == "CANARY-CAB-REJECTION-REASON"
    _internal_notes(change, tag="CHG", author=engineer, now=now, canaries=canaries)
    canaries.append("CANARY-CAB-REJECTION-REASON")
    # Staff-only texts of a change (written directly: reaching them through the workflow takes a
    # scheduling conflict and a failed implementation).
    Change.objects.filter(pk=change.pk).update(conflict_override_reason="CANARY-CHG-OVERRIDE-REASON",
                                               outcome_note="CANARY-CHG-OUTCOME-NOTE")
    canaries += ["CANARY-CHG-OVERRIDE-REASON", "CANARY-CHG-OUTCOME-NOTE"]
    # A fault report still in draft is the engineers' working text.
    fault_report_save(incident_id=incident.pk, author=engineer, version=None, now=now,
                      data={"summary": "CANARY-FAULT-REPORT-DRAFT", "cause": "CANARY-FAULT-REPORT-DRAFT"})
    canaries.append("CANARY-FAULT-REPORT-DRAFT")
    ids.setdefault("change", []).append(change.pk)

    # A published response-service report (ST.FO05-94) on the incident with internal work logs.
    run = report_request(actor=manager, kind="response_service", period=None, organization=org_a, options=None,
                         language="en", now=now, incident=incident)
    report_generate(run_id=run.pk, now=now)
    run.refresh_from_db()
    assert run.status == "done", run.error
    report_publish(run_id=run.pk, actor=manager, now=now)
    ids.setdefault("report_run", []).append(run.pk)
    return {**tenants, "customer": customer, "canaries": canaries, "incident": incident, "manager": manager}


def _pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "f.pdf"
        source.write_bytes(data)
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(source), "-"], capture_output=True, check=False,
                              timeout=60)
    return done.stdout.decode("utf-8", "replace")


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


def readable_text(data: bytes, content_type: str = "") -> str:
    """What a person reads in a file: PDF text, every Excel cell, or the bytes as text."""
    if data.startswith(b"%PDF"):
        return _pdf_text(data)
    if data.startswith(b"PK") and ("spreadsheet" in content_type or b"xl/" in data[:4000]):
        return _xlsx_text(data)
    return data.decode("utf-8", "replace")


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _customer_mail() -> list[Any]:
    return [m for m in mail.outbox if {CUSTOMER_EMAIL, CONTACT_EMAIL} & set(m.to + m.cc + m.bcc)]


def _send_customer_mail(internal: dict[str, Any], now: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Everything that e-mails a customer address: change-approval links, rating invitations, the
    notification queue (escalation to the customer's contact) and report packs."""
    from changes.tasks import customer_approvals_send_due_task
    from notifications.tasks import deliveries_flush_task
    from quality.tasks import invitations_sweep_task
    from reports.services import schedule_save

    schedule = schedule_save(actor=internal["manager"], name="Alpha canary pack", organization=internal["org_a"],
                             kinds=["monthly_fault_summary"], recipients=CONTACT_EMAIL, language="en",
                             publish=True, is_active=True, now=now)
    run = ReportRun.objects.filter(organization=internal["org_a"], kind="monthly_fault_summary").first()
    assert run is not None
    ReportRun.objects.filter(pk=run.pk).update(schedule=schedule)
    email = ReportEmail.objects.create(schedule=schedule, period=run.period, created_at=now)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Approver.objects.update(emailed_at=None)  # the link rows of the approval steps
            customer_approvals_send_due_task()
            invitations_sweep_task()
            deliveries_flush_task()
            report_email_send(email_id=email.pk, now=now)
    finally:
        celery_app.conf.task_always_eager = eager


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_no_internal_text_reaches_the_customer(client, internal, now, settings, django_capture_on_commit_callbacks):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}}
    canaries = internal["canaries"]
    client.force_login(internal["customer"])
    client.raise_request_exception = False
    failures: list[str] = []
    walked = files = 0
    for route in walk(get_resolver()):
        if route.route.startswith(SKIP_PREFIXES):
            continue
        for url in build_urls(route, internal):
            walked += 1
            response = client.get(url, follow=True)
            if response.status_code >= 500:
                failures.append(f"GET {url}: server error {response.status_code}")
                continue
            if response.status_code != 200:
                continue
            data = _body(response)
            text = readable_text(data, response.get("Content-Type", ""))
            files += data.startswith((b"%PDF", b"PK"))
            leaked = [c for c in canaries if c in text]
            if leaked:
                failures.append(f"GET {url}: shows internal text {leaked}")
    _send_customer_mail(internal, now, django_capture_on_commit_callbacks)
    sent = _customer_mail()
    for message in sent:
        parts = [message.subject, message.body]
        parts += [readable_text(content if isinstance(content, bytes) else str(content).encode(), mimetype or "")
                  for _name, content, mimetype in message.attachments]
        leaked = [c for c in canaries if any(c in part for part in parts)]
        if leaked:
            failures.append(f"e-mail {message.subject!r} to {message.to}: shows internal text {leaked}")
    assert walked > 100, "the walk found almost no URLs"
    assert files >= 2, "no published report file was read: is the report seeding broken?"
    assert sent, "no e-mail reached the customer: is the e-mail seeding broken?"
    assert not failures, "Internal text reaches the customer:\n" + "\n".join(failures)


def test_the_walk_can_see_canaries_as_staff(client, internal):
    """Guard against a walk that proves nothing: staff do see the internal texts on the same URLs."""
    client.force_login(internal["manager"])
    inc = internal["incident"]
    text = _body(client.get(f"/api/v1/incidents/{inc.pk}/worklogs/")).decode()
    assert "CANARY-INC-WORKLOG" in text
    change_id = internal["ids"]["change"][-1]
    assert "CANARY-CAB-REJECTION-REASON" in _body(client.get(f"/api/v1/changes/{change_id}/")).decode()
    run = ReportRun.objects.get(pk=internal["ids"]["report_run"][-1])
    with run.file.open("rb") as pdf:
        assert inc.number in readable_text(pdf.read())  # the PDF's text is really read
