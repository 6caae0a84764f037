"""Permission-scoped reads: the tenancy choke point and the operator's working lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.choices import Role
from accounts.selectors import contact_list, organization_list, user_list
from cmdb.selectors import ci_get, ci_list
from incidents.models import Incident
from incidents.selectors import (
    incident_dispatch_queue,
    incident_get,
    incident_list,
    incident_my_work,
    incident_possible_duplicates,
    incident_timeline,
)
from incidents.services import incident_create, incident_transition
from tests.factories import CustomerFactory, UserFactory
from tickets.models import ServiceRequest
from tickets.selectors import request_get, request_list
from tickets.services import request_create, ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs(make_incident, org_a, org_b, operator, now):
    inc_a = make_incident(organization=org_a)
    inc_b = make_incident(organization=org_b)
    req_a = request_create(actor=operator, organization=org_a, title="a", request_type="consultation", now=now)
    req_b = request_create(actor=operator, organization=org_b, title="b", request_type="consultation", now=now)
    return inc_a, inc_b, req_a, req_b


def test_customer_sees_own_organisation_only(two_orgs, customer_a, ci_a, ci_b, contact_a, org_b):
    inc_a, inc_b, req_a, req_b = two_orgs
    assert list(incident_list(user=customer_a)) == [inc_a]
    assert list(request_list(user=customer_a)) == [req_a]
    assert incident_get(user=customer_a, pk=inc_a.pk) == inc_a
    for getter, obj in ((incident_get, inc_b), (request_get, req_b), (ci_get, ci_b)):
        with pytest.raises(Http404):
            getter(user=customer_a, pk=obj.pk)  # 404, never 403
    assert list(ci_list(user=customer_a)) == [ci_a]
    assert list(organization_list(user=customer_a)) == [customer_a.organization]
    assert list(contact_list(user=customer_a)) == [contact_a]
    CustomerFactory(organization=org_b)
    assert {u.organization_id for u in user_list(user=customer_a)} == {customer_a.organization_id}


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.CUSTOMER, Role.AUDITOR)])
def test_staff_see_every_organisation(role, two_orgs):
    staff = UserFactory(role=role)
    assert incident_list(user=staff).count() == 2
    assert request_list(user=staff).count() == 2


def test_inactive_and_anonymous_see_nothing(two_orgs, customer_a, engineer):
    inc_a = two_orgs[0]
    for user in (customer_a, engineer):
        user.is_active = False
        user.save()
    for user in (customer_a, engineer, AnonymousUser()):
        assert not incident_list(user=user).exists()
        assert not request_list(user=user).exists()
        with pytest.raises(Http404):
            incident_get(user=user, pk=inc_a.pk)
    assert not ci_list(user=AnonymousUser()).exists()


@pytest.mark.parametrize("pk", ["abc", None, "", "1.5", [1]])
def test_malformed_ids_are_not_found(pk, engineer):
    for getter in (incident_get, request_get, ci_get):
        with pytest.raises(Http404):
            getter(user=engineer, pk=pk)


def test_dispatch_queue_order_and_content(org_a, org_b, operator, dispatcher, engineer, group, now):
    def create(level_impact: tuple[str, str], hours_ago: int, org=org_a) -> Incident:
        impact, urgency = level_impact
        return incident_create(actor=operator, organization=org, title="x", impact=impact, urgency=urgency,
                               reported_at=now - timedelta(hours=hours_ago), now=now)

    level_one, level_two, level_four = ("high", "high"), ("high", "medium"), ("low", "low")
    old_iv = create(level_four, 30)
    new_i = create(level_one, 1)
    old_i = create(level_one, 5, org=org_b)
    ii = create(level_two, 10)
    group_only = create(level_two, 2)
    incident_transition(incident_id=group_only.pk, actor=dispatcher, action="assign", payload={"group": group.pk},
                        now=now)
    named = create(level_one, 8)
    incident_transition(incident_id=named.pk, actor=dispatcher, action="assign",
                        payload={"assignee": engineer.pk}, now=now)
    cancelled = create(level_one, 9)
    incident_transition(incident_id=cancelled.pk, actor=dispatcher, action="cancel", payload={"reason": "dup"},
                        now=now)
    queue = list(incident_dispatch_queue(user=dispatcher))
    # Most severe first, then nearest deadline (no deadline last), then oldest (issue 12; was deadline first).
    waiting = [Incident.objects.get(pk=i.pk) for i in (old_i, new_i, ii, group_only, old_iv)]
    far = now + timedelta(days=365 * 100)
    expected = sorted(waiting, key=lambda i: (i.fault_level, i.sla_next_due or far, i.reported_at, i.pk))
    assert queue == expected
    assert [i.fault_level for i in queue] == sorted(i.fault_level for i in queue)


def test_dispatch_queue_is_tenant_scoped(make_incident, org_a, org_b, customer_a):
    mine = make_incident(organization=org_a)
    make_incident(organization=org_b)
    assert list(incident_dispatch_queue(user=customer_a)) == [mine]


def test_my_work(make_incident, org_a, engineer, other_engineer):
    open_ones = [make_incident(organization=org_a, status=s, assignee=engineer)
                 for s in ("assigned", "in_progress", "pending")]
    make_incident(organization=org_a, status="resolved", assignee=engineer)
    make_incident(organization=org_a, status="closed", assignee=engineer)
    make_incident(organization=org_a, status="in_progress", assignee=other_engineer)
    make_incident(organization=org_a)
    assert set(incident_my_work(user=engineer)) == set(open_ones)
    assert all(i.assignee_id == engineer.pk for i in incident_my_work(user=engineer))


def test_possible_duplicates_same_ci_first(org_a, org_b, ci_a, operator, dispatcher, customer_b, now):
    def create(ci=None, org=org_a, hours_ago=0) -> Incident:
        return incident_create(actor=operator, organization=org, ci=ci, title="x",
                               reported_at=now - timedelta(hours=hours_ago), now=now)

    same_ci_old, same_ci_new = create(ci_a, hours_ago=5), create(ci_a, hours_ago=1)
    org_only = create(hours_ago=0)
    closed_same_ci = create(ci_a, hours_ago=2)
    incident_transition(incident_id=closed_same_ci.pk, actor=dispatcher, action="cancel", payload={"reason": "x"},
                        now=now)
    create(org=org_b)
    found = incident_possible_duplicates(user=operator, organization_id=org_a.pk, ci_id=ci_a.pk)
    assert found == [same_ci_new, same_ci_old, org_only]
    assert incident_possible_duplicates(user=operator, organization_id=org_a.pk, ci_id=ci_a.pk, limit=1) == [
        same_ci_new]
    assert incident_possible_duplicates(user=operator, organization_id=None, ci_id=None) == []
    assert incident_possible_duplicates(user=customer_b, organization_id=org_a.pk, ci_id=ci_a.pk) == []


def test_timeline_hides_internal_items_from_customers(make_incident, org_a, engineer, customer_a, now):
    incident = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    ticket_comment_add(ticket=incident, author=engineer, body="internal note", public=False, now=now)
    ticket_comment_add(ticket=incident, author=engineer, body="we are on it", public=True, now=now)
    ticket_worklog_add(ticket=incident, author=engineer, minutes=30, note="diagnosis", work_date=None, now=now)
    staff_view = incident_timeline(user=engineer, incident=incident)
    customer_view = incident_timeline(user=customer_a, incident=incident)
    bodies = [getattr(item, "body", None) for item in customer_view]
    assert "internal note" not in bodies and "we are on it" in bodies
    assert not any(type(item).__name__ == "WorkLog" for item in customer_view)
    assert len(staff_view) > len(customer_view)
    assert all(getattr(item, "public", True) for item in customer_view)


def test_request_list_is_not_a_query_per_row(org_a, operator, engineer, now, django_assert_max_num_queries):
    for i in range(5):
        request_create(actor=operator, organization=org_a, title=f"r{i}", request_type="consultation", now=now)
    with django_assert_max_num_queries(1):
        rows = [(r.organization.name, r.contact, r.assignee, r.group) for r in request_list(user=engineer)]
    assert len(rows) == 5
    assert ServiceRequest.objects.count() == 5
