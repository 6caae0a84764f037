"""Organisation A's documents for the tenancy walk: a published one (its customer may see it,
customer B must not), an internal one, both with two versions; the `version_number` path
parameter takes their version numbers."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from documents.services import document_create, document_publish, document_version_add
from tests.factories import UserFactory


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    admin = UserFactory(username="alpha_docadmin", role=Role.DOC_ADMIN)
    ids = []
    for title, published in (("Alpha pumphouse circuit sheet", True), ("Alpha SCADA config dump", False)):
        doc = document_create(actor=admin, organization=org_a, title=title, category="circuit_data", cis=[ci],
                              description="Alpha valve matrix", now=now)
        for n in (1, 2):
            document_version_add(document_id=doc.pk, actor=admin, version=None, now=now, note="Alpha rev note",
                                 upload=SimpleUploadedFile(f"alpha-{n}.txt", f"Alpha secret body {n}".encode()))
        if published:
            document_publish(document_id=doc.pk, actor=admin, version=None, now=now)
        ids.append(doc.pk)
    return {
        "ids": {"document": ids, "document_version": [1, 2]},
        "secrets": ["Alpha pumphouse circuit sheet", "Alpha SCADA config dump", "Alpha valve matrix",
                    "Alpha secret body", "Alpha rev note", "alpha-1.txt"],
        "params": {"version_number": "document_version"},
    }
