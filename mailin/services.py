"""E-mail intake: every write of the mailin app.

`mailbox_poll` reads one IMAP mailbox (beat runs it per active mailbox) and hands each new mail to
`mail_process`, which decides, in this order:

1. hostile or unreadable → failed (the reason in the inbound log), the mailbox goes on;
2. a machine's reply (RFC 3834 Auto-Submitted: auto-replied, X-Autoreply, bounces, our own
   Message-ID or address coming back) or a sender over the hourly rate → ignored, never answered;
3. a reply to a ticket → a public comment on it: threaded by In-Reply-To/References first, then a
   ticket number in the subject, and ONLY when the sender belongs to that ticket's organisation;
   a known staff member's mail (one active staff account with that address, not a contact) on the
   thread of a ticket they may access → an internal work note by them; otherwise → triage;
4. a known contact (Contact e-mail, customer user) → a new request or incident for its organisation
   (mailbox rule + keywords), channel e-mail, attachments kept, acknowledged by mail in the sender's
   language (never to machine mail);
5. anyone else → the triage list, where staff open a ticket for an organisation or discard it.

Exactly once: the (mailbox, UIDVALIDITY, UID) row is inserted in the transaction that processes the
mail; a second poller blocks on that unique key and then skips the mail."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Contact, Organization
from accounts.roles import ROLE_PERMISSIONS
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.services import incident_create
from incidents.sla import system_actor
from opsdesk.mail import header_text, message_id_domain
from tickets.choices import Channel, RequestStatus, TicketKind
from tickets.models import ServiceRequest, TicketBase
from tickets.services import request_create, ticket_attachment_add, ticket_comment_add

from .choices import InboundStatus, MailDirection, OpenAs
from .crypto import password_decrypt
from .imap import ImapError, ImapSession
from .models import InboundMail, Mailbox, MailThread
from .parsing import (
    MailRejected,
    ParsedMail,
    decode_header_text,
    has_cjk,
    parse_mail,
    sender_of,
    strip_reply_prefixes,
    subject_numbers,
)

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 20
POLL_BATCH = 200
LEASE = timedelta(minutes=10)
CLOSED_STATUSES = {IncidentStatus.CLOSED, IncidentStatus.CANCELLED, RequestStatus.CLOSED, RequestStatus.CANCELLED}
_MODELS: dict[str, type[TicketBase]] = {TicketKind.INCIDENT: Incident, TicketKind.REQUEST: ServiceRequest}
_PREFIXES: dict[str, type[TicketBase]] = {Incident.NUMBER_PREFIX: Incident, ServiceRequest.NUMBER_PREFIX: ServiceRequest}


def sender_rate_limit() -> int:
    """Mails per sender per hour before further ones are ignored as a loop (MAILIN_SENDER_RATE_PER_HOUR)."""
    return int(getattr(settings, "MAILIN_SENDER_RATE_PER_HOUR", 30))


# --- who sent it ----------------------------------------------------------------------------------


@dataclass
class Sender:
    address: str
    contacts: list[Contact] = field(default_factory=list)
    users: list[Any] = field(default_factory=list)

    @property
    def organization_ids(self) -> set[int]:
        return {c.organization_id for c in self.contacts} | {u.organization_id for u in self.users}

    def contact_in(self, organization_id: int) -> Contact | None:
        return next((c for c in self.contacts if c.organization_id == organization_id), None)

    def user_in(self, organization_id: int) -> Any:
        contact = self.contact_in(organization_id)
        if contact is not None and contact.user is not None and contact.user.is_active:
            return contact.user
        return next((u for u in self.users if u.organization_id == organization_id), None)


def sender_identify(address: str) -> Sender:
    """Active contacts and active customer users with this address, in active organisations."""
    sender = Sender(address=address)
    if not address:
        return sender
    sender.contacts = list(Contact.objects.select_related("user").filter(
        email__iexact=address, is_active=True, organization__is_active=True).order_by("pk"))
    sender.users = list(get_user_model().objects.filter(
        email__iexact=address, is_active=True, role=Role.CUSTOMER, organization__is_active=True).order_by("pk"))
    return sender


# --- threading ------------------------------------------------------------------------------------


def ticket_by_number(number: str) -> TicketBase | None:
    model = _PREFIXES.get(number.split("-")[0])
    return model.objects.filter(number=number).first() if model else None


def ticket_load(kind: str, pk: int) -> TicketBase | None:
    model = _MODELS.get(kind)
    return model.objects.filter(pk=pk).first() if model else None


@dataclass
class ThreadMatch:
    ticket: TicketBase | None
    how: str = ""
    refused: list[str] = field(default_factory=list)


def thread_find(parsed: ParsedMail, sender: Sender) -> ThreadMatch:
    """The ticket this mail replies to: In-Reply-To / References first, then a ticket number in the
    subject — only a ticket of the sender's own organisation; a match elsewhere is refused (noted)."""
    match = ThreadMatch(ticket=None)
    orgs = sender.organization_ids
    ids = parsed.thread_ids
    rows = {row.message_id: row for row in MailThread.objects.filter(message_id__in=ids)} if ids else {}
    for mid in ids:
        row = rows.get(mid)
        if row is None:
            continue
        ticket = ticket_load(row.ticket_kind, row.ticket_id)
        if ticket is None:
            continue
        if ticket.organization_id in orgs:
            match.ticket, match.how = ticket, "header"
            return match
        match.refused.append(ticket.number)
    for number in subject_numbers(parsed.subject):
        ticket = ticket_by_number(number)
        if ticket is None:
            continue
        if ticket.organization_id in orgs:
            match.ticket, match.how = ticket, "subject"
            return match
        match.refused.append(ticket.number)
    return match


