"""Approval where configured: the stock moves only when someone else with authority approves."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from spares.choices import MovementKind, MovementStatus
from spares.models import ApprovalRule
from spares.services import movement_approve, movement_reject, movement_request

from .conftest import held

pytestmark = pytest.mark.django_db


def write_off(part, room, actor, now, n=1):
    return movement_request(part_id=part.pk, kind=MovementKind.WRITE_OFF, quantity=n, actor=actor, now=now,
                            from_storeroom=room, note="damaged")


def test_rule_holds_the_movement_until_approved(part, central, receive, keeper, manager, now):
    receive(part, central, 5)
    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF, min_quantity=1)
    pending = write_off(part, central, keeper, now, n=2)
    assert pending.status == MovementStatus.PENDING and pending.applied_at is None
    assert held(part, central) == 5
    done = movement_approve(movement_id=pending.pk, actor=manager, now=now, note="ok")
    assert done.status == MovementStatus.APPROVED and done.decided_by == manager and done.applied_at == now
    assert held(part, central) == 3
    with pytest.raises(ValidationError):
        movement_approve(movement_id=pending.pk, actor=manager, now=now)  # decided once
    assert held(part, central) == 3


def test_threshold_and_part_flag(part, make_part, central, receive, keeper, now, make_incident, org_a):
    ApprovalRule.objects.create(kind=MovementKind.ISSUE, min_quantity=5)
    receive(part, central, 10)
    inc = make_incident(organization=org_a)
    small = movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=4, actor=keeper, now=now,
                             from_storeroom=central, incident=inc)
    big = movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=5, actor=keeper, now=now,
                           from_storeroom=central, incident=inc)
    assert (small.status, big.status) == (MovementStatus.DONE, MovementStatus.PENDING)
    guarded = make_part("CAM-1", approval_required=True)
    receive(guarded, central, 3)
    one = movement_request(part_id=guarded.pk, kind=MovementKind.ISSUE, quantity=1, actor=keeper, now=now,
                           from_storeroom=central, incident=inc)
    assert one.status == MovementStatus.PENDING


def test_who_may_decide(part, central, receive, keeper, manager, other_engineer, now):
    receive(part, central, 5)
    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF)
    pending = write_off(part, central, manager, now)
    with pytest.raises(PermissionDenied):
        movement_approve(movement_id=pending.pk, actor=other_engineer, now=now)
    with pytest.raises(ValidationError, match="other than the requester"):
        movement_approve(movement_id=pending.pk, actor=manager, now=now)
    assert held(part, central) == 5


def test_approval_refused_when_stock_ran_out_meanwhile(part, central, receive, keeper, manager, now):
    receive(part, central, 3)
    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF, min_quantity=3)
    pending = write_off(part, central, keeper, now, n=3)
    write_off(part, central, keeper, now, n=1)  # below the threshold: applied at once
    with pytest.raises(ValidationError, match="Only 2 in stock"):
        movement_approve(movement_id=pending.pk, actor=manager, now=now)
    pending.refresh_from_db()
    assert pending.status == MovementStatus.PENDING and held(part, central) == 2


def test_reject_needs_a_reason_and_moves_nothing(part, central, receive, keeper, manager, now):
    receive(part, central, 3)
    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF)
    pending = write_off(part, central, keeper, now)
    with pytest.raises(ValidationError):
        movement_reject(movement_id=pending.pk, actor=manager, now=now, note=" ")
    rejected = movement_reject(movement_id=pending.pk, actor=manager, now=now, note="still repairable")
    assert rejected.status == MovementStatus.REJECTED and held(part, central) == 3
