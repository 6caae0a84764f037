"""Changes of organisation A for the tenancy walk: one awaiting the customer's approval (with its
signed-link row, a CAB vote and an incident link), with texts only A's pages show."""

from __future__ import annotations

from datetime import timedelta

from accounts.choices import Role
from changes.choices import CABRule
from changes.models import CAB, ChangeTemplate, CustomerApproval, FreezeWindow
from changes.services import change_create, change_incident_link, change_transition
from tests.factories import UserFactory


def contribute(*, org_a, customer_a, ci, incident, contact, operator, engineer, now) -> dict:
    manager = UserFactory(role=Role.MANAGER)
    cab = CAB.objects.create(name="Alpha walk CAB", rule=CABRule.QUORUM, quorum=1)
    cab.members.set([manager])
    template = ChangeTemplate.objects.create(name="Alpha template secret", organization=org_a)
    freeze = FreezeWindow.objects.create(name="Alpha freeze secret", organization=org_a, start=now + timedelta(days=1),
                                         end=now + timedelta(days=2), blocking=False)
    start = now + timedelta(days=5)
    change = change_create(
        actor=engineer, organization=org_a, title="Alpha switch rewiring", reason="alpha-reason-4711",
        implementation_plan="alpha-plan-impl", backout_plan="alpha-backout-plan", test_plan="alpha-test",
        risk_answers={"service_impact": "one", "outage": "no", "experience": "routine", "backout": "easy",
                      "tested": "yes"},
        planned_start=start, planned_end=start + timedelta(hours=1), cis=[ci], contact=contact, now=now)
    for actor, action in ((engineer, "submit"), (manager, "assess"), (manager, "request_approval"),
                          (manager, "approve")):
        change = change_transition(change_id=change.pk, actor=actor, action=action, now=now,
                                   payload={"cab": cab.pk, "comment": "alpha-vote-comment"})
    change_incident_link(change_id=change.pk, incident=incident, actor=engineer, now=now, note="alpha-link-note")
    approval = CustomerApproval.objects.of_change(change).get()
    return {
        "ids": {"change": [change.pk], "approval": [approval.pk], "template": [template.pk], "freeze": [freeze.pk],
                "cab": [cab.pk]},
        "secrets": ["Alpha switch rewiring", "alpha-reason-4711", "alpha-backout-plan", "alpha-vote-comment",
                    "alpha-link-note", "Alpha template secret", "Alpha freeze secret", change.number],
        "params": {"change": "change", "approval": "approval"},
    }