def thread_record(*, message_id: str, direction: str, ticket: TicketBase, now: datetime) -> None:
    """Remember that `message_id` belongs to `ticket`'s thread (a repeat is a no-op)."""
    if not message_id:
        return
    MailThread.objects.bulk_create([MailThread(
        message_id=message_id[:998], direction=direction, ticket_kind=ticket.KIND, ticket_id=ticket.pk,
        ticket_number=ticket.number, created_at=now)], ignore_conflicts=True)


def new_message_id(number: str) -> str:
    import uuid

    return f"<opsdesk.{number.lower()}.{uuid.uuid4().hex}@{message_id_domain()}>"


def outbound_headers(*, number: str) -> dict[str, str]:
    """settings.MAIL_THREAD_HOOK: headers for any outgoing mail about ticket `number` — a new
    Message-ID recorded against the ticket, In-Reply-To the thread's latest message and References
    its first and latest ones. Never raises (a mail without a thread still goes out)."""
    message_id = new_message_id(number)
    # RFC 3834: a machine wrote it, so customers' autoresponders must not answer it (loop guard).
    headers = {"Message-ID": message_id, "Auto-Submitted": "auto-generated"}
    try:
        ticket = ticket_by_number(number)
        if ticket is None:
            return headers
        thread = MailThread.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk).order_by("created_at", "id")
        first = thread.first()
        last = thread.last()
        refs = [r.message_id for r in (first, last) if r is not None]
        refs = list(dict.fromkeys(refs))
        if refs:
            headers["In-Reply-To"] = refs[-1]
            headers["References"] = " ".join(refs)
        thread_record(message_id=message_id, direction=MailDirection.OUTBOUND, ticket=ticket, now=timezone.now())
    except Exception:  # noqa: BLE001 - threading is a courtesy; the mail itself must not fail
        logger.exception("mailin: could not record the Message-ID of a mail about %s", number)
    return headers


def staff_sender(address: str) -> Any:
    """The one active staff account with this address (none, or several: not a known staff sender)."""
    if not address:
        return None
    users = list(get_user_model().objects.filter(email__iexact=address, is_active=True)
                 .exclude(role=Role.CUSTOMER)[:2])
    return users[0] if len(users) == 1 else None


def staff_may_access(user: Any, ticket: TicketBase) -> bool:
    """The ticket kind's one access check (tenancy: `visible_to`) and the role's view permission."""
    model = type(ticket)
    if not model.objects.visible_to(user).filter(pk=ticket.pk).exists():
        return False
    if user.is_superuser:
        return True
    # The role's permissions as accounts/roles.py defines them (the role field is the source of truth;
    # the role's Django group mirrors it).
    app, name = model._meta.app_label, model._meta.model_name
    return any(pattern in (f"{app}.view_{name}", f"{app}.*_{name}") for pattern in ROLE_PERMISSIONS.get(user.role, []))


