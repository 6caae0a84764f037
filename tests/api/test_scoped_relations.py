"""The create and edit serializers' organisation, contact and CI fields (opsdesk.serializers.ScopedRelatedField,
tickets.api.serializers.OrganizationField): each accepts only a row the requesting user may see, with
DRF's own messages, whichever user asks first on a compiled statement (issue 19)."""

from __future__ import annotations

import pytest

from opsdesk import statements
from tests.factories import CIFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def _create(client, **body):
    return client.post(URL, {"title": "scoped", "impact": "low", "urgency": "low", **body}, format="json")


def test_staff_name_any_organisation_customers_only_their_own(api_as, operator, org_a, org_b):
    statements.compiled_clear()
    staff = api_as(operator)
    for org in (org_a, org_b):
        res = _create(staff, organization=org.pk)
        assert res.status_code == 201, res.content
        assert res.json()["organization"] == org.pk
    missing = _create(staff, organization=org_b.pk + 10_000)
    assert missing.status_code == 400
    assert missing.json() == {"organization": [f'Invalid pk "{org_b.pk + 10_000}" - object does not exist.']}
    for bad in ("x", True, 1.5, [org_a.pk]):
        assert _create(staff, organization=bad).status_code == 400, bad
    assert _create(staff, organization=2**70).status_code == 400
    assert _create(staff).status_code == 400  # staff must name one

    # A customer, on the statements staff filled: another organisation does not exist for it; its own does.
    customer = CustomerFactory(organization=org_a)
    client = api_as(customer)
    res = _create(client, organization=org_b.pk)
    assert res.status_code == 400
    assert res.json() == {"organization": [f'Invalid pk "{org_b.pk}" - object does not exist.']}
    res = _create(client, organization=org_a.pk)
    assert res.status_code == 201 and res.json()["organization"] == org_a.pk


def test_organization_is_looked_up_among_the_visible(rf, operator, org_a, org_b):
    """The field itself: a customer cannot name another organisation (does not exist), staff can;
    each visibility has its own compiled statement."""
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    from tickets.api.serializers import OrganizationField

    statements.compiled_clear()

    def field_for(user):
        request = Request(rf.post("/"))
        request.user = user
        field = OrganizationField()
        field.bind("organization", _Parent({"request": request}))
        return field

    assert field_for(operator).to_internal_value(org_b.pk) == org_b
    customer = CustomerFactory(organization=org_a)
    with pytest.raises(ValidationError) as caught:
        field_for(customer).to_internal_value(org_b.pk)
    assert "does not exist" in str(caught.value.detail[0])
    assert field_for(customer).to_internal_value(org_a.pk) == org_a
    assert field_for(operator).to_internal_value(org_a.pk) == org_a
    assert field_for(operator).to_internal_value(str(org_b.pk)) == org_b  # form text: DRF's own path
    other = CustomerFactory(organization=org_b)
    assert field_for(other).to_internal_value(org_b.pk) == org_b
    with pytest.raises(ValidationError):
        field_for(other).to_internal_value(org_a.pk)


def test_contact_and_ci_are_among_the_visible(api_as, operator, org_a, org_b):
    customer = CustomerFactory(organization=org_a)
    own_contact, other_contact = ContactFactory(organization=org_a), ContactFactory(organization=org_b)
    own_ci, other_ci = CIFactory(organization=org_a), CIFactory(organization=org_b)
    client = api_as(customer)
    # Another organisation's rows do not exist for a customer (not "belongs to another organisation").
    res = _create(client, contact=other_contact.pk)
    assert res.status_code == 400
    assert res.json() == {"contact": [f'Invalid pk "{other_contact.pk}" - object does not exist.']}
    res = _create(client, ci=other_ci.pk)
    assert res.status_code == 400
    assert res.json() == {"ci": [f'Invalid pk "{other_ci.pk}" - object does not exist.']}
    res = _create(client, contact=own_contact.pk, ci=own_ci.pk)
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["contact"], body["ci"]) == (own_contact.pk, own_ci.pk)
    staff = api_as(operator)
    res = staff.patch(f"{URL}{body['id']}/", {"ci": other_ci.pk}, format="json")
    assert res.status_code == 400 and "ci" in str(res.json())  # another organisation's device


class _Parent:
    """Stands in for the serializer a field is bound to: its context."""

    def __init__(self, context):
        self._context = context
        self.parent = None
        self.root = self

    @property
    def context(self):
        return self._context

