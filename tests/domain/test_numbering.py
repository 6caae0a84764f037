"""Ticket numbers: unique, never reused (not even after a rollback), no duplicates under
concurrent allocation on PostgreSQL."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction

from incidents.models import Incident
from tickets.numbering import allocate_numbers, format_number, next_number

from .conftest import run_in_thread_db

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL sequences")


def fresh_prefix() -> str:
    """A prefix whose sequence does not exist yet (the first allocation creates it)."""
    return "T" + uuid.uuid4().hex[:8].upper()


def value(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_format():
    assert format_number("INC", 123) == "INC-000123"
    assert format_number("REQ", 1234567) == "REQ-1234567"


@pytest.mark.django_db
def test_numbers_are_unique_and_increasing():
    prefix = fresh_prefix()
    numbers = [next_number(prefix) for _ in range(20)] + allocate_numbers(prefix, 30)
    assert len(set(numbers)) == 50
    assert all(n.startswith(prefix + "-") for n in numbers)
    assert [value(n) for n in numbers] == sorted(value(n) for n in numbers)
    assert allocate_numbers(prefix, 0) == []


@pytest.mark.django_db
def test_a_rolled_back_number_is_never_handed_out_again():
    prefix = fresh_prefix()
    before = next_number(prefix)
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = next_number(prefix)
        raise RuntimeError("the ticket could not be saved")
    after = next_number(prefix)
    assert len({before, lost, after}) == 3
    assert value(after) > value(lost) > value(before)


@pytest.mark.django_db(transaction=True)
def test_the_very_first_number_survives_a_rollback():
    """The sequence is created by the first allocation: if that transaction rolls back, the
    number it handed out must still not come back."""
    prefix = fresh_prefix()
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = next_number(prefix)
        raise RuntimeError("the first ticket of this type could not be saved")
    assert next_number(prefix) != lost


@pytest.mark.django_db
def test_incident_numbers_after_a_failed_create(make_incident, org_a):
    first = make_incident(organization=org_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_incident(organization=org_a)
        raise RuntimeError("rolled back")
    second = make_incident(organization=org_a)
    assert Incident.objects.count() == 2
    assert value(second.number) >= value(first.number) + 2  # the rolled-back one is skipped, not reused


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prefix_exists", [True, False], ids=["existing-sequence", "first-use-race"])
def test_concurrent_allocation_has_no_duplicates(prefix_exists: bool):
    prefix = fresh_prefix()
    if prefix_exists:
        next_number(prefix)
    threads_n, per_thread = 8, 25
    start = threading.Barrier(threads_n)
    results: list[list[str]] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def work() -> None:
        mine: list[str] = []
        try:
            start.wait(timeout=10)
            for i in range(per_thread):
                with transaction.atomic():
                    mine.extend(allocate_numbers(prefix, 1 + i % 3))
        except Exception as exc:  # noqa: BLE001 - any failure in the thread is reported by the assert below
            errors.append(exc)
        with lock:
            results.append(mine)

    threads = [threading.Thread(target=run_in_thread_db(work)) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = [n for chunk in results for n in chunk]
    expected = threads_n * sum(1 + i % 3 for i in range(per_thread))
    assert len(numbers) == expected
    assert len(set(numbers)) == expected
