"""Organisation A's special-support booking on the roster (A's customer sees it in duty/rules/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.choices import Role
from tests.factories import SupportGroupFactory, UserFactory


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    from duty.services import duty_entry_create

    manager = UserFactory(username="alpha_duty_pm", role=Role.MANAGER)
    group = SupportGroupFactory(name="Alpha duty group")
    rule = duty_entry_create(actor=manager, group=group, kind="special", people=[engineer], starts_at=now,
                             ends_at=now + timedelta(hours=4), organization=org_a,
                             reason="alpha-special-support-reason", now=now)
    return {"ids": {"duty_rule": [rule.pk]}, "secrets": ["alpha-special-support-reason"], "params": {}}
