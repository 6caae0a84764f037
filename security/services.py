"""Writes of the security follow-up: scanner imports (preview → apply), finding decisions, overdue
escalation, antivirus status. Every write to a finding records a FindingEvent in the same transaction."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.choices import Role
from accounts.models import Organization, User
from cmdb.choices import CIStatus
from cmdb.models import CI
from cmdb.transfer import ImportFileError, read_table
from notifications.choices import NotificationEvent
from notifications.messages import choice_msgid, msg, term
from notifications.services import notification_emit
from opsdesk.errors import ConflictError
from tickets.sla_config import PolicyMemo

from .choices import (
    FINDING_ACTIONS,
    FORMAT_SCANNER,
    FindingStatus,
    ImportStatus,
    ScanResult,
    Severity,
    UpdateSource,
)
from .models import AntivirusStatus, Finding, FindingEvent, ScanImport, SecurityPolicy, UnmatchedRow
from .parsers import MAX_UPLOAD_BYTES, ScanFileError, ScanRow, clean, parse_export

log = logging.getLogger(__name__)

# Who hears about an overdue finding when no notification rule reaches anyone.
ESCALATE_TO_ROLES = (Role.MANAGER, Role.SUPERVISOR)
IMPORT_ROLES = frozenset({Role.MANAGER, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.ANALYST, Role.ENGINEER,
                          Role.DISPATCHER})
DECIDE_ROLES = frozenset({Role.MANAGER, Role.SUPERVISOR, Role.REGIONAL_LEAD})


def _staff(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active
            and (actor.is_superuser or not actor.is_customer)):
        raise ValidationError({"__all__": [_("Only staff can do this.")]})


def may_decide(user: Any) -> bool:
    """Accepting a risk needs a manager, supervisor or regional lead; fixing or calling a false
    positive any staff member."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and not user.is_customer
                and (user.is_superuser or user.role in DECIDE_ROLES))


# --- due dates -------------------------------------------------------------------------------------

def working_day_after(start: date, days: int, is_working: Callable[[date], bool], *, horizon: int = 1500) -> date:
    """The `days`-th working day after `start` (start itself not counted)."""
    day, count = start, 0
    for _step in range(horizon):
        day += timedelta(days=1)
        if is_working(day):
            count += 1
            if count >= days:
                return day
    return day


def finding_due(*, organization_id: int, found: datetime, severity: str, memo: PolicyMemo | None = None,
                policy: SecurityPolicy | None = None) -> date:
    """Due date of a finding of `severity` found at `found`: so many working days (by severity, the
    security settings) after the day it was found, on the organisation's SLA calendar."""
    memo = memo or PolicyMemo(now=found)
    policy = policy or SecurityPolicy.current()
    calendar = memo.get(organization_id).calendar
    start = found.astimezone(calendar.tz).date()
    return working_day_after(start, policy.days_for(severity), lambda d: bool(calendar.periods_on(d)))


# --- matching rows to CIs --------------------------------------------------------------------------

class CIMatcher:
    """Finds an organisation's CI (not retired) by asset tag, IP address (attribute ip or mgmt_ip)
    or host name (attribute hostname, else the CI's name; a fully qualified name also by its first
    label). Read once per import. A key two CIs share matches neither (ambiguous)."""

    def __init__(self, organization_id: int) -> None:
        self.by_tag: dict[str, int | None] = {}
        self.by_ip: dict[str, int | None] = {}
        self.by_name: dict[str, int | None] = {}
        rows = (CI.objects.filter(organization_id=organization_id).exclude(status=CIStatus.RETIRED)
                .values_list("pk", "name", "asset_tag", "attributes"))
        for pk, name, tag, attrs in rows:
            attrs = attrs if isinstance(attrs, dict) else {}
            if tag:
                self._add(self.by_tag, tag, pk)
            for key in ("ip", "mgmt_ip"):
                if attrs.get(key):
                    self._add(self.by_ip, str(attrs[key]), pk)
            names = {name}
            if attrs.get("hostname"):
                names.add(str(attrs["hostname"]))
            for each in names:
                self._add(self.by_name, each, pk)

    @staticmethod
    def _add(index: dict[str, int | None], key: str, pk: int) -> None:
        key = key.strip().lower()
        if not key:
            return
        index[key] = pk if index.get(key, pk) == pk else None  # None: two CIs share it

    def match(self, row: ScanRow) -> int | None:
        for index, key in ((self.by_tag, row.asset_tag), (self.by_ip, row.host), (self.by_name, row.hostname),
                           (self.by_name, row.host), (self.by_name, row.hostname.split(".")[0]),
                           (self.by_name, row.host.split(".")[0] if not row.host[:1].isdigit() else "")):
            key = key.strip().lower()
            if key and index.get(key):
                return index[key]
        return None


