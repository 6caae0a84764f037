"""Organisation A's spare-parts store objects for the tenancy walk: an on-site storeroom with a part
only A holds, a movement issuing it to A's incident, a loan from the store and a replacement record."""

from __future__ import annotations

from datetime import date
from typing import Any

from spares.choices import MovementKind
from spares.services import (
    movement_request,
    replacement_record,
    spare_loan_lend,
    spare_part_create,
    storeroom_create,
)


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    room = storeroom_create(actor=engineer, name="Alpha pump cabinet", code="alpha-cabinet", organization=org_a)
    part = spare_part_create(actor=engineer, now=now, data={"part_number": "ALPHA-IMPELLER-9",
                                                            "name": "Alpha impeller kit"})
    received = movement_request(part_id=part.pk, kind=MovementKind.RECEIVE, quantity=3, actor=engineer, now=now,
                                to_storeroom=room, reference="ALPHA-PO-77")
    issued = movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=1, actor=engineer, now=now,
                              from_storeroom=room, incident=incident)
    loan = spare_loan_lend(incident_id=incident.pk, actor=engineer, now=now, part=part, storeroom=room)
    record = replacement_record(ci=ci, month=date(now.year, now.month, 1), faults=3, actor=engineer, now=now,
                                decision="replace", note="Alpha replacement memo")
    stock = part.stock.get(storeroom=room)
    return {
        "ids": {"spare_part": [part.pk], "storeroom": [room.pk], "movement": [received.pk, issued.pk],
                "spare_loan": [loan.pk], "replacement": [record.pk], "stock": [stock.pk]},
        "secrets": ["Alpha pump cabinet", "ALPHA-IMPELLER-9", "Alpha impeller kit", "ALPHA-PO-77",
                    "Alpha replacement memo"],
        "params": {},
    }