def staff_thread_find(parsed: ParsedMail, user: Any) -> ThreadMatch:
    """The ticket a staff member's mail replies to: In-Reply-To / References first, then a ticket
    number in the subject — only a ticket this staff member may access."""
    match = ThreadMatch(ticket=None)
    candidates: list[tuple[TicketBase, str]] = []
    ids = parsed.thread_ids
    rows = {row.message_id: row for row in MailThread.objects.filter(message_id__in=ids)} if ids else {}
    for mid in ids:
        row = rows.get(mid)
        ticket = ticket_load(row.ticket_kind, row.ticket_id) if row is not None else None
        if ticket is not None:
            candidates.append((ticket, "header"))
    for number in subject_numbers(parsed.subject):
        ticket = ticket_by_number(number)
        if ticket is not None:
            candidates.append((ticket, "subject"))
    for ticket, how in candidates:
        if staff_may_access(user, ticket):
            match.ticket, match.how = ticket, how
            return match
        if ticket.number not in match.refused:
            match.refused.append(ticket.number)
    return match


def _staff_reply(*, inbound: InboundMail, parsed: ParsedMail, raw: bytes, user: Any, notes: list[str],
                 now: datetime) -> InboundMail:
    """A known staff member's mail: on the thread of a ticket they may access (and not closed), an
    internal work note by them on that ticket; otherwise triage (never a new ticket in their name)."""
    match = staff_thread_find(parsed, user)
    if match.refused:
        notes.append(f"not threaded onto {', '.join(match.refused)}: {user.username} may not access it")
    ticket = match.ticket
    if ticket is None or getattr(ticket, "status", "") in CLOSED_STATUSES:
        if ticket is not None:
            notes.append(f"{ticket.number} is closed")
        inbound.status, inbound.raw = InboundStatus.TRIAGE, raw
        inbound.reason = "; ".join([f"Staff member {user.username}: no open ticket of theirs in this thread", *notes])
        return inbound
    body = f"{_sender_line(parsed)}\n\n{parsed.body or _('(The mail had no text.)')}"
    ticket_comment_add(ticket=ticket, author=user, body=body, public=False, now=now)
    notes += _attachments_add(ticket=ticket, author=user, parsed=parsed, now=now, public=False)
    thread_record(message_id=parsed.message_id, direction=MailDirection.INBOUND, ticket=ticket, now=now)
    _set_ticket(inbound, ticket)
    inbound.status = InboundStatus.COMMENT
    inbound.reason = "; ".join([f"Staff reply by {user.username} threaded by {match.how} onto {ticket.number} "
                                "as an internal note", *notes])
    return inbound


# --- one mail -------------------------------------------------------------------------------------


def _keywords(text: str) -> list[str]:
    return [k.strip().lower() for k in re.split(r"[,，\n;；]", text or "") if k.strip()]


def kind_for(mailbox: Mailbox, parsed: ParsedMail) -> str:
    """Incident or request: incident keywords first, then request keywords, then the mailbox's default."""
    haystack = f"{parsed.subject}\n{parsed.body}".lower()
    if any(k in haystack for k in _keywords(mailbox.incident_keywords)):
        return OpenAs.INCIDENT
    if any(k in haystack for k in _keywords(mailbox.request_keywords)):
        return OpenAs.REQUEST
    return mailbox.open_as


def _title(parsed: ParsedMail) -> str:
    title = strip_reply_prefixes(parsed.subject)
    if not title:
        first = next((line.strip() for line in parsed.body.splitlines() if line.strip()), "")
        title = first or _("E-mail from %(sender)s") % {"sender": parsed.from_address or _("unknown sender")}
    return header_text(title, limit=200)


def _attachments_add(*, ticket: TicketBase, author: Any, parsed: ParsedMail, now: datetime,
                     public: bool = True) -> list[str]:
    """Keep the mail's attachments through the ticket attachment service; notes for those refused."""
    notes: list[str] = []
    for index, item in enumerate(parsed.attachments):
        if index >= MAX_ATTACHMENTS:
            notes.append(f"only the first {MAX_ATTACHMENTS} attachments kept")
            break
        if len(item.data) > settings.ATTACHMENT_MAX_BYTES:
            notes.append(f"attachment {item.name!r} ({len(item.data)} bytes) is over the size limit")
            continue
        upload = SimpleUploadedFile(item.name, item.data, content_type=item.content_type)
        try:
            ticket_attachment_add(ticket=ticket, author=author, upload=upload, public=public, now=now)
        except ValidationError as exc:
            notes.append(f"attachment {item.name!r} refused: {'; '.join(exc.messages)}")
    return notes


