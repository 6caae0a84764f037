"""Security follow-up (安全防护): the antivirus status of each CI and the vulnerability findings a
scanner reported, tracked to fixed, accepted or false positive with due dates by severity."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from cmdb.models import CI

from .choices import ExportFormat, FindingStatus, ImportStatus, Scanner, ScanResult, Severity, UpdateSource


def _is_staff(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or not user.is_customer))


class SecurityPolicy(models.Model):
    """The desk's security settings (one row, admin data): how old antivirus signatures and scans may
    be before a CI is flagged, and how many working days (on the organisation's SLA calendar) a
    finding of each severity has to be fixed."""

    signature_max_age_days = models.PositiveIntegerField(
        _("signatures older than (days) are flagged"), default=7, validators=[MinValueValidator(1)])
    scan_max_age_days = models.PositiveIntegerField(
        _("last scan older than (days) is flagged"), default=7, validators=[MinValueValidator(1)])
    critical_days = models.PositiveIntegerField(_("critical: working days to fix"), default=5,
                                                validators=[MinValueValidator(1), MaxValueValidator(1000)])
    high_days = models.PositiveIntegerField(_("high: working days to fix"), default=15,
                                            validators=[MinValueValidator(1), MaxValueValidator(1000)])
    medium_days = models.PositiveIntegerField(_("medium: working days to fix"), default=30,
                                              validators=[MinValueValidator(1), MaxValueValidator(1000)])
    low_days = models.PositiveIntegerField(_("low: working days to fix"), default=90,
                                           validators=[MinValueValidator(1), MaxValueValidator(1000)])

    class Meta:
        verbose_name = _("security settings")
        verbose_name_plural = _("security settings")

    def __str__(self) -> str:
        return str(_("Security settings"))

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def days_for(self, severity: str) -> int:
        return int(getattr(self, f"{severity}_days", self.low_days))


class AntivirusStatus(models.Model):
    """The antivirus state of one CI as last reported (API, CSV import or by hand)."""

    ci = models.OneToOneField(CI, verbose_name=_("configuration item"), on_delete=models.PROTECT,
                              related_name="antivirus")
    product = models.CharField(_("antivirus product"), max_length=100)
    signature_date = models.DateField(_("signature date"), null=True, blank=True)
    last_scan_at = models.DateTimeField(_("last scan"), null=True, blank=True)
    last_scan_result = models.CharField(_("result"), max_length=20, choices=ScanResult.choices,
                                        default=ScanResult.UNKNOWN)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    source = models.CharField(_("updated by"), max_length=10, choices=UpdateSource.choices)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey("accounts.User", verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["ci__name", "id"]
        verbose_name = _("antivirus status")
        verbose_name_plural = _("antivirus statuses")

    def __str__(self) -> str:
        return f"{self.ci} {self.product}"

    def problems(self, *, today: date, policy: SecurityPolicy) -> list[Any]:
        """Why this CI is flagged (empty: fine): old signatures, an old or missing scan, a bad result.
        Lazy texts: a report built now may be rendered in another language."""
        out: list[Any] = []
        if self.signature_date is None or (today - self.signature_date).days > policy.signature_max_age_days:
            out.append(_("signatures out of date"))
        if self.last_scan_at is None or (today - self.last_scan_at.date()).days > policy.scan_max_age_days:
            out.append(_("no recent scan"))
        if self.last_scan_result in (ScanResult.THREATS, ScanResult.FAILED):
            out.append(ScanResult(self.last_scan_result).label)
        return out


class ScanImport(models.Model):
    """One uploaded scanner export: previewed (dry run, counts), then imported or discarded. The
    file is kept so the confirmed import applies exactly what was previewed."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="scan_imports")
    scanner = models.CharField(_("scanner"), max_length=20, choices=Scanner.choices)
    format = models.CharField(_("format"), max_length=20, choices=ExportFormat.choices)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("file"), editable=False)
    full_scan = models.BooleanField(
        _("full scan of the organisation"), default=False,
        help_text=_("Findings of this scanner at this organisation that the export does not list are marked "
                    "“not seen” (never closed automatically)."))
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey("accounts.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("uploaded at"))
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scanner import")
        verbose_name_plural = _("scanner imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"


class FindingQuerySet(models.QuerySet["Finding"]):
    def visible_to(self, user: Any) -> FindingQuerySet:
        """Staff only: customers see no findings (the security-protection report is how they learn)."""
        return self if _is_staff(user) else self.none()


class Finding(models.Model):
    """One vulnerability on one CI as a scanner reports it. Identity (an import never makes a second
    row): scanner + CI + vulnerability id (the scanner's plugin / NVT id, else the CVE) + port."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="findings")
    ci = models.ForeignKey(CI, verbose_name=_("configuration item"), on_delete=models.PROTECT, related_name="findings")
    scanner = models.CharField(_("scanner"), max_length=20, choices=Scanner.choices)
    vuln_id = models.CharField(_("vulnerability id"), max_length=200,
                               help_text=_("The scanner's plugin or NVT id, else the CVE."))
    port = models.CharField(_("port"), max_length=40, blank=True)
    cves = models.CharField(_("CVE"), max_length=500, blank=True)
    name = models.CharField(_("name"), max_length=300)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    cvss = models.DecimalField(_("CVSS"), max_digits=3, decimal_places=1, null=True, blank=True)
    solution = models.TextField(_("solution"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    last_import = models.ForeignKey(ScanImport, verbose_name=_("last import"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    not_seen_at = models.DateTimeField(
        _("not seen since"), null=True, blank=True,
        help_text=_("A newer full scan did not list it: probably fixed; confirm by hand."))
    due_on = models.DateField(_("due"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True,
                              help_text=_("Why the risk is accepted or why it is a false positive."))
    decided_by = models.ForeignKey("accounts.User", verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reopened = models.PositiveIntegerField(_("times reopened"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("vulnerability finding")
        verbose_name_plural = _("vulnerability findings")
        constraints = [models.UniqueConstraint(fields=["scanner", "ci", "vuln_id", "port"], name="finding_identity")]
        indexes = [
            models.Index(fields=["organization", "status", "due_on"], name="finding_org_status_due"),
            models.Index(fields=["due_on"], name="finding_open_due", condition=Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.vuln_id} {self.ci}"


class UnmatchedRow(models.Model):
    """A row of an export whose host matched no CI of the organisation: kept (never lost) until
    someone assigns it to a CI, which turns it into a finding. One row per identity, so importing
    the same export again adds nothing."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    scanner = models.CharField(_("scanner"), max_length=20, choices=Scanner.choices)
    host = models.CharField(_("host"), max_length=200, help_text=_("IP address or host name as the scanner wrote it."))
    hostname = models.CharField(_("host name"), max_length=200, blank=True)
    vuln_id = models.CharField(_("vulnerability id"), max_length=200)
    port = models.CharField(_("port"), max_length=40, blank=True)
    data = models.JSONField(_("row"), default=dict)
    last_import = models.ForeignKey(ScanImport, verbose_name=_("last import"), on_delete=models.PROTECT,
                                    related_name="unmatched_rows")
    finding = models.ForeignKey(Finding, verbose_name=_("finding"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text=_("Set when the row was assigned to a CI."))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["host", "vuln_id", "id"]
        verbose_name = _("unmatched scanner row")
        verbose_name_plural = _("unmatched scanner rows")
        constraints = [models.UniqueConstraint(fields=["organization", "scanner", "host", "vuln_id", "port"],
                                               name="unmatched_identity")]

    def __str__(self) -> str:
        return f"{self.host} {self.vuln_id}"


class FindingEvent(models.Model):
    """What happened to a finding (imported, changed, seen again, decided, escalated): append-only."""

    finding = models.ForeignKey(Finding, verbose_name=_("finding"), on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey("accounts.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    action = models.CharField(_("action"), max_length=20)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("finding event")
        verbose_name_plural = _("finding events")
        indexes = [models.Index(fields=["finding", "-at"], name="finding_event_at")]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.action}"
