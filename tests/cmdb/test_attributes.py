"""Class attribute sets: definitions checked, values validated per class with field-level messages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cmdb.attributes import clean_values, definitions_errors
from cmdb.models import CIChange, CIClass
from cmdb.services import ci_create, ci_update
from tests.cmdb.conftest import SERVER_ATTRS

pytestmark = pytest.mark.django_db


def test_values_are_coerced_to_their_types():
    cleaned, errors = clean_values(SERVER_ATTRS, {"ram_gb": "128", "disk_tb": "1.50", "installed": "2024-03-01",
                                                  "virtual": "yes", "role": "db", "note": " rack 3 "})
    assert errors == {}
    assert cleaned == {"ram_gb": 128, "disk_tb": "1.5", "installed": "2024-03-01", "virtual": True, "role": "db",
                       "note": "rack 3"}


@pytest.mark.parametrize(("values", "field"), [
    ({}, "ram_gb"),  # required
    ({"ram_gb": "12.5"}, "ram_gb"),
    ({"ram_gb": "lots"}, "ram_gb"),
    ({"ram_gb": 8, "disk_tb": "NaN"}, "disk_tb"),
    ({"ram_gb": 8, "installed": "31/02/2024"}, "installed"),
    ({"ram_gb": 8, "virtual": "perhaps"}, "virtual"),
    ({"ram_gb": 8, "role": "cache"}, "role"),
    ({"ram_gb": 8, "colour": "red"}, "colour"),  # not defined on the class
    ({"ram_gb": True}, "ram_gb"),
])
def test_bad_values_name_the_attribute(values, field):
    _cleaned, errors = clean_values(SERVER_ATTRS, values)
    assert field in errors


def test_definition_lists_are_checked():
    assert definitions_errors([{"name": "ok", "type": "int"}]) == []
    assert definitions_errors([{"name": "Bad Name"}])
    assert definitions_errors([{"name": "x", "type": "colour"}])
    assert definitions_errors([{"name": "x", "type": "choice"}])
    assert definitions_errors([{"name": "x"}, {"name": "x"}])
    assert definitions_errors({"name": "x"})
    klass = CIClass(code="bad", name="Bad", attributes=[{"name": "x", "type": "nope"}])
    with pytest.raises(ValidationError) as exc:
        klass.full_clean()
    assert "attributes" in exc.value.message_dict


def test_service_refuses_bad_attributes_with_field_messages(classes, org_a, operator, now):
    with pytest.raises(ValidationError) as exc:
        ci_create(name="db-1", ci_class=classes["server"], organization=org_a, attributes={"ram_gb": "x"},
                  actor=operator, now=now)
    assert "attributes.ram_gb" in exc.value.message_dict
    ci = ci_create(name="db-1", ci_class=classes["server"], organization=org_a, attributes={"ram_gb": "16"},
                   actor=operator, now=now)
    assert ci.attributes == {"ram_gb": 16}
    with pytest.raises(ValidationError) as exc:
        ci_update(ci_id=ci.pk, actor=operator, changes={"attributes": {"ram_gb": 16, "role": "mail"}}, now=now)
    assert "attributes.role" in exc.value.message_dict
    ci = ci_update(ci_id=ci.pk, actor=operator, changes={"attributes": {"ram_gb": 32, "role": "db"}}, now=now)
    assert ci.version == 2
    fields = set(CIChange.objects.filter(ci=ci).values_list("field", "old", "new"))
    assert ("attr:ram_gb", "16", "32") in fields and ("attr:role", "", "db") in fields


def test_status_change_does_not_trip_over_attributes_made_required_later(classes, org_a, operator, now):
    ci = ci_create(name="sw-1", ci_class=classes["switch"], organization=org_a, actor=operator, now=now)
    classes["switch"].attributes = [{"name": "ports", "type": "int", "required": True}]
    classes["switch"].save()
    ci = ci_update(ci_id=ci.pk, actor=operator, changes={"status": "standby"}, now=now)
    assert ci.status == "standby" and ci.attributes == {}
    with pytest.raises(ValidationError) as exc:
        ci_update(ci_id=ci.pk, actor=operator, changes={"attributes": {}}, now=now)
    assert "attributes.ports" in exc.value.message_dict
