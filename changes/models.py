from __future__ import annotations

import secrets
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from cmdb.models import CI
from incidents.models import Incident
from problems.models import Problem
from tickets.choices import TicketKind
from tickets.models import Approval, Approver, TicketBase

from .choices import (
    ApprovalChannel,
    ApprovalState,
    CABRule,
    ChangeRisk,
    ChangeStatus,
    ChangeType,
    IncidentRelation,
    ReviewOutcome,
    VoteDecision,
    Weekday,
    WindowKind,
)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class ChangeTemplate(models.Model):
    """A pre-approved standard change (e.g. "replace a failed disk"): an admin defines its plans and
    risk once; changes raised from it skip the CAB, and the customer's approval too when the customer
    has pre-approved it (recorded here)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: offered for every organisation."),
    )
    risk = models.CharField(_("risk"), max_length=10, choices=ChangeRisk.choices, default=ChangeRisk.LOW)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("back-out plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    customer_preapproved = models.BooleanField(
        _("customer pre-approved"), default=False,
        help_text=_("The customer has approved this kind of change in advance: no approval per change."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self) -> str:
        return self.name


class CAB(models.Model):
    """A change advisory board: its members vote on normal changes (or, if it is the emergency CAB,
    on emergency ones). Approved at `quorum` approvals, or when every member approved."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="cabs")
    rule = models.CharField(_("approval rule"), max_length=10, choices=CABRule.choices, default=CABRule.QUORUM)
    quorum = models.PositiveSmallIntegerField(
        _("approvals needed"), default=2, help_text=_("Used with the quorum rule."),
    )
    is_emergency = models.BooleanField(_("emergency CAB"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("change advisory board")
        verbose_name_plural = _("change advisory boards")
        constraints = [models.CheckConstraint(condition=Q(quorum__gte=1), name="cab_quorum_positive")]

    def __str__(self) -> str:
        return self.name


class Change(TicketBase):
    """A request for change (CHG-…): what is changed on which CIs, why, how (and how to undo it), when;
    assessed for risk, approved by a CAB and by the customer, scheduled, implemented and reviewed.
    `assignee` is the change owner; `contact` the customer contact who approves."""

    KIND = TicketKind.CHANGE
    NUMBER_PREFIX = "CHG"

    type = models.CharField(_("type"), max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    template = models.ForeignKey(
        ChangeTemplate, verbose_name=_("standard change template"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="changes",
    )
    reason = models.TextField(_("reason"), blank=True)
    risk = models.CharField(_("risk"), max_length=10, choices=ChangeRisk.choices, default=ChangeRisk.LOW)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_answers = models.JSONField(_("risk questionnaire answers"), default=dict, blank=True)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("back-out plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    cis = models.ManyToManyField(CI, verbose_name=_("configuration items"), blank=True, related_name="changes")
    problems = models.ManyToManyField(
        Problem, verbose_name=_("problems fixed"), blank=True, related_name="changes",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    cab = models.ForeignKey(
        CAB, verbose_name=_("CAB"), null=True, blank=True, on_delete=models.PROTECT, related_name="changes",
    )
    # Which CAB voting round is open; a change sent back to draft after a rejection votes afresh.
    cab_round = models.PositiveSmallIntegerField(_("CAB round"), default=0)
    customer_approval_required = models.BooleanField(_("customer approval required"), default=True)
    review_required = models.BooleanField(
        _("post-hoc review required"), default=False,
        help_text=_("Emergency changes are reviewed by the CAB after the fact."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    cab_approved_at = models.DateTimeField(_("CAB approved at"), null=True, blank=True)
    customer_approved_at = models.DateTimeField(_("customer approved at"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    actual_start = models.DateTimeField(_("implementation started"), null=True, blank=True)
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    backed_out_at = models.DateTimeField(_("backed out at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    outcome_note = models.TextField(_("implementation notes"), blank=True)
    reject_reason = models.TextField(_("rejection reason"), blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    conflict_override_reason = models.TextField(_("conflict override reason"), blank=True)
    conflict_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("conflicts overridden by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    @property
    def votes(self) -> Any:
        """The CAB's votes on this change, every round."""
        return CABVote.objects.of_change(self)

    @property
    def customer_approvals(self) -> Any:
        """The requests to the customer to approve this change, and the answers."""
        return CustomerApproval.objects.of_change(self)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(fields=["organization", "status", "reported_at"], name="chg_org_status_rep"),
            models.Index(fields=["status", "reported_at"], name="chg_status_rep"),
            models.Index(fields=["-reported_at", "-id"], name="chg_reported_desc"),
            models.Index(fields=["planned_start", "planned_end"], name="chg_window"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True) | Q(planned_end__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="chg_window_ordered",
            ),
        ]


# The change's two approval steps are the kernel's (tickets/approvals.py), one Approval per stage
# and round on the change: the CAB's (internal, approvers = the CAB's members, the CAB's rule) and
# the customer's (approvers = the organisation's portal users and the contact's e-mail address for
# the signed link). `CABVote` and `CustomerApproval` are read views of those rows (proxy models).
CAB_STAGE = "cab"
CUSTOMER_STAGE = "customer"


class ChangeApprovalQuerySet(models.QuerySet):  # type: ignore[type-arg]
    change_field = "ticket_id"

    def of_change(self, change: Any) -> Any:
        return self.filter(**{self.change_field: getattr(change, "pk", change)})


class _StageManager(models.Manager):  # type: ignore[type-arg]
    prefix = ""
    stage = ""

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(**{f"{self.prefix}ticket_kind": TicketKind.CHANGE,
                                                f"{self.prefix}stage": self.stage})


class CustomerApprovalManager(_StageManager.from_queryset(ChangeApprovalQuerySet)):  # type: ignore[misc]
    stage = CUSTOMER_STAGE


class CustomerApproval(Approval):
    """The request to the customer to approve a change and its answer: the change's `customer`
    approval step, with the signed link's row (the approver without an account) and the deciding
    approver's answer read as before (state, email, emailed_at, used_at, decided_by, …)."""

    objects = CustomerApprovalManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer approval")
        verbose_name_plural = _("customer approvals")

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        for cached in ("_rows", "change"):
            self.__dict__.pop(cached, None)
        getattr(self, "_prefetched_objects_cache", {}).pop("approvers", None)

    @cached_property
    def _rows(self) -> list[Approver]:
        return sorted(self.approvers.all(), key=lambda a: (a.position, a.pk))

    @property
    def link_approver(self) -> Approver | None:
        """The row the signed link is e-mailed to: the approver with an e-mail address and no account."""
        return next((a for a in self._rows if a.email and a.user_id is None), None)

    @property
    def decider(self) -> Approver | None:
        decided = [a for a in self._rows if a.decision]
        return min(decided, key=lambda a: (a.decided_at, a.pk)) if decided else None

    @property
    def change_id(self) -> int:
        return self.ticket_id

    @cached_property
    def change(self) -> Change:
        return Change.objects.get(pk=self.ticket_id)

    @property
    def email(self) -> str:
        row = self.link_approver
        return row.email if row else ""

    @property
    def nonce(self) -> str:
        row = self.link_approver
        return row.nonce if row else ""

    @property
    def emailed_at(self) -> datetime | None:
        row = self.link_approver
        return row.emailed_at if row else None

    @property
    def used_at(self) -> datetime | None:
        row = self.link_approver
        return row.used_at if row else None

    # Delivery of the link e-mail (kept on the link's approver row): tries so far, the last error, and
    # when it was given up (failed; staff may send it again from the change page).
    @property
    def email_attempts(self) -> int:
        row = self.link_approver
        return row.email_attempts if row else 0

    @property
    def email_error(self) -> str:
        row = self.link_approver
        return row.email_error if row else ""

    @property
    def email_failed_at(self) -> datetime | None:
        row = self.link_approver
        return row.email_failed_at if row else None

    @property
    def email_status(self) -> str:
        """The link e-mail: "sent", "failed" (given up, `email_error` says why), "queued" (still to go,
        retried by the sweep) or "" (no address, or the approval no longer waits for it)."""
        if self.emailed_at:
            return "sent"
        if self.email_failed_at:
            return "failed"
        return "queued" if self.email and self.state == ApprovalState.PENDING else ""

    @property
    def expires_at(self) -> datetime:
        from .links import LINK_LIFETIME

        return self.created_at + LINK_LIFETIME

    @property
    def decided_by(self) -> Any:
        row = self.decider
        return row.user if row else None

    @property
    def decided_by_id(self) -> int | None:
        row = self.decider
        return row.user_id if row else None

    @property
    def decided_by_name(self) -> str:
        row = self.decider
        return row.decided_by_name if row else ""

    @property
    def decided_via(self) -> str:
        row = self.decider
        return row.decided_via if row else ""

    def get_decided_via_display(self) -> str:
        return str(dict(ApprovalChannel.choices).get(self.decided_via, ""))

    @property
    def comment(self) -> str:
        row = self.decider
        return row.comment if row else ""


class CABVoteQuerySet(ChangeApprovalQuerySet):
    change_field = "approval__ticket_id"


class CABVoteManager(_StageManager.from_queryset(CABVoteQuerySet)):  # type: ignore[misc]
    prefix = "approval__"
    stage = CAB_STAGE

    def get_queryset(self) -> Any:
        # `round` and `created_at` are columns of the vote as before (ordering, cursor paging, filters).
        return super().get_queryset().exclude(decision="").annotate(round=F("approval__round"),
                                                                    created_at=F("decided_at"))


class CABVote(Approver):
    """One CAB member's vote on one round of a change: a decided approver of the change's `cab`
    approval (one approval per round; `round` and `created_at` are annotated by the manager). A
    vote cannot be changed: the record is what the member decided at the time."""

    objects = CABVoteManager()  # type: ignore[misc]

    class Meta:
        proxy = True
        ordering = ["decided_at", "id"]
        verbose_name = _("CAB vote")
        verbose_name_plural = _("CAB votes")

    @property
    def member(self) -> Any:
        return self.user

    @property
    def member_id(self) -> int | None:
        return self.user_id

    @property
    def change_id(self) -> int:
        return self.approval.ticket_id


class LegacyCABVote(models.Model):
    """A CAB vote as stored before the votes moved onto the approval step (migration
    0004_approvals_on_the_kernel copied every row to an Approver). Kept read-only."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=10, choices=VoteDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("voted at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("CAB vote (before the approval step)")
        verbose_name_plural = _("CAB votes (before the approval step)")
        constraints = [
            models.UniqueConstraint(fields=["change", "round", "member"], name="cab_vote_once"),
        ]


class LegacyCustomerApproval(models.Model):
    """A customer approval as stored before it moved onto the approval step (copied to an Approval
    with its approvers by migration 0004_approvals_on_the_kernel; links e-mailed before still work
    through the copied nonce). Kept read-only."""

    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=ApprovalState.choices, default=ApprovalState.PENDING)
    nonce = models.CharField(max_length=40, default=new_nonce, editable=False)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("link expires at"))
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    used_at = models.DateTimeField(_("link used at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by_name = models.CharField(_("decided by (name)"), max_length=150, blank=True)
    decided_via = models.CharField(_("answered through"), max_length=10, choices=ApprovalChannel.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    migrated_to = models.ForeignKey(
        Approval, verbose_name=_("moved to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer approval (before the approval step)")
        verbose_name_plural = _("customer approvals (before the approval step)")
        constraints = [
            models.UniqueConstraint(fields=["change"], condition=Q(state="pending"), name="cust_approval_one_pending"),
        ]


class ChangeReview(models.Model):
    """The post-implementation review: did the change meet its objective, what was learnt."""

    change = models.OneToOneField(Change, verbose_name=_("change"), on_delete=models.PROTECT, related_name="review")
    outcome = models.CharField(_("outcome"), max_length=15, choices=ReviewOutcome.choices)
    objectives_met = models.BooleanField(_("objectives met"), default=True)
    notes = models.TextField(_("review notes"), blank=True)
    lessons = models.TextField(_("lessons learnt"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"))

    class Meta:
        verbose_name = _("post-implementation review")
        verbose_name_plural = _("post-implementation reviews")


class ChangeIncidentLink(models.Model):
    """An incident the change caused, or one opened because the change failed."""

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.PROTECT, related_name="incident_links",
    )
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="change_links",
    )
    relation = models.CharField(
        _("relation"), max_length=20, choices=IncidentRelation.choices, default=IncidentRelation.CAUSED_BY,
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("linked at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change–incident link")
        verbose_name_plural = _("change–incident links")
        constraints = [models.UniqueConstraint(fields=["change", "incident"], name="chg_incident_once")]


class FreezeWindow(models.Model):
    """A period in which no change should be carried out (holidays, major events, exams…), for one
    organisation or for everyone. Blocking windows refuse scheduling; others only warn."""

    name = models.CharField(_("name"), max_length=200)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty: applies to every organisation."),
    )
    blocking = models.BooleanField(_("blocking"), default=True, help_text=_("Unticked: only a warning."))
    reason = models.TextField(_("reason"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("freeze window")
        verbose_name_plural = _("freeze windows")
        indexes = [models.Index(fields=["start", "end"], name="freeze_span")]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="freeze_ordered")]

    def __str__(self) -> str:
        return self.name


class MaintenanceWindow(models.Model):
    """A slot agreed with an organisation in which changes may be carried out: weekly (weekday,
    start and end time, end ≤ start meaning the next day) or one-off (start and end). A change outside
    every window of its organisation warns, or is refused when any of those windows is blocking."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=WindowKind.choices, default=WindowKind.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    start = models.DateTimeField(_("start"), null=True, blank=True)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    blocking = models.BooleanField(
        _("blocking"), default=False, help_text=_("Changes outside the organisation's windows are refused."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organization", "kind", "weekday", "start_time", "start", "id"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="weekly", weekday__isnull=False, start_time__isnull=False, end_time__isnull=False)
                           | Q(kind="one_off", start__isnull=False, end__isnull=False, end__gt=F("start"))),
                name="maint_window_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name or str(self.get_kind_display())
