"""Spare-device loans from the store (a unit of a part, or a standby CI) and replacement records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from cmdb.choices import CIStatus
from incidents.followups import spare_loan_return
from opsdesk.errors import ConflictError
from spares.choices import MovementKind
from spares.models import Movement
from spares.selectors import loan_list, replacement_flagged
from spares.services import replacement_record, replacement_update, spare_loan_lend
from tests.factories import CIFactory

from .conftest import held

pytestmark = pytest.mark.django_db


def test_unit_from_the_store_goes_out_and_comes_back(part, central, receive, keeper, now, make_incident, org_a, ci_a):
    receive(part, central, 2)
    inc = make_incident(organization=org_a, ci=ci_a)
    loan = spare_loan_lend(incident_id=inc.pk, actor=keeper, now=now, part=part, storeroom=central, serial="SN9",
                           due_back=now + timedelta(days=3))
    assert "SN SN9" in loan.description and loan.faulty_ci == ci_a
    assert held(part, central) == 1
    row = loan_list(user=keeper, now=now).get(pk=loan.pk)
    assert (row.store_part_id, row.store_room, row.overdue) == (part.pk, "Central store", False)
    assert loan_list(user=keeper, now=now + timedelta(days=4)).get(pk=loan.pk).overdue
    # Returned through the incidents app's own writer: the store listens and restocks.
    spare_loan_return(loan_id=loan.pk, actor=keeper, now=now + timedelta(days=1))
    assert held(part, central) == 2
    assert list(Movement.objects.filter(loan=loan).values_list("kind", flat=True).order_by("id")) == [
        MovementKind.ISSUE, MovementKind.RETURN]
    assert not loan_list(user=keeper, now=now).filter(pk=loan.pk).exists()


def test_loan_skips_approval_but_not_the_stock_check(part, central, keeper, now, make_incident, org_a):
    inc = make_incident(organization=org_a)
    with pytest.raises(ValidationError, match="Only 0 in stock"):
        spare_loan_lend(incident_id=inc.pk, actor=keeper, now=now, part=part, storeroom=central)
    assert not inc.spare_loans.exists()  # the whole lend rolled back


def test_standby_ci_goes_in_use_and_back_on_standby(keeper, now, make_incident, org_a, ci_a):
    standby = CIFactory(organization=org_a, name="standby-switch", status=CIStatus.STANDBY)
    inc = make_incident(organization=org_a, ci=ci_a)
    loan = spare_loan_lend(incident_id=inc.pk, actor=keeper, now=now, standby_ci=standby)
    standby.refresh_from_db()
    assert standby.status == CIStatus.IN_USE
    with pytest.raises(ValidationError, match="not on standby"):
        spare_loan_lend(incident_id=inc.pk, actor=keeper, now=now, standby_ci=standby)
    spare_loan_return(loan_id=loan.pk, actor=keeper, now=now)
    standby.refresh_from_db()
    assert standby.status == CIStatus.STANDBY


def test_due_back_must_follow_lending(part, central, receive, keeper, now, make_incident, org_a):
    receive(part, central, 1)
    inc = make_incident(organization=org_a)
    with pytest.raises(ValidationError) as err:
        spare_loan_lend(incident_id=inc.pk, actor=keeper, now=now, part=part, storeroom=central,
                        due_back=now - timedelta(hours=1))
    assert "due_back" in err.value.message_dict
    assert held(part, central) == 1


def test_flagged_device_gets_one_record_per_month(keeper, now, make_incident, org_a, ci_a):
    for i in range(3):
        make_incident(organization=org_a, ci=ci_a, title=f"Fault {i}")
    month = date(now.year, now.month, 1)
    [row] = [r for r in replacement_flagged(user=keeper, month=None) if r["ci_id"] == ci_a.pk]
    assert row["faults"] == 3 and row["record"] is None
    record = replacement_record(ci=ci_a, month=row["month_date"], faults=row["faults"], actor=keeper, now=now,
                                decision="replace", note="third PSU failure")
    assert replacement_flagged(user=keeper, month=None)[0]["record"] == record
    with pytest.raises(ValidationError) as err:
        replacement_record(ci=ci_a, month=month, faults=3, actor=keeper, now=now, decision="keep")
    assert "month" in err.value.message_dict
    new = CIFactory(organization=org_a, name="core-switch-a2")
    updated = replacement_update(replacement_id=record.pk, actor=keeper, now=now, version=1,
                                 data={"replaced_by": new, "replaced_on": now.date(), "replacement_serial": "X1"})
    assert updated.version == 2
    ci_a.refresh_from_db()
    assert ci_a.status == CIStatus.RETIRED
    with pytest.raises(ConflictError):
        replacement_update(replacement_id=record.pk, actor=keeper, now=now, version=1, data={"note": "late"})


def test_replacement_validation(keeper, now, ci_a, ci_b):
    with pytest.raises(ValidationError) as err:
        replacement_record(ci=ci_a, month=now.date(), faults=3, actor=keeper, now=now, decision="replace",
                           replaced_by=ci_b)
    assert "replaced_by" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        replacement_record(ci=ci_a, month=now.date(), faults=3, actor=keeper, now=now, decision="keep",
                           replacement_serial="X")
    assert "decision" in err.value.message_dict


def test_faults_not_fixed_in_time_wait_for_a_loan(part, central, receive, keeper, now, make_incident, org_a,
                                                  api_as, manager):
    from spares.selectors import loan_due_list
    from tickets.models import SLAClock

    late = make_incident(organization=org_a, title="Late", status="in_progress")
    on_time = make_incident(organization=org_a, title="On time", status="in_progress")
    SLAClock.objects.filter(ticket_kind="incident", ticket_id=late.pk, target="restore").update(
        due_at=now - timedelta(hours=2))
    assert SLAClock.objects.filter(ticket_kind="incident", ticket_id=on_time.pk, target="restore").exists()
    [row] = loan_due_list(user=keeper, now=now)
    assert row.pk == late.pk and row.lend_by == now - timedelta(hours=2) + timedelta(hours=24)
    body = api_as(manager).get("/api/v1/spare-loans/due/").json()
    assert [r["number"] for r in body["results"]] == [late.number]
    receive(part, central, 1)
    spare_loan_lend(incident_id=late.pk, actor=keeper, now=now, part=part, storeroom=central)
    assert not loan_due_list(user=keeper, now=now).exists()
