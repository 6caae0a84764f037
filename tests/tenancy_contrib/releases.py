"""Organisation A's release for the tenancy walk: it groups a change of A, has a deployment, a
public comment, and A has its own freeze and maintenance windows. Customer B must see none of it
(pages, API, the calendar and both iCal feeds)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from accounts.choices import Role
from changes.models import Change, FreezeWindow, MaintenanceWindow
from releases.services import deployment_record, release_create, release_transition
from tests.factories import UserFactory
from tickets.numbering import next_number
from tickets.services import ticket_comment_add


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    manager = UserFactory(username="alpha_rel_manager", role=Role.MANAGER)
    start = now + timedelta(days=1)
    change = Change.objects.create(
        number=next_number(Change.NUMBER_PREFIX), title="Alpha chlorine dosing upgrade", organization=org_a,
        status="scheduled", planned_start=start, planned_end=start + timedelta(hours=2), reported_at=now,
        created_by=operator)
    change.cis.set([ci])
    release = release_create(actor=manager, organization=org_a, title="Alpha waterworks suite",
                             release_version="alpha-9.9.9", plan="Alpha rollout plan", planned_start=start,
                             planned_end=start + timedelta(hours=3), changes=[change], now=now)
    for action in ("schedule", "start"):
        release_transition(release_id=release.pk, actor=manager, action=action, now=now)
    deployment = deployment_record(release_id=release.pk, actor=manager, environment="production",
                                   site="Alpha pumphouse site", started_at=now - timedelta(hours=1), finished_at=now,
                                   result="failed", notes="Alpha deploy failure note", now=now)
    ticket_comment_add(ticket=release, author=manager, body="Alpha release comment", public=True, now=now)
    FreezeWindow.objects.create(name="Alpha reservoir freeze", organization=org_a, start=start,
                                end=start + timedelta(days=2))
    MaintenanceWindow.objects.create(organization=org_a, name="Alpha night slot", kind="weekly", weekday=2,
                                     start_time=time(1), end_time=time(5))
    return {
        "ids": {"release": [release.pk], "deployment": [deployment.pk]},
        "secrets": ["Alpha waterworks suite", "alpha-9.9.9", "Alpha rollout plan", "Alpha pumphouse site",
                    "Alpha deploy failure note", "Alpha release comment", "Alpha reservoir freeze",
                    "Alpha night slot", "Alpha chlorine dosing upgrade", release.number, change.number],
        "params": {"release": "release"},
    }
