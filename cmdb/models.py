from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from .choices import CIStatus


class CIClass(models.Model):
    """A kind of configuration item: server, switch, camera, printer, UPS, service, …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")

    def __str__(self) -> str:
        return self.name


class CIQuerySet(models.QuerySet["CI"]):
    def visible_to(self, user) -> CIQuerySet:  # type: ignore[no-untyped-def]
        """The tenancy choke point for CIs: customers see their organisation's only."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or not user.is_customer:
            return self
        return self.filter(organization_id=user.organization_id)


class CI(models.Model):
    """A configuration item (device, system or service) owned by a customer organisation."""

    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="cis")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="cis",
    )
    status = models.CharField(_("status"), max_length=20, choices=CIStatus.choices, default=CIStatus.IN_USE)
    location = models.CharField(_("location"), max_length=200, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True, db_index=True)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CIQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [models.Index(fields=["organization", "name"], name="ci_org_name")]

    def __str__(self) -> str:
        return self.name
