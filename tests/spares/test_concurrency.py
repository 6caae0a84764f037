"""Concurrent issues on real PostgreSQL connections (transaction=True: every thread commits for real):
the stock figure never goes below zero, every unit is issued exactly once, losers get a message."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from spares.choices import MovementKind, MovementStatus
from spares.models import ApprovalRule, Movement
from spares.services import movement_approve, movement_request

from .conftest import held

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(bodies):
    barrier = threading.Barrier(len(bodies))
    results: list[object] = []
    lock = threading.Lock()

    def wrap(fn):
        def body():
            try:
                barrier.wait(timeout=20)
                outcome = fn()
            except ValidationError as exc:
                outcome = exc
            except BaseException as exc:  # noqa: BLE001
                outcome = exc
            finally:
                connections.close_all()
            with lock:
                results.append(outcome)
        return body

    threads = [threading.Thread(target=wrap(b)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_issues_never_drive_stock_negative(part, central, receive, keeper, now, make_incident, org_a):
    receive(part, central, 5)
    incidents = [make_incident(organization=org_a, title=f"Down {i}") for i in range(12)]

    def issue(inc):
        return lambda: movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=1, actor=keeper, now=now,
                                        from_storeroom=central, incident=inc)

    results = run_together([issue(inc) for inc in incidents])
    done = [r for r in results if isinstance(r, Movement)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(done) == 5 and len(refused) == 7, results
    assert all("quantity" in r.message_dict for r in refused)
    assert held(part, central) == 0
    assert Movement.objects.filter(kind=MovementKind.ISSUE, status=MovementStatus.DONE).count() == 5


def test_concurrent_big_issues_and_approvals(part, central, receive, keeper, manager, supervisor, now, make_incident,
                                             org_a):
    """Mixed quantities racing, and two approvers approving different requests against the same stock."""
    receive(part, central, 7)
    inc = make_incident(organization=org_a)
    sizes = [3, 3, 3, 2, 2]
    results = run_together([
        (lambda n=n: movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=n, actor=keeper, now=now,
                                      from_storeroom=central, incident=inc)) for n in sizes])
    moved = sum(r.quantity for r in results if isinstance(r, Movement))
    assert held(part, central) == 7 - moved >= 0
    assert moved >= 6  # whatever the interleaving, no more can be refused than the stock forces

    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF)
    receive(part, central, 3 - held(part, central))
    pending = [movement_request(part_id=part.pk, kind=MovementKind.WRITE_OFF, quantity=2, actor=keeper, now=now,
                                from_storeroom=central, note="broken") for _ in range(2)]
    results = run_together([
        lambda: movement_approve(movement_id=pending[0].pk, actor=manager, now=now),
        lambda: movement_approve(movement_id=pending[1].pk, actor=supervisor, now=now),
    ])
    assert sum(isinstance(r, Movement) for r in results) == 1
    assert held(part, central) == 1
