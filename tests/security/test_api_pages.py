"""Security API and staff pages: upload → preview → import, filters, decisions with versions,
antivirus by API (token), CSV and by hand with the flags, bad files as field errors (400, never
500), and customers see nothing (404 everywhere)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from security.models import AntivirusStatus, Finding, ScanImport

from .conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def _upload(client, org, name, **extra):
    return client.post("/api/v1/security/imports/", {
        "organization": org.pk, "file": SimpleUploadedFile(name, fixture_bytes(name)), **extra}, format="multipart")


def test_api_preview_then_apply_and_filters(api_as, engineer, manager, hosts, org_a):
    client = api_as(engineer)
    r = _upload(client, org_a, "scan.nessus")
    assert r.status_code == 201 and r.json()["status"] == "preview" and r.json()["summary"]["created"] == 3
    assert not Finding.objects.exists()
    r = client.post(f"/api/v1/security/imports/{r.json()['id']}/apply/")
    assert r.status_code == 200 and r.json()["status"] == "applied"
    again = client.post(f"/api/v1/security/imports/{r.json()['id']}/apply/")
    assert again.status_code == 400
    r = _upload(client, org_a, "scan.nessus", apply="true")
    assert r.status_code == 201 and r.json()["summary"]["unchanged"] == 3
    rows = client.get("/api/v1/security/findings/?severity=critical").json()["results"]
    assert [row["vuln_id"] for row in rows] == ["187315"]
    assert client.get("/api/v1/security/findings/?severity=nonsense").status_code == 400
    assert client.get("/api/v1/security/findings/?overdue=maybe").status_code == 400
    pk = rows[0]["id"]
    r = client.post(f"/api/v1/security/findings/{pk}/decision/", {"action": "accept", "reason": "x"}, format="json")
    assert r.status_code == 400  # an engineer may not accept a risk
    r = api_as(manager).post(f"/api/v1/security/findings/{pk}/decision/",
                             {"action": "accept", "reason": "Behind the WAF", "version": 99}, format="json")
    assert r.status_code == 409
    r = api_as(manager).post(f"/api/v1/security/findings/{pk}/decision/",
                             {"action": "accept", "reason": "Behind the WAF"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"


@pytest.mark.parametrize("content", [b"", b"<!DOCTYPE x [<!ENTITY a 'b'>]><report/>", b"\x00\x00garbage"])
def test_bad_upload_is_a_field_error(api_as, client, engineer, org_a, content):
    r = api_as(engineer).post("/api/v1/security/imports/", {
        "organization": org_a.pk, "file": SimpleUploadedFile("x.xml", content)}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()
    client.force_login(engineer)
    page = client.post("/security/imports/", {"organization": org_a.pk, "file": SimpleUploadedFile("x.xml", content)})
    assert page.status_code == 400
    assert not ScanImport.objects.exists()


def test_antivirus_by_token_csv_and_hand_with_flags(engineer, client, hosts, org_a):
    token = Token.objects.create(user=engineer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    today = timezone.localdate()
    r = api.post("/api/v1/security/antivirus/", {
        "ci": hosts["web"].pk, "product": "Kaspersky Endpoint Security 12", "signature_date": today.isoformat(),
        "last_scan_at": timezone.now().isoformat(), "last_scan_result": "clean"}, format="json")
    assert r.status_code == 201, r.json()
    r = api.post("/api/v1/security/antivirus/", {"ci": hosts["web"].pk, "product": "", "last_scan_result": "odd"},
                 format="json")
    assert r.status_code == 400 and {"product", "last_scan_result"} <= set(r.json())
    assert api.post("/api/v1/security/antivirus/", {"ci": 999999, "product": "x"}, format="json").status_code == 404
    old = (today - timedelta(days=30)).isoformat()
    csv = f"host,product,signature date,last scan,result\nAT-003,360 Total Security,{old},{old} 03:00,threats\n" \
          "10.1.1.1,360,,,clean\nweb01,Kaspersky,not-a-date,,clean\n"
    client.force_login(engineer)
    page = client.post("/security/antivirus/", {"organization": org_a.pk,
                                                "file": SimpleUploadedFile("av.csv", csv.encode())})
    assert page.status_code == 200
    assert page.context["result"].updated == 1 and page.context["result"].unmatched == [{"line": 3, "host": "10.1.1.1"}]
    assert page.context["result"].errors[0]["line"] == 4
    flagged = api.get("/api/v1/security/antivirus/?flagged=true").json()["results"]
    assert [row["ci"] for row in flagged] == [hosts["db"].pk]
    assert [row["ci"] for row in api.get("/api/v1/security/antivirus/?flagged=false").json()["results"]] == [
        hosts["web"].pk]
    r = client.post(f"/security/antivirus/{hosts['other'].pk}/", {
        "product": "Huorong", "signature_date": today.isoformat(), "last_scan_result": "clean"})
    assert r.status_code == 302 and AntivirusStatus.objects.get(ci=hosts["other"]).source == "manual"


def test_pages_render(client, engineer, hosts, org_a):
    client.force_login(engineer)
    r = client.post("/security/imports/", {"organization": org_a.pk,
                                           "file": SimpleUploadedFile("r.xml", fixture_bytes("openvas-report.xml"))})
    assert r.status_code == 302
    preview = client.get(r["Location"])
    assert preview.status_code == 200 and preview.context["s"]["created"] == 3 and preview.context["preview"]
    assert client.post(r["Location"], {"action": "apply"}).status_code == 302
    finding = Finding.objects.get(port="22/tcp")
    for url in ("/security/", "/security/?severity=critical&overdue=true", "/security/unmatched/",
                f"/security/findings/{finding.pk}/", "/security/antivirus/", "/security/overview/",
                f"/security/overview/?organization={org_a.pk}&month=2026-09", "/security/imports/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/security/overview/?month=bad").status_code == 200
    r = client.post(f"/security/findings/{finding.pk}/", {"action": "fix", "version": finding.version})
    assert r.status_code == 302
    r = client.post(f"/security/findings/{finding.pk}/", {"action": "fix", "version": finding.version})
    assert r.status_code == 409


def test_customers_see_nothing(client, api_as, customer_a, engineer, hosts, org_a):
    staff = api_as(engineer)
    _upload(staff, org_a, "generic.csv", apply="true")
    finding = Finding.objects.first()
    scan = ScanImport.objects.first()
    client.force_login(customer_a)
    for url in ("/security/", f"/security/findings/{finding.pk}/", "/security/imports/", f"/security/imports/{scan.pk}/",
                "/security/unmatched/", "/security/antivirus/", "/security/overview/"):
        assert client.get(url).status_code == 404, url
    api = APIClient()
    api.force_authenticate(customer_a)
    for url in ("/api/v1/security/findings/", f"/api/v1/security/findings/{finding.pk}/", "/api/v1/security/antivirus/",
                "/api/v1/security/imports/", f"/api/v1/security/imports/{scan.pk}/"):
        assert api.get(url).status_code == 404, url
    assert api.post(f"/api/v1/security/findings/{finding.pk}/decision/", {"action": "fix"},
                    format="json").status_code == 404