def _author_for(sender: Sender, organization_id: int) -> Any:
    return sender.user_in(organization_id) or system_actor()


def _sender_line(parsed: ParsedMail) -> str:
    who = f"{parsed.from_name} <{parsed.from_address}>" if parsed.from_name else parsed.from_address
    return _("E-mail from %(sender)s:") % {"sender": who}


def ticket_open_from_mail(*, parsed: ParsedMail, organization: Organization, contact: Contact | None, actor: Any,
                          kind: str, request_type: str, now: datetime, follow_up_of: str = "") -> tuple[TicketBase, list[str]]:
    """A new request or incident (channel e-mail) from a mail, with its attachments."""
    description = parsed.body or _("(The mail had no text.)")
    if not getattr(actor, "is_customer", False):
        description = f"{_sender_line(parsed)}\n\n{description}"
    if follow_up_of:
        description = _("Follow-up of %(number)s (closed).") % {"number": follow_up_of} + "\n\n" + description
    ticket: TicketBase
    if kind == OpenAs.INCIDENT:
        ticket = incident_create(actor=actor, organization=organization, title=_title(parsed),
                                 description=description, contact=contact, channel=Channel.EMAIL, now=now)
    else:
        ticket = request_create(actor=actor, organization=organization, title=_title(parsed),
                                description=description, request_type=request_type, contact=contact,
                                channel=Channel.EMAIL, now=now)
    notes = _attachments_add(ticket=ticket, author=actor, parsed=parsed, now=now)
    return ticket, notes


def _comment_add(*, ticket: TicketBase, parsed: ParsedMail, sender: Sender, now: datetime) -> list[str]:
    author = _author_for(sender, ticket.organization_id)
    body = parsed.body or _("(The mail had no text.)")
    if not author.is_customer:
        body = f"{_sender_line(parsed)}\n\n{body}"
    ticket_comment_add(ticket=ticket, author=author, body=body, public=True, now=now)
    return _attachments_add(ticket=ticket, author=author, parsed=parsed, now=now)


def _fill(inbound: InboundMail, parsed: ParsedMail) -> None:
    inbound.message_id = parsed.message_id[:998]
    inbound.from_address = parsed.from_address[:320]
    inbound.from_name = parsed.from_name[:200]
    inbound.subject = parsed.subject[:500]
    inbound.body = parsed.body
    inbound.auto_kind = parsed.auto_kind[:100]


def _own_addresses(mailbox: Mailbox) -> set[str]:
    own = {settings.DEFAULT_FROM_EMAIL.lower(), getattr(settings, "SERVER_EMAIL", "").lower()}
    own |= {m.lower() for m in Mailbox.objects.exclude(address="").values_list("address", flat=True)}
    if mailbox.address:
        own.add(mailbox.address.lower())
    from email.utils import parseaddr

    return {parseaddr(a)[1].lower() or a for a in own if a}


def _set_ticket(inbound: InboundMail, ticket: TicketBase) -> None:
    inbound.ticket_kind, inbound.ticket_id, inbound.ticket_number = ticket.KIND, ticket.pk, ticket.number
    inbound.organization_id = ticket.organization_id


