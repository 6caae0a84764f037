"""A change implemented on a CI makes its documents due for a new version; overdue after
DOCUMENT_UPDATE_DAYS (3) days without one. Computed in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.models import Change
from changes.services import change_create
from documents.selectors import ci_documents, document_list, document_update_due_list
from documents.services import document_archive, document_version_add
from tests.factories import CIFactory

from .conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def implemented_change(operator):
    """A change raised through the changes service, then stamped implemented as its `implement`
    transition does (the CAB/customer approval path before it is the changes app's business)."""

    def make(*, organization, cis, at, backed_out=None):
        change = change_create(actor=operator, organization=organization, title="Replace uplink", cis=cis, now=at)
        Change.objects.filter(pk=change.pk).update(status="implemented", implemented_at=at, backed_out_at=backed_out)
        change.refresh_from_db()
        return change

    return make


def test_due_then_overdue_then_cleared_by_a_new_version(make_document, implemented_change, org_a, ci_a, docadmin,
                                                         manager, now):
    old = now - timedelta(days=10)
    doc = make_document(organization=org_a, cis=[ci_a], at=old)
    other = make_document(organization=org_a, cis=[CIFactory(organization=org_a)], at=old, title="Other")
    assert not document_update_due_list(user=manager, now=now).exists()

    change = implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=1))
    due = list(document_update_due_list(user=manager, now=now))
    assert [d.pk for d in due] == [doc.pk]  # `other` is about another CI
    assert due[0].due_change_id == change.pk and due[0].due_change_number == change.number
    assert due[0].due_since == change.implemented_at
    assert due[0].update_due_by == change.implemented_at + timedelta(days=3)
    assert not due[0].update_overdue
    assert not document_update_due_list(user=manager, now=now, overdue_only=True).exists()

    later = now + timedelta(days=2, hours=1)  # 3 days and an hour after the change
    overdue = list(document_update_due_list(user=manager, now=later, overdue_only=True))
    assert [d.pk for d in overdue] == [doc.pk] and overdue[0].update_overdue
    assert other.pk not in {d.pk for d in document_list(user=manager, filters={"update": "due"}, now=later)}
    assert [d.pk for d in document_list(user=manager, filters={"update": "overdue"}, now=later)] == [doc.pk]

    document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"after the change"), version=None,
                         now=later)
    assert not document_update_due_list(user=manager, now=later).exists()


def test_change_before_the_latest_version_does_not_count(make_document, implemented_change, org_a, ci_a, manager,
                                                         now):
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=5))
    make_document(organization=org_a, cis=[ci_a], at=now - timedelta(days=4))
    assert not document_update_due_list(user=manager, now=now).exists()


def test_document_without_a_file_counts_from_its_creation(make_document, implemented_change, org_a, ci_a, manager,
                                                          now):
    doc = make_document(organization=org_a, cis=[ci_a], files=(), at=now - timedelta(days=9))
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=8))
    assert [d.pk for d in document_update_due_list(user=manager, now=now, overdue_only=True)] == [doc.pk]


def test_not_implemented_backed_out_and_archived_do_not_count(make_document, implemented_change, operator, org_a,
                                                               ci_a, docadmin, manager, now):
    doc = make_document(organization=org_a, cis=[ci_a], at=now - timedelta(days=10))
    change_create(actor=operator, organization=org_a, title="Planned only", cis=[ci_a], now=now)  # draft
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=2), backed_out=now - timedelta(days=1))
    assert not document_update_due_list(user=manager, now=now).exists()
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=1))
    assert document_update_due_list(user=manager, now=now).exists()
    document_archive(document_id=doc.pk, actor=docadmin, version=None, reason="retired", now=now)
    assert not document_update_due_list(user=manager, now=now).exists()


def test_earliest_change_since_the_version_decides(make_document, implemented_change, org_a, ci_a, manager, now):
    ci_2 = CIFactory(organization=org_a)
    doc = make_document(organization=org_a, cis=[ci_a, ci_2], at=now - timedelta(days=20))
    first = implemented_change(organization=org_a, cis=[ci_2], at=now - timedelta(days=6))
    implemented_change(organization=org_a, cis=[ci_a, ci_2], at=now - timedelta(days=1))
    (row,) = document_update_due_list(user=manager, now=now)
    assert row.pk == doc.pk and row.due_change_id == first.pk and row.update_overdue


def test_window_is_configurable(make_document, implemented_change, org_a, ci_a, manager, now, settings):
    make_document(organization=org_a, cis=[ci_a], at=now - timedelta(days=10))
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=4))
    assert document_update_due_list(user=manager, now=now, overdue_only=True).exists()
    settings.DOCUMENT_UPDATE_DAYS = 5
    assert not document_update_due_list(user=manager, now=now, overdue_only=True).exists()


def test_due_list_is_one_query_and_empty_for_customers(make_document, implemented_change, org_a, ci_a, customer_a,
                                                       manager, now):
    for n in range(5):
        make_document(organization=org_a, cis=[ci_a], at=now - timedelta(days=10), title=f"Doc {n}", published=True)
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        rows = [(d.title, d.organization.name, d.due_change_number) for d in
                document_update_due_list(user=manager, now=now)]
    assert len(rows) == 5 and len(queries) == 1
    assert not document_update_due_list(user=customer_a, now=now).exists()


def test_ci_documents_panel_data(make_document, implemented_change, org_a, ci_a, manager, now):
    doc = make_document(organization=org_a, cis=[ci_a], at=now - timedelta(days=10))
    implemented_change(organization=org_a, cis=[ci_a], at=now - timedelta(days=1))
    (row,) = ci_documents(user=manager, ci=ci_a, now=now)
    assert row.pk == doc.pk and row.due_since is not None and not row.update_overdue
