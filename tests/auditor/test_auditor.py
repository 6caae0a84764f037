"""Issue #16, the auditor (监理): a read-only role per organisation. Sees what its customer sees plus
the raw records, exports them with the audit anchor, and the export verifies against the anchor —
a tampered one does not. Another organisation's anything is 404; every write is refused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.choices import Role
from incidents.models import Incident
from tests.factories import PASSWORD, UserFactory
from tickets.anchors import audit_anchors_sweep
from tickets.audit_export import export_verify, read_events_csv, read_events_xlsx
from tickets.models import AuditAnchor, TicketEvent
from tickets.services import ticket_comment_add

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def auditor_a(org_a):
    return UserFactory(username="aud_a", role=Role.AUDITOR, organization=org_a)


@pytest.fixture
def world(make_incident, org_a, org_b, engineer, now):
    a1 = make_incident(organization=org_a, status="in_progress", assignee=engineer, title=HOSTILE)
    ticket_comment_add(ticket=a1, author=engineer, body="internal note: vendor price 999", public=False, now=now)
    ticket_comment_add(ticket=a1, author=engineer, body="@SUM(1+1) we are on site", public=True, now=now)
    a2 = make_incident(organization=org_a, status="assigned")
    b1 = make_incident(organization=org_b, status="assigned", title="Org B secret")
    audit_anchors_sweep(now=now + timedelta(days=1))
    return {"a1": a1, "a2": a2, "b1": b1, "anchor_a": AuditAnchor.objects.get(organization=org_a),
            "anchor_b": AuditAnchor.objects.get(organization=org_b)}


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def events_csv(client: Client, anchor: AuditAnchor) -> str:
    response = client.get(f"/portal/records/{anchor.pk}/events.csv")
    assert response.status_code == 200, response.status_code
    return response.content.decode("utf-8-sig")


def test_export_verifies_against_the_anchor_and_a_tampered_one_fails(world, auditor_a):
    client = login(auditor_a)
    text = events_csv(client, world["anchor_a"])
    rows = read_events_csv(text)
    check = export_verify(rows)
    assert check.ok, check.problems
    assert check.heads == 2 and check.events >= 6
    # internal events are links of the chain only; public ones in full
    assert "vendor price" not in text
    assert "we are on site" in text
    # the offline check (no key) passes too
    assert export_verify(rows, keyed=False).ok

    # 1. change what a public comment said: its keyed hash no longer recomputes
    tampered = [dict(r) for r in rows]
    comment = next(r for r in tampered if r["record"] == "event" and "we are on site" in r["data"])
    comment["data"] = comment["data"].replace("we are on site", "we were never there")
    check = export_verify(tampered)
    assert not check.ok and any("altered" in p for p in check.problems)

    # 2. re-hash it without the key: the chain and the anchor break (also offline)
    tampered = [dict(r) for r in rows]
    event = next(r for r in tampered if r["record"] == "event" and r["seq"] == "2")
    event["hash"] = "0" * 64
    assert not export_verify(tampered, keyed=False).ok

    # 3. drop an event: seq gap
    tampered = [r for r in rows if not (r["record"].startswith("event") and r["seq"] == "3")]
    assert len(tampered) == len(rows) - 1
    assert not export_verify(tampered, keyed=False).ok

    # 4. a forged anchor digest in the file: the heads no longer recompute it
    tampered = [dict(r) for r in rows]
    next(r for r in tampered if r["record"] == "anchor")["hash"] = "f" * 64
    assert not export_verify(tampered, keyed=False).ok


def test_verify_command_on_csv_and_xlsx(world, auditor_a, tmp_path):
    client = login(auditor_a)
    path = tmp_path / "events.csv"
    path.write_text(events_csv(client, world["anchor_a"]), encoding="utf-8")
    out = StringIO()
    call_command("audit_export_verify", str(path), stdout=out)
    assert "verifies" in out.getvalue()

    response = client.get(f"/portal/records/{world['anchor_a'].pk}/export.xlsx")
    assert response.status_code == 200
    xlsx = tmp_path / "records.xlsx"
    xlsx.write_bytes(response.content)
    assert export_verify(read_events_xlsx(response.content)).ok
    call_command("audit_export_verify", str(xlsx), stdout=StringIO())

    # the history is rewritten after the export: the file no longer matches the server
    ev = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=world["a1"].pk, public=True).order_by("-seq")[0]
    TicketEvent.objects.filter(pk=ev.pk).update(hash="1" * 64)
    with pytest.raises(CommandError):
        call_command("audit_export_verify", str(path), stdout=StringIO())


def test_hostile_cells_are_not_formulas(world, auditor_a):
    client = login(auditor_a)
    text = client.get(f"/portal/records/{world['anchor_a'].pk}/tickets.csv").content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + HOSTILE in cells and HOSTILE not in cells
    wb = load_workbook(io.BytesIO(client.get(f"/portal/records/{world['anchor_a'].pk}/export.xlsx").content))
    titles = [c for row in wb["tickets"].iter_rows() for c in row if c.value == HOSTILE]
    assert titles and all(c.data_type == "s" and c.quotePrefix for c in titles)


def test_sheets_hold_clocks_worklogs_and_only_own_organisation(world, auditor_a):
    client = login(auditor_a)
    wb = load_workbook(io.BytesIO(client.get(f"/portal/records/{world['anchor_a'].pk}/export.xlsx").content))
    assert wb.sheetnames == ["events", "tickets", "sla_clocks", "work_logs"]
    numbers = {row[0] for row in wb["tickets"].iter_rows(min_row=2, values_only=True)}
    assert numbers == {world["a1"].number, world["a2"].number}
    clocks = list(wb["sla_clocks"].iter_rows(min_row=2, values_only=True))
    assert clocks and {c[0] for c in clocks} <= numbers
    assert "Org B secret" not in client.get(f"/portal/records/{world['anchor_a'].pk}/events.csv").content.decode()


def test_other_organisation_is_404(world, auditor_a):
    client = login(auditor_a)
    b = world["anchor_b"]
    for url in (f"/portal/records/{b.pk}/events.csv", f"/portal/records/{b.pk}/export.xlsx",
                f"/portal/history/{b.pk}/", f"/portal/incidents/{world['b1'].pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/portal/incidents/{world['a1'].pk}/").status_code == 200
    assert client.get("/portal/records/").status_code == 200
    assert client.get("/portal/").status_code == 200
    # staff pages do not exist for the auditor either
    assert client.get(f"/incidents/{world['a1'].pk}/").status_code in (403, 404)


def test_records_page_is_the_auditors_only(world, customer_a):
    client = login(customer_a)
    assert client.get("/portal/records/").status_code == 404
    assert client.get(f"/portal/records/{world['anchor_a'].pk}/events.csv").status_code == 404


def test_every_write_is_refused(world, auditor_a):
    client = login(auditor_a)
    a1 = world["a1"]
    before = (Incident.objects.count(), TicketEvent.objects.count())
    attempts = [
        ("post", "/portal/report/", {"title": "x", "description": "y"}),
        ("post", f"/portal/incidents/{a1.pk}/add/comment/", {"body": "hello"}),
        ("post", f"/portal/incidents/{a1.pk}/action/", {"action": "reopen", "reason": "r"}),
        ("post", "/portal/requests/new/", {"title": "x"}),
        ("post", "/api/v1/incidents/", {"title": "x"}),
        ("put", f"/api/v1/incidents/{a1.pk}/", {"title": "x"}),
        ("patch", f"/api/v1/incidents/{a1.pk}/", {"title": "x"}),
        ("delete", f"/api/v1/incidents/{a1.pk}/", {}),
        ("post", f"/incidents/{a1.pk}/transition/", {}),
    ]
    for method, url, data in attempts:
        response = getattr(client, method)(url, data, content_type="application/json") if method != "post" \
            else client.post(url, data)
        assert response.status_code == 403, (method, url, response.status_code)
    token = Token.objects.create(user=auditor_a)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post("/api/v1/incidents/", {"title": "x"}, format="json").status_code == 403
    assert api.patch(f"/api/v1/incidents/{a1.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api.get(f"/api/v1/incidents/{a1.pk}/").status_code == 200
    assert api.get(f"/api/v1/incidents/{world['b1'].pk}/").status_code == 404
    assert (Incident.objects.count(), TicketEvent.objects.count()) == before
    # signing out stays possible
    assert client.post("/logout/").status_code in (200, 302)


def test_auditor_needs_an_organisation():
    from django.core.exceptions import ValidationError

    from accounts.services import user_create

    with pytest.raises(ValidationError):
        user_create(username="aud_x", password="a-Long-pass-123!", role=Role.AUDITOR)
