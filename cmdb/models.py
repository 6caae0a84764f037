from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from .attributes import definitions_errors
from .choices import RELATION_INVERSE, ChangeSource, CIStatus, RelationType

# A CI's design life when neither the CI nor its class says otherwise (the customer's plan: 6 years).
DEFAULT_DESIGN_LIFE_YEARS = 6


def add_years(day: date, years: int) -> date:
    """`day` plus whole years (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class CIClass(models.Model):
    """A kind of configuration item (server, switch, camera, printer, UPS, service, …) and the
    attributes its CIs carry (a list of definitions; see cmdb/attributes.py)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(
        _("attribute definitions"), default=list, blank=True,
        help_text=_('A list like [{"name": "ram_gb", "label": "RAM (GB)", "type": "int", "required": false}]; '
                    "types: text, int, decimal, date, bool, choice (with \"choices\")."),
    )
    is_service = models.BooleanField(
        _("business service"), default=False,
        help_text=_("CIs of this class are listed as affected services in impact analysis."),
    )
    design_life_years = models.PositiveSmallIntegerField(
        _("design life (years)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("How long CIs of this class are meant to serve; empty: 6 years."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = definitions_errors(self.attributes)
        if errors:
            raise ValidationError({"attributes": errors})


class MaintenanceContract(models.Model):
    """A vendor maintenance (维保) contract of an organisation that covers some of its CIs."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="maintenance_contracts")
    number = models.CharField(_("contract number"), max_length=60)
    vendor = models.CharField(_("vendor"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["organization", "number"]
        verbose_name = _("maintenance contract")
        verbose_name_plural = _("maintenance contracts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="contract_org_number_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="contract_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.vendor})"


class CIQuerySet(models.QuerySet["CI"]):
    def visible_to(self, user) -> CIQuerySet:  # type: ignore[no-untyped-def]
        """The tenancy choke point for CIs: customers see their organisation's only."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or not user.is_customer:
            return self
        return self.filter(organization_id=user.organization_id)


class CI(models.Model):
    """A configuration item (device, system or service) owned by a customer organisation.
    `location` is the readable form of site/building/floor/room/rack (kept by the services)."""

    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="cis")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="cis",
    )
    status = models.CharField(_("status"), max_length=20, choices=CIStatus.choices, default=CIStatus.IN_USE)
    location = models.CharField(_("location"), max_length=200, blank=True)
    site = models.CharField(_("site"), max_length=100, blank=True)
    building = models.CharField(_("building"), max_length=100, blank=True)
    floor = models.CharField(_("floor"), max_length=40, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)
    rack = models.CharField(_("rack"), max_length=40, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True, db_index=True)
    asset_tag = models.CharField(_("asset tag"), max_length=100, blank=True)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty ends"), null=True, blank=True)
    contract = models.ForeignKey(MaintenanceContract, verbose_name=_("maintenance contract"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cis")
    in_service_date = models.DateField(_("in service since"), null=True, blank=True,
                                       help_text=_("Empty: the purchase date counts."))
    design_life_years = models.PositiveSmallIntegerField(
        _("design life (years)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Empty: the class's design life, else 6 years."))
    end_of_life = models.DateField(_("end of life"), null=True, blank=True,
                                   help_text=_("Empty: in service date plus the design life."))
    end_of_support = models.DateField(_("end of support"), null=True, blank=True,
                                      help_text=_("The vendor's end of support; empty: the end of life."))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CIQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [
            models.Index(fields=["organization", "name"], name="ci_org_name"),
            models.Index(fields=["organization", "serial"], name="ci_org_serial"),
            models.Index(fields=["warranty_end", "id"], name="ci_warranty_end",
                         condition=Q(warranty_end__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization", "asset_tag"], condition=~Q(asset_tag=""),
                                    name="ci_asset_tag_unique_per_org",
                                    violation_error_message=_("This organisation already has a CI with this asset tag.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def life_years(self) -> int:
        """The design life that applies: the CI's own, else its class's, else 6 years."""
        return self.design_life_years or self.ci_class.design_life_years or DEFAULT_DESIGN_LIFE_YEARS

    @property
    def life_start(self) -> date | None:
        return self.in_service_date or self.purchase_date

    @property
    def life_end(self) -> date | None:
        """End of life: the date set on the CI, else the start of service plus the design life."""
        if self.end_of_life is not None:
            return self.end_of_life
        start = self.life_start
        return add_years(start, self.life_years) if start is not None else None

    @property
    def support_end(self) -> date | None:
        return self.end_of_support or self.life_end


class CIRelation(models.Model):
    """A typed link `source <type> target` (e.g. app runs on vm). `dependant`/`dependency` say which
    end fails with the other (see choices.SOURCE_IS_DEPENDANT); impact analysis walks those.
    Retired, never deleted."""

    source = models.ForeignKey(CI, verbose_name=_("from"), on_delete=models.PROTECT, related_name="relations_out")
    target = models.ForeignKey(CI, verbose_name=_("to"), on_delete=models.PROTECT, related_name="relations_in")
    type = models.CharField(_("type"), max_length=20, choices=RelationType.choices)
    # Indexed by the two walk indexes below (which also serve the foreign-key checks).
    dependant = models.ForeignKey(CI, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    dependency = models.ForeignKey(CI, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False)
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("retired by"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("CI relationship")
        verbose_name_plural = _("CI relationships")
        indexes = [
            # The two walks of impact analysis (who depends on X, what X depends on), index-only.
            models.Index(fields=["dependency", "active", "dependant"], name="cirel_dependency_walk"),
            models.Index(fields=["dependant", "active", "dependency"], name="cirel_dependant_walk"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], condition=Q(active=True),
                                    name="cirel_unique_active",
                                    violation_error_message=_("This relationship already exists.")),
            models.CheckConstraint(condition=~Q(source=F("target")), name="cirel_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.type} {self.target_id}"

    @property
    def inverse_label(self) -> str:
        """The relationship read from the target's side ("hosts" for hosted on)."""
        return str(RELATION_INVERSE[RelationType(self.type)])


class CIChange(models.Model):
    """One changed field of a CI (who, when, old → new), written by the services; never edited."""

    ci = models.ForeignKey(CI, verbose_name=_("configuration item"), on_delete=models.PROTECT, related_name="history")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("by"))
    source = models.CharField(_("source"), max_length=10, choices=ChangeSource.choices, default=ChangeSource.SYSTEM)
    field = models.CharField(_("field"), max_length=60)
    old = models.TextField(_("old value"), blank=True)
    new = models.TextField(_("new value"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("CI change")
        verbose_name_plural = _("CI changes")
        indexes = [models.Index(fields=["ci", "-at", "-id"], name="cichange_ci_at")]

    def __str__(self) -> str:
        return f"{self.ci_id} {self.field}"


class DeviceModel(models.Model):
    """A make and model of device (matched against CI.vendor / CI.model, case-insensitively): whether
    the vendor has discontinued it and which models are approved to replace it. Admin data."""

    vendor = models.CharField(_("vendor"), max_length=100)
    model = models.CharField(_("model"), max_length=100)
    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="device_models")
    discontinued_on = models.DateField(_("discontinued on"), null=True, blank=True,
                                       help_text=_("Empty: still sold."))
    substitutes = models.ManyToManyField("self", verbose_name=_("approved substitutes"), blank=True,
                                         symmetrical=False, related_name="substitute_for")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["vendor", "model"]
        verbose_name = _("device model")
        verbose_name_plural = _("device models")
        constraints = [models.UniqueConstraint(fields=["vendor", "model"], name="device_model_vendor_model_unique")]

    def __str__(self) -> str:
        return f"{self.vendor} {self.model}".strip()
