"""The incident lifecycle, driven through `incident_transition` / `incident_update` only.

The spec table below is written from BRIEF.md (R-INC) independently of incidents/workflow.py:
every (status, action) pair is tried by every role; allowed moves must stamp the right fields,
refused ones must name the allowed actions and change nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.choices import Role
from incidents.choices import IncidentStatus as S
from incidents.models import Incident
from incidents.services import OBSERVATION_PERIOD, incident_create, incident_transition, incident_update
from incidents.workflow import INCIDENT_WORKFLOW
from opsdesk.errors import ConflictError, TransitionNotAllowed
from tickets.models import TicketEvent
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.deadlines import deadlines_compute

pytestmark = pytest.mark.django_db

OPEN = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING})
DISPATCH = frozenset({Role.DISPATCHER, Role.REGIONAL_LEAD, Role.MANAGER})
WORK = frozenset({Role.ENGINEER, Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})
DESK = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})
EVERYONE = frozenset(r for r in Role if r != Role.AUDITOR)  # the auditor reads only

# action -> (statuses it may start from, status it leads to (None: stays), roles that may take it)
SPEC: dict[str, tuple[frozenset[str], str | None, frozenset[str]]] = {
    "assign": (OPEN, S.ASSIGNED, DISPATCH),
    "accept": (frozenset({S.ASSIGNED}), S.IN_PROGRESS, WORK),
    "arrive": (frozenset({S.IN_PROGRESS}), None, WORK),
    "pend": (frozenset({S.IN_PROGRESS}), S.PENDING, WORK),
    "resume": (frozenset({S.PENDING}), S.IN_PROGRESS, WORK),
    "restore": (frozenset({S.IN_PROGRESS}), None, WORK),
    "resolve": (frozenset({S.IN_PROGRESS}), S.RESOLVED, WORK),
    "observe": (frozenset({S.RESOLVED}), S.OBSERVING, DESK | WORK | {Role.CUSTOMER}),
    "close": (frozenset({S.OBSERVING}), S.CLOSED, DESK),
    "reopen": (frozenset({S.RESOLVED, S.OBSERVING}), S.IN_PROGRESS, EVERYONE),
    "cancel": (OPEN, S.CANCELLED, DESK),
}
REQUIRED = {"pend": ["reason"], "restore": ["workaround"], "resolve": ["cause_category", "resolution"],
            "reopen": ["reason"], "cancel": ["reason"]}
ROLES = [r for r in Role if r != Role.AUDITOR]  # the auditor writes nothing: tests/auditor


def spec_allowed(status: str, role: str) -> list[str]:
    """Allowed actions in the workflow's own order, for an actor the guards accept (the assigned
    engineer, a customer of the incident's organisation)."""
    return [a for a in INCIDENT_WORKFLOW.actions if status in SPEC[a][0] and role in SPEC[a][2]]


def full_payload(assignee: Any) -> dict[str, Any]:
    return {"assignee": assignee.pk, "reason": "waiting for the customer", "workaround": "spare switch",
            "cause_category": "hardware", "resolution": "replaced the PSU"}


def snapshot(incident_id: int) -> dict[str, Any]:
    inc = Incident.objects.get(pk=incident_id)
    fields = [f.attname for f in Incident._meta.concrete_fields if f.attname != "updated_at"]
    return {name: getattr(inc, name) for name in fields} | {
        "events": TicketEvent.objects.filter(ticket_kind=Incident.KIND, ticket_id=incident_id).count()}


@pytest.fixture
def actors(engineer, customer_a, user_with_role) -> dict[str, Any]:
    """One actor per role; the engineer is the one the incidents are assigned to."""
    out = {role: user_with_role(role) for role in ROLES if role not in (Role.ENGINEER, Role.CUSTOMER)}
    out[Role.ENGINEER] = engineer
    out[Role.CUSTOMER] = customer_a
    return out


def test_spec_covers_every_action_of_the_table():
    assert set(SPEC) == set(INCIDENT_WORKFLOW.actions)
    for action, (sources, target, roles) in SPEC.items():
        t = INCIDENT_WORKFLOW.by_action[action]
        assert (t.sources, t.target, t.roles) == (sources, target, roles), action
        assert t.requires == tuple(REQUIRED.get(action, [])), action


