"""Staff release pages: list, create, detail (changes, deployments, timeline, the workflow's
buttons), edit with a stale version (kept input, 409), transitions and deployments; customers 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from releases.models import Release

pytestmark = pytest.mark.django_db


def local_input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_list_and_filters(client, operator, make_release, org_a, org_b):
    a = make_release(organization=org_a, title="Alpha cameras")
    b = make_release(organization=org_b, title="Bravo ovens")
    client.force_login(operator)
    body = client.get(reverse("releases:list")).content.decode()
    assert a.number in body and b.number in body
    body = client.get(reverse("releases:list"), {"organization": org_a.pk}).content.decode()
    assert a.number in body and b.number not in body
    assert client.get(reverse("releases:list"), {"status": "nope"}).status_code == 200


def test_create_then_add_changes_and_schedule(client, release_manager, make_change, org_a, now):
    change = make_change(organization=org_a)
    client.force_login(release_manager)
    start = now + timedelta(days=3)
    res = client.post(reverse("releases:new"), {
        "organization": org_a.pk, "title": "Video 2.4", "release_version": "2.4.0", "plan": "staging first",
        "planned_start": local_input(start), "planned_end": local_input(start + timedelta(hours=2)),
    })
    release = Release.objects.get()
    assert res.status_code == 302 and res["Location"].endswith(f"/releases/{release.pk}/#edit")
    page = client.get(reverse("releases:detail", args=[release.pk])).content.decode()
    assert change.number in page  # offered in the edit form
    assert 'data-action="schedule"' in page and 'data-action="start"' not in page
    res = client.post(reverse("releases:edit", args=[release.pk]), {
        "version": release.version, "title": "Video 2.4", "release_version": "2.4.0", "plan": "staging first",
        "planned_start": local_input(start), "planned_end": local_input(start + timedelta(hours=2)),
        "changes": [change.pk]})
    assert res.status_code == 302
    release.refresh_from_db()
    assert list(release.changes.all()) == [change]
    res = client.post(reverse("releases:transition", args=[release.pk]),
                      {"action": "schedule", "schedule-version": release.version})
    assert res.status_code == 302 and Release.objects.get().status == "scheduled"
    page = client.get(reverse("releases:detail", args=[release.pk])).content.decode()
    assert f"Linked: {change.number}" in page and "Scheduled" in page


def test_create_form_errors_are_shown(client, release_manager, org_a):
    client.force_login(release_manager)
    res = client.post(reverse("releases:new"), {"organization": org_a.pk, "title": "x", "release_version": "1",
                                                "planned_start": "2026-12-01T10:00"})
    assert res.status_code == 400 and "Give both the planned start" in res.content.decode()
    assert not Release.objects.exists()


def test_stale_edit_keeps_what_was_typed(client, release_manager, make_release, org_a, now):
    release = make_release(organization=org_a)
    client.force_login(release_manager)
    form = {"version": release.version, "title": "Typed by me", "release_version": "2.4.0", "plan": "",
            "description": ""}
    client.post(reverse("releases:edit", args=[release.pk]), {**form, "title": "First save"})
    res = client.post(reverse("releases:edit", args=[release.pk]), form)
    body = res.content.decode()
    assert res.status_code == 409 and "Typed by me" in body and "Someone else saved this release first" in body
    assert Release.objects.get().title == "First save"


def test_transition_form_errors_and_deployment_recording(client, release_manager, deployer, make_release,
                                                         make_change, org_a, now):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)], status="deploying")
    client.force_login(deployer)
    page = client.get(reverse("releases:detail", args=[release.pk])).content.decode()
    assert "Record a deployment" in page and 'data-action="roll_back"' in page
    res = client.post(reverse("releases:transition", args=[release.pk]),
                      {"action": "complete", "complete-version": release.version})
    assert res.status_code == 400 and "successful deployment" in res.content.decode()
    res = client.post(reverse("releases:deployment_add", args=[release.pk]), {
        "deployment-environment": "production", "deployment-site": "Hospital 1",
        "deployment-started_at": local_input(now - timedelta(hours=1)), "deployment-finished_at": local_input(now),
        "deployment-result": "failed", "deployment-notes": ""})
    assert res.status_code == 400 and "Say what went wrong" in res.content.decode()
    res = client.post(reverse("releases:deployment_add", args=[release.pk]), {
        "deployment-environment": "production", "deployment-site": "Hospital 1",
        "deployment-started_at": local_input(now - timedelta(hours=1)), "deployment-finished_at": local_input(now),
        "deployment-result": "success"})
    assert res.status_code == 302
    res = client.post(reverse("releases:transition", args=[release.pk]),
                      {"action": "complete", "complete-version": Release.objects.get().version})
    assert res.status_code == 302 and Release.objects.get().status == "deployed"
    page = client.get(reverse("releases:detail", args=[release.pk])).content.decode()
    assert "Hospital 1" in page and "Production · Hospital 1 — Succeeded" in page
    res = client.post(reverse("releases:transition", args=[release.pk]), {"action": "verify",
                                                                         "verify-version": release.version})
    assert res.status_code == 400


def test_timeline_comment(client, operator, make_release, org_a):
    release = make_release(organization=org_a)
    client.force_login(operator)
    res = client.post(reverse("releases:timeline_add", args=[release.pk, "comment"]),
                      {"comment-body": "Go/no-go at 21:00", "comment-public": ""})
    assert res.status_code == 302
    assert "Go/no-go at 21:00" in client.get(reverse("releases:detail", args=[release.pk])).content.decode()


def test_customers_get_404_on_staff_pages(client, customer_a, make_release, org_a):
    release = make_release(organization=org_a)
    client.force_login(customer_a)
    for url in (reverse("releases:list"), reverse("releases:new"), reverse("releases:detail", args=[release.pk]),
                reverse("releases:calendar")):
        assert client.get(url).status_code == 404, url


def test_change_panel_lists_the_releases_of_a_change(client, operator, customer_a, make_release, make_change, org_a):
    change = make_change(organization=org_a)
    release = make_release(organization=org_a, changes=[change])
    client.force_login(operator)
    body = client.get(reverse("releases:change_panel", args=[change.pk])).content.decode()
    assert release.number in body
    alone = make_change(organization=org_a)
    assert "in no release" in client.get(reverse("releases:change_panel", args=[alone.pk])).content.decode()
    assert client.get(reverse("releases:change_panel", args=[10**12])).status_code == 404
    client.force_login(customer_a)
    assert client.get(reverse("releases:change_panel", args=[change.pk])).status_code == 404
