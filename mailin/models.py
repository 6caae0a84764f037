from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact, Organization
from tickets.choices import RequestType, TicketKind

from .choices import InboundStatus, MailDirection, OpenAs, Security

DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class Mailbox(models.Model):
    """An IMAP mailbox that beat polls: new mails become tickets, comments or triage entries.
    The password is stored encrypted (mailin/crypto.py) and never shown again."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("connection security"), max_length=10, choices=Security.choices,
                                default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    password_encrypted = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    address = models.EmailField(_("address of the mailbox"), blank=True,
                                help_text=_("Mail from this address is our own and never processed (loop guard)."))
    open_as = models.CharField(_("new mail opens"), max_length=10, choices=OpenAs.choices, default=OpenAs.REQUEST)
    request_type = models.CharField(_("request type"), max_length=20, choices=RequestType.choices,
                                    default=RequestType.SERVICE_REQUEST)
    incident_keywords = models.TextField(
        _("incident keywords"), blank=True,
        help_text=_("One per line or comma-separated: a new mail whose subject or text contains one opens an "
                    "incident, whatever this mailbox opens otherwise (e.g. 故障, down, outage)."))
    request_keywords = models.TextField(
        _("request keywords"), blank=True,
        help_text=_("One per line or comma-separated: a new mail containing one opens a service request."))
    default_organization = models.ForeignKey(
        Organization, verbose_name=_("default organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty (recommended): mail from unknown senders waits in triage. Set: it opens tickets for "
                    "this organisation without a contact."))
    process_existing = models.BooleanField(
        _("process mails already in the folder"), default=False,
        help_text=_("Off (recommended): the first poll only notes where the folder stands; mails that arrive "
                    "afterwards are processed. On: every mail already in the folder opens tickets too."))
    send_acknowledgement = models.BooleanField(_("acknowledge new tickets by mail"), default=True)
    max_message_bytes = models.PositiveIntegerField(_("largest mail accepted (bytes)"),
                                                    default=DEFAULT_MAX_MESSAGE_BYTES)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID seen"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    # Lease taken by a conditional UPDATE so two beats do not poll the same mailbox at once (the
    # unique claim of each mail is what guarantees exactly once; this only saves the work).
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


class InboundMail(models.Model):
    """One mail fetched from a mailbox and what was done with it (the inbound log). The unique
    (mailbox, UIDVALIDITY, UID) row is the claim: two pollers never process the same mail."""

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="mails")
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    uid = models.BigIntegerField(_("UID"))
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices,
                              default=InboundStatus.CLAIMED)
    reason = models.TextField(_("what was done"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    from_address = models.CharField(_("sender"), max_length=320, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    auto_kind = models.CharField(_("automatic mail"), max_length=100, blank=True)
    raw = models.BinaryField(_("raw mail"), null=True, blank=True, editable=False)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices, blank=True)
    ticket_id = models.BigIntegerField(_("ticket id"), null=True, blank=True)
    ticket_number = models.CharField(_("ticket"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    ack_message_id = models.CharField(_("acknowledgement Message-ID"), max_length=998, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mails")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"], name="inbound_mail_claim"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status"),
            models.Index(fields=["from_address", "received_at"], name="inbound_sender_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}/{self.uidvalidity}/{self.uid} {self.subject}"


class MailThread(models.Model):
    """A Message-ID known to belong to a ticket's mail thread: ours (sent about the ticket) or the
    customer's (the mail that opened it or a reply). Replies are threaded through it first."""

    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=MailDirection.choices)
    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices)
    ticket_id = models.BigIntegerField(_("ticket id"))
    ticket_number = models.CharField(_("ticket"), max_length=20)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("mail thread message")
        verbose_name_plural = _("mail thread messages")
        indexes = [models.Index(fields=["ticket_number", "created_at"], name="mailthread_ticket")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.ticket_number}"