def check_stamps(action: str, before: dict[str, Any], inc: Incident, *, at: datetime, actor: Any,
                 payload: dict[str, Any]) -> None:
    if action == "assign":
        assert inc.assignee_id == payload["assignee"]
    elif action == "accept":
        assert inc.responded_at == (before["responded_at"] or at)
        assert inc.assignee_id == (before["assignee_id"] or actor.pk)
    elif action == "arrive":
        assert inc.onsite_at == at
        assert inc.responded_at == (before["responded_at"] or at)
    elif action == "pend":
        assert inc.sla_paused_at == at
    elif action == "resume":
        assert inc.sla_paused_at is None
        # Level III runs on business hours: unmet deadlines move by the business time paused.
        calendar = BusinessCalendar()
        paused = calendar.between(before["sla_paused_at"], at)
        assert inc.respond_due == before["respond_due"]  # met when accepted
        for name in ("onsite_due", "restore_due", "resolve_due"):
            assert getattr(inc, name) == calendar.add(before[name], paused), name
    elif action == "restore":
        assert (inc.restored_at, inc.workaround) == (at, payload["workaround"])
    elif action == "resolve":
        assert (inc.resolved_at, inc.cause_category, inc.resolution) == (
            at, payload["cause_category"], payload["resolution"])
        assert inc.restored_at == (before["restored_at"] or at)
    elif action == "observe":
        assert inc.observation_until == at + OBSERVATION_PERIOD
    elif action == "close":
        assert inc.closed_at == at
    elif action == "reopen":
        assert inc.reopen_count == before["reopen_count"] + 1
        assert inc.resolved_at is None and inc.observation_until is None
    elif action == "cancel":
        assert (inc.cancel_reason, inc.closed_at) == (payload["reason"], at)
    else:  # pragma: no cover - the spec test keeps this list complete
        raise AssertionError(f"no stamp check for {action}")


@pytest.mark.parametrize("action", list(SPEC))
@pytest.mark.parametrize("status", list(S))
def test_every_status_action_and_role(status, action, make_incident, org_a, engineer, actors, now):
    incident = make_incident(organization=org_a, status=status, assignee=engineer)
    at = now + timedelta(hours=1)
    payload = full_payload(engineer)
    for role in ROLES:
        actor = actors[role]
        before = snapshot(incident.pk)
        allowed = spec_allowed(status, role)
        with transaction.atomic():
            if action in allowed:
                inc = incident_transition(incident_id=incident.pk, actor=actor, action=action, payload=payload,
                                          version=before["version"], now=at)
                target = SPEC[action][1]
                inc.refresh_from_db()
                assert inc.status == (target or status), (role, action)
                assert inc.version == before["version"] + 1
                assert inc.audit_seq == before["audit_seq"] + 1
                event = TicketEvent.objects.get(ticket_kind=Incident.KIND, ticket_id=inc.pk, seq=inc.audit_seq)
                assert (event.actor_id, event.action, event.data["action"], event.created_at) == (
                    actor.pk, "transition", action, at)
                if target and target != status:
                    assert event.data["status"] == [status, target]
                check_stamps(action, before, inc, at=at, actor=actor, payload=payload)
            else:
                with pytest.raises(TransitionNotAllowed) as refused:
                    incident_transition(incident_id=incident.pk, actor=actor, action=action, payload=payload,
                                        version=before["version"], now=at)
                assert refused.value.allowed == allowed, role
                message = refused.value.message_dict["action"][0]
                assert f"“{action}”" in message
                assert all(name in message for name in allowed), message
                assert snapshot(incident.pk) == before, role
            transaction.set_rollback(True)  # next role starts from the same incident


@pytest.mark.parametrize(("action", "status", "field"), [
    (action, sorted(SPEC[action][0])[0], field) for action, fields in REQUIRED.items() for field in fields
])
@pytest.mark.parametrize("blank", [None, "", "   "], ids=["absent", "empty", "spaces"])
def test_required_fields(action, status, field, blank, make_incident, org_a, engineer, manager, now):
    incident = make_incident(organization=org_a, status=status, assignee=engineer)
    before = snapshot(incident.pk)
    payload = full_payload(engineer)
    if blank is None:
        del payload[field]
    else:
        payload[field] = blank
    with pytest.raises(ValidationError) as error:
        incident_transition(incident_id=incident.pk, actor=manager, action=action, payload=payload, now=now)
    assert list(error.value.message_dict) == [field]
    assert snapshot(incident.pk) == before


def test_unknown_cause_category_is_a_field_error(make_incident, org_a, engineer, now):
    incident = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    before = snapshot(incident.pk)
    with pytest.raises(ValidationError) as error:
        incident_transition(incident_id=incident.pk, actor=engineer, action="resolve",
                            payload={"cause_category": "gremlins", "resolution": "x"}, now=now)
    assert list(error.value.message_dict) == ["cause_category"]
    assert snapshot(incident.pk) == before


