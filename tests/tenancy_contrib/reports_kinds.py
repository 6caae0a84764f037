"""Organisation A's fault-analysis report for the tenancy walk: a saved draft and a published version
(written directly: the walk's incident is not resolved, and the walk needs no rendered PDF)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from accounts.choices import Role
from reports.analysis import analysis_save
from reports.analysis_models import FaultAnalysisVersion
from tests.factories import UserFactory


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    analyst = UserFactory(username="alpha-analyst", role=Role.ANALYST)
    analysis = analysis_save(incident_id=incident.pk, actor=analyst, version=0, now=now, data={
        "cause": "Alpha sluice gate corrosion", "prevention": "Alpha quarterly gate greasing"})
    version = FaultAnalysisVersion(analysis=analysis, number=1, content=analysis.content, language="en",
                                   sha256="0" * 64, size=20, published_by=analyst, published_at=now)
    version.pdf.save("v1.pdf", ContentFile(b"%PDF-1.7 Alpha sluice"), save=False)
    version.save()
    return {
        "ids": {"analysis_version": [version.pk]},
        "secrets": ["Alpha sluice gate corrosion", "Alpha quarterly gate greasing"],
        "params": {"analysis_version": "analysis_version"},
    }