def mail_process(*, inbound: InboundMail, raw: bytes, mailbox: Mailbox, now: datetime) -> InboundMail:
    """Decide what one mail becomes (see the module docstring) and record it on `inbound`."""
    try:
        parsed = parse_mail(raw, own_domains={message_id_domain()}, own_addresses=_own_addresses(mailbox))
    except MailRejected as exc:
        inbound.status, inbound.reason = InboundStatus.FAILED, f"Refused: {exc}"
        _header_fill(inbound, raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:65536])
        return inbound
    _fill(inbound, parsed)
    notes = list(parsed.notes)

    if parsed.auto_reply:
        inbound.status, inbound.reason = InboundStatus.IGNORED, f"Automatic reply or loop: {parsed.auto_kind}"
        return inbound
    if parsed.message_id and MailThread.objects.filter(message_id=parsed.message_id,
                                                       direction=MailDirection.OUTBOUND).exists():
        inbound.status, inbound.reason = InboundStatus.IGNORED, "Loop: our own Message-ID came back"
        return inbound
    if parsed.message_id:
        twin = (InboundMail.objects.filter(message_id=parsed.message_id)
                .exclude(pk=inbound.pk).exclude(status__in=[InboundStatus.FAILED, InboundStatus.CLAIMED]).first())
        if twin is not None:
            inbound.status = InboundStatus.IGNORED
            inbound.reason = f"Duplicate of inbound mail #{twin.pk} (same Message-ID)"
            return inbound
    if not parsed.from_address:
        inbound.status, inbound.reason, inbound.raw = InboundStatus.TRIAGE, "No valid sender address", raw
        return inbound
    recent = InboundMail.objects.filter(from_address=parsed.from_address, received_at__gte=now - timedelta(hours=1)) \
        .exclude(pk=inbound.pk).count()
    if recent >= sender_rate_limit():
        inbound.status = InboundStatus.IGNORED
        inbound.reason = f"Loop guard: {recent} mails from this sender in the last hour (limit {sender_rate_limit()})"
        return inbound

    sender = sender_identify(parsed.from_address)
    staff = staff_sender(parsed.from_address) if not sender.organization_ids else None
    if staff is not None:
        return _staff_reply(inbound=inbound, parsed=parsed, raw=raw, user=staff, notes=notes, now=now)
    match = thread_find(parsed, sender)
    if match.refused:
        notes.append(f"not threaded onto {', '.join(match.refused)}: the sender is not of that organisation")
    if match.ticket is not None and getattr(match.ticket, "status", "") not in CLOSED_STATUSES:
        notes += _comment_add(ticket=match.ticket, parsed=parsed, sender=sender, now=now)
        thread_record(message_id=parsed.message_id, direction=MailDirection.INBOUND, ticket=match.ticket, now=now)
        _set_ticket(inbound, match.ticket)
        inbound.contact = sender.contact_in(match.ticket.organization_id)
        inbound.status = InboundStatus.COMMENT
        inbound.reason = "; ".join([f"Reply threaded by {match.how} onto {match.ticket.number}", *notes])
        return inbound

    follow_up = match.ticket.number if match.ticket is not None else ""
    orgs = sender.organization_ids
    organization: Organization | None = None
    if len(orgs) == 1:
        organization = Organization.objects.get(pk=next(iter(orgs)))
    elif not orgs and mailbox.default_organization_id:
        organization = mailbox.default_organization
    if organization is None:
        inbound.status, inbound.raw = InboundStatus.TRIAGE, raw
        why = "Sender belongs to several organisations" if orgs else "Unknown sender"
        inbound.reason = "; ".join([why, *notes])
        return inbound

    contact = sender.contact_in(organization.pk)
    actor = _author_for(sender, organization.pk)
    ticket, more = ticket_open_from_mail(parsed=parsed, organization=organization, contact=contact, actor=actor,
                                         kind=kind_for(mailbox, parsed), request_type=mailbox.request_type, now=now,
                                         follow_up_of=follow_up)
    notes += more
    thread_record(message_id=parsed.message_id, direction=MailDirection.INBOUND, ticket=ticket, now=now)
    _set_ticket(inbound, ticket)
    inbound.contact = contact
    inbound.status = InboundStatus.TICKET
    inbound.reason = "; ".join([f"Opened {ticket.number}", *notes])
    if mailbox.send_acknowledgement and not parsed.auto_kind:
        language = ack_language(parsed)
        inbound_pk = inbound.pk
        transaction.on_commit(lambda: acknowledgement_send(inbound_id=inbound_pk, language=language), robust=True)
    elif parsed.auto_kind:
        inbound.reason += f"; not acknowledged (machine mail: {parsed.auto_kind})"
    return inbound


# --- acknowledgement ------------------------------------------------------------------------------


