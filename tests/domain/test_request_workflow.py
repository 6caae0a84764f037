"""The service-request lifecycle through `request_transition` (same style as the incident table)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.choices import Role
from opsdesk.errors import ConflictError, TransitionNotAllowed
from tickets.choices import RequestStatus as S
from tickets.models import ServiceRequest, TicketEvent
from tickets.request_workflow import REQUEST_WORKFLOW
from tickets.services import request_create, request_transition

pytestmark = pytest.mark.django_db

OPEN = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING})
STAFF = frozenset(r for r in Role if r not in (Role.CUSTOMER, Role.AUDITOR))  # the auditor reads only
DISPATCH = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})
SPEC: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "assign": (OPEN, S.ASSIGNED, DISPATCH),
    "accept": (frozenset({S.NEW, S.ASSIGNED}), S.IN_PROGRESS, STAFF),
    "pend": (frozenset({S.IN_PROGRESS}), S.PENDING, STAFF),
    "resume": (frozenset({S.PENDING}), S.IN_PROGRESS, STAFF | {Role.CUSTOMER}),
    "resolve": (frozenset({S.IN_PROGRESS}), S.RESOLVED, STAFF),
    "close": (frozenset({S.RESOLVED}), S.CLOSED, STAFF | {Role.CUSTOMER}),
    "reopen": (frozenset({S.RESOLVED}), S.IN_PROGRESS, STAFF | {Role.CUSTOMER}),
    "cancel": (OPEN, S.CANCELLED, DISPATCH | {Role.CUSTOMER}),
}
PATHS = {
    S.NEW: [], S.ASSIGNED: ["assign"], S.IN_PROGRESS: ["assign", "accept"], S.PENDING: ["assign", "accept", "pend"],
    S.RESOLVED: ["assign", "accept", "resolve"], S.CLOSED: ["assign", "accept", "resolve", "close"],
    S.CANCELLED: ["cancel"],
}
ROLES = [Role.OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.MANAGER, Role.DOC_ADMIN, Role.CUSTOMER]


@pytest.fixture
def make_request(operator, manager, engineer, now):
    def make(*, organization: Any, status: str = S.NEW) -> ServiceRequest:
        req = request_create(actor=operator, organization=organization, title="New laptop for finance",
                             request_type="service_request", now=now)
        payload = {"assignee": engineer.pk, "reason": "r", "resolution": "delivered"}
        for action in PATHS[status]:
            req = request_transition(request_id=req.pk, actor=manager, action=action, payload=payload, now=now)
        return req

    return make


def snapshot(pk: int) -> dict[str, Any]:
    req = ServiceRequest.objects.get(pk=pk)
    fields = [f.attname for f in ServiceRequest._meta.concrete_fields if f.attname != "updated_at"]
    return {name: getattr(req, name) for name in fields} | {
        "events": TicketEvent.objects.filter(ticket_kind="request", ticket_id=pk).count()}


def test_spec_matches_the_table():
    assert set(SPEC) == set(REQUEST_WORKFLOW.actions)
    for action, (sources, target, roles) in SPEC.items():
        t = REQUEST_WORKFLOW.by_action[action]
        assert (t.sources, t.target, t.roles) == (sources, target, roles), action


@pytest.mark.parametrize("action", list(SPEC))
@pytest.mark.parametrize("status", list(S))
def test_every_status_action_and_role(status, action, make_request, org_a, engineer, customer_a,
                                      user_with_role, now):
    req = make_request(organization=org_a, status=status)
    actors = {role: user_with_role(role) for role in ROLES if role != Role.CUSTOMER} | {Role.CUSTOMER: customer_a}
    at = now + timedelta(hours=1)
    payload = {"assignee": engineer.pk, "reason": "no longer needed", "resolution": "delivered"}
    for role in ROLES:
        actor = actors[role]
        before = snapshot(req.pk)
        allowed = [a for a in REQUEST_WORKFLOW.actions if status in SPEC[a][0] and role in SPEC[a][2]]
        with transaction.atomic():
            if action in allowed:
                done = request_transition(request_id=req.pk, actor=actor, action=action, payload=payload,
                                          version=before["version"], now=at)
                done.refresh_from_db()
                assert done.status == SPEC[action][1], role
                assert (done.version, done.audit_seq) == (before["version"] + 1, before["audit_seq"] + 1)
                if action == "accept":
                    assert done.responded_at == at
                    assert done.assignee_id == (before["assignee_id"] or actor.pk)
                elif action == "resolve":
                    assert (done.resolved_at, done.resolution) == (at, "delivered")
                elif action == "reopen":
                    assert done.resolved_at is None
                elif action in ("close", "cancel"):
                    assert done.closed_at == at
                    if action == "cancel":
                        assert done.cancel_reason == "no longer needed"
            else:
                with pytest.raises(TransitionNotAllowed) as refused:
                    request_transition(request_id=req.pk, actor=actor, action=action, payload=payload,
                                       version=before["version"], now=at)
                assert refused.value.allowed == allowed, role
                assert snapshot(req.pk) == before, role
            transaction.set_rollback(True)


@pytest.mark.parametrize(("action", "status", "field"), [
    ("pend", S.IN_PROGRESS, "reason"), ("resolve", S.IN_PROGRESS, "resolution"),
    ("reopen", S.RESOLVED, "reason"), ("cancel", S.NEW, "reason"),
])
def test_required_fields(action, status, field, make_request, org_a, manager, now):
    req = make_request(organization=org_a, status=status)
    before = snapshot(req.pk)
    with pytest.raises(ValidationError) as error:
        request_transition(request_id=req.pk, actor=manager, action=action, payload={field: "  "}, now=now)
    assert list(error.value.message_dict) == [field]
    assert snapshot(req.pk) == before


@pytest.mark.parametrize("payload", [{}, {"assignee": "abc"}, {"assignee": [1]}, {"group": 999999}], ids=repr)
def test_bad_assignment_is_a_field_error(payload, make_request, org_a, manager, now):
    req = make_request(organization=org_a)
    with pytest.raises(ValidationError) as error:
        request_transition(request_id=req.pk, actor=manager, action="assign", payload=payload, now=now)
    assert set(error.value.message_dict) <= {"assignee", "group"}


def test_other_organisation_is_not_found(make_request, org_a, customer_b, now):
    req = make_request(organization=org_a, status=S.RESOLVED)
    with pytest.raises(ServiceRequest.DoesNotExist):
        request_transition(request_id=req.pk, actor=customer_b, action="close", now=now)
    with pytest.raises(PermissionDenied):
        request_create(actor=customer_b, organization=org_a, title="x", request_type="consultation", now=now)


def test_create_validates_fields(org_a, operator, now):
    with pytest.raises(ValidationError) as error:
        request_create(actor=operator, organization=org_a, title=" ", request_type="wish", channel="pigeon", now=now)
    assert set(error.value.message_dict) == {"title", "request_type", "channel"}


def test_stale_version_is_a_conflict(make_request, org_a, engineer, now):
    req = make_request(organization=org_a, status=S.ASSIGNED)
    before = snapshot(req.pk)
    with pytest.raises(ConflictError):
        request_transition(request_id=req.pk, actor=engineer, action="accept", version=req.version + 1, now=now)
    assert snapshot(req.pk) == before
