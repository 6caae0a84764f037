from __future__ import annotations

import pytest
from django.test import Client

from cmdb.models import CIClass
from cmdb.services import ci_create
from tests.portal.conftest import artifacts, run_with_browser  # noqa: F401 (browser fixtures for the e2e journey)

SERVER_ATTRS = [
    {"name": "ram_gb", "label": "RAM", "type": "int", "required": True},
    {"name": "disk_tb", "label": "Disk", "type": "decimal"},
    {"name": "installed", "label": "Installed", "type": "date"},
    {"name": "virtual", "label": "Virtual host", "type": "bool"},
    {"name": "role", "label": "Role", "type": "choice", "choices": ["web", "db"]},
    {"name": "note", "label": "Note", "type": "text"},
]


@pytest.fixture
def client_as(client: Client):
    def login(user) -> Client:
        client.force_login(user)
        return client

    return login


@pytest.fixture
def classes(db):
    return {
        "server": CIClass.objects.create(code="srv", name="Server", attributes=SERVER_ATTRS),
        "switch": CIClass.objects.create(code="sw", name="Switch"),
        "app": CIClass.objects.create(code="app", name="Application"),
        "service": CIClass.objects.create(code="svc", name="Service", is_service=True),
    }


@pytest.fixture
def make_ci(classes, operator, now):
    def make(name: str, *, org, cls: str = "switch", **kwargs):
        if cls == "server":
            kwargs.setdefault("attributes", {"ram_gb": 64})
        return ci_create(name=name, ci_class=classes[cls], organization=org, actor=operator, now=now, **kwargs)

    return make