def ack_language(parsed: ParsedMail) -> str:
    """The sender's language: Content-Language when given, else Chinese when the mail has Chinese text."""
    declared = parsed.language.lower()
    if declared.startswith("zh"):
        return "zh-hans"
    if declared.startswith("en"):
        return "en"
    return "zh-hans" if has_cjk(f"{parsed.subject}\n{parsed.body}") else "en"


def acknowledgement_send(*, inbound_id: int, language: str) -> bool:
    """Tell the sender their mail opened ticket N (number in the subject, threaded to their mail).
    Sent at most once: the inbound mail's ack_sent flag is claimed by a conditional UPDATE."""
    claimed = InboundMail.objects.filter(pk=inbound_id, status=InboundStatus.TICKET, auto_kind="",
                                         ack_message_id="").update(ack_message_id="sending")
    if not claimed:
        return False
    inbound = InboundMail.objects.get(pk=inbound_id)
    ticket = ticket_load(inbound.ticket_kind, inbound.ticket_id or 0)
    if ticket is None:
        return False
    headers = outbound_headers(number=ticket.number)
    if inbound.message_id:
        headers["In-Reply-To"] = inbound.message_id
        headers["References"] = inbound.message_id
    headers["Auto-Submitted"] = "auto-replied"
    with translation.override(language):
        subject = header_text(f"[{ticket.number}] " + _("We received your mail: %(title)s") % {"title": ticket.title})
        route = "portal:incident" if ticket.KIND == TicketKind.INCIDENT else "portal:request"
        link = settings.SITE_URL + reverse(route, args=[ticket.pk])
        body = "\n\n".join([
            _("Thank you. Your mail has been recorded as ticket %(number)s.") % {"number": ticket.number},
            _("Reply to this mail to add to the ticket; keep %(number)s in the subject.") % {"number": ticket.number},
            _("Follow it in the customer portal: %(link)s") % {"link": link},
        ])
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [inbound.from_address], headers=headers).send()
    except Exception as exc:  # noqa: BLE001 - SMTP trouble: logged on the inbound mail, the ticket stands
        InboundMail.objects.filter(pk=inbound_id).update(
            ack_message_id="", reason=f"{inbound.reason}; acknowledgement failed: {type(exc).__name__}: {exc}"[:4000])
        return False
    InboundMail.objects.filter(pk=inbound_id).update(ack_message_id=headers["Message-ID"][:998])
    return True


# --- staff replies out by mail ----------------------------------------------------------------------


def reply_recipient(ticket: TicketBase) -> str:
    """Where a staff reply on a mail ticket goes: the contact's address, else the address of the
    customer's latest mail on it."""
    contact = getattr(ticket, "contact", None)
    if contact is not None and contact.email:
        return str(contact.email)
    latest = (InboundMail.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk)
              .exclude(from_address="").order_by("-received_at", "-id").first())
    return latest.from_address if latest is not None else ""


def public_comment_mail(*, comment_id: int) -> bool:
    """E-mail a staff member's public comment to the customer when the ticket has a mail thread
    (it came in by mail or was answered by mail): the subject carries the number, the headers the
    thread (In-Reply-To the latest message, References), so the customer's reply threads back."""
    from accounts.locale import reading_as
    from incidents.choices import SYSTEM_USERNAME
    from tickets.models import Comment

    comment = Comment.objects.select_related("author").filter(pk=comment_id, public=True).first()
    if comment is None or comment.author is None or comment.author.is_customer \
            or comment.author.username == SYSTEM_USERNAME:
        return False
    ticket = ticket_load(comment.ticket_kind, comment.ticket_id)
    if ticket is None or not MailThread.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk).exists():
        return False
    address = reply_recipient(ticket)
    if not address:
        return False
    contact = getattr(ticket, "contact", None)
    with reading_as(user=getattr(contact, "user", None)):
        subject = header_text(f"[{ticket.number}] " + _("Re: %(title)s") % {"title": ticket.title})
        route = "portal:incident" if ticket.KIND == TicketKind.INCIDENT else "portal:request"
        link = settings.SITE_URL + reverse(route, args=[ticket.pk])
        body = "\n\n".join([
            _("%(name)s replied on %(number)s:") % {"name": comment.author.display_name, "number": ticket.number},
            comment.body,
            _("Reply to this mail to add to the ticket; keep %(number)s in the subject.") % {"number": ticket.number},
            _("Follow it in the customer portal: %(link)s") % {"link": link},
        ])
    headers = outbound_headers(number=ticket.number)
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], headers=headers).send()
    except Exception:  # noqa: BLE001 - SMTP trouble: the comment stands; logged
        logger.exception("mailin: the reply on %s could not be e-mailed", ticket.number)
        return False
    return True


