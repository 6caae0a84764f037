"""Project-wide hooks between apps of the same layer, which may not import each other.

`approval_notice`: the approval step (tickets/approvals.py) sends it after commit when an approval
is overdue (a reminder to the undecided approvers) or escalated (to its escalation target). The
notifications app subscribes in `NotificationsConfig.ready()` and turns it into in-app messages and
e-mails by its rules; with no subscriber the step falls back to a plain e-mail. Keyword argument
`notice`: a JSON-safe dict (see `tickets.approvals.ApprovalNotice`)."""

from __future__ import annotations

from django.dispatch import Signal

approval_notice = Signal()
