from __future__ import annotations

from typing import Any

import pytest

from spares.choices import MovementKind
from spares.models import SparePart, Storeroom
from spares.services import movement_request, spare_part_create, storeroom_create
from tests.portal.conftest import artifacts, run_with_browser  # noqa: F401 - the browser fixtures for test_e2e_spares


@pytest.fixture
def keeper(engineer):
    return engineer


@pytest.fixture
def central(db, keeper) -> Storeroom:
    return storeroom_create(actor=keeper, name="Central store", code="central")


@pytest.fixture
def site_a(org_a, keeper) -> Storeroom:
    return storeroom_create(actor=keeper, name="Org A cabinet", code="site-a", organization=org_a)


@pytest.fixture
def site_b(org_b, keeper) -> Storeroom:
    return storeroom_create(actor=keeper, name="Org B cabinet", code="site-b", organization=org_b)


@pytest.fixture
def make_part(keeper, now):
    def make(number: str = "PSU-600", **data: Any) -> SparePart:
        data.setdefault("name", f"Part {number}")
        return spare_part_create(actor=keeper, now=now, data={"part_number": number, **data})

    return make


@pytest.fixture
def part(make_part) -> SparePart:
    return make_part("PSU-600", name="Switch PSU 600W", model="S5735", reorder_level=2)


@pytest.fixture
def receive(keeper, now):
    def rec(part: SparePart, room: Storeroom, n: int):
        return movement_request(part_id=part.pk, kind=MovementKind.RECEIVE, quantity=n, actor=keeper, now=now,
                                to_storeroom=room)

    return rec


def held(part: SparePart, room: Storeroom) -> int:
    return part.stock.filter(storeroom=room).values_list("quantity", flat=True).first() or 0
