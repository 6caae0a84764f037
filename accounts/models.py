from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .choices import ORGANIZATION_ROLES, STAFF_ROLES, AuthSource, Role


def validate_time_zone(value: str) -> None:
    """An IANA time zone name such as Asia/Shanghai."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone %(value)s."), params={"value": value}) from None


class Organization(models.Model):
    """A customer organisation: the tenant. Customer users see this organisation's data only."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True, allow_unicode=False)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    hotline = models.CharField(
        _("service hotline"), max_length=40, blank=True,
        help_text=_("The number this organisation's users call for urgent faults, shown in the customer portal. "
                    "Empty: the site's number (setting HOTLINE_NUMBER)."))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone],
        help_text=_("Times in messages, e-mails and reports for this organisation, e.g. Asia/Shanghai."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def hotline_number(self) -> str:
        """The service hotline its users call: its own, else the site's."""
        return self.hotline or settings.HOTLINE_NUMBER


class User(AbstractUser):
    """A staff member (operator, engineer, …) or a customer user bound to one organisation."""

    name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ENGINEER)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans",
        help_text=_("The language of the messages and e-mails this person receives."))
    auth_source = models.CharField(
        _("sign-in source"), max_length=10, choices=AuthSource.choices, default=AuthSource.LOCAL,
        help_text=_("Where the password is checked. Directory accounts get their role from their groups at "
                    "each sign-in."))

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=["customer", "auditor"]) | models.Q(organization__isnull=False),
                name="customer_has_organization",
                violation_error_message=_("A customer user or auditor must belong to an organisation."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username

    @property
    def is_customer(self) -> bool:
        """Sees one organisation through the portal: a customer user, or its auditor (监理), who
        sees what the customer sees, reads the raw records and writes nothing (accounts/readonly.py)."""
        return self.role in ORGANIZATION_ROLES

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES or self.is_superuser


class SupportGroup(models.Model):
    """A regional or specialist group that incidents are dispatched to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    lead = models.ForeignKey(
        User, verbose_name=_("group lead"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="led_groups",
    )
    members = models.ManyToManyField(User, verbose_name=_("members"), blank=True, related_name="support_groups")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a customer organisation who calls the hotline or is called back."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=40, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    user = models.OneToOneField(
        User, verbose_name=_("portal user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contact",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(Lower("name"), name="contact_name_lower")]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"


# A service contract ending within this many days is flagged on its organisation.
CONTRACT_ENDING_DAYS = 60


class ServiceContract(models.Model):
    """One contract period of the service with a customer organisation (start, end, number, service
    level). The current one is the period that contains today; one ending within 60 days is flagged."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="service_contracts")
    number = models.CharField(_("contract number"), max_length=60)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    service_level = models.CharField(_("service level"), max_length=100, blank=True,
                                     help_text=_("E.g. 7×24 on site within 2 hours."))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["organization", "-starts_on", "id"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="service_contract_org_number_unique"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="service_contract_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"

    def ending_soon(self, today: date) -> bool:
        """True when the contract is running and ends within CONTRACT_ENDING_DAYS days."""
        return self.starts_on <= today <= self.ends_on and (self.ends_on - today).days <= CONTRACT_ENDING_DAYS


def current_contract(organization_id: int, today: date) -> ServiceContract | None:
    """The organisation's contract period that contains `today` (the latest started, if several)."""
    return (ServiceContract.objects.filter(organization_id=organization_id, starts_on__lte=today, ends_on__gte=today)
            .order_by("-starts_on", "-id").first())
