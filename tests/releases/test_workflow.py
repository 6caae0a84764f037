"""Release rules: creation, the change grouping (one open release per change), every transition
allowed and refused, deployments as append-only records, events in the hash chain, versions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from opsdesk.errors import ConflictError, TransitionNotAllowed
from releases.models import Release, ReleaseChange
from releases.services import deployment_record, release_create, release_transition, release_update
from releases.workflow import RELEASE_WORKFLOW
from tickets.audit import chain_verify
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def actions(release):
    return list(TicketEvent.objects.filter(ticket_kind="release", ticket_id=release.pk).order_by("seq")
                .values_list("action", flat=True))


def test_create_numbers_links_and_records(make_change, release_manager, org_a, now):
    change = make_change(organization=org_a)
    release = release_create(actor=release_manager, organization=org_a, title=" Video 2.4 ", release_version="2.4.0",
                             changes=[change, change], now=now)
    assert release.number.startswith("REL-") and release.status == "planning" and release.title == "Video 2.4"
    assert list(release.changes.all()) == [change]
    assert actions(release) == ["created"]
    assert list(chain_verify(ticket_model=Release)) == []


def test_create_validates(make_change, release_manager, org_a, org_b, now):
    with pytest.raises(ValidationError) as exc:
        release_create(actor=release_manager, organization=org_a, title=" ", release_version="", now=now,
                       planned_start=now + timedelta(hours=2), planned_end=now + timedelta(hours=1))
    assert set(exc.value.message_dict) == {"title", "release_version", "planned_end"}
    with pytest.raises(ValidationError) as exc:
        release_create(actor=release_manager, organization=org_a, title="t", release_version="1", now=now,
                       planned_start=now)
    assert "planned_end" in exc.value.message_dict
    foreign, rejected = make_change(organization=org_b), make_change(organization=org_a, status="rejected")
    with pytest.raises(ValidationError) as exc:
        release_create(actor=release_manager, organization=org_a, title="t", release_version="1", now=now,
                       changes=[foreign, rejected])
    text = " ".join(exc.value.message_dict["changes"])
    assert foreign.number in text and "another organisation" in text and rejected.number in text
    assert not Release.objects.exists()


def test_customers_and_unknown_roles_cannot_write(customer_a, org_a, now):
    with pytest.raises(PermissionDenied):
        release_create(actor=customer_a, organization=org_a, title="t", release_version="1", now=now)


def test_a_change_is_in_at_most_one_open_release(make_change, make_release, release_manager, org_a, now):
    change = make_change(organization=org_a)
    first = make_release(organization=org_a, changes=[change])
    with pytest.raises(ValidationError) as exc:
        release_create(actor=release_manager, organization=org_a, title="again", release_version="2", now=now,
                       changes=[change])
    assert first.number in exc.value.message_dict["changes"][0]
    # The database refuses it too, whoever writes.
    second = release_create(actor=release_manager, organization=org_a, title="b", release_version="2", now=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseChange.objects.create(release=second, change=change, added_at=now)
    # Once the first release is cancelled, the change is free again (the old row stays as history).
    release_transition(release_id=first.pk, actor=release_manager, action="cancel", payload={"reason": "merged"},
                       now=now)
    release_update(release_id=second.pk, actor=release_manager, version=None, fields={}, change_list=[change], now=now)
    assert ReleaseChange.objects.filter(change=change).count() == 2
    assert ReleaseChange.objects.filter(change=change, open=True).get().release == second


def test_update_sets_changes_with_events_and_checks_version(make_change, make_release, release_manager, org_a, now):
    one, two = make_change(organization=org_a), make_change(organization=org_a)
    release = make_release(organization=org_a, changes=[one])
    updated = release_update(release_id=release.pk, actor=release_manager, version=release.version,
                             fields={"title": "Renamed", "plan": "1. staging 2. production"}, change_list=[two],
                             now=now)
    assert updated.version == release.version + 1 and list(updated.changes.all()) == [two]
    assert actions(release)[-3:] == ["updated", "linked", "unlinked"]
    events = TicketEvent.objects.filter(ticket_kind="release", ticket_id=release.pk, action__in=["linked", "unlinked"])
    assert {e.data["number"] for e in events} == {one.number, two.number}
    with pytest.raises(ConflictError):
        release_update(release_id=release.pk, actor=release_manager, version=release.version,
                       fields={"title": "stale"}, now=now)
    with pytest.raises(ValidationError):
        release_update(release_id=release.pk, actor=release_manager, version=None, fields={"status": "closed"},
                       now=now)
    assert list(chain_verify(ticket_model=Release)) == []


def test_happy_path_planning_to_closed(make_change, make_release, release_manager, deployer, org_a, now):
    change = make_change(organization=org_a)
    release = make_release(organization=org_a, changes=[change])
    assert [t.action for t in RELEASE_WORKFLOW.allowed(release, release_manager)] == ["schedule", "cancel"]
    for action, status in (("schedule", "scheduled"), ("start", "deploying")):
        release = release_transition(release_id=release.pk, actor=release_manager, action=action, now=now)
        assert release.status == status
    assert release.deploy_started_at == now
    with pytest.raises(ValidationError, match="successful deployment"):
        release_transition(release_id=release.pk, actor=deployer, action="complete", now=now)
    deployment_record(release_id=release.pk, actor=deployer, environment="staging", started_at=now - timedelta(hours=2),
                      finished_at=now - timedelta(hours=1), result="success", now=now)
    release = release_transition(release_id=release.pk, actor=deployer, action="complete", now=now)
    assert release.status == "deployed" and release.deployed_at == now
    with pytest.raises(ValidationError) as exc:
        release_transition(release_id=release.pk, actor=deployer, action="verify", now=now)
    assert "verification_notes" in exc.value.message_dict
    release = release_transition(release_id=release.pk, actor=deployer, action="verify",
                                 payload={"verification_notes": "cameras streaming"}, now=now)
    assert release.verification_notes == "cameras streaming" and release.verified_at == now
    with pytest.raises(TransitionNotAllowed):  # engineers do not close releases
        release_transition(release_id=release.pk, actor=deployer, action="close", now=now)
    release = release_transition(release_id=release.pk, actor=release_manager, action="close", now=now)
    assert release.status == "closed" and release.closed_at == now
    assert not ReleaseChange.objects.filter(release=release, open=True).exists()
    assert actions(release) == ["created", "transition", "transition", "deployed", "transition", "transition",
                                "transition"]
    assert list(chain_verify(ticket_model=Release)) == []


def test_schedule_needs_window_changes_and_no_blocking_freeze(make_change, release_manager, freeze, org_a, now):
    release = release_create(actor=release_manager, organization=org_a, title="t", release_version="1", now=now)
    with pytest.raises(ValidationError, match="window"):
        release_transition(release_id=release.pk, actor=release_manager, action="schedule", now=now)
    start = now + timedelta(days=3)
    release = release_update(release_id=release.pk, actor=release_manager, version=None, now=now,
                             fields={"planned_start": start, "planned_end": start + timedelta(hours=3)})
    with pytest.raises(ValidationError, match="at least one change"):
        release_transition(release_id=release.pk, actor=release_manager, action="schedule", now=now)
    release_update(release_id=release.pk, actor=release_manager, version=None, fields={},
                   change_list=[make_change(organization=org_a)], now=now)
    window = freeze(start=start - timedelta(days=1), end=start + timedelta(days=1), name="National Day")
    with pytest.raises(ValidationError, match="National Day"):
        release_transition(release_id=release.pk, actor=release_manager, action="schedule", now=now)
    window.blocking = False
    window.save()
    release = release_transition(release_id=release.pk, actor=release_manager, action="schedule", now=now)
    assert release.status == "scheduled"


def test_start_needs_every_change_approved(make_change, make_release, release_manager, org_a, now):
    pending = make_change(organization=org_a, status="customer_approval")
    release = make_release(organization=org_a, changes=[pending], status="scheduled")
    with pytest.raises(ValidationError) as exc:
        release_transition(release_id=release.pk, actor=release_manager, action="start", now=now)
    assert pending.number in exc.value.message_dict["changes"][0]
    pending.status = "scheduled"
    pending.save()
    assert release_transition(release_id=release.pk, actor=release_manager, action="start", now=now).status == "deploying"


def test_roll_back_replan_cancel(make_change, make_release, release_manager, deployer, org_a, now):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)], status="deploying")
    with pytest.raises(ValidationError):
        release_transition(release_id=release.pk, actor=deployer, action="roll_back", now=now)
    release = release_transition(release_id=release.pk, actor=deployer, action="roll_back",
                                 payload={"rollback_notes": "login broke; restored 2.3.9"}, now=now)
    assert release.status == "rolled_back" and release.rollback_notes.startswith("login")
    assert {t.action for t in RELEASE_WORKFLOW.allowed(release, release_manager)} == {"close", "replan", "cancel"}
    release = release_transition(release_id=release.pk, actor=release_manager, action="replan", now=now)
    assert release.status == "planning"
    with pytest.raises(ValidationError) as exc:
        release_transition(release_id=release.pk, actor=release_manager, action="cancel", now=now)
    assert "reason" in exc.value.message_dict
    release = release_transition(release_id=release.pk, actor=release_manager, action="cancel",
                                 payload={"reason": "superseded by 2.5"}, now=now)
    assert release.status == "cancelled" and release.cancel_reason == "superseded by 2.5"


@pytest.mark.parametrize("status", ["planning", "scheduled", "deploying", "deployed", "verified", "closed",
                                    "rolled_back", "cancelled"])
def test_refused_transitions_name_the_allowed_ones(make_change, make_release, release_manager, org_a, now, status):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)], status=status)
    allowed = {t.action for t in RELEASE_WORKFLOW.allowed(release, release_manager)}
    for action in set(RELEASE_WORKFLOW.actions) - allowed:
        with pytest.raises(TransitionNotAllowed) as exc:
            release_transition(release_id=release.pk, actor=release_manager, action=action, now=now,
                               payload={"reason": "x", "verification_notes": "x", "rollback_notes": "x"})
        assert sorted(exc.value.allowed) == sorted(allowed)
    with pytest.raises(TransitionNotAllowed, match="Unknown action"):
        release_transition(release_id=release.pk, actor=release_manager, action="explode", now=now)


def test_stale_version_is_a_conflict(make_change, make_release, release_manager, org_a, now):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)])
    with pytest.raises(ConflictError):
        release_transition(release_id=release.pk, actor=release_manager, action="schedule",
                           version=release.version - 1 or 99, now=now)


def test_customer_of_another_organisation_cannot_transition(make_release, customer_b, org_a, now):
    release = make_release(organization=org_a)
    with pytest.raises(Release.DoesNotExist):
        release_transition(release_id=release.pk, actor=customer_b, action="cancel", payload={"reason": "x"}, now=now)


def test_window_frozen_once_deploying_and_finished_releases_are_read_only(make_change, make_release,
                                                                          release_manager, org_a, now):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)], status="deploying")
    with pytest.raises(ValidationError, match="deployment has started"):
        release_update(release_id=release.pk, actor=release_manager, version=None, now=now,
                       fields={"planned_end": release.planned_end + timedelta(hours=1)})
    with pytest.raises(ValidationError, match="planned, scheduled or rolled back"):
        release_update(release_id=release.pk, actor=release_manager, version=None, fields={}, change_list=[], now=now)
    closed = make_release(organization=org_a, changes=[make_change(organization=org_a)], status="closed")
    with pytest.raises(ValidationError, match="cannot be edited"):
        release_update(release_id=closed.pk, actor=release_manager, version=None, fields={"title": "x"}, now=now)


def test_deployment_records_are_validated_and_chained(make_change, make_release, release_manager, deployer,
                                                      customer_a, org_a, now):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)])
    kwargs = {"environment": "production", "started_at": now - timedelta(hours=1), "finished_at": now,
              "result": "success"}
    with pytest.raises(ValidationError, match="once deployment has started"):
        deployment_record(release_id=release.pk, actor=deployer, now=now, **kwargs)
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)], status="deploying")
    with pytest.raises(ValidationError) as exc:
        deployment_record(release_id=release.pk, actor=deployer, now=now, environment="moon", result="meh",
                          started_at=now, finished_at=now - timedelta(minutes=1), deployed_by=customer_a)
    assert set(exc.value.message_dict) == {"environment", "result", "finished_at", "deployed_by"}
    with pytest.raises(ValidationError, match="finished"):
        deployment_record(release_id=release.pk, actor=deployer, now=now,
                          **{**kwargs, "finished_at": now + timedelta(hours=1)})
    with pytest.raises(ValidationError) as exc:
        deployment_record(release_id=release.pk, actor=deployer, now=now, **{**kwargs, "result": "failed"})
    assert "notes" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        deployment_record(release_id=release.pk, actor=customer_a, now=now, **kwargs)
    record = deployment_record(release_id=release.pk, actor=release_manager, deployed_by=deployer, site=" Hospital 1 ",
                               now=now, **{**kwargs, "result": "rolled_back", "notes": "DB migration failed"})
    assert record.deployed_by == deployer and record.recorded_by == release_manager and record.site == "Hospital 1"
    event = TicketEvent.objects.filter(ticket_kind="release", ticket_id=release.pk, action="deployed").get()
    assert event.data["result"] == "rolled_back" and event.data["site"] == "Hospital 1" and event.public
    assert list(chain_verify(ticket_model=Release)) == []