# --- scanner imports -------------------------------------------------------------------------------

@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0
    unmatched: int = 0
    unmatched_new: int = 0
    skipped_info: int = 0
    not_seen: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _may_import(actor: Any) -> None:
    _staff(actor)
    if not (actor.is_superuser or actor.role in IMPORT_ROLES):
        raise ValidationError({"__all__": [_("Your role may not import scanner results.")]})


def scan_import_preview(*, organization: Organization, content: bytes, filename: str, full_scan: bool,
                        actor: Any, now: datetime) -> ScanImport:
    """Read the export, work out what importing it would do (in a transaction rolled back), and keep
    the file with that summary for the confirmation. A bad file raises ScanFileError (→ field error)."""
    _may_import(actor)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ScanFileError(_("The file is larger than the limit of %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
    parsed = parse_export(content, filename)
    scan = ScanImport(organization=organization, scanner=FORMAT_SCANNER[parsed.format], format=parsed.format,  # type: ignore[index]
                      filename=clean(filename, 200) or "export", sha256=hashlib.sha256(content).hexdigest(),
                      content=content, full_scan=full_scan, created_by=actor, created_at=now)
    scan.save(force_insert=True)
    with transaction.atomic():
        summary = _apply(scan=scan, rows=parsed.rows, scanned_at=parsed.scanned_at, now=now, actor=actor)
        transaction.set_rollback(True)
    summary.errors = parsed.errors[:100] + summary.errors
    scan.summary = summary.as_dict()
    scan.save(update_fields=["summary"])
    return scan


@transaction.atomic
def scan_import_apply(*, import_id: int, actor: Any, now: datetime) -> ScanImport:
    """Import a previewed export for real (once)."""
    _may_import(actor)
    scan = ScanImport.objects.select_for_update().get(pk=import_id)
    if scan.status != ImportStatus.PREVIEW:
        raise ValidationError({"__all__": [_("This upload was already imported or discarded.")]})
    try:
        parsed = parse_export(bytes(scan.content), scan.filename)
    except ImportFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    summary = _apply(scan=scan, rows=parsed.rows, scanned_at=parsed.scanned_at, now=now, actor=actor)
    summary.errors = parsed.errors[:100] + summary.errors
    scan.summary = summary.as_dict()
    scan.status = ImportStatus.APPLIED
    scan.applied_at = now
    scan.save(update_fields=["summary", "status", "applied_at"])
    return scan


@transaction.atomic
def scan_import_discard(*, import_id: int, actor: Any) -> ScanImport:
    _may_import(actor)
    scan = ScanImport.objects.select_for_update().get(pk=import_id)
    if scan.status == ImportStatus.PREVIEW:
        scan.status = ImportStatus.DISCARDED
        scan.save(update_fields=["status"])
    return scan


def _seen_time(scan: ScanImport, scanned_at: datetime | None, now: datetime) -> datetime:
    """When the export saw its findings: its own scan time, else when the same file was first
    imported for this organisation (so importing it again changes nothing), else now."""
    if scanned_at is not None:
        return scanned_at
    earlier = (ScanImport.objects.filter(organization_id=scan.organization_id, sha256=scan.sha256,
                                         status=ImportStatus.APPLIED).exclude(pk=scan.pk)
               .order_by("applied_at").values_list("applied_at", flat=True).first())
    return earlier or now


def _event(finding: Finding, *, at: datetime, actor: Any, action: str, data: dict[str, Any] | None = None) -> None:
    FindingEvent.objects.create(finding=finding, at=at, actor=actor if getattr(actor, "pk", None) else None,
                                action=action, data=data or {})


def _finding_values(row: ScanRow) -> dict[str, Any]:
    return {"name": row.name or row.vuln_id, "severity": row.severity, "cvss": row.cvss,
            "solution": row.solution, "cves": ",".join(row.cves)[:500]}


def _apply(*, scan: ScanImport, rows: list[ScanRow], scanned_at: datetime | None, now: datetime,
           actor: Any) -> ImportSummary:
    summary = ImportSummary(rows=len(rows))
    seen_at = _seen_time(scan, scanned_at, now)
    matcher = CIMatcher(scan.organization_id)
    memo, policy = PolicyMemo(now=now), SecurityPolicy.current()
    existing = {(f.ci_id, f.vuln_id, f.port): f for f in
                Finding.objects.select_for_update().filter(organization_id=scan.organization_id, scanner=scan.scanner)}
    seen_keys: set[tuple[int, str, str]] = set()
    for row in rows:
        if not row.severity:
            summary.skipped_info += 1
            continue
        ci_id = matcher.match(row)
        if ci_id is None:
            summary.unmatched += 1
            _, created = UnmatchedRow.objects.get_or_create(
                organization_id=scan.organization_id, scanner=scan.scanner, host=row.host[:200], vuln_id=row.vuln_id,
                port=row.port, defaults={"hostname": row.hostname, "data": row.as_data(), "last_import": scan,
                                         "created_at": now})
            summary.unmatched_new += int(created)
            continue
        key = (ci_id, row.vuln_id, row.port)
        if key in seen_keys:
            summary.unchanged += 1  # the same finding twice in one export
            continue
        seen_keys.add(key)
        values = _finding_values(row)
        finding = existing.get(key)
        if finding is None:
            finding = Finding(organization_id=scan.organization_id, ci_id=ci_id, scanner=scan.scanner,
                              vuln_id=row.vuln_id, port=row.port, first_seen_at=seen_at, last_seen_at=seen_at,
                              last_import=scan, due_on=finding_due(organization_id=scan.organization_id, found=seen_at,
                                                                   severity=row.severity, memo=memo, policy=policy),
                              **values)
            finding.save(force_insert=True)
            existing[key] = finding
            _event(finding, at=now, actor=actor, action="created", data={"import": scan.pk})
            summary.created += 1
            continue
        changed = {name: [str(getattr(finding, name)), str(value)] for name, value in values.items()
                   if getattr(finding, name) != value}
        reopen = (finding.status == FindingStatus.FIXED and finding.decided_at is not None
                  and seen_at > finding.decided_at)
        newer = seen_at > finding.last_seen_at
        back = finding.not_seen_at is not None and seen_at > finding.not_seen_at
        if not (changed or reopen or newer or back):
            summary.unchanged += 1
            continue
        for name, value in values.items():
            setattr(finding, name, value)
        if newer:
            finding.last_seen_at = seen_at
        if back:
            finding.not_seen_at = None
        if "severity" in changed:
            finding.due_on = finding_due(organization_id=scan.organization_id, found=finding.first_seen_at,
                                         severity=finding.severity, memo=memo, policy=policy)
        if reopen:
            finding.status = FindingStatus.OPEN
            finding.reopened += 1
            finding.escalated_at = None
            finding.due_on = finding_due(organization_id=scan.organization_id, found=seen_at,
                                         severity=finding.severity, memo=memo, policy=policy)
            summary.reopened += 1
        else:
            summary.updated += 1
        finding.last_import = scan
        finding.version += 1
        finding.save()
        _event(finding, at=now, actor=actor, action="reopened" if reopen else "updated",
               data={"import": scan.pk, "changed": changed})
    if scan.full_scan:
        for key, finding in existing.items():
            if (key not in seen_keys and finding.status == FindingStatus.OPEN and finding.not_seen_at is None
                    and finding.last_seen_at < seen_at):
                finding.not_seen_at = seen_at
                finding.version += 1
                finding.save(update_fields=["not_seen_at", "version"])
                _event(finding, at=now, actor=actor, action="not_seen", data={"import": scan.pk})
                summary.not_seen += 1
    return summary


@transaction.atomic
def unmatched_assign(*, row_id: int, ci: CI, actor: Any, now: datetime) -> Finding:
    """Turn an unmatched row into a finding on `ci` (of the same organisation)."""
    _may_import(actor)
    row = UnmatchedRow.objects.select_for_update().get(pk=row_id)
    if row.finding_id is not None:
        raise ValidationError({"__all__": [_("This row was already assigned.")]})
    if ci.organization_id != row.organization_id:
        raise ValidationError({"ci": [_("The CI belongs to another organisation.")]})
    data = row.data or {}
    severity = str(data.get("severity") or "medium")
    cvss = Decimal(str(data["cvss"])) if data.get("cvss") else None
    finding = Finding.objects.filter(scanner=row.scanner, ci=ci, vuln_id=row.vuln_id, port=row.port).first()
    if finding is None:
        seen = row.last_import.applied_at or row.created_at
        finding = Finding(organization_id=row.organization_id, ci=ci, scanner=row.scanner, vuln_id=row.vuln_id,
                          port=row.port, cves=",".join(data.get("cves") or [])[:500],
                          name=str(data.get("name") or row.vuln_id)[:300], severity=severity, cvss=cvss,
                          solution=str(data.get("solution") or ""), first_seen_at=seen, last_seen_at=seen,
                          last_import=row.last_import,
                          due_on=finding_due(organization_id=row.organization_id, found=seen, severity=severity))
        finding.save(force_insert=True)
        _event(finding, at=now, actor=actor, action="created", data={"unmatched_row": row.pk, "host": row.host})
    row.finding = finding
    row.save(update_fields=["finding"])
    return finding


# --- decisions -------------------------------------------------------------------------------------

@transaction.atomic
def finding_transition(*, finding_id: int, action: str, actor: Any, now: datetime, reason: str = "",
                       version: int | None = None) -> Finding:
    """fix / accept (risk acceptance: a reason, a manager) / false_positive (a reason) / reopen."""
    _staff(actor)
    if action not in FINDING_ACTIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    finding = Finding.objects.select_for_update().get(pk=finding_id)
    if version is not None and int(version) != finding.version:
        raise ConflictError(current_version=finding.version)
    target, sources = FINDING_ACTIONS[action]
    if finding.status not in sources:
        raise ValidationError({"action": [_("A finding that is “%(status)s” cannot take this action.")
                                          % {"status": finding.get_status_display()}]})
    reason = (reason or "").strip()
    if action in ("accept", "false_positive") and not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if action == "accept" and not may_decide(actor):
        raise ValidationError({"action": [_("Only a manager, supervisor or regional lead may accept a risk.")]})
    finding.status = target
    if action == "reopen":
        finding.escalated_at = None
        finding.reopened += 1
        finding.due_on = finding_due(organization_id=finding.organization_id, found=now, severity=finding.severity)
    else:
        finding.decided_by = actor
        finding.decided_at = now
        finding.reason = reason
    finding.version += 1
    finding.save()
    _event(finding, at=now, actor=actor, action=action, data={"reason": reason} if reason else {})
    return finding


# --- overdue escalation ----------------------------------------------------------------------------

def _escalate_one(*, finding_id: int, now: datetime, today: date) -> bool:
    with transaction.atomic():
        finding = Finding.objects.select_for_update().select_related("ci").get(pk=finding_id)
        if finding.escalated_at is not None or finding.status != FindingStatus.OPEN or finding.due_on >= today:
            return False
        finding.escalated_at = now
        finding.save(update_fields=["escalated_at"])
        _event(finding, at=now, actor=None, action="escalated", data={"due_on": finding.due_on.isoformat()})
        fallback = list(User.objects.filter(is_active=True, role__in=ESCALATE_TO_ROLES).values_list("pk", flat=True))
        notification_emit(
            event=NotificationEvent.ESCALATION, fault_level=None, organization_id=finding.organization_id,
            dedup_key=f"security-finding:{finding.pk}:overdue", now=now,
            context={
                "title": msg(gettext_noop("Vulnerability overdue: %(name)s on %(ci)s"), name=finding.name[:120],
                             ci=finding.ci.name),
                "body": msg(gettext_noop("Severity %(severity)s, due %(due)s, still open."),
                            severity=term(choice_msgid(Severity(finding.severity).label), "severity"), due=finding.due_on.isoformat()),
                "link": reverse("security:finding", args=[finding.pk]),
                "fallback_user_ids": fallback,
            })
        return True


def findings_escalate_overdue(*, now: datetime) -> int:
    """Escalate each open finding past its due date once. Idempotent; one failure does not stop the rest."""
    today = timezone.localdate(now)
    ids = list(Finding.objects.filter(status=FindingStatus.OPEN, escalated_at__isnull=True, due_on__lt=today)
               .values_list("pk", flat=True)[:1000])
    done = 0
    for pk in ids:
        try:
            done += _escalate_one(finding_id=pk, now=now, today=today)
        except Exception:
            log.exception("security finding %s: escalation failed", pk)
    return done


# --- antivirus -------------------------------------------------------------------------------------

AV_FIELDS = ("product", "signature_date", "last_scan_at", "last_scan_result", "detail")


@transaction.atomic
def antivirus_report(*, ci: CI, data: dict[str, Any], actor: Any, source: str, now: datetime) -> AntivirusStatus:
    """Record a CI's antivirus state (creates or replaces the one row)."""
    _staff(actor)
    product = clean(data.get("product"), 100)
    errors: dict[str, list[str]] = {}
    if not product:
        errors["product"] = [_("This field is required.")]
    result = data.get("last_scan_result") or ScanResult.UNKNOWN
    if result not in ScanResult.values:
        errors["last_scan_result"] = [_("Unknown result.")]
    signature = data.get("signature_date")
    if signature is not None and signature > timezone.localdate(now) + timedelta(days=1):
        errors["signature_date"] = [_("The signature date is in the future.")]
    scan_at = data.get("last_scan_at")
    if scan_at is not None and scan_at > now + timedelta(hours=1):
        errors["last_scan_at"] = [_("The scan time is in the future.")]
    if errors:
        raise ValidationError(errors)
    status, _created = AntivirusStatus.objects.select_for_update().get_or_create(
        ci=ci, defaults={"product": product, "source": source, "updated_at": now})
    status.product = product
    status.signature_date = signature
    status.last_scan_at = scan_at
    status.last_scan_result = result
    status.detail = clean(data.get("detail"), 500)
    status.source = source
    status.updated_at = now
    status.updated_by = actor if getattr(actor, "pk", None) else None
    status.save()
    return status


AV_COLUMNS = {"host": ("host", "ip", "hostname", "asset tag", "asset_tag", "ci", "主机", "资产编号"),
              "product": ("product", "antivirus", "杀毒软件"), "signature": ("signature date", "signatures", "病毒库日期"),
              "scan": ("last scan", "last_scan", "最后扫描"), "result": ("result", "结果")}


@dataclass
class AVImportSummary:
    updated: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def antivirus_import_csv(*, organization: Organization, content: bytes, filename: str, actor: Any,
                         now: datetime) -> AVImportSummary:
    """Antivirus states from a CSV (host or asset tag, product, signature date, last scan, result)."""
    from .parsers import _cell, _header_map

    _staff(actor)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ScanFileError(_("The file is larger than the limit of %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
    try:
        table = list(read_table(content, filename))
    except ScanFileError:
        raise
    except ImportFileError as exc:
        raise ScanFileError(str(exc)) from None
    rows = iter(table)
    first: list[str] = next(rows, [])
    cols = _header_map(first, AV_COLUMNS)
    if "host" not in cols or "product" not in cols:
        raise ScanFileError(_("The CSV file needs the columns host (or asset tag) and product."))
    matcher = CIMatcher(organization.pk)
    out = AVImportSummary()
    words = {label.lower(): value for value, label in ScanResult.choices} | {v: v for v in ScanResult.values}
    for number, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        host = clean(_cell(row, cols, "host"), 200)
        ci_id = matcher.match(ScanRow(line=number, host=host, hostname=host, asset_tag=host))
        if ci_id is None:
            out.unmatched.append({"line": number, "host": host})
            continue
        try:
            signature = date.fromisoformat(_cell(row, cols, "signature").strip()[:10]) if _cell(
                row, cols, "signature").strip() else None
            scan_text = _cell(row, cols, "scan").strip()
            scan_at = None
            if scan_text:
                scan_at = datetime.fromisoformat(scan_text)
                if scan_at.tzinfo is None:
                    scan_at = timezone.make_aware(scan_at)
        except ValueError:
            out.errors.append({"line": number, "message": _("Dates are written YYYY-MM-DD (and HH:MM).")})
            continue
        result = words.get(_cell(row, cols, "result").strip().lower(), ScanResult.UNKNOWN)
        try:
            antivirus_report(ci=CI.objects.get(pk=ci_id), actor=actor, source=UpdateSource.CSV, now=now, data={
                "product": _cell(row, cols, "product"), "signature_date": signature, "last_scan_at": scan_at,
                "last_scan_result": result})
        except ValidationError as exc:
            out.errors.append({"line": number, "message": " ".join(exc.messages)})
            continue
        out.updated += 1
    return out
