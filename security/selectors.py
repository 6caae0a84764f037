"""Reads of the security follow-up, scoped by who asks. Everything here is staff-only: a customer
gets empty querysets (pages and API answer 404)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cmdb.choices import CIStatus
from cmdb.models import CI

from .choices import SEVERITY_ORDER, FindingStatus, ImportStatus, ScanResult, Severity
from .filtersets import AntivirusFilterSet, FindingFilterSet
from .models import AntivirusStatus, Finding, FindingEvent, ScanImport, SecurityPolicy, UnmatchedRow, _is_staff


def _id(value: Any) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if number < 1 or number > 2**63 - 1:
        raise Http404
    return number


def _apply(filterset_class: Any, qs: QuerySet[Any], filters: Any) -> QuerySet[Any]:
    if filters is None:
        return qs
    fs = filterset_class(filters, queryset=qs)
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return fs.qs


def finding_list(*, user: Any, filters: Any = None) -> QuerySet[Finding]:
    qs = Finding.objects.visible_to(user).select_related("ci", "organization", "decided_by")
    return _apply(FindingFilterSet, qs, filters)


def finding_get(*, user: Any, pk: Any) -> Finding:
    try:
        return finding_list(user=user).get(pk=_id(pk))
    except Finding.DoesNotExist:
        raise Http404 from None


def finding_events(*, finding: Finding) -> QuerySet[FindingEvent]:
    return finding.events.select_related("actor").order_by("-at", "-id")


def flagged_q(*, today: date, policy: SecurityPolicy | None = None) -> Q:
    """Antivirus rows to flag: signatures or last scan too old (or missing), threats found or failed."""
    policy = policy or SecurityPolicy.current()
    old_signatures = today - timedelta(days=policy.signature_max_age_days)
    old_scan = timezone.make_aware(datetime.combine(today - timedelta(days=policy.scan_max_age_days),
                                                    datetime.min.time()))
    return (Q(signature_date__isnull=True) | Q(signature_date__lt=old_signatures) | Q(last_scan_at__isnull=True)
            | Q(last_scan_at__lt=old_scan) | Q(last_scan_result__in=(ScanResult.THREATS, ScanResult.FAILED)))


def antivirus_list(*, user: Any, filters: Any = None) -> QuerySet[AntivirusStatus]:
    if not _is_staff(user):
        return AntivirusStatus.objects.none()
    qs = AntivirusStatus.objects.select_related("ci", "ci__organization", "updated_by")
    return _apply(AntivirusFilterSet, qs, filters)


def antivirus_get(*, user: Any, ci_pk: Any) -> AntivirusStatus:
    try:
        return antivirus_list(user=user).get(ci_id=_id(ci_pk))
    except AntivirusStatus.DoesNotExist:
        raise Http404 from None


def import_list(*, user: Any) -> QuerySet[ScanImport]:
    if not _is_staff(user):
        return ScanImport.objects.none()
    return ScanImport.objects.defer("content").select_related("organization", "created_by")


def import_get(*, user: Any, pk: Any) -> ScanImport:
    try:
        return import_list(user=user).get(pk=_id(pk))
    except ScanImport.DoesNotExist:
        raise Http404 from None


def unmatched_list(*, user: Any, organization_id: int | None = None, open_only: bool = True) -> QuerySet[UnmatchedRow]:
    if not _is_staff(user):
        return UnmatchedRow.objects.none()
    qs = UnmatchedRow.objects.select_related("organization", "last_import")
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs.filter(finding__isnull=True) if open_only else qs


def unmatched_get(*, user: Any, pk: Any) -> UnmatchedRow:
    try:
        return unmatched_list(user=user, open_only=False).get(pk=_id(pk))
    except UnmatchedRow.DoesNotExist:
        raise Http404 from None


# --- the security-protection report (reports/kinds/security_protection.py) ------------------------

def security_summary(*, organization_id: int | None, start: datetime | None, end: datetime | None,
                     now: datetime, rows: int = 50) -> dict[str, Any]:
    """Figures of the security-protection report: antivirus coverage and state at `now`, findings
    found / fixed in [start, end), open ones by severity, overdue ones, accepted risks. Aggregated in SQL."""
    today = timezone.localdate(now)
    cis = CI.objects.exclude(status=CIStatus.RETIRED)
    findings = Finding.objects.all()
    av = AntivirusStatus.objects.exclude(ci__status=CIStatus.RETIRED)
    if organization_id is not None:
        cis = cis.filter(organization_id=organization_id)
        findings = findings.filter(organization_id=organization_id)
        av = av.filter(ci__organization_id=organization_id)
    policy = SecurityPolicy.current()
    flagged = av.filter(flagged_q(today=today, policy=policy))
    found = findings
    if start is not None:
        found = found.filter(first_seen_at__gte=start)
    if end is not None:
        found = found.filter(first_seen_at__lt=end)
    decided = findings.filter(decided_at__isnull=False)
    if start is not None:
        decided = decided.filter(decided_at__gte=start)
    if end is not None:
        decided = decided.filter(decided_at__lt=end)
    open_q = findings.filter(status=FindingStatus.OPEN)
    by_severity: dict[str, dict[str, Any]] = {row["severity"]: dict(row) for row in open_q.values("severity").annotate(
        n=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))}
    found_by = dict(found.values_list("severity").annotate(n=Count("id")))
    severity_rows = [{"severity": sev.label, "code": sev.value, "found": found_by.get(sev.value, 0),
                      "open": by_severity.get(sev.value, {}).get("n", 0),
                      "overdue": by_severity.get(sev.value, {}).get("overdue", 0)} for sev in Severity]
    decided_counts = dict(decided.values_list("status").annotate(n=Count("id")))
    open_rows = [{"ci": f.ci.name, "name": f.name, "cves": f.cves, "severity": Severity(f.severity).label,
                  "cvss": f.cvss, "due": f.due_on, "overdue": f.due_on < today, "port": f.port}
                 for f in sorted(open_q.select_related("ci")[:2000],
                                 key=lambda f: (SEVERITY_ORDER.get(Severity(f.severity), 9), f.due_on, f.pk))[:rows]]
    accepted = [{"ci": f.ci.name, "name": f.name, "severity": Severity(f.severity).label, "reason": f.reason,
                 "by": f.decided_by.display_name if f.decided_by else "", "at": f.decided_at}
                for f in findings.filter(status=FindingStatus.ACCEPTED).select_related("ci", "decided_by")
                .order_by("-decided_at")[:rows]]
    av_rows = [{"ci": s.ci.name, "product": s.product, "signature_date": s.signature_date,
                "last_scan_at": s.last_scan_at, "result": ScanResult(s.last_scan_result).label,
                "problems": s.problems(today=today, policy=policy)}
               for s in flagged.select_related("ci").order_by("ci__name")[:rows]]
    imports = ScanImport.objects.filter(status=ImportStatus.APPLIED)
    if organization_id is not None:
        imports = imports.filter(organization_id=organization_id)
    if start is not None:
        imports = imports.filter(applied_at__gte=start)
    if end is not None:
        imports = imports.filter(applied_at__lt=end)
    return {
        "cis": cis.count(), "av_covered": av.count(), "av_flagged": flagged.count(),
        "av_rows": av_rows, "severity_rows": severity_rows,
        "found": sum(r["found"] for r in severity_rows), "open": open_q.count(),
        "overdue": sum(r["overdue"] for r in severity_rows),
        "fixed": decided_counts.get(FindingStatus.FIXED, 0), "accepted_in_period": decided_counts.get(
            FindingStatus.ACCEPTED, 0), "false_positive": decided_counts.get(FindingStatus.FALSE_POSITIVE, 0),
        "open_rows": open_rows, "accepted_rows": accepted, "imports": imports.count(),
        "policy": {"signature_days": policy.signature_max_age_days, "scan_days": policy.scan_max_age_days,
                   "critical": policy.critical_days, "high": policy.high_days, "medium": policy.medium_days,
                   "low": policy.low_days},
        "unmatched": UnmatchedRow.objects.filter(finding__isnull=True, **(
            {"organization_id": organization_id} if organization_id is not None else {})).count(),
    }
