"""Team demo data for `manage.py seed_demo` (settings.DEMO_SEEDERS): the KPI configuration, a
pending leave request (approved by the company lead, waiting for the customer), last month's
proposed scorecards and a training session. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accounts.choices import Role
from accounts.models import Organization, User
from documents.models import Document
from tickets.approvals import approval_decide, approval_pending

from .choices import Audience
from .kpi import scorecards_propose
from .models import KpiConfig, LeaveRequest
from .services import leave_create, leave_transition, open_incidents_of
from .training import training_create


def seed(*, now: datetime, stdout: Any) -> None:
    if not KpiConfig.objects.exists():
        KpiConfig.objects.create(name="运维人员月度考核")
    if LeaveRequest.objects.exists():
        stdout.write("Team demo data exists already: nothing added.")
        return
    users = {u.username: u for u in User.objects.filter(username__in=["engineer1", "engineer2", "manager", "lead"])}
    org = Organization.objects.filter(is_active=True, users__role=Role.CUSTOMER).order_by("pk").first()
    if len(users) < 4 or org is None:
        stdout.write("Team demo data: demo accounts missing, nothing added.")
        return
    eng, mate = users["engineer2"], users["engineer1"]
    leave = leave_create(actor=eng, engineer=eng, organization=org, starts_at=now + timedelta(days=9),
                         ends_at=now + timedelta(days=11), stand_in=mate, reason="家中有事，请事假三天。",
                         handover=[(i, mate) for i in open_incidents_of(eng)],
                         duties=[("每周机房巡检", mate)], leave_type="personal", now=now)
    leave = leave_transition(leave_id=leave.pk, actor=eng, action="submit", now=now)
    pending = approval_pending(ticket=leave)
    if pending is not None and pending.approvers.filter(user=users["lead"]).exists():
        approval_decide(approval_id=pending.pk, actor=users["lead"], decision="approve", comment="同意，交接清楚。",
                        now=now)
    last_month = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    scorecards_propose(actor=users["manager"], month=last_month, now=now)
    training_create(actor=users["lead"], title="自助服务门户使用培训", audience=Audience.CUSTOMER, organization=org,
                    starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2), location="客户会议室",
                    description="报障、查询进度、评价与变更审批。", trainer=users["lead"],
                    materials=list(Document.objects.order_by("pk")[:2]),
                    attendees=list(User.objects.filter(organization=org, role=Role.CUSTOMER)[:3]), now=now)
    stdout.write(f"Team: leave {leave.number} waits for the customer; scorecards for {last_month:%Y-%m}; a training.")
