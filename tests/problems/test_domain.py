"""Problems: workflow (allowed and refused transitions), linking, fix by change, concurrency."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.models import Incident
from opsdesk.errors import ConflictError, TransitionNotAllowed
from problems.choices import ProblemStatus
from problems.models import Problem, ProblemIncident
from problems.services import (
    problem_create,
    problem_fix_by_change,
    problem_link_incidents,
    problem_transition,
    problem_unlink_incident,
    problem_update,
)
from problems.workflow import PROBLEM_WORKFLOW
from tickets.audit import chain_verify
from tickets.choices import EventAction, TicketKind
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def events(ticket, action=None):
    qs = TicketEvent.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk)
    return list(qs.filter(action=action) if action else qs)


def test_create_numbers_and_records(make_problem, org_a, ci_a):
    p = make_problem(organization=org_a, ci=ci_a, priority="2", cause_category="hardware")
    assert p.number.startswith("PRB-") and p.status == ProblemStatus.NEW and p.version == 1
    assert p.KIND == TicketKind.PROBLEM
    assert p.known_error_id == ""  # not yet a known error
    assert [e.action for e in events(p)] == [EventAction.CREATED]


def test_create_validates(analyst, org_a, ci_b, now):
    with pytest.raises(ValidationError) as exc:
        problem_create(actor=analyst, organization=org_a, title=" ", ci=ci_b, priority="9", now=now)
    assert set(exc.value.message_dict) == {"title", "ci", "priority"}


def test_customers_and_unlisted_roles_cannot_open(customer_a, operator, org_a, now):
    for user in (customer_a, operator):
        with pytest.raises(PermissionDenied):
            problem_create(actor=user, organization=org_a, title="x", now=now)


def test_full_path_to_known_error_and_closed(make_problem, analyst, org_a, now):
    p = make_problem(organization=org_a)
    p = problem_transition(problem_id=p.pk, actor=analyst, action="investigate", now=now)
    assert p.status == ProblemStatus.INVESTIGATING and p.responded_at == now
    with pytest.raises(ValidationError) as exc:  # a known error needs root cause and workaround
        problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)
    assert set(exc.value.message_dict) == {"root_cause", "workaround"}
    p = problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now,
                           payload={"root_cause": "固件缺陷", "workaround": "重启端口"})
    assert p.status == ProblemStatus.KNOWN_ERROR and p.known_error and p.known_error_at == now
    assert p.known_error_id == "KE-" + p.number.split("-", 1)[1]
    p = problem_transition(problem_id=p.pk, actor=analyst, action="resolve", payload={"resolution": "升级固件"},
                           now=now)
    assert p.status == ProblemStatus.RESOLVED and p.resolved_at == now and p.known_error  # stays in the KE base
    p = problem_transition(problem_id=p.pk, actor=analyst, action="close", now=now)
    assert p.status == ProblemStatus.CLOSED and p.closed_at == now
    assert [e.data.get("status") for e in events(p, EventAction.TRANSITION)] == [
        ["new", "investigating"], ["investigating", "known_error"], ["known_error", "resolved"],
        ["resolved", "closed"]]
    assert list(chain_verify(ticket_model=Problem)) == []


def test_known_error_uses_fields_already_on_the_problem(make_problem, analyst, org_a, now):
    p = make_problem(organization=org_a, root_cause="RC", workaround="WA")
    p = problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)
    assert p.status == ProblemStatus.KNOWN_ERROR and (p.root_cause, p.workaround) == ("RC", "WA")


@pytest.mark.parametrize(("status_path", "action"), [
    ([], "resolve"),  # new → resolve: investigate or mark known error first
    ([], "close"),
    ([], "reopen"),
    (["investigate"], "investigate"),
    (["investigate", "cancel"], "investigate"),
    (["investigate", "cancel"], "reopen"),
])
def test_refused_transitions(make_problem, analyst, org_a, now, status_path, action):
    p = make_problem(organization=org_a)
    for step in status_path:
        p = problem_transition(problem_id=p.pk, actor=analyst, action=step, payload={"reason": "r"}, now=now)
    with pytest.raises(TransitionNotAllowed) as exc:
        problem_transition(problem_id=p.pk, actor=analyst, action=action, payload={"reason": "r", "resolution": "x"},
                           now=now)
    assert exc.value.allowed == [t.action for t in PROBLEM_WORKFLOW.allowed(p, analyst)]


def test_roles_refused(make_problem, org_a, engineer, operator, customer_a, now):
    p = make_problem(organization=org_a)
    with pytest.raises(TransitionNotAllowed):  # operators do not investigate problems
        problem_transition(problem_id=p.pk, actor=operator, action="investigate", now=now)
    with pytest.raises(TransitionNotAllowed):  # engineers do not cancel them
        problem_transition(problem_id=p.pk, actor=engineer, action="cancel", payload={"reason": "r"}, now=now)
    with pytest.raises(PermissionDenied):
        problem_transition(problem_id=p.pk, actor=customer_a, action="investigate", now=now)


def test_reopen_and_cancel_need_reason(make_problem, analyst, org_a, now):
    p = make_problem(organization=org_a)
    with pytest.raises(ValidationError):
        problem_transition(problem_id=p.pk, actor=analyst, action="cancel", now=now)
    p = problem_transition(problem_id=p.pk, actor=analyst, action="cancel", payload={"reason": "duplicate"}, now=now)
    assert p.status == ProblemStatus.CANCELLED and p.cancel_reason == "duplicate"
    with pytest.raises(ValidationError):  # cancelled is final: no edits
        problem_update(problem_id=p.pk, actor=analyst, version=p.version, changes={"title": "y"}, now=now)


def test_stale_version_is_a_conflict(make_problem, analyst, org_a, now):
    p = make_problem(organization=org_a)
    problem_update(problem_id=p.pk, actor=analyst, version=1, changes={"root_cause": "a"}, now=now)
    with pytest.raises(ConflictError) as exc:
        problem_update(problem_id=p.pk, actor=analyst, version=1, changes={"root_cause": "b"}, now=now)
    assert exc.value.current_version == 2
    with pytest.raises(ConflictError):
        problem_transition(problem_id=p.pk, actor=analyst, action="investigate", version=1, now=now)
    assert Problem.objects.get(pk=p.pk).root_cause == "a"


def test_update_records_diff_and_protects_known_error(make_problem, analyst, org_a, now):
    p = make_problem(organization=org_a, root_cause="RC", workaround="WA")
    p = problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)
    with pytest.raises(ValidationError) as exc:
        problem_update(problem_id=p.pk, actor=analyst, version=p.version, changes={"workaround": ""}, now=now)
    assert "workaround" in exc.value.message_dict
    with pytest.raises(ValidationError):
        problem_update(problem_id=p.pk, actor=analyst, version=p.version, changes={"status": "closed"}, now=now)
    p = problem_update(problem_id=p.pk, actor=analyst, version=p.version, changes={"workaround": "WA2"}, now=now)
    assert events(p, EventAction.UPDATED)[-1].data == {"changes": {"workaround": ["WA", "WA2"]}}


# --- linking ------------------------------------------------------------------------------------


def test_open_from_incidents_links_with_events_on_both_chains(make_problem, make_incident, analyst, org_a, now):
    i1, i2 = make_incident(organization=org_a), make_incident(organization=org_a)
    p = make_problem(organization=org_a, incident_ids=[i2.pk, i1.pk, i1.pk])
    links = list(ProblemIncident.objects.filter(problem=p).order_by("incident_id"))
    assert [(link.incident_id, link.linked_by_id, link.linked_at) for link in links] == [
        (i1.pk, analyst.pk, now), (i2.pk, analyst.pk, now)]
    assert [e.data["number"] for e in events(p, EventAction.LINKED)] == [i1.number, i2.number]
    for inc in (i1, i2):
        assert [e.data["number"] for e in events(inc, EventAction.LINKED)] == [p.number]
    assert list(chain_verify(ticket_model=Incident)) == []
    assert set(p.incidents.values_list("pk", flat=True)) == {i1.pk, i2.pk}


def test_link_more_skips_linked_and_refuses_foreign(make_problem, make_incident, analyst, org_a, org_b, now):
    i1, i2 = make_incident(organization=org_a), make_incident(organization=org_a)
    foreign = make_incident(organization=org_b)
    p = make_problem(organization=org_a, incident_ids=[i1.pk])
    with pytest.raises(ValidationError) as exc:
        problem_link_incidents(problem_id=p.pk, actor=analyst, incident_ids=[foreign.pk], now=now)
    assert foreign.number in exc.value.message_dict["incidents"][0]
    with pytest.raises(ValidationError):
        problem_link_incidents(problem_id=p.pk, actor=analyst, incident_ids=[10**12], now=now)
    p = problem_link_incidents(problem_id=p.pk, actor=analyst, incident_ids=[i1.pk, i2.pk], version=p.version,
                               now=now)
    assert p.version == 2
    assert ProblemIncident.objects.filter(problem=p, unlinked_at__isnull=True).count() == 2
    assert len(events(i1, EventAction.LINKED)) == 1  # not linked twice


def test_unlink_keeps_the_row_and_relink_is_new(make_problem, make_incident, analyst, org_a, now):
    inc = make_incident(organization=org_a)
    p = make_problem(organization=org_a, incident_ids=[inc.pk])
    p = problem_unlink_incident(problem_id=p.pk, actor=analyst, incident_id=inc.pk, now=now)
    link = ProblemIncident.objects.get(problem=p)
    assert link.unlinked_at == now and link.unlinked_by == analyst
    assert [e.data["number"] for e in events(inc, EventAction.UNLINKED)] == [p.number]
    with pytest.raises(ValidationError):
        problem_unlink_incident(problem_id=p.pk, actor=analyst, incident_id=inc.pk, now=now)
    problem_link_incidents(problem_id=p.pk, actor=analyst, incident_ids=[inc.pk], now=now)
    assert ProblemIncident.objects.filter(problem=p).count() == 2


# --- fix by change ------------------------------------------------------------------------------


def test_fix_by_change_resolves_and_is_safe_twice(make_problem, manager, org_a, now):
    p = make_problem(organization=org_a)
    p = problem_fix_by_change(problem=p, change_number="CHG-000007", actor=manager, now=now)
    assert p.status == ProblemStatus.RESOLVED and p.fix_change_number == "CHG-000007" and p.fixed_at == now
    assert p.resolution
    before = (p.version, len(events(p)))
    again = problem_fix_by_change(problem=p, change_number="CHG-000007", actor=manager, now=now)
    assert (again.version, len(events(again))) == before


def test_fix_by_change_on_a_closed_problem_records_it_once(make_problem, analyst, manager, org_a, now):
    p = make_problem(organization=org_a)
    p = problem_transition(problem_id=p.pk, actor=analyst, action="investigate", now=now)
    p = problem_transition(problem_id=p.pk, actor=analyst, action="resolve", payload={"resolution": "r"}, now=now)
    p = problem_transition(problem_id=p.pk, actor=analyst, action="close", now=now)
    p = problem_fix_by_change(problem=p, change_number="CHG-000009", actor=manager, now=now)
    assert p.status == ProblemStatus.CLOSED and p.fix_change_number == "CHG-000009"
    p = problem_fix_by_change(problem=p, change_number="CHG-000010", actor=manager, now=now)
    p = problem_fix_by_change(problem=p, change_number="CHG-000010", actor=manager, now=now)
    assert p.fix_change_number == "CHG-000009"
    assert [e.data["change"] for e in events(p, EventAction.LINKED)] == ["CHG-000009", "CHG-000010"]


def test_reopen_after_fix(make_problem, analyst, manager, org_a, now):
    p = make_problem(organization=org_a)
    p = problem_fix_by_change(problem=p, change_number="CHG-000001", actor=manager, now=now)
    p = problem_transition(problem_id=p.pk, actor=analyst, action="reopen", payload={"reason": "recurred"}, now=now)
    assert p.status == ProblemStatus.INVESTIGATING and p.resolved_at is None and p.fixed_at is None
