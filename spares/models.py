from __future__ import annotations

from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from changes.models import Change
from cmdb.models import CI, CIClass
from incidents.models import Incident, SpareLoan

from .choices import RMA_CLOSED, MovementKind, MovementStatus, ReplacementDecision, RMAStatus


def _is_staff(user: Any) -> bool | None:
    """True for staff, False for a customer, None for nobody (anonymous or inactive)."""
    if not user.is_authenticated or not user.is_active:
        return None
    return bool(user.is_superuser or not user.is_customer)


class StoreroomQuerySet(models.QuerySet["Storeroom"]):
    def visible_to(self, user: Any) -> StoreroomQuerySet:
        """Staff see every storeroom; a customer only those on site at their organisation."""
        staff = _is_staff(user)
        if staff is None:
            return self.none()
        return self if staff else self.filter(organization_id=user.organization_id)


class Storeroom(models.Model):
    """A place spare parts are kept: on site at a customer organisation, or the provider's own
    store (no organisation)."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="storerooms",
                                     help_text=_("Empty for the provider's own storeroom."))
    location = models.CharField(_("location"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = StoreroomQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("storeroom")
        verbose_name_plural = _("storerooms")

    def __str__(self) -> str:
        return self.name


class SparePartQuerySet(models.QuerySet["SparePart"]):
    def visible_to(self, user: Any) -> SparePartQuerySet:
        """Staff see every part; a customer the parts held in their organisation's storerooms."""
        staff = _is_staff(user)
        if staff is None:
            return self.none()
        if staff:
            return self
        return self.filter(pk__in=Stock.objects.filter(storeroom__organization_id=user.organization_id)
                           .values("part_id"))