def public_comment_receive(sender: Any, comment_id: int, **kwargs: Any) -> bool:
    return public_comment_mail(comment_id=comment_id)


# --- polling --------------------------------------------------------------------------------------


@dataclass
class PollSummary:
    fetched: int = 0
    skipped: int = 0
    failed: int = 0
    error: str = ""
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "skipped": self.skipped, "failed": self.failed, "error": self.error,
                **self.statuses}


def _lease_take(mailbox_id: int, now: datetime) -> bool:
    return bool(Mailbox.objects.filter(pk=mailbox_id, is_active=True)
                .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
                .update(poll_lease_until=now + LEASE))


def _header_fill(inbound: InboundMail, header: bytes) -> None:
    """Sender and subject of a refused mail, read from its header block alone (for the log)."""
    from email import message_from_bytes
    from email.policy import compat32

    head = message_from_bytes(header, policy=compat32)
    inbound.from_address, inbound.from_name = sender_of(head)
    inbound.subject = decode_header_text(head.get("Subject", ""))


def _oversize(*, session: ImapSession, uid: int, size: int, mailbox: Mailbox, inbound: InboundMail) -> None:
    inbound.status = InboundStatus.FAILED
    inbound.reason = f"Refused: {size} bytes, over this mailbox's limit of {mailbox.max_message_bytes}"
    try:
        _header_fill(inbound, session.fetch(uid, header_only=True)[:65536])
    except ImapError:
        pass


def _one(*, session: ImapSession, mailbox: Mailbox, uidvalidity: int, uid: int, size: int, now: datetime,
         summary: PollSummary) -> None:
    try:
        with transaction.atomic():
            inbound = InboundMail.objects.create(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, size=size,
                                                 received_at=now)
            try:
                with transaction.atomic():
                    if size > mailbox.max_message_bytes:
                        _oversize(session=session, uid=uid, size=size, mailbox=mailbox, inbound=inbound)
                    else:
                        raw = session.fetch(uid)
                        inbound.size = len(raw)
                        mail_process(inbound=inbound, raw=raw, mailbox=mailbox, now=now)
                    inbound.processed_at = now
                    inbound.save()
            except ImapError:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad mail never stops the mailbox
                logger.exception("mailin: mail %s/%s/%s failed", mailbox.pk, uidvalidity, uid)
                InboundMail.objects.filter(pk=inbound.pk).update(
                    status=InboundStatus.FAILED, processed_at=now, reason=f"{type(exc).__name__}: {exc}"[:4000],
                    from_address=inbound.from_address[:320], subject=inbound.subject[:500],
                    message_id=inbound.message_id[:998], ticket_kind="", ticket_id=None, ticket_number="")
                inbound.status = InboundStatus.FAILED
    except IntegrityError:
        summary.skipped += 1  # another poller has (or had) this mail
        return
    summary.fetched += 1
    summary.statuses[inbound.status] = summary.statuses.get(inbound.status, 0) + 1
    if inbound.status == InboundStatus.FAILED:
        summary.failed += 1
    Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)


