from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact, Organization, SupportGroup
from opsdesk.search_index import TrigramIndex

from .choices import (
    ApprovalDecision,
    ApprovalOrder,
    ApprovalRule,
    ApprovalStepState,
    ApprovalVia,
    CalendarDayKind,
    CalendarDaySource,
    CallOutcome,
    Channel,
    ClockKind,
    ClockState,
    EscalationRecipient,
    EventAction,
    RequestStatus,
    RequestType,
    SLATargetName,
    TicketKind,
)


class TicketQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> TicketQuerySet:
        """The tenancy choke point (DESIGN.md rule 3): customers see their organisation only,
        inactive or anonymous users see nothing. Every selector, viewset and portal view starts here."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser or not user.is_customer:
            return self
        return self.filter(organization_id=user.organization_id)

    @staticmethod
    def visibility_key(user: Any) -> tuple[Any, ...]:
        """Everything `visible_to(user)` depends on, as a hashable key: statements compiled once and
        reused for every user with the same key (opsdesk.statements.compiled_get) are cached under it.
        Change the two together (tests/kernel/test_statements.py checks they agree)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return ("none",)
        if user.is_superuser or not user.is_customer:
            return ("all",)
        return ("organization", user.organization_id)


class TicketBase(models.Model):
    """Fields every ticket type shares. Status is written only by the type's transition service."""

    KIND: str = ""
    NUMBER_PREFIX: str = ""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+",
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    group = models.ForeignKey(
        SupportGroup, verbose_name=_("support group"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"))
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic concurrency: every write bumps it; a write carrying a stale value is refused (409).
    version = models.PositiveIntegerField(_("version"), default=1)
    # Head of this ticket's tamper-evident event chain (see tickets/audit.py).
    audit_seq = models.PositiveIntegerField(default=0, editable=False)
    audit_head = models.CharField(max_length=64, blank=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ServiceRequest(TicketBase):
    """A consultation, service request, complaint or training request (REQ-…)."""

    KIND = TicketKind.REQUEST
    NUMBER_PREFIX = "REQ"

    request_type = models.CharField(
        _("request type"), max_length=20, choices=RequestType.choices, default=RequestType.SERVICE_REQUEST,
    )
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW)
    resolution = models.TextField(_("resolution"), blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["organization", "status", "reported_at"], name="req_org_status_rep"),
            models.Index(fields=["assignee", "status", "reported_at"], name="req_assignee_status"),
            models.Index(fields=["-reported_at", "-id"], name="req_reported_desc"),
            # The search box's words over every organisation (search/selectors.py): icontains by index.
            TrigramIndex(fields=["number"], name="req_trgm_number"),
            TrigramIndex(fields=["title"], name="req_trgm_title"),
            TrigramIndex(fields=["description"], name="req_trgm_description"),
        ]


class TicketEvent(models.Model):
    """One append-only entry of a ticket's history, chained by hash to its predecessor."""

    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices)
    ticket_id = models.BigIntegerField(_("ticket id"))
    seq = models.PositiveIntegerField(_("sequence"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=30, choices=EventAction.choices)
    data = models.JSONField(_("data"), default=dict)
    public = models.BooleanField(_("visible to customer"), default=False)
    created_at = models.DateTimeField(_("time"))
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # Id of the HMAC key that signed `hash` (settings.AUDIT_HMAC_KEY_ID); "" = a plain SHA-256 event
    # written before the chain was keyed (tickets/audit.py).
    key_id = models.CharField(_("key id"), max_length=40, blank=True, default="")

    class Meta:
        ordering = ["ticket_kind", "ticket_id", "seq"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        constraints = [
            models.UniqueConstraint(fields=["ticket_kind", "ticket_id", "seq"], name="event_chain_unique"),
        ]


class TimelineEntry(models.Model):
    """Shared fields of what people add to a ticket's timeline; never deleted."""

    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices)
    ticket_id = models.BigIntegerField(_("ticket id"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class Comment(TimelineEntry):
    """A public comment (the customer sees it) or an internal note."""

    body = models.TextField(_("text"))
    public = models.BooleanField(_("public"), default=False)

    class Meta(TimelineEntry.Meta):
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket_kind", "ticket_id", "created_at"], name="comment_ticket")]


class WorkLog(TimelineEntry):
    """Time an engineer spent on a ticket."""

    minutes = models.PositiveIntegerField(_("minutes spent"))
    note = models.TextField(_("what was done"))
    work_date = models.DateField(_("work date"))

    class Meta(TimelineEntry.Meta):
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        indexes = [models.Index(fields=["ticket_kind", "ticket_id", "created_at"], name="worklog_ticket")]


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.ticket_kind}/{instance.ticket_id}/{instance.sha256[:16]}-{filename}"


class Attachment(TimelineEntry):
    """A file attached to a ticket; its SHA-256 is recorded in the event chain."""

    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    sha256 = models.CharField(max_length=64)
    public = models.BooleanField(_("public"), default=False)

    class Meta(TimelineEntry.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["ticket_kind", "ticket_id", "created_at"], name="attachment_ticket")]


class CallRecord(models.Model):
    """One hotline call, answered or missed: the basis of the connect rate (接通率)."""

    received_at = models.DateTimeField(_("received at"))
    caller_phone = models.CharField(_("caller phone"), max_length=40, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=CallOutcome.choices, default=CallOutcome.ANSWERED)
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("operator"), null=True, blank=True, on_delete=models.PROTECT,
    )
    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices, blank=True)
    ticket_id = models.BigIntegerField(_("ticket id"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        indexes = [models.Index(fields=["received_at"], name="call_received")]


class NumberCounter(models.Model):
    """Ticket-number counter for databases without sequences (SQLite); PostgreSQL uses sequences."""

    prefix = models.CharField(max_length=10, primary_key=True)
    value = models.BigIntegerField(default=0)


# --- SLA configuration (DESIGN.md rule 10: configuration is data) ------------------------------

def default_week() -> dict[str, list[list[str]]]:
    day = [["09:00", "12:00"], ["13:30", "18:00"]]
    return {str(d): (day if d < 5 else []) for d in range(7)}


class WorkCalendar(models.Model):
    """Working hours per weekday plus dated exceptions (holidays, make-up working days 调休)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # {"0": [["09:00", "12:00"], ["13:30", "18:00"]], …, "6": []}; 0 = Monday
    week = models.JSONField(_("working hours per weekday"), default=default_week)
    makeup_weekday = models.PositiveSmallIntegerField(
        _("make-up days follow the hours of weekday"), default=0,
        help_text=_("0 = Monday … 6 = Sunday"),
    )
    holiday_country = models.CharField(_("public holidays of (country code)"), max_length=8, default="CN", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("work calendar")
        verbose_name_plural = _("work calendars")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """One dated exception to a calendar's week: a holiday, or a make-up working day."""

    calendar = models.ForeignKey(WorkCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE,
                                 related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=CalendarDaySource.choices,
                              default=CalendarDaySource.ADMIN)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """Whether a year's holidays are official data; an unconfirmed year is shown as such, not guessed."""

    calendar = models.ForeignKey(WorkCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE,
                                 related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    confirmed = models.BooleanField(_("official data"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year_unique")]


class SLAPolicy(models.Model):
    """Targets per fault level for one organisation's contract, or the default policy."""

    name = models.CharField(_("name"), max_length=100)
    organization = models.OneToOneField(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sla_policy", help_text=_("Empty: the default policy for organisations without their own."),
    )
    calendar = models.ForeignKey(WorkCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT,
                                 related_name="policies")
    warn_thresholds = models.JSONField(_("warning thresholds (% of the target)"), default=list)
    observation_days = models.PositiveSmallIntegerField(_("observation period (days)"), default=7)
    escalation_step = models.DurationField(
        _("escalate again every"), null=True, blank=True,
        help_text=_("While a target stays breached, climb one more escalation level after this time."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(organization__isnull=True),
                                    name="one_default_sla_policy"),
        ]

    def __str__(self) -> str:
        return self.name


class SLATarget(models.Model):
    """One target of one fault level in a policy: e.g. level I, restore, 4 h, 24×7."""

    policy = models.ForeignKey(SLAPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="targets")
    fault_level = models.CharField(_("fault level"), max_length=3)
    target = models.CharField(_("target"), max_length=10, choices=SLATargetName.choices)
    duration = models.DurationField(_("duration"), null=True, blank=True,
                                    help_text=_("Empty with no business days: no target."))
    business_days = models.PositiveSmallIntegerField(_("business days"), null=True, blank=True)
    clock = models.CharField(_("clock"), max_length=10, choices=ClockKind.choices, default=ClockKind.ALWAYS)

    class Meta:
        ordering = ["policy", "fault_level", "target"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "fault_level", "target"], name="sla_target_unique"),
            models.CheckConstraint(condition=models.Q(duration__isnull=True) | models.Q(business_days__isnull=True),
                                   name="sla_target_one_unit"),
        ]


class EscalationStep(models.Model):
    """Who is told at each escalation level (1–4), for one organisation or by default."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="escalation_steps",
    )
    level = models.PositiveSmallIntegerField(_("escalation level"))
    recipient = models.CharField(_("recipient"), max_length=20, choices=EscalationRecipient.choices)
    role = models.CharField(_("role"), max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["organization", "level"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="escalation_level_1_4"),
        ]


class SLAClock(models.Model):
    """One running target of one ticket. Deadlines and the next instant worth checking are stored,
    so the beat sweep only reads rows whose `next_check_at` has passed (DESIGN.md rule 5)."""

    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices)
    ticket_id = models.BigIntegerField(_("ticket id"))
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    target = models.CharField(_("target"), max_length=10, choices=SLATargetName.choices)
    clock = models.CharField(_("clock"), max_length=10, choices=ClockKind.choices, default=ClockKind.ALWAYS)
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    # [{"pct": 50, "at": "…iso…"}, …] computed with the calendar when the clock (re)starts
    warnings = models.JSONField(_("warning times"), default=list)
    warned_pct = models.PositiveSmallIntegerField(_("highest warning sent (%)"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations caused"), default=0)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket_kind", "ticket_id", "target"], name="sla_clock_unique"),
        ]
        indexes = [
            models.Index(fields=["next_check_at"], name="sla_clock_sweep",
                         condition=models.Q(next_check_at__isnull=False)),
            models.Index(fields=["ticket_kind", "ticket_id"], name="sla_clock_ticket"),
        ]


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent with an API create: the first response is kept until
    `expires_at` and replayed to a retry of the same request (tickets/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]


class AuditAnchor(models.Model):
    """One organisation's daily digest over the head of every one of its ticket chains, chained to
    the previous day's; the customer receives it (portal, monthly report) — tickets/anchors.py."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    day = models.DateField(_("day"))
    cutoff = models.DateTimeField(_("covers events before"))
    digest = models.CharField(_("digest"), max_length=64)
    prev_digest = models.CharField(_("previous digest"), max_length=64, blank=True)
    tickets = models.PositiveIntegerField(_("tickets covered"))
    events = models.PositiveBigIntegerField(_("events covered"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["organization", "-day"]
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="audit_anchor_one_per_day")]


def approval_nonce() -> str:
    import secrets

    return secrets.token_urlsafe(16)


class Approval(models.Model):
    """One approval step on a ticket of any kind (generic: kind + id): who decides, in which order,
    by which rule, by when. Its decision moves the ticket through the transition engine
    (`approve_action` / `reject_action` of the kind's workflow table); see tickets/approvals.py."""

    ticket_kind = models.CharField(_("ticket type"), max_length=20)
    ticket_id = models.BigIntegerField(_("ticket id"))
    stage = models.CharField(_("stage"), max_length=40, help_text=_("e.g. company, customer, cab"))
    # A ticket sent back and resubmitted is decided afresh: one approval per stage and round.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    internal = models.BooleanField(
        _("internal"), default=False,
        help_text=_("Decisions and their reasons are for staff only (e.g. a CAB's votes)."),
    )
    order = models.CharField(_("order"), max_length=12, choices=ApprovalOrder.choices, default=ApprovalOrder.PARALLEL)
    rule = models.CharField(_("approval rule"), max_length=10, choices=ApprovalRule.choices,
                            default=ApprovalRule.QUORUM)
    quorum = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    state = models.CharField(_("state"), max_length=10, choices=ApprovalStepState.choices,
                             default=ApprovalStepState.PENDING)
    approve_action = models.CharField(_("action on approval"), max_length=40)
    reject_action = models.CharField(_("action on rejection"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("requested at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("escalate to"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [
            models.Index(fields=["ticket_kind", "ticket_id"], name="approval_ticket"),
            models.Index(fields=["due_at"], name="approval_pending_due", condition=models.Q(state="pending")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket_kind", "ticket_id", "stage"], condition=models.Q(state="pending"),
                                    name="approval_one_pending_stage"),
            models.CheckConstraint(condition=models.Q(quorum__gte=1), name="approval_quorum_positive"),
        ]


class Approver(models.Model):
    """One person asked to decide an approval: a user (portal or staff) and/or an e-mail address
    for the signed single-use link. `position` orders sequential approvals."""

    approval = models.ForeignKey(Approval, verbose_name=_("approval"), on_delete=models.PROTECT,
                                 related_name="approvers")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    email = models.EmailField(_("email"), blank=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    nonce = models.CharField(max_length=40, default=approval_nonce, editable=False)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # Delivery of the e-mailed link: failed tries, the last error, and when it was given up (staff may
    # send it again; see changes.services.customer_approval_mail_retry).
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.TextField(_("last e-mail error"), blank=True)
    email_failed_at = models.DateTimeField(_("e-mail failed at"), null=True, blank=True)
    used_at = models.DateTimeField(_("link used at"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=ApprovalDecision.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_via = models.CharField(_("answered through"), max_length=10, choices=ApprovalVia.choices, blank=True)
    decided_by_name = models.CharField(_("decided by (name)"), max_length=150, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["approval", "position", "id"]
        verbose_name = _("approver")
        verbose_name_plural = _("approvers")
        constraints = [
            models.UniqueConstraint(fields=["approval", "user"], condition=models.Q(user__isnull=False),
                                    name="approver_once"),
        ]