class SparePart(models.Model):
    """A stocked part or standby unit, one row per make and model (e.g. a switch PSU, a camera)."""

    part_number = models.CharField(_("part number"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True, db_index=True,
                             help_text=_("The device model it fits or replaces (matched against CIs)."))
    ci_class = models.ForeignKey(CIClass, verbose_name=_("CI class"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="spare_parts")
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    reorder_level = models.PositiveIntegerField(
        _("reorder level"), default=0,
        help_text=_("Reorder when the stock across all storerooms is at or below this; 0 = never."))
    approval_required = models.BooleanField(
        _("approval required"), default=False,
        help_text=_("Every issue and write-off of this part waits for a manager's approval."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = SparePartQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        constraints = [models.CheckConstraint(condition=Q(version__gte=1), name="spare_part_version_positive")]

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


class StockQuerySet(models.QuerySet["Stock"]):
    def visible_to(self, user: Any) -> StockQuerySet:
        staff = _is_staff(user)
        if staff is None:
            return self.none()
        return self if staff else self.filter(storeroom__organization_id=user.organization_id)


class Stock(models.Model):
    """How many units of one part one storeroom holds. Changed only by the movement services, with a
    conditional UPDATE; the CHECK constraint is the last line of defence against a negative figure."""

    part = models.ForeignKey(SparePart, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="stock")
    storeroom = models.ForeignKey(Storeroom, verbose_name=_("storeroom"), on_delete=models.PROTECT,
                                  related_name="stock")
    quantity = models.IntegerField(_("quantity"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    objects = StockQuerySet.as_manager()

    class Meta:
        ordering = ["part_id", "storeroom_id"]
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["part", "storeroom"], name="stock_part_storeroom_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_quantity_not_negative"),
        ]


class ApprovalRule(models.Model):
    """Configuration: movements of `kind` (of one part, or of every part) moving at least
    `min_quantity` units wait for approval. Admin data."""

    kind = models.CharField(_("movement"), max_length=20, choices=MovementKind.choices)
    part = models.ForeignKey(SparePart, verbose_name=_("spare part"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text=_("Empty: every part."))
    min_quantity = models.PositiveIntegerField(_("from quantity"), default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "min_quantity", "id"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.min_quantity}"


class MovementQuerySet(models.QuerySet["Movement"]):
    def visible_to(self, user: Any) -> MovementQuerySet:
        """Staff see every movement; a customer only those wholly inside their organisation: every
        storeroom it touches is theirs, and so is the incident it was issued to."""
        staff = _is_staff(user)
        if staff is None:
            return self.none()
        if staff:
            return self
        org = user.organization_id
        return self.filter(
            (Q(from_storeroom__isnull=True) | Q(from_storeroom__organization_id=org))
            & (Q(to_storeroom__isnull=True) | Q(to_storeroom__organization_id=org))
            & (Q(incident__isnull=True) | Q(incident__organization_id=org))
            & (Q(change__isnull=True) | Q(change__organization_id=org))
        )


class Movement(models.Model):
    """One line of the stock ledger: receive, issue (to an incident or change), return, write-off or
    transfer. Append-only: never edited or deleted; a pending one is only approved or rejected."""

    part = models.ForeignKey(SparePart, verbose_name=_("spare part"), on_delete=models.PROTECT,
                             related_name="movements")
    kind = models.CharField(_("movement"), max_length=20, choices=MovementKind.choices)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    from_storeroom = models.ForeignKey(Storeroom, verbose_name=_("from storeroom"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    to_storeroom = models.ForeignKey(Storeroom, verbose_name=_("to storeroom"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="spare_movements")
    change = models.ForeignKey(Change, verbose_name=_("change"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="spare_movements")
    loan = models.ForeignKey(SpareLoan, verbose_name=_("spare device loan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="movements")
    reference = models.CharField(_("reference"), max_length=100, blank=True,
                                 help_text=_("Delivery note, purchase order, RMA or other document number."))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MovementStatus.choices)
    requested_by = models.ForeignKey("accounts.User", verbose_name=_("requested by"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey("accounts.User", verbose_name=_("approver"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("stock moved at"), null=True, blank=True)

    objects = MovementQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="movement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(from_storeroom__isnull=True) | Q(to_storeroom__isnull=True)
                | ~Q(from_storeroom=models.F("to_storeroom")),
                name="movement_transfer_two_places"),
        ]
        indexes = [
            models.Index(fields=["part", "requested_at"], name="movement_part_time"),
            models.Index(fields=["requested_at"], name="movement_pending",
                         condition=Q(status=MovementStatus.PENDING)),
        ]


class Replacement(models.Model):
    """What was decided about a device flagged for replacement (3 or more faults in one calendar
    month), and, when replaced, by what."""

    ci = models.ForeignKey(CI, verbose_name=_("flagged device"), on_delete=models.PROTECT,
                           related_name="replacements")
    month = models.DateField(_("month flagged"), help_text=_("The first day of the month of the faults."))
    faults = models.PositiveIntegerField(_("faults that month"), default=0)
    decision = models.CharField(_("decision"), max_length=20, choices=ReplacementDecision.choices)
    replaced_by = models.ForeignKey(CI, verbose_name=_("replaced by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    replacement_serial = models.CharField(_("serial number of the replacement"), max_length=100, blank=True)
    replaced_on = models.DateField(_("replaced on"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"))
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-month", "-id"]
        verbose_name = _("device replacement")
        verbose_name_plural = _("device replacements")
        constraints = [models.UniqueConstraint(fields=["ci", "month"], name="replacement_once_per_ci_month")]

    def __str__(self) -> str:
        return f"{self.ci} {self.month:%Y-%m}"


class WarrantyReturn(models.Model):
    """A device (or part of one) sent back to its vendor for free repair or replacement under
    warranty (RMA), followed until it comes back: sent → with the vendor → returned / replaced / refused."""

    ci = models.ForeignKey(CI, verbose_name=_("device"), on_delete=models.PROTECT, related_name="warranty_returns")
    part = models.ForeignKey(SparePart, verbose_name=_("spare part"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text=_("The part sent back, when it is a stocked part."))
    vendor = models.CharField(_("vendor"), max_length=100)
    vendor_ref = models.CharField(_("vendor RMA number"), max_length=100, blank=True)
    fault = models.TextField(_("fault"))
    status = models.CharField(_("status"), max_length=20, choices=RMAStatus.choices, default=RMAStatus.SENT)
    sent_on = models.DateField(_("sent on"))
    received_on = models.DateField(_("received by the vendor on"), null=True, blank=True)
    closed_on = models.DateField(_("back on"), null=True, blank=True)
    replacement_serial = models.CharField(_("serial number of the replacement"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey("accounts.User", verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-sent_on", "-id"]
        verbose_name = _("warranty return (RMA)")
        verbose_name_plural = _("warranty returns (RMA)")
        indexes = [models.Index(fields=["status", "sent_on"], name="rma_status_sent")]

    def __str__(self) -> str:
        return f"RMA {self.vendor_ref or self.pk} {self.ci}"

    @property
    def is_open(self) -> bool:
        return self.status not in RMA_CLOSED
