"""Organisation A's leave request for the tenancy walk: approved by the company lead, waiting for
A's customer in the portal, with a hand-over duty only A's pages show; a training session for A."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.choices import Role
from tests.factories import SupportGroupFactory, UserFactory


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    from team.services import leave_create, leave_transition
    from team.training import training_create
    from tickets.approvals import approval_decide, approval_pending

    lead = UserFactory(username="alpha_leave_lead", role=Role.ENGINEER)
    away = UserFactory(username="alpha_leave_eng", role=Role.ENGINEER)
    group = SupportGroupFactory(name="Alpha leave group", lead=lead)
    group.members.add(away, engineer)
    leave = leave_create(actor=away, engineer=away, organization=org_a, starts_at=now + timedelta(days=4),
                         ends_at=now + timedelta(days=5), stand_in=engineer, reason="alpha-leave-reason",
                         duties=[("alpha-handover-duty", engineer)], now=now)
    leave = leave_transition(leave_id=leave.pk, actor=away, action="submit", now=now)
    approval_decide(approval_id=approval_pending(ticket=leave).pk, actor=lead, decision="approve", now=now)
    session = training_create(actor=lead, title="alpha-training-title", audience="customer", organization=org_a,
                              starts_at=now, ends_at=now + timedelta(hours=1), attendees=[customer_a], now=now)
    from team.models import Scorecard

    scorecard = Scorecard.objects.create(user=engineer, month=now.date().replace(day=1), computed_at=now)
    return {"ids": {"leave": [leave.pk], "training": [session.pk], "scorecard": [scorecard.pk]},
            "secrets": [leave.number, "alpha-handover-duty", "alpha-training-title"], "params": {}}