def test_unknown_action_lists_the_allowed_ones(make_incident, org_a, engineer, now):
    incident = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    with pytest.raises(TransitionNotAllowed) as refused:
        incident_transition(incident_id=incident.pk, actor=engineer, action="teleport", now=now)
    assert refused.value.allowed == ["arrive", "pend", "restore", "resolve"]


@pytest.mark.parametrize("action", ["accept", "arrive", "pend", "restore", "resolve"])
def test_engineer_not_assigned_is_refused(action, make_incident, org_a, engineer, other_engineer, now):
    status = "assigned" if action == "accept" else "in_progress"
    incident = make_incident(organization=org_a, status=status, assignee=engineer)
    before = snapshot(incident.pk)
    with pytest.raises(TransitionNotAllowed) as refused:
        incident_transition(incident_id=incident.pk, actor=other_engineer, action=action,
                            payload=full_payload(engineer), now=now)
    assert refused.value.allowed == []
    assert snapshot(incident.pk) == before


def test_group_member_accepts_a_group_assigned_incident(make_incident, org_a, group, engineer, other_engineer,
                                                        dispatcher, now):
    incident = make_incident(organization=org_a)
    incident = incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign",
                                   payload={"group": group.pk}, now=now)
    assert (incident.status, incident.assignee_id, incident.group_id) == (S.ASSIGNED, None, group.pk)
    with pytest.raises(TransitionNotAllowed):
        incident_transition(incident_id=incident.pk, actor=other_engineer, action="accept", now=now)
    incident = incident_transition(incident_id=incident.pk, actor=engineer, action="accept", now=now)
    assert (incident.status, incident.assignee_id, incident.responded_at) == (S.IN_PROGRESS, engineer.pk, now)
    # Named now: the other group members no longer act on it.
    with pytest.raises(TransitionNotAllowed):
        incident_transition(incident_id=incident.pk, actor=other_engineer, action="arrive", now=now)


def test_assigning_to_a_group_member_keeps_the_group(make_incident, org_a, group, engineer, dispatcher, now):
    incident = make_incident(organization=org_a)
    incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign", payload={"group": group.pk},
                        now=now)
    incident = incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign",
                                   payload={"assignee": engineer.pk}, now=now)
    assert (incident.assignee_id, incident.group_id) == (engineer.pk, group.pk)


@pytest.mark.parametrize("payload", [
    {}, {"assignee": ""}, {"assignee": "abc"}, {"assignee": [1]}, {"assignee": 999999}, {"assignee": True},
    {"assignee": {"id": 1}}, {"group": "x"}, {"group": 999999},
], ids=repr)
def test_bad_assignment_input_is_a_field_error(payload, make_incident, org_a, dispatcher, now):
    incident = make_incident(organization=org_a)
    before = snapshot(incident.pk)
    with pytest.raises(ValidationError) as error:
        incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign", payload=payload, now=now)
    assert set(error.value.message_dict) <= {"assignee", "group"}
    assert snapshot(incident.pk) == before


def test_assigning_to_a_customer_is_refused(make_incident, org_a, dispatcher, customer_a, now):
    incident = make_incident(organization=org_a)
    with pytest.raises(ValidationError) as error:
        incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign",
                            payload={"assignee": customer_a.pk}, now=now)
    assert "assignee" in error.value.message_dict


def test_customer_observes_and_reopens_own_incident(make_incident, org_a, engineer, customer_a, now):
    incident = make_incident(organization=org_a, status="resolved", assignee=engineer)
    incident = incident_transition(incident_id=incident.pk, actor=customer_a, action="observe", now=now)
    assert incident.status == S.OBSERVING
    incident = incident_transition(incident_id=incident.pk, actor=customer_a, action="reopen",
                                   payload={"reason": "the camera is offline again"}, now=now)
    assert (incident.status, incident.reopen_count) == (S.IN_PROGRESS, 1)


@pytest.mark.parametrize("action", list(SPEC))
def test_customer_of_another_organisation_sees_nothing(action, make_incident, org_a, engineer, customer_b, now):
    """Outside the caller's organisation the incident does not exist (404, never 403)."""
    incident = make_incident(organization=org_a, status="resolved", assignee=engineer)
    before = snapshot(incident.pk)
    with pytest.raises(Incident.DoesNotExist):
        incident_transition(incident_id=incident.pk, actor=customer_b, action=action,
                            payload=full_payload(engineer), now=now)
    assert snapshot(incident.pk) == before


