from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


@pytest.fixture
def inc(make_incident, org_a):
    return make_incident(organization=org_a)


def url(inc, sub):
    return f"/api/v1/incidents/{inc.pk}/{sub}/"


def test_comments_public_and_internal(api_as, inc, operator, customer_a):
    staff = api_as(operator)
    assert staff.post(url(inc, "comments"), {"body": "internal note"}, format="json").status_code == 201
    res = staff.post(url(inc, "comments"), {"body": "we are on it", "public": True}, format="json")
    assert res.status_code == 201 and res.json()["public"] is True
    assert staff.post(url(inc, "comments"), {"body": "  "}, format="json").status_code == 400
    assert len(staff.get(url(inc, "comments")).json()["results"]) == 2
    cust = api_as(customer_a)
    assert [c["body"] for c in cust.get(url(inc, "comments")).json()["results"]] == ["we are on it"]
    res = cust.post(url(inc, "comments"), {"body": "thanks", "public": False}, format="json")
    assert res.status_code == 201 and res.json()["public"] is True  # customers always write public


def test_worklogs_staff_only(api_as, inc, engineer, customer_a):
    client = api_as(engineer)
    res = client.post(url(inc, "worklogs"), {"minutes": 30, "note": "checked cabling"}, format="json")
    assert res.status_code == 201, res.content
    assert res.json()["minutes"] == 30 and res.json()["work_date"]
    assert client.post(url(inc, "worklogs"), {"minutes": 0, "note": "x"}, format="json").status_code == 400
    assert client.post(url(inc, "worklogs"), {"minutes": "ten", "note": "x"}, format="json").status_code == 400
    assert client.post(url(inc, "worklogs"), {"minutes": 5, "note": "x", "work_date": "2999-01-01"},
                       format="json").status_code == 400
    assert len(client.get(url(inc, "worklogs")).json()["results"]) == 1
    cust = api_as(customer_a)
    assert cust.get(url(inc, "worklogs")).status_code == 404
    assert cust.post(url(inc, "worklogs"), {"minutes": 5, "note": "x"}, format="json").status_code == 404


def test_attachments_upload_list_download_and_visibility(api_as, inc, operator, customer_a):
    staff = api_as(operator)
    internal = staff.post(url(inc, "attachments"), {"file": SimpleUploadedFile("log.txt", b"secret log")},
                          format="multipart")
    assert internal.status_code == 201, internal.content
    public = staff.post(url(inc, "attachments"), {"file": SimpleUploadedFile("photo.jpg", b"jpegdata"),
                                                  "public": "true"}, format="multipart")
    assert public.status_code == 201 and public.json()["public"] is True
    assert len(staff.get(url(inc, "attachments")).json()["results"]) == 2
    dl = staff.get(internal.json()["download_url"])
    assert dl.status_code == 200 and b"".join(dl.streaming_content) == b"secret log"
    cust = api_as(customer_a)
    assert [a["name"] for a in cust.get(url(inc, "attachments")).json()["results"]] == ["photo.jpg"]
    assert cust.get(internal.json()["download_url"]).status_code == 404
    assert cust.get(public.json()["download_url"]).status_code == 200
    assert staff.get(f"/api/v1/incidents/{inc.pk}/attachments/abc/download/").status_code == 404
    assert staff.post(url(inc, "attachments"), {"public": "true"}, format="multipart").status_code == 400


def test_attachment_too_large_is_413(api_as, inc, operator, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    res = api_as(operator).post(url(inc, "attachments"), {"file": SimpleUploadedFile("big.bin", b"x" * 1001)},
                                format="multipart")
    assert res.status_code == 413
    assert "1000" in res.json()["detail"]
    settings.ATTACHMENT_MAX_BYTES = 10
    res = api_as(operator).post(url(inc, "attachments"), {"file": SimpleUploadedFile("big.bin", b"x" * 200_000)},
                                format="multipart")
    assert res.status_code == 413  # refused from Content-Length, before the body is parsed


def test_events_audit_history(api_as, inc, operator, customer_a):
    staff = api_as(operator)
    staff.post(url(inc, "comments"), {"body": "internal"}, format="json")
    rows = staff.get(url(inc, "events")).json()["results"]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert {"seq", "action", "actor", "data", "created_at", "hash", "prev_hash"} <= set(rows[0])
    assert rows[0]["action"] == "created" and rows[-1]["action"] == "comment"
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:]))
    cust_rows = api_as(customer_a).get(url(inc, "events")).json()["results"]
    assert all(r["public"] for r in cust_rows) and len(cust_rows) == len(rows) - 1
