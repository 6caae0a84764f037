"""The editable fault-handling analysis report (故障处理分析报告, form ST.FO05-96) and its published,
frozen versions. Imported by reports/models.py so Django registers them with the reports app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident

__all__ = ["FaultAnalysis", "FaultAnalysisVersion"]


def analysis_pdf_path(instance: FaultAnalysisVersion, filename: str) -> str:
    return f"reports/fault-analysis/{instance.analysis.incident_id}/v{instance.number}-{instance.sha256[:16]}.pdf"


class FaultAnalysis(models.Model):
    """The analyst's working draft of one incident's fault-analysis report; pre-filled from the
    incident and its fault report, edited freely, published as frozen versions."""

    incident = models.OneToOneField(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                    related_name="fault_analysis")
    content = models.JSONField(_("content"), default=dict)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last edited by"),
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("last edited at"))
    published_count = models.PositiveIntegerField(_("versions published"), default=0)

    class Meta:
        verbose_name = _("fault analysis report")
        verbose_name_plural = _("fault analysis reports")

    def __str__(self) -> str:
        return f"{self.incident.number}"


class FaultAnalysisVersion(models.Model):
    """One published version: the content exactly as published and the PDF the customer received,
    with who published it and when. Never changed or deleted; a later edit publishes a new one."""

    analysis = models.ForeignKey(FaultAnalysis, verbose_name=_("fault analysis report"), on_delete=models.PROTECT,
                                 related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    language = models.CharField(_("language"), max_length=10)
    pdf = models.FileField(_("PDF"), upload_to=analysis_pdf_path, max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"),
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["-number"]
        verbose_name = _("published fault analysis")
        verbose_name_plural = _("published fault analyses")
        constraints = [models.UniqueConstraint(fields=["analysis", "number"], name="fault_analysis_version_unique")]

    def __str__(self) -> str:
        return f"{self.analysis.incident.number} v{self.number}"
