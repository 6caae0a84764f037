from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from documents.services import document_create, document_publish, document_version_add
from tests.factories import UserFactory


def upload(content: bytes = b"circuit 1: port 3", name: str = "circuits.txt", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def docadmin(db):
    return UserFactory(username="docadmin", role=Role.DOC_ADMIN)


@pytest.fixture
def make_document(docadmin, now):
    """A document through the real services; `files` become versions 1, 2, …"""

    def make(*, organization: Any, files: tuple[bytes, ...] = (b"v1 content",), published: bool = False,
             cis: Any = (), title: str = "Circuit data", at: Any = None, **kwargs: Any):
        when = at or now
        doc = document_create(actor=docadmin, organization=organization, title=title,
                              category=kwargs.pop("category", "circuit_data"), cis=list(cis), now=when, **kwargs)
        for content in files:
            document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(content), note="", version=None,
                                 now=when)
        if published:
            document_publish(document_id=doc.pk, actor=docadmin, version=None, now=when)
        doc.refresh_from_db()
        return doc

    return make


# The portal's browser fixtures (system Chromium in a thread of its own, screenshots directory).
from tests.portal.conftest import artifacts, run_with_browser  # noqa: E402, F401
