"""Issue #11 finding 5: daily anchors. One digest per organisation and day over the heads of its
ticket chains, chained to the previous day's, shown to the customer (portal, monthly report); a
history rewritten afterwards — even by someone holding the HMAC key — no longer matches them."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from incidents.models import Incident
from tickets.anchors import anchor_compute, audit_anchor_verify, audit_anchors_sweep
from tickets.audit import audit_keys, event_digest
from tickets.models import AuditAnchor, TicketEvent
from tickets.services import ticket_comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(make_incident, org_a, org_b, engineer, now):
    """Two incidents of org A and one of org B, written today; then the day ends."""
    a1 = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    a2 = make_incident(organization=org_a, status="assigned")
    b1 = make_incident(organization=org_b, status="assigned")
    return {"a1": a1, "a2": a2, "b1": b1, "tomorrow": now + timedelta(days=1)}


def anchor_of(org: Any) -> AuditAnchor:
    return AuditAnchor.objects.get(organization=org)


def rewrite_with_the_key(incident: Incident) -> None:
    """The strongest forger: has the database AND the HMAC key, rewrites event 2 and re-signs the
    rest of the chain and the head. verify_audit cannot see it; the anchor the customer holds can."""
    key_id, ring = audit_keys()
    events = list(TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk).order_by("seq"))
    prev = events[0].hash
    for ev in events[1:]:
        data = {**ev.data, "reason": "rewritten"} if ev.seq == 2 else ev.data
        digest = event_digest(ticket_kind="incident", ticket_id=incident.pk, seq=ev.seq, actor_id=ev.actor_id,
                              action=ev.action, data=data, public=ev.public, created_at=ev.created_at,
                              prev_hash=prev, key=ring[key_id])
        TicketEvent.objects.filter(pk=ev.pk).update(data=data, prev_hash=prev, hash=digest, key_id=key_id)
        prev = digest
    Incident.objects.filter(pk=incident.pk).update(audit_head=prev)


def test_one_anchor_per_organisation_and_day_idempotent(history, org_a, org_b):
    assert audit_anchors_sweep(now=history["tomorrow"]) == 2
    assert audit_anchors_sweep(now=history["tomorrow"]) == 0  # twice: nothing new
    assert AuditAnchor.objects.count() == 2
    a, b = anchor_of(org_a), anchor_of(org_b)
    assert a.day == timezone.localdate(history["tomorrow"]) - timedelta(days=1)
    assert (a.tickets, b.tickets) == (2, 1)
    assert a.events == history["a1"].audit_seq + history["a2"].audit_seq
    assert a.prev_digest == "" and a.digest != b.digest


def test_anchors_chain_and_fill_missed_days(history, org_a):
    audit_anchors_sweep(now=history["tomorrow"])
    audit_anchors_sweep(now=history["tomorrow"] + timedelta(days=3))  # the beat was down for two days
    days = list(AuditAnchor.objects.filter(organization=org_a).order_by("day"))
    assert len(days) == 4
    assert [d.day - days[0].day for d in days] == [timedelta(days=n) for n in range(4)]
    for earlier, later in zip(days, days[1:], strict=False):
        assert later.prev_digest == earlier.digest
    assert all(audit_anchor_verify(anchor=d).ok for d in days)


def test_an_anchor_still_verifies_as_the_chains_grow(history, org_a, engineer):
    audit_anchors_sweep(now=history["tomorrow"])
    ticket_comment_add(ticket=history["a1"], author=engineer, body="next day", public=False, now=history["tomorrow"])
    check = audit_anchor_verify(anchor=anchor_of(org_a))
    assert check.ok and check.recomputed == anchor_of(org_a).digest


def test_history_rewritten_with_the_key_no_longer_matches_the_anchor(history, org_a, org_b):
    audit_anchors_sweep(now=history["tomorrow"])
    held_by_customer = anchor_of(org_a).digest
    rewrite_with_the_key(history["a1"])
    check = audit_anchor_verify(anchor=anchor_of(org_a))
    assert not check.digest_ok and check.recomputed != held_by_customer
    assert audit_anchor_verify(anchor=anchor_of(org_b)).ok  # per organisation: B is untouched
    # verify_audit: the chains look intact (the forger had the key), the anchor does not.
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=out, stderr=out, no_color=True)
    text = out.getvalue()
    assert f"BROKEN anchor org-a {anchor_of(org_a).day}: [anchor_mismatch]" in text
    assert "BROKEN anchor org-b" not in text
    assert "[event_altered]" not in text and "[chain_broken]" not in text


def test_rewriting_the_stored_anchor_breaks_the_next_link(history, org_a):
    audit_anchors_sweep(now=history["tomorrow"])
    audit_anchors_sweep(now=history["tomorrow"] + timedelta(days=1))
    first, second = AuditAnchor.objects.filter(organization=org_a).order_by("day")
    figures = anchor_compute(organization_id=org_a.pk, day=first.day, prev_digest="")
    AuditAnchor.objects.filter(pk=first.pk).update(digest="0" * 64)
    assert not audit_anchor_verify(anchor=AuditAnchor.objects.get(pk=first.pk)).digest_ok
    second_check = audit_anchor_verify(anchor=second)
    assert second_check.digest_ok and not second_check.prev_ok
    assert figures.digest == first.digest


def test_anchor_command_verifies_a_day(history, org_a):
    day = timezone.localdate()
    with pytest.raises(CommandError):
        call_command("audit_anchor", "--day", day.isoformat(), stdout=StringIO())  # a day not over yet
    audit_anchors_sweep(now=history["tomorrow"])
    out = StringIO()
    call_command("audit_anchor", "--verify", "--day", day.isoformat(), "--organization", "org-a", stdout=out)
    assert f"OK org-a {day} {anchor_of(org_a).digest}" in out.getvalue()
    rewrite_with_the_key(history["a2"])
    out = StringIO()
    with pytest.raises(CommandError) as err:
        call_command("audit_anchor", "--verify", stdout=out, no_color=True)
    assert err.value.returncode == 1
    assert f"BROKEN anchor org-a {day}: [anchor_mismatch]" in out.getvalue()


# --- what the customer sees -------------------------------------------------------------------

def test_portal_lists_own_anchors_and_404s_another_organisations(history, org_a, org_b, customer_a):
    audit_anchors_sweep(now=history["tomorrow"])
    client = Client()
    client.force_login(customer_a)
    page = client.get("/portal/history/")
    assert page.status_code == 200
    body = page.content.decode()
    assert anchor_of(org_a).digest in body and anchor_of(org_b).digest not in body
    assert client.get(f"/portal/history/{anchor_of(org_a).pk}/").status_code == 200
    assert client.get(f"/portal/history/{anchor_of(org_b).pk}/").status_code == 404


def test_api_anchors_are_per_tenant(history, org_a, org_b, customer_a, api_as):
    audit_anchors_sweep(now=history["tomorrow"])
    client = api_as(customer_a)
    listed = client.get("/api/v1/audit/anchors/", {"organization": org_b.pk})
    assert listed.status_code == 200
    assert [r["digest"] for r in listed.json()["results"]] == [anchor_of(org_a).digest]
    assert client.get(f"/api/v1/audit/anchors/{anchor_of(org_b).pk}/").status_code == 404
    assert client.get(f"/api/v1/audit/anchors/{anchor_of(org_b).pk}/verify/").status_code == 404
    res = client.get(f"/api/v1/audit/anchors/{anchor_of(org_a).pk}/verify/")
    assert res.status_code == 200 and res.json()["ok"] is True
    rewrite_with_the_key(history["a1"])
    res = client.get(f"/api/v1/audit/anchors/{anchor_of(org_a).pk}/verify/")
    assert res.json()["ok"] is False and res.json()["recomputed"] != res.json()["digest"]


def test_monthly_fault_summary_prints_the_months_anchors(history, org_a):
    from reports.kinds import monthly_fault_summary as kind  # noqa: PLC0415 - the report layer, on demand
    from reports.registry import ReportInput  # noqa: PLC0415

    audit_anchors_sweep(now=history["tomorrow"])
    day = anchor_of(org_a).day
    start = timezone.make_aware(timezone.datetime(day.year, day.month, 1))
    end = timezone.make_aware(timezone.datetime(day.year + (day.month == 12), day.month % 12 + 1, 1))
    ctx = kind.build(ReportInput(organization=org_a, start=start, end=end, period_label="m", now=history["tomorrow"]))
    assert ctx["audit_anchors"] == [{"day": day.isoformat(), "digest": anchor_of(org_a).digest, "tickets": 2}]
    table = [t for t in kind.tables(ctx) if t.rows and t.rows[0][1] == anchor_of(org_a).digest]
    assert table
