"""JSON bodies are typed as the schema says (opsdesk/serializers.py): a JSON value of the wrong type
is a 400 naming the field, never silently converted (DRF reads `0` as the text "0", 1 / "true" as a
boolean, "5" as an integer). Upload forms (multipart) keep working."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers as drf

from incidents.models import Incident
from opsdesk.serializers import StrictJSONInput
from tickets.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def inc(make_incident, org_a):
    return make_incident(organization=org_a)


@pytest.mark.parametrize("payload, field", [
    ({"title": 0}, "title"),                     # CharField: a number is not text
    ({"title": True}, "title"),
    ({"title": "x", "impact": 1}, "impact"),     # ChoiceField of text codes
    ({"title": "x", "organization": "ORG_TEXT"}, "organization"),  # primary key as text
    ({"title": "x", "organization": True}, "organization"),
    ({"title": "x", "description": ["a"]}, "description"),
])
def test_wrong_json_type_on_create_is_a_field_error(api_as, operator, org_a, payload, field):
    payload = {k: (str(org_a.pk) if v == "ORG_TEXT" else v) for k, v in payload.items()}
    payload.setdefault("organization", org_a.pk)
    res = api_as(operator).post("/api/v1/incidents/", payload, format="json")
    assert res.status_code == 400, res.content
    assert field in res.json() and isinstance(res.json()[field], list), res.json()
    assert not Incident.objects.exists()


@pytest.mark.parametrize("public", [1, 0, "true", "yes", "1"])
def test_boolean_must_be_a_json_boolean(api_as, operator, inc, public):
    res = api_as(operator).post(f"/api/v1/incidents/{inc.pk}/comments/", {"body": "hi", "public": public},
                                format="json")
    assert res.status_code == 400, res.content
    assert res.json() == {"public": ["Must be a valid boolean."]}
    assert not Comment.objects.exists()


def test_right_types_are_accepted(api_as, operator, inc):
    res = api_as(operator).post(f"/api/v1/incidents/{inc.pk}/comments/", {"body": "hi", "public": True},
                                format="json")
    assert res.status_code == 201, res.content
    res = api_as(operator).post(f"/api/v1/incidents/{inc.pk}/worklogs/", {"minutes": 30, "note": "n"},
                                format="json")
    assert res.status_code == 201, res.content


@pytest.mark.parametrize("minutes", ["30", True, 30.5])
def test_integer_must_be_a_json_integer(api_as, operator, inc, minutes):
    res = api_as(operator).post(f"/api/v1/incidents/{inc.pk}/worklogs/", {"minutes": minutes, "note": "n"},
                                format="json")
    assert res.status_code == 400, res.content
    assert list(res.json()) == ["minutes"]


def test_message_is_translated(api_as, operator, inc):
    res = api_as(operator).post(f"/api/v1/incidents/{inc.pk}/comments/", {"body": "hi", "public": 1},
                                format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert res.status_code == 400
    assert res.json()["public"] != ["Must be a valid boolean."]


def test_multipart_upload_keeps_form_conversions(api_as, operator, inc):
    """Forms carry text only: "true" stays a boolean there (the upload endpoint reads multipart)."""
    upload = SimpleUploadedFile("log.txt", b"hello", content_type="text/plain")
    res = api_as(operator).post(f"/api/v1/incidents/{inc.pk}/attachments/", {"file": upload, "public": "true"},
                                format="multipart")
    assert res.status_code == 201, res.content
    assert res.json().get("public", True) is True


def test_every_project_serializer_is_strict():
    """Every serializer the project defines inherits the strict base: import `serializers` from
    opsdesk, not from rest_framework."""
    apps = ("accounts", "changes", "cmdb", "documents", "incidents", "notifications", "problems", "quality",
            "releases", "reports", "spares", "tickets", "opsdesk", "portal")
    for app in apps:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    lenient = sorted(
        f"{cls.__module__}.{cls.__qualname__}" for cls in set(subclasses(drf.Serializer))
        if cls.__module__.split(".")[0] in apps and not issubclass(cls, StrictJSONInput)
    )
    assert lenient == []