def mailbox_poll(*, mailbox_id: int, now: datetime | None = None) -> PollSummary:
    """Fetch and process the mails that arrived since the last poll. Safe to run twice at once."""
    summary = PollSummary()
    now = now or timezone.now()
    if not _lease_take(mailbox_id, now):
        summary.error = "busy or inactive"
        return summary
    mailbox = Mailbox.objects.select_related("default_organization").get(pk=mailbox_id)
    try:
        password = password_decrypt(mailbox.password_encrypted)
        with ImapSession(host=mailbox.host, port=mailbox.port, security=mailbox.security,
                         username=mailbox.username, password=password) as session:
            first_poll = mailbox.uidvalidity is None
            state = session.open_folder(mailbox.folder, after_uid=0 if first_poll else mailbox.last_uid)
            if mailbox.uidvalidity != state.uidvalidity:
                # A new UIDVALIDITY means every UID changed: start over (mails seen before are
                # recognised by their Message-ID). The very first poll skips what is already there
                # unless the mailbox says to process it.
                if not first_poll:
                    state = session.open_folder(mailbox.folder, after_uid=0)
                start = 0
                if first_poll and not mailbox.process_existing and state.uids:
                    start, state.uids = max(state.uids), []
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=state.uidvalidity, last_uid=start)
                mailbox.uidvalidity, mailbox.last_uid = state.uidvalidity, start
            uids = state.uids[:POLL_BATCH]
            sizes = session.sizes(uids)
            for uid in uids:
                _one(session=session, mailbox=mailbox, uidvalidity=state.uidvalidity, uid=uid,
                     size=sizes.get(uid, 0), now=timezone.now(), summary=summary)
    except (ImapError, ValueError) as exc:
        summary.error = str(exc)[:2000]
    finally:
        Mailbox.objects.filter(pk=mailbox_id).update(last_polled_at=now, last_error=summary.error,
                                                      poll_lease_until=None)
    return summary


def mailboxes_due() -> list[int]:
    return list(Mailbox.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


# --- triage ---------------------------------------------------------------------------------------


def _triage_lock(inbound_id: int) -> InboundMail:
    inbound = InboundMail.objects.select_for_update().filter(pk=inbound_id).first()
    if inbound is None:
        raise InboundMail.DoesNotExist
    if inbound.status != InboundStatus.TRIAGE:
        raise ValidationError({"__all__": [_("This mail has already been handled (%(status)s).")
                                           % {"status": inbound.get_status_display()}]})
    return inbound


@transaction.atomic
def triage_open_ticket(*, inbound_id: int, actor: Any, organization: Organization | None, contact: Contact | None,
                       open_as: str, now: datetime) -> TicketBase:
    """Staff decide: a triaged mail opens a ticket for `organization` (contact optional), attachments kept."""
    if not getattr(actor, "is_staff_member", False):
        raise ValidationError({"__all__": [_("Only staff handle the triage list.")]})
    inbound = _triage_lock(inbound_id)
    errors: dict[str, list[str]] = {}
    if organization is None:
        errors["organization"] = [_("Choose the organisation the mail is from.")]
    if contact is not None and organization is not None and contact.organization_id != organization.pk:
        errors["contact"] = [_("This contact belongs to another organisation.")]
    if open_as not in OpenAs.values:
        errors["open_as"] = [_("Choose a request or an incident.")]
    if errors:
        raise ValidationError(errors)
    assert organization is not None
    parsed = _parsed_again(inbound)
    ticket, notes = ticket_open_from_mail(parsed=parsed, organization=organization, contact=contact, actor=actor,
                                          kind=open_as, request_type=inbound.mailbox.request_type, now=now)
    thread_record(message_id=inbound.message_id, direction=MailDirection.INBOUND, ticket=ticket, now=now)
    _set_ticket(inbound, ticket)
    inbound.contact = contact
    inbound.status, inbound.handled_by, inbound.processed_at = InboundStatus.TRIAGED, actor, now
    inbound.reason = "; ".join([inbound.reason, f"Opened {ticket.number} from triage by {actor.username}", *notes])
    inbound.save()
    return ticket


def _parsed_again(inbound: InboundMail) -> ParsedMail:
    if inbound.raw:
        try:
            return parse_mail(bytes(inbound.raw))
        except MailRejected:
            pass
    return ParsedMail(message_id=inbound.message_id, from_address=inbound.from_address, from_name=inbound.from_name,
                      subject=inbound.subject, body=inbound.body)


@transaction.atomic
def triage_discard(*, inbound_id: int, actor: Any, note: str, now: datetime) -> InboundMail:
    """Staff decide a triaged mail needs nothing: it is marked discarded (kept, never deleted)."""
    if not getattr(actor, "is_staff_member", False):
        raise ValidationError({"__all__": [_("Only staff handle the triage list.")]})
    inbound = _triage_lock(inbound_id)
    inbound.status, inbound.handled_by, inbound.processed_at = InboundStatus.DISCARDED, actor, now
    note = header_text(note, limit=300)
    inbound.reason = "; ".join(p for p in [inbound.reason, f"Discarded by {actor.username}", note] if p)
    inbound.save()
    return inbound
