"""Warranty returns (RMA): only a device under warranty is sent; sent → with the vendor → returned,
replaced (with the replacement's serial) or refused; wrong moves and stale versions refused; the
page records and moves them, customers get 404."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opsdesk.errors import ConflictError
from spares.choices import RMAStatus
from spares.models import WarrantyReturn
from spares.services import rma_advance, rma_create
from tests.factories import CIFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def switch(org_a):
    return CIFactory(name="SW-CORE-1", organization=org_a, vendor="H3C", warranty_end=date(2027, 6, 30))


def test_rma_flow(switch, engineer):
    now = timezone.now()
    rma = rma_create(ci=switch, actor=engineer, now=now, sent_on=date(2026, 11, 2), fault="PSU 2 dead")
    assert (rma.status, rma.vendor) == (RMAStatus.SENT, "H3C")
    with pytest.raises(ValidationError):
        rma_advance(rma_id=rma.pk, actor=engineer, to=RMAStatus.WITH_VENDOR, on=date(2026, 11, 1))  # before sent
    rma = rma_advance(rma_id=rma.pk, actor=engineer, to=RMAStatus.WITH_VENDOR, on=date(2026, 11, 4),
                      vendor_ref="H3C-RMA-778812", version=1)
    assert (rma.status, rma.received_on, rma.vendor_ref, rma.version) == (
        RMAStatus.WITH_VENDOR, date(2026, 11, 4), "H3C-RMA-778812", 2)
    with pytest.raises(ConflictError):
        rma_advance(rma_id=rma.pk, actor=engineer, to=RMAStatus.RETURNED, on=date(2026, 11, 20), version=1)
    with pytest.raises(ValidationError) as exc:
        rma_advance(rma_id=rma.pk, actor=engineer, to=RMAStatus.REPLACED, on=date(2026, 11, 20))
    assert "replacement_serial" in exc.value.message_dict
    rma = rma_advance(rma_id=rma.pk, actor=engineer, to=RMAStatus.REPLACED, on=date(2026, 11, 20),
                      replacement_serial="210235A1XYZ")
    assert (rma.status, rma.closed_on, rma.is_open) == (RMAStatus.REPLACED, date(2026, 11, 20), False)
    with pytest.raises(ValidationError):
        rma_advance(rma_id=rma.pk, actor=engineer, to=RMAStatus.REFUSED, on=date(2026, 11, 21))


def test_rma_needs_warranty_and_staff(switch, engineer, customer_a):
    with pytest.raises(ValidationError) as exc:
        rma_create(ci=switch, actor=engineer, now=timezone.now(), sent_on=date(2027, 7, 1), fault="dead")
    assert "ci" in exc.value.message_dict
    no_warranty = CIFactory(name="OLD", organization=switch.organization)
    with pytest.raises(ValidationError):
        rma_create(ci=no_warranty, actor=engineer, now=timezone.now(), sent_on=date(2026, 11, 2), fault="dead")
    with pytest.raises(PermissionDenied):
        rma_create(ci=switch, actor=customer_a, now=timezone.now(), sent_on=date(2026, 11, 2), fault="dead")


def test_rma_pages(client, switch, engineer, customer_a):
    client.force_login(engineer)
    r = client.post("/spares/rmas/", {"ci": switch.pk, "sent_on": "2026-11-02", "fault": "Fan failure",
                                      "vendor_ref": ""})
    assert r.status_code == 302
    rma = WarrantyReturn.objects.get()
    assert client.post("/spares/rmas/", {"ci": 99999, "sent_on": "2026-11-02", "fault": "x"}).status_code == 400
    assert client.post("/spares/rmas/", {"ci": switch.pk, "sent_on": "bad", "fault": "x"}).status_code == 400
    r = client.post(f"/spares/rmas/{rma.pk}/advance/", {"to": "returned", "on": "2026-11-10", "version": rma.version})
    assert r.status_code == 302
    rma.refresh_from_db()
    assert rma.status == RMAStatus.RETURNED
    page = client.get("/spares/rmas/?show=all")
    assert page.status_code == 200 and "SW-CORE-1" in page.content.decode()
    client.force_login(customer_a)
    assert client.get("/spares/rmas/").status_code == 404
    assert client.post(f"/spares/rmas/{rma.pk}/advance/", {"to": "refused", "on": "2026-11-10"}).status_code == 404
