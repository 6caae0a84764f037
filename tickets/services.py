"""Writes shared by every ticket type: locking, version checks, and the timeline (comments, work
logs, attachments). Each function is atomic and records its event in the ticket's chain."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SupportGroup
from opsdesk.signals import public_comment

from .audit import event_record, ticket_insert_created
from .choices import CallOutcome, Channel, EventAction, RequestType
from .locking import ticket_lock, ticket_touch, version_check  # noqa: F401  (re-exported: every app imports them from here)
from .models import Attachment, CallRecord, Comment, ServiceRequest, TicketBase, WorkLog
from .numbering import next_number_and_id
from .request_workflow import REQUEST_WORKFLOW
from .transitions import TicketKindSpec, TransitionContext, accept_stamp, kind_register, transition_run

MAX_WORKLOG_MINUTES = 24 * 60


def _check_can_write(ticket: TicketBase, actor: Any) -> None:
    if actor.is_customer and ticket.organization_id != actor.organization_id:
        raise PermissionDenied


@transaction.atomic
def ticket_comment_add(*, ticket: TicketBase, author: Any, body: str, public: bool, now: datetime) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something first.")]})
    ticket = ticket_lock(type(ticket), ticket.pk)
    _check_can_write(ticket, author)
    public = True if author.is_customer else bool(public)
    comment = Comment.objects.create(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, author=author, body=body, public=public, created_at=now,
    )
    event_record(ticket=ticket, actor=author, action=EventAction.COMMENT, now=now, public=public,
                 data={"comment": comment.pk, "public": public, "body": body})
    if public and not author.is_customer:
        # A staff reply the customer may read: mailin e-mails it on tickets with a mail thread.
        transaction.on_commit(partial(public_comment.send_robust, sender=Comment, comment_id=comment.pk), robust=True)
    return comment


@transaction.atomic
def ticket_worklog_add(*, ticket: TicketBase, author: Any, minutes: int, note: str, work_date: date | None,
                       now: datetime) -> WorkLog:
    if author.is_customer:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not isinstance(minutes, int) or minutes < 1 or minutes > MAX_WORKLOG_MINUTES:
        errors["minutes"] = [_("Enter the minutes spent, from 1 to %(max)s.") % {"max": MAX_WORKLOG_MINUTES}]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Say what was done.")]
    today = timezone.localdate(now)  # the user's calendar day, not UTC's
    work_date = work_date or today
    if work_date > today:
        errors["work_date"] = [_("The work date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    ticket = ticket_lock(type(ticket), ticket.pk)
    log = WorkLog.objects.create(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, author=author, minutes=minutes, note=note,
        work_date=work_date, created_at=now,
    )
    event_record(ticket=ticket, actor=author, action=EventAction.WORKLOG, now=now,
                 data={"worklog": log.pk, "minutes": minutes, "note": note, "work_date": work_date})
    return log


def _safe_name(name: str) -> str:
    base = os.path.basename(name or "file").replace("\x00", "")
    return base[-150:] or "file"


@transaction.atomic
def ticket_attachment_add(*, ticket: TicketBase, author: Any, upload: UploadedFile, public: bool,
                          now: datetime) -> Attachment:
    if upload is None:
        raise ValidationError({"file": [_("Choose a file to upload.")]})
    if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.")
                                        % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}]})
    if upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    ticket = ticket_lock(type(ticket), ticket.pk)
    _check_can_write(ticket, author)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    public = True if author.is_customer else bool(public)
    name = _safe_name(upload.name or "file")
    attachment = Attachment(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, author=author, name=name, size=upload.size,
        content_type=(upload.content_type or "")[:100], sha256=digest.hexdigest(), public=public, created_at=now,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    event_record(ticket=ticket, actor=author, action=EventAction.ATTACHMENT, now=now, public=public,
                 data={"attachment": attachment.pk, "name": name, "size": upload.size, "sha256": attachment.sha256})
    return attachment


@transaction.atomic
def call_record_create(*, operator: Any, received_at: datetime, caller_phone: str, outcome: str,
                       contact: Any = None, organization: Any = None, ticket: TicketBase | None = None,
                       note: str = "", now: datetime) -> CallRecord:
    """Log one hotline call; linking it to an existing ticket records that on the ticket's timeline."""
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": [_("Choose answered or missed.")]})
    call = CallRecord.objects.create(
        received_at=received_at, caller_phone=(caller_phone or "").strip(), outcome=outcome, contact=contact,
        organization=organization or (contact.organization if contact else None), operator=operator,
        ticket_kind=ticket.KIND if ticket else "", ticket_id=ticket.pk if ticket else None, note=note,
    )
    if ticket is not None:
        locked = ticket_lock(type(ticket), ticket.pk)
        event_record(ticket=locked, actor=operator, action=EventAction.CALL_LINKED, now=now,
                     data={"call": call.pk, "phone": call.caller_phone, "note": note})
    return call