def test_customer_cannot_create_for_another_organisation(org_a, customer_b, now):
    with pytest.raises(PermissionDenied):
        incident_create(actor=customer_b, organization=org_a, title="x", now=now)


def test_customer_cannot_edit(make_incident, org_a, customer_a, now):
    incident = make_incident(organization=org_a)
    with pytest.raises(PermissionDenied):
        incident_update(incident_id=incident.pk, actor=customer_a, version=None, changes={"title": "y"}, now=now)


# --- SLA clock ---------------------------------------------------------------------------------

def test_pend_pauses_and_resume_pushes_unmet_deadlines(org_a, operator, manager, engineer, now):
    incident = incident_create(actor=operator, organization=org_a, title="Core switch down", impact="high",
                               urgency="medium", now=now)  # level II, 24×7
    assert incident.fault_level == "II"
    incident_transition(incident_id=incident.pk, actor=manager, action="assign",
                        payload={"assignee": engineer.pk}, now=now)
    incident_transition(incident_id=incident.pk, actor=engineer, action="accept", now=now + timedelta(minutes=5))
    before = Incident.objects.get(pk=incident.pk)
    paused_at = now + timedelta(minutes=10)
    incident = incident_transition(incident_id=incident.pk, actor=engineer, action="pend",
                                   payload={"reason": "no access to the machine room"}, now=paused_at)
    assert (incident.status, incident.sla_paused_at) == (S.PENDING, paused_at)
    incident = incident_transition(incident_id=incident.pk, actor=engineer, action="resume",
                                   now=paused_at + timedelta(hours=3))
    assert incident.sla_paused_at is None
    assert incident.respond_due == before.respond_due  # already met: unchanged
    for name in ("onsite_due", "restore_due", "resolve_due"):
        assert getattr(incident, name) == getattr(before, name) + timedelta(hours=3), name
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=incident.pk, seq=incident.audit_seq)
    assert set(event.data["changes"]) == {"onsite_due", "restore_due", "resolve_due", "sla_paused_at"}


def test_business_hours_pause_counts_business_time_only(org_a, operator, manager, engineer):
    """Level III: paused from Friday 17:00 to Monday 09:30 costs 1.5 business hours, not 64.5 hours."""
    sh = ZoneInfo("Asia/Shanghai")
    fri = datetime.combine(date(2025, 6, 13), time(10, 0), sh)
    incident = incident_create(actor=operator, organization=org_a, title="Printer jams", impact="medium",
                               urgency="medium", now=fri)
    assert incident.fault_level == "III"
    calendar = BusinessCalendar()
    assert incident.restore_due == calendar.add(fri, timedelta(hours=24)) == datetime(2025, 6, 18, 11, 30, tzinfo=sh)
    incident_transition(incident_id=incident.pk, actor=manager, action="assign", payload={"assignee": engineer.pk},
                        now=fri)
    incident_transition(incident_id=incident.pk, actor=engineer, action="accept", now=fri + timedelta(minutes=30))
    incident_transition(incident_id=incident.pk, actor=engineer, action="pend", payload={"reason": "parts"},
                        now=fri.replace(hour=17))
    incident = incident_transition(incident_id=incident.pk, actor=engineer, action="resume",
                                   now=datetime(2025, 6, 16, 9, 30, tzinfo=sh))
    assert incident.restore_due == datetime(2025, 6, 18, 14, 30, tzinfo=sh)
    # The business time left is what it was when the clock stopped.
    assert calendar.between(datetime(2025, 6, 16, 9, 30, tzinfo=sh), incident.restore_due) == calendar.between(
        fri.replace(hour=17), datetime(2025, 6, 18, 11, 30, tzinfo=sh))


# --- fault level -------------------------------------------------------------------------------

def test_level_override_needs_a_reason(org_a, operator, now):
    with pytest.raises(ValidationError) as error:
        incident_create(actor=operator, organization=org_a, title="x", impact="low", urgency="low",
                        fault_level="I", now=now)
    assert list(error.value.message_dict) == ["level_reason"]
    assert not Incident.objects.exists()
    incident = incident_create(actor=operator, organization=org_a, title="x", impact="low", urgency="low",
                               fault_level="I", level_reason="the minister's office", now=now)
    assert (incident.fault_level, incident.level_reason) == ("I", "the minister's office")
    created = TicketEvent.objects.get(ticket_kind="incident", ticket_id=incident.pk, seq=1)
    assert (created.data["fault_level"], created.data["suggested_level"]) == ("I", "IV")


