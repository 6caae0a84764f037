"""Movements: each kind moves stock the right way; too few is refused with nothing changed; the
ledger keeps every line; the database refuses a negative figure even if a writer forgot the guard."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from spares.choices import MovementKind, MovementStatus
from spares.models import Movement, Stock
from spares.services import movement_request

from .conftest import held

pytestmark = pytest.mark.django_db


def test_receive_issue_return_transfer_write_off(part, central, site_a, receive, keeper, now, make_incident, org_a):
    receive(part, central, 10)
    assert held(part, central) == 10
    inc = make_incident(organization=org_a)
    issued = movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=3, actor=keeper, now=now,
                              from_storeroom=central, incident=inc, reference="WO-1")
    assert issued.status == MovementStatus.DONE and issued.applied_at == now
    assert held(part, central) == 7
    movement_request(part_id=part.pk, kind=MovementKind.RETURN, quantity=1, actor=keeper, now=now,
                     to_storeroom=central, incident=inc)
    assert held(part, central) == 8
    movement_request(part_id=part.pk, kind=MovementKind.TRANSFER, quantity=5, actor=keeper, now=now,
                     from_storeroom=central, to_storeroom=site_a)
    assert (held(part, central), held(part, site_a)) == (3, 5)
    movement_request(part_id=part.pk, kind=MovementKind.WRITE_OFF, quantity=2, actor=keeper, now=now,
                     from_storeroom=site_a, note="burnt")
    assert held(part, site_a) == 3
    assert list(Movement.objects.filter(part=part).order_by("id").values_list("kind", flat=True)) == [
        "receive", "issue", "return", "transfer", "write_off"]


def test_too_few_is_refused_and_nothing_changes(part, central, receive, keeper, now, make_incident, org_a):
    receive(part, central, 2)
    inc = make_incident(organization=org_a)
    with pytest.raises(ValidationError) as err:
        movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=3, actor=keeper, now=now,
                         from_storeroom=central, incident=inc)
    assert "Only 2 in stock" in str(err.value.message_dict["quantity"])
    assert held(part, central) == 2
    assert Movement.objects.filter(kind=MovementKind.ISSUE).count() == 0


@pytest.mark.parametrize(("kind", "kwargs", "field"), [
    ("issue", {"quantity": 1}, "from_storeroom"),
    ("issue", {"quantity": 1, "from": True}, "incident"),
    ("receive", {"quantity": 0, "to": True}, "quantity"),
    ("receive", {"quantity": 1}, "to_storeroom"),
    ("write_off", {"quantity": 1, "from": True}, "note"),
    ("transfer", {"quantity": 1, "from": True, "to_same": True}, "to_storeroom"),
    ("receive", {"quantity": 1, "to": True, "incident": True}, "incident"),
    ("teleport", {"quantity": 1}, "kind"),
])
def test_validation(part, central, keeper, now, make_incident, org_a, kind, kwargs, field):
    args = {"quantity": kwargs["quantity"]}
    if kwargs.get("from"):
        args["from_storeroom"] = central
    if kwargs.get("to") or kwargs.get("to_same"):
        args["to_storeroom"] = central
    if kwargs.get("incident"):
        args["incident"] = make_incident(organization=org_a)
    with pytest.raises(ValidationError) as err:
        movement_request(part_id=part.pk, kind=kind, actor=keeper, now=now, **args)
    assert field in err.value.message_dict


def test_on_site_storeroom_serves_its_own_organisation_only(part, site_b, receive, keeper, now, make_incident,
                                                             org_a):
    receive(part, site_b, 3)
    inc = make_incident(organization=org_a)
    with pytest.raises(ValidationError) as err:
        movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=1, actor=keeper, now=now,
                         from_storeroom=site_b, incident=inc)
    assert "another organisation" in str(err.value.message_dict["incident"])


def test_customers_cannot_move_stock(part, central, customer_a, now):
    with pytest.raises(PermissionDenied):
        movement_request(part_id=part.pk, kind=MovementKind.RECEIVE, quantity=1, actor=customer_a, now=now,
                         to_storeroom=central)


def test_database_refuses_a_negative_figure(part, central, receive):
    receive(part, central, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(part=part, storeroom=central).update(quantity=-1)
