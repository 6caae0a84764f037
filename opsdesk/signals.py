"""Project-wide hooks between apps of the same layer, which may not import each other.

`approval_notice`: the approval step (tickets/approvals.py) sends it after commit when an approval
is overdue (a reminder to the undecided approvers) or escalated (to its escalation target). The
notifications app subscribes in `NotificationsConfig.ready()` and turns it into in-app messages and
e-mails by its rules; with no subscriber the step falls back to a plain e-mail. Keyword argument
`notice`: a JSON-safe dict (see `tickets.approvals.ApprovalNotice`).

`public_comment`: `tickets.services.ticket_comment_add` sends it after commit when a staff member adds
a public comment (keyword argument `comment_id`). mailin subscribes: on a ticket with a mail thread
the comment is e-mailed to the customer with the thread headers, so the reply threads in their mail."""

from __future__ import annotations

from django.dispatch import Signal

approval_notice = Signal()
public_comment = Signal()