@pytest.mark.parametrize("changes", [{"fault_level": "V"}, {"impact": "huge"}, {"urgency": ""}])
def test_bad_level_input_is_a_field_error(changes, make_incident, org_a, dispatcher, now):
    incident = make_incident(organization=org_a)
    before = snapshot(incident.pk)
    with pytest.raises(ValidationError):
        incident_update(incident_id=incident.pk, actor=dispatcher, version=None,
                        changes={**changes, "level_reason": "because"}, now=now)
    assert snapshot(incident.pk) == before


def test_level_change_recomputes_deadlines_and_records_old_and_new(make_incident, org_a, dispatcher, now):
    incident = make_incident(organization=org_a)  # medium × medium: level III
    assert incident.fault_level == "III"
    before = snapshot(incident.pk)
    with pytest.raises(ValidationError) as error:
        incident_update(incident_id=incident.pk, actor=dispatcher, version=incident.version,
                        changes={"fault_level": "I"}, now=now)
    assert list(error.value.message_dict) == ["level_reason"]
    assert snapshot(incident.pk) == before

    incident = incident_update(incident_id=incident.pk, actor=dispatcher, version=incident.version,
                               changes={"fault_level": "I", "level_reason": "hospital network"}, now=now)
    expected = deadlines_compute(start=incident.reported_at, level="I", calendar=BusinessCalendar())
    assert (incident.respond_due, incident.onsite_due, incident.restore_due, incident.resolve_due) == (
        expected.respond_due, expected.onsite_due, expected.restore_due, expected.resolve_due)
    incident.refresh_from_db()
    assert incident.respond_due == expected.respond_due
    assert incident.version == before["version"] + 1
    # Raised to level I: the update is recorded, then the major-incident notification (incidents/sla.py).
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=incident.pk, seq=incident.audit_seq - 1)
    assert event.action == "updated"
    major = TicketEvent.objects.get(ticket_kind="incident", ticket_id=incident.pk, seq=incident.audit_seq)
    assert (major.action, major.data["event"]) == ("notified", "incident.major")
    changes = event.data["changes"]
    assert changes["fault_level"] == ["III", "I"]
    assert changes["level_reason"] == ["", "hospital network"]
    for name in ("respond_due", "onsite_due", "restore_due", "resolve_due"):
        old, new = before[name], getattr(incident, name)
        if old != new:
            assert [datetime.fromisoformat(v) if v else None for v in changes[name]] == [old, new], name


def test_level_following_the_suggestion_needs_no_reason(make_incident, org_a, dispatcher, now):
    incident = make_incident(organization=org_a)
    incident = incident_update(incident_id=incident.pk, actor=dispatcher, version=None,
                               changes={"impact": "high", "urgency": "high", "fault_level": "I"}, now=now)
    assert incident.fault_level == "I"


def test_update_without_changes_writes_nothing(make_incident, org_a, dispatcher, now):
    incident = make_incident(organization=org_a)
    before = snapshot(incident.pk)
    incident_update(incident_id=incident.pk, actor=dispatcher, version=incident.version,
                    changes={"title": incident.title}, now=now)
    assert snapshot(incident.pk) == before


def test_closed_incident_cannot_be_edited(make_incident, org_a, engineer, dispatcher, now):
    incident = make_incident(organization=org_a, status="closed", assignee=engineer)
    with pytest.raises(ValidationError):
        incident_update(incident_id=incident.pk, actor=dispatcher, version=None, changes={"title": "y"}, now=now)


# --- optimistic concurrency ------------------------------------------------------------------

def test_stale_version_on_transition_is_a_conflict(make_incident, org_a, engineer, now):
    incident = make_incident(organization=org_a, status="assigned", assignee=engineer)
    before = snapshot(incident.pk)
    with pytest.raises(ConflictError) as conflict:
        incident_transition(incident_id=incident.pk, actor=engineer, action="accept", version=incident.version - 1,
                            now=now)
    assert conflict.value.current_version == incident.version
    assert snapshot(incident.pk) == before


def test_stale_version_on_update_is_a_conflict(make_incident, org_a, dispatcher, now):
    incident = make_incident(organization=org_a)
    incident_update(incident_id=incident.pk, actor=dispatcher, version=incident.version, changes={"title": "A"},
                    now=now)
    before = snapshot(incident.pk)
    with pytest.raises(ConflictError):
        incident_update(incident_id=incident.pk, actor=dispatcher, version=incident.version,
                        changes={"title": "B"}, now=now)
    assert snapshot(incident.pk) == before
