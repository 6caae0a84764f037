from __future__ import annotations

from datetime import UTC, datetime

from django.db import models
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cmdb.models import CI
from opsdesk.search_index import TrigramIndex
from tickets.choices import TicketKind
from tickets.models import TicketBase

from .choices import OPEN_STATUSES, QUEUE_STATUSES, CauseCategory, FaultLevel, Impact, IncidentStatus, Urgency

# Work lists run by the nearest deadline. A keyset cannot compare NULLs, so an incident without a
# running clock sorts as if due at this far-future instant; the same expression is indexed below.
NO_DEADLINE = datetime(3000, 1, 1, tzinfo=UTC)


def sla_order_expression() -> Coalesce:
    return Coalesce(F("sla_next_due"), Value(NO_DEADLINE, output_field=DateTimeField()),
                    output_field=DateTimeField())


class Incident(TicketBase):
    """A fault reported by a customer, a monitor or an inspection, handled to fault level I–IV."""

    KIND = TicketKind.INCIDENT
    NUMBER_PREFIX = "INC"

    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW)
    fault_level = models.CharField(_("fault level"), max_length=3, choices=FaultLevel.choices)
    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices, default=Impact.LOW)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.LOW)
    level_reason = models.TextField(_("reason for the fault level"), blank=True)
    ci = models.ForeignKey(
        CI, verbose_name=_("configuration item"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="incidents",
    )
    onsite_at = models.DateTimeField(_("on site at"), null=True, blank=True)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    workaround = models.TextField(_("workaround / restoration"), blank=True)
    cause_category = models.CharField(_("cause category"), max_length=20, choices=CauseCategory.choices, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    observation_until = models.DateTimeField(_("observation ends"), null=True, blank=True)
    # SLA: deadlines are computed at write time and stored (DESIGN.md rule 5).
    respond_due = models.DateTimeField(_("response due"), null=True, blank=True)
    onsite_due = models.DateTimeField(_("on-site due"), null=True, blank=True)
    restore_due = models.DateTimeField(_("restore due"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA clock paused at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # The nearest unmet deadline of any running clock: the dispatcher queue's order.
    sla_next_due = models.DateTimeField(_("next deadline"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            # Dispatcher queue: unassigned open incidents by level, then the nearest deadline, then age.
            models.Index(
                F("fault_level"), sla_order_expression(), F("reported_at"), F("id"), name="inc_dispatch_queue",
                condition=Q(assignee__isnull=True, status__in=QUEUE_STATUSES),
            ),
            # An engineer's open work, in the same order (the assignee is an equality, so it goes first).
            models.Index(
                F("assignee"), sla_order_expression(), F("fault_level"), F("reported_at"), F("id"),
                name="inc_my_work", condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["organization", "status", "reported_at"], name="inc_org_status_rep"),
            models.Index(fields=["organization", "reported_at"], name="inc_org_rep"),
            models.Index(fields=["status", "reported_at"], name="inc_status_rep"),
            models.Index(fields=["-reported_at", "-id"], name="inc_reported_desc"),
            models.Index(fields=["ci", "status"], name="inc_ci_status"),
            # The search box's words over every organisation (search/selectors.py): icontains by index.
            TrigramIndex(fields=["number"], name="inc_trgm_number"),
            TrigramIndex(fields=["title"], name="inc_trgm_title"),
            TrigramIndex(fields=["description"], name="inc_trgm_description"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(escalation_level__lte=4), name="inc_escalation_0_4"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ProgressUpdate(models.Model):
    """A progress report on a major incident (due every hour for level I until restored); the
    customer sees them as a timeline."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="progress_updates")
    author = models.ForeignKey("accounts.User", verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("progress"))
    created_at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")


class FaultReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class FaultReport(models.Model):
    """The written fault-handling analysis report (故障处理分析报告, ST.FO05-96), due within 3 days of
    resolution for every I–IV incident."""

    incident = models.OneToOneField(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                    related_name="fault_report")
    author = models.ForeignKey("accounts.User", verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("fault description"), blank=True)
    cause = models.TextField(_("cause analysis"), blank=True)
    handling = models.TextField(_("handling process"), blank=True)
    prevention = models.TextField(_("preventive measures"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=FaultReportStatus.choices,
                              default=FaultReportStatus.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("fault report")
        verbose_name_plural = _("fault reports")


class SpareLoan(models.Model):
    """A standby device lent to the customer while a faulty one is repaired (within 24 h when a
    fault is not fixed in time), tracked until the repaired device is back."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="spare_loans")
    faulty_ci = models.ForeignKey(CI, verbose_name=_("faulty device"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    standby_ci = models.ForeignKey(CI, verbose_name=_("standby device"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("standby device"), max_length=200)
    lent_at = models.DateTimeField(_("lent at"))
    lent_by = models.ForeignKey("accounts.User", verbose_name=_("lent by"), on_delete=models.PROTECT,
                                related_name="+")
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    due_back = models.DateTimeField(_("due back"), null=True, blank=True,
                                    help_text=_("When the standby device is expected back (optional)."))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-lent_at"]
        verbose_name = _("spare device loan")
        verbose_name_plural = _("spare device loans")


class ObservationItem(models.Model):
    """One line of the observation checklist (观察期 Check List) every resolved incident is
    watched against before it closes. Admin data."""

    text = models.CharField(_("check"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("observation checklist item")
        verbose_name_plural = _("observation checklist items")

    def __str__(self) -> str:
        return self.text


class ObservationCheck(models.Model):
    """The latest result of one checklist item for one incident in its observation period."""

    class Result(models.TextChoices):
        OK = "ok", _("OK")
        PROBLEM = "problem", _("Problem found")

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="observation_checks")
    item = models.ForeignKey(ObservationItem, verbose_name=_("check"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = models.ForeignKey("accounts.User", verbose_name=_("checked by"), on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        ordering = ["item__position", "item_id"]
        verbose_name = _("observation check")
        verbose_name_plural = _("observation checks")
        constraints = [models.UniqueConstraint(fields=["incident", "item"], name="observation_check_unique")]