# --- Service requests ------------------------------------------------------------------------

def _pk_or_none(value: Any) -> int | None:
    """An id from untrusted input (API JSON, form data), or None when it is not one."""
    if isinstance(value, bool):
        return None
    pk = getattr(value, "pk", value)
    try:
        return int(pk)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def request_create(*, actor: Any, organization: Any, title: str, description: str = "",
                   request_type: str, contact: Any = None, channel: str = "phone",
                   reported_at: datetime | None = None, now: datetime) -> Any:
    if actor.is_customer and organization.pk != actor.organization_id:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the request a short title.")]
    if request_type not in RequestType.values:
        errors["request_type"] = [_("Choose a request type.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if contact is not None and contact.organization_id != organization.pk:
        errors["contact"] = [_("This contact belongs to another organisation.")]
    if errors:
        raise ValidationError(errors)
    number, pk = next_number_and_id(ServiceRequest.NUMBER_PREFIX, ServiceRequest)
    req = ServiceRequest(
        pk=pk, number=number, title=title.strip(), description=(description or "").strip(),
        request_type=request_type, organization=organization, contact=contact, channel=channel,
        reported_at=reported_at or now, created_by=actor,
    )
    ticket_insert_created(ticket=req, actor=actor, now=now, public=True, data={
        "number": req.number, "title": req.title, "request_type": request_type, "channel": channel,
        "organization": organization.pk, "contact": contact.pk if contact else None,
    })
    return req


def _request_effects(ctx: TransitionContext) -> None:
    """What each action stamps on a service request."""
    action, payload, now, stamp = ctx.action, ctx.payload, ctx.now, ctx.stamp
    if action == "assign":
        assignee = group = None
        if payload.get("assignee"):
            pk = _pk_or_none(payload["assignee"])
            assignee = get_user_model().objects.filter(pk=pk, is_active=True).exclude(role="customer").first() if pk else None
            if assignee is None:
                raise ValidationError({"assignee": [_("No active staff member with this id.")]})
        if payload.get("group"):
            pk = _pk_or_none(payload["group"])
            group = SupportGroup.objects.filter(pk=pk, is_active=True).first() if pk else None
            if group is None:
                raise ValidationError({"group": [_("No active support group with this id.")]})
        if not assignee and not group:
            raise ValidationError({"assignee": [_("Choose an engineer, a support group, or both.")]})
        stamp("assignee", assignee)
        stamp("group", group)
    elif action == "accept":
        accept_stamp(ctx)
    elif action == "resolve":
        stamp("resolution", str(payload["resolution"]).strip())
        stamp("resolved_at", now)
    elif action == "reopen":
        stamp("resolved_at", None)
    elif action in ("close", "cancel"):
        stamp("closed_at", now)
        if action == "cancel":
            stamp("cancel_reason", ctx.reason)


REQUEST_KIND = kind_register(TicketKindSpec(model=ServiceRequest, workflow=REQUEST_WORKFLOW, effects=_request_effects))


@transaction.atomic
def request_transition(*, request_id: int, actor: Any, action: str, version: int | None = None,
                       payload: dict[str, Any] | None = None, now: datetime) -> Any:
    """Move a service request through its table (the transition engine writes the status)."""
    return transition_run(spec=REQUEST_KIND, ticket_id=request_id, actor=actor, action=action, version=version,
                          payload=payload, now=now)
