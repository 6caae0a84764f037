"""Staff forms that edit JSON (the Django admin's configuration forms): deeply nested input is a field
error shown back on the form, never a 500 (Django's form JSONField lets RecursionError through)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from cmdb.models import CIClass
from opsdesk.forms import MAX_JSON_DEPTH
from opsdesk.forms import JSONField as SafeJSONField
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000                      # json.loads raises RecursionError
PARSES_BUT_DEEP = "[" * 200 + "]" * 200              # parses, far deeper than any configuration


@pytest.fixture
def root(client):
    user = UserFactory(username="root", role="manager", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("text", [DEEP, PARSES_BUT_DEEP])
def test_field_refuses_deep_json(text):
    field = SafeJSONField()
    with pytest.raises(forms.ValidationError) as exc:
        field.clean(text)
    assert exc.value.code == "too_deep"
    assert field.bound_data(text, None) == text  # shown back as typed
    assert field.has_changed(None, text) is True


def test_field_accepts_configuration_depth():
    nested = [{"name": "ip", "choices": [["a", ["b"]]]}]
    assert SafeJSONField().clean('[{"name": "ip", "choices": [["a", ["b"]]]}]') == nested
    assert SafeJSONField().clean("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None


@pytest.mark.parametrize("text", [DEEP, PARSES_BUT_DEEP])
def test_admin_ci_class_with_deep_attributes_is_a_field_error(client, root, text):
    res = client.post("/admin/cmdb/ciclass/add/", {"name": "Router", "code": "router", "attributes": text},
                      HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 200  # the form again, with the error
    assert "nested too deeply" in res.content.decode()
    assert not CIClass.objects.filter(code="router").exists()


def test_admin_sla_policy_with_deep_thresholds_is_a_field_error(client, root):
    res = client.post("/admin/tickets/slapolicy/add/", {
        "name": "P", "warn_thresholds": DEEP, "observation_days": "3", "escalation_step": "",
        "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0"}, HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 200
    assert "nested too deeply" in res.content.decode()


def test_every_editable_admin_json_field_is_the_safe_one(root):
    """Every JSON field a staff member can submit in the admin (add/change forms and inlines) uses
    opsdesk.forms.JSONField (JSON_FORMFIELD_OVERRIDES)."""
    request = RequestFactory().get("/")
    request.user = root
    plain = []
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
            continue
        forms_seen = [("", model_admin.get_form(request, None))]
        forms_seen += [(inline.model.__name__, inline.get_formset(request, None).form)
                       for inline in model_admin.get_inline_instances(request, None)
                       if inline.has_add_permission(request, None) or inline.has_change_permission(request, None)]
        for inline_name, form in forms_seen:
            for name, field in form.base_fields.items():
                if isinstance(field, forms.JSONField) and not isinstance(field, SafeJSONField):
                    plain.append(f"{model.__name__} {inline_name} {name}".replace("  ", " "))
    assert plain == []
