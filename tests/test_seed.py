"""seed_demo and seed_bulk: every role gets a login, histories verify, numbers stay unique."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Contact, Organization, User
from cmdb.models import CI
from incidents.choices import IncidentStatus
from incidents.management.commands.seed_bulk import FastDeadlines
from incidents.management.seed_data import DEMO_PASSWORD
from incidents.models import Incident
from incidents.services import incident_create, sla_calendar
from tickets.audit import chain_verify
from tickets.models import CallRecord, ServiceRequest
from tickets.sla.deadlines import deadlines_compute

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(command: str, **options: object) -> str:
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def test_seed_demo_creates_a_login_for_every_role_and_verifiable_histories():
    output = run("seed_demo", incidents=80)

    roles = set(User.objects.values_list("role", flat=True))
    assert roles >= set(Role.values)
    assert User.objects.filter(role=Role.ENGINEER).count() >= 3
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="dispatcher").check_password(DEMO_PASSWORD)
    for org in Organization.objects.all():
        assert User.objects.filter(role=Role.CUSTOMER, organization=org).exists()
        assert 15 <= CI.objects.filter(organization=org).count() <= 30
        assert Contact.objects.filter(organization=org).exclude(phone="").exists()
    assert "opsdesk-demo-2026" in output and "dispatcher" in output

    # 80 seeded by seed_demo itself; the monitoring seeder's demo storm adds one (its alerts name it).
    assert Incident.objects.filter(alerts__isnull=True).count() == 80
    assert Incident.objects.filter(alerts__isnull=False).distinct().count() == 1
    statuses = set(Incident.objects.values_list("status", flat=True))
    assert {IncidentStatus.NEW, IncidentStatus.CLOSED, IncidentStatus.IN_PROGRESS} <= statuses
    assert Incident.objects.filter(reported_at__lt=timezone.now() - timedelta(days=30)).exists()
    closed = Incident.objects.filter(status=IncidentStatus.CLOSED).first()
    assert closed is not None and closed.audit_seq >= 5 and closed.closed_at > closed.reported_at
    assert ServiceRequest.objects.filter(request_type="complaint").exists()
    assert set(CallRecord.objects.values_list("outcome", flat=True)) == {"answered", "missed"}

    assert list(chain_verify(ticket_model=Incident)) == []
    assert list(chain_verify(ticket_model=ServiceRequest)) == []


def test_seed_demo_twice_does_not_duplicate():
    run("seed_demo", incidents=20)
    counts = (User.objects.count(), Organization.objects.count(), CI.objects.count(), Contact.objects.count(),
              Incident.objects.count(), ServiceRequest.objects.count())
    output = run("seed_demo", incidents=20)
    assert "nothing added" in output
    assert counts == (User.objects.count(), Organization.objects.count(), CI.objects.count(),
                      Contact.objects.count(), Incident.objects.count(), ServiceRequest.objects.count())


def test_seed_bulk_creates_valid_incidents_with_unique_numbers(api_client):
    output = run("seed_bulk", incidents=2000, organizations=3, batch=700, cis_per_org=12, contacts_per_org=4,
                 engineers=6, seed=7)
    assert "2,000 incidents" in output and "rows/s" in output

    assert Incident.objects.count() == 2000
    numbers = list(Incident.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 2000 and all(n.startswith("INC-") for n in numbers)
    by_status = dict(Incident.objects.values_list("status").annotate(n=Count("id")))
    finished = by_status.get("closed", 0) + by_status.get("cancelled", 0)
    assert 0.8 * 2000 < finished < 0.97 * 2000
    assert Incident.objects.filter(respond_due__isnull=True).count() == 0
    assert not Incident.objects.filter(status=IncidentStatus.CLOSED, closed_at__isnull=True).exists()
    assert not Incident.objects.filter(status=IncidentStatus.NEW, assignee__isnull=False).exists()
    assert not Incident.objects.filter(status=IncidentStatus.IN_PROGRESS, assignee__isnull=True).exists()
    assert set(Incident.objects.exclude(assignee=None).values_list("assignee__role", flat=True)) == {Role.ENGINEER}
    # No events were written: each chain is empty, and an empty chain verifies.
    assert list(chain_verify(ticket_model=Incident)) == []

    # The API can show them.
    api_client.force_authenticate(User.objects.get(username="bulk_dispatcher"))
    some = Incident.objects.order_by("?").first()
    assert api_client.get(f"/api/v1/incidents/{some.pk}/").status_code == 200
    assert api_client.get("/api/v1/incidents/queue/").status_code == 200

    # Numbers the services allocate later do not collide with the bulk range.
    operator = User.objects.get(username="bulk_operator")
    org = Organization.objects.get(code="bulk-org-001")
    created = incident_create(actor=operator, organization=org, title="新报障", impact="low", urgency="low",
                              now=timezone.now())
    assert created.number not in set(numbers)
    assert Incident.objects.filter(number=created.number).count() == 1


def test_seed_bulk_twice_reuses_reference_data():
    run("seed_bulk", incidents=50, organizations=2, cis_per_org=5, contacts_per_org=2, engineers=3, seed=1)
    counts = (User.objects.count(), Organization.objects.count(), CI.objects.count(), Contact.objects.count())
    run("seed_bulk", incidents=50, organizations=2, cis_per_org=5, contacts_per_org=2, engineers=3, seed=2)
    assert counts == (User.objects.count(), Organization.objects.count(), CI.objects.count(), Contact.objects.count())
    assert Incident.objects.values("number").distinct().count() == 100


def test_fast_deadlines_match_the_pure_sla_functions():
    now = timezone.now()
    first = now - timedelta(days=400)
    fast = FastDeadlines(sla_calendar(), first=first, last=now)
    rng = random.Random(3)
    lo, hi = int(first.timestamp()), int(now.timestamp())
    for i in range(3000):
        start = rng.randrange(lo, hi)
        if i % 3 == 0:
            start -= start % 1800  # on the half hour: deadlines that land exactly on a period's end
        level = ("I", "II", "III", "IV")[i % 4]
        d = deadlines_compute(start=datetime.fromtimestamp(start, UTC), level=level, calendar=sla_calendar())
        expected = tuple(None if x is None else int(x.timestamp())
                         for x in (d.respond_due, d.onsite_due, d.restore_due, d.resolve_due))
        assert fast.get(level, start) == expected, (level, start)


def test_seed_demo_closes_only_after_the_observation_checklist():
    """With a checklist configured (as migrations seed it), demo incidents still close: each closed
    one had every item checked OK first."""
    from incidents.models import Incident, ObservationCheck, ObservationItem

    items = [ObservationItem.objects.create(text=f"check {n}", position=n) for n in (1, 2)]
    run("seed_demo")
    closed = Incident.objects.filter(status="closed")
    assert closed.exists()
    for inc in closed:
        assert ObservationCheck.objects.filter(incident=inc, result="ok").count() == len(items)
