"""Scanner exports: each format read from a small realistic file, matched to CIs by IP, host name or
asset tag; importing the same export twice changes nothing; unmatched rows are kept, never lost;
a newer full scan marks what it no longer lists "not seen" (never closes it); a fixed finding seen
again reopens; a bad or hostile file is a clear error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from security.choices import FindingStatus, ImportStatus, Severity
from security.models import Finding, FindingEvent, ScanImport, UnmatchedRow
from security.parsers import ScanFileError, parse_export
from security.services import finding_transition, scan_import_apply, scan_import_preview, unmatched_assign

from .conftest import at, fixture_bytes

CASES = {
    # file: (format, {(ci key, vuln id, port): severity}, unmatched, skipped information rows)
    "openvas-report.xml": ("openvas_xml", {
        ("web", "1.3.6.1.4.1.25623.1.0.104859", "22/tcp"): Severity.CRITICAL,
        ("web", "1.3.6.1.4.1.25623.1.0.117274", "443/tcp"): Severity.MEDIUM,
        ("db", "1.3.6.1.4.1.25623.1.0.103551", "3306/tcp"): Severity.HIGH}, 1, 1),
    "scan.nessus": ("nessus_xml", {
        ("web", "187315", "443/tcp"): Severity.CRITICAL, ("web", "153953", "22/tcp"): Severity.MEDIUM,
        ("db", "10674", "1433/tcp"): Severity.HIGH}, 1, 1),
    "nessus-export.csv": ("nessus_csv", {
        ("web", "187315", "443/tcp"): Severity.CRITICAL, ("web", "153953", "22/tcp"): Severity.MEDIUM,
        ("db", "10674", "1433/tcp"): Severity.HIGH}, 1, 1),
    "generic.csv": ("generic_csv", {
        ("web", "CVE-2021-44228", "8080/tcp"): Severity.CRITICAL,
        ("db", "CVE-2022-22965", "8443/tcp"): Severity.CRITICAL}, 1, 0),
}


def _import(org, name, user, now, full_scan=False):
    scan = scan_import_preview(organization=org, content=fixture_bytes(name), filename=name, full_scan=full_scan,
                               actor=user, now=now)
    return scan, scan_import_apply(import_id=scan.pk, actor=user, now=now)


def _state():
    return (sorted(Finding.objects.values_list("scanner", "ci_id", "vuln_id", "port", "cves", "name", "severity",
                                               "cvss", "status", "first_seen_at", "last_seen_at", "due_on",
                                               "version", "last_import_id")),
            sorted(UnmatchedRow.objects.values_list("host", "vuln_id", "port", "last_import_id")),
            FindingEvent.objects.count())


@pytest.mark.parametrize("name", list(CASES))
def test_each_format_imported_twice_changes_nothing(db, hosts, org_a, engineer, name):
    fmt, expected, unmatched, skipped = CASES[name]
    preview, scan = _import(org_a, name, engineer, at(2026, 10, 9))
    assert scan.format == fmt and scan.status == ImportStatus.APPLIED
    # The preview said exactly what the import then did, and wrote nothing itself.
    assert preview.summary == scan.summary
    s = scan.summary
    assert (s["created"], s["updated"], s["unchanged"], s["unmatched"], s["unmatched_new"], s["skipped_info"]) == (
        len(expected), 0, 0, unmatched, unmatched, skipped)
    got = {(next(k for k, ci in hosts.items() if ci.pk == f.ci_id), f.vuln_id, f.port): f.severity
           for f in Finding.objects.all()}
    assert got == expected
    assert not Finding.objects.filter(ci=hosts["other"]).exists()  # organisation B's look-alike host
    before = _state()

    _preview2, again = _import(org_a, name, engineer, at(2026, 10, 12))
    s2 = again.summary
    assert (s2["created"], s2["updated"], s2["reopened"], s2["unchanged"], s2["unmatched_new"]) == (
        0, 0, 0, len(expected), 0)
    assert _state() == before
    assert ScanImport.objects.filter(status=ImportStatus.APPLIED).count() == 2  # the upload log keeps both


def test_nessus_cves_of_one_plugin_merged_and_values_read(db, hosts, org_a, engineer):
    _import(org_a, "nessus-export.csv", engineer, at(2026, 10, 9))
    apache = Finding.objects.get(vuln_id="187315")
    assert apache.cves == "CVE-2023-31122,CVE-2023-43622" and str(apache.cvss) == "7.8"
    assert apache.solution == "Upgrade to Apache version 2.4.58 or later."
    xml = parse_export(fixture_bytes("scan.nessus"), "scan.nessus")
    assert xml.scanned_at is not None and xml.scanned_at.isoformat().startswith("2026-09-30T10:05")
    apache_xml = next(r for r in xml.rows if r.vuln_id == "187315")
    assert apache_xml.cves == ["CVE-2023-31122", "CVE-2023-43622", "CVE-2023-45802"] and str(apache_xml.cvss) == "9.1"


def test_hostile_cells_are_kept_as_text(db, hosts, org_a, engineer):
    _import(org_a, "generic.csv", engineer, at(2026, 10, 9))
    row = UnmatchedRow.objects.get(host="10.9.9.9")
    assert row.data["name"] == "=cmd|' /C calc'!A0" and row.data["solution"] == "@SUM(1+1)"


def test_unmatched_rows_kept_then_assigned(db, hosts, org_a, engineer):
    _import(org_a, "openvas-report.xml", engineer, at(2026, 10, 9))
    row = UnmatchedRow.objects.get()
    assert (row.host, row.port, row.data["name"]) == ("10.9.9.9", "23/tcp", "Telnet Unencrypted Cleartext Login")
    with pytest.raises(ValidationError):  # a CI of another organisation
        unmatched_assign(row_id=row.pk, ci=hosts["other"], actor=engineer, now=at(2026, 10, 9, 11))
    finding = unmatched_assign(row_id=row.pk, ci=hosts["web"], actor=engineer, now=at(2026, 10, 9, 11))
    assert (finding.ci_id, finding.severity, finding.vuln_id) == (hosts["web"].pk, Severity.MEDIUM,
                                                                 "1.3.6.1.4.1.25623.1.0.108522")
    # Importing the same export again finds the row assigned: no new unmatched row, nothing else changes.
    _p, again = _import(org_a, "openvas-report.xml", engineer, at(2026, 10, 10))
    assert again.summary["unmatched_new"] == 0 and UnmatchedRow.objects.count() == 1


def test_newer_full_scan_marks_not_seen_and_fixed_one_reopens(db, hosts, org_a, engineer):
    _import(org_a, "scan.nessus", engineer, at(2026, 10, 9))
    weak = Finding.objects.get(vuln_id="153953")
    apache = Finding.objects.get(vuln_id="187315")
    finding_transition(finding_id=apache.pk, action="fix", actor=engineer, now=at(2026, 10, 9, 12))
    newer = fixture_bytes("scan.nessus").replace(b"Sep 30", b"Oct 20").replace(
        b'<ReportItem port="22" svc_name="ssh"', b'<ReportItem port="2222" svc_name="ssh"')
    scan = scan_import_preview(organization=org_a, content=newer, filename="october.nessus", full_scan=True,
                               actor=engineer, now=at(2026, 10, 21))
    assert scan.summary["not_seen"] == 1 and scan.summary["reopened"] == 1
    scan_import_apply(import_id=scan.pk, actor=engineer, now=at(2026, 10, 21))
    weak.refresh_from_db()
    apache.refresh_from_db()
    assert weak.status == FindingStatus.OPEN and weak.not_seen_at is not None  # flagged, not closed
    assert apache.status == FindingStatus.OPEN and apache.reopened == 1 and apache.escalated_at is None
    assert Finding.objects.get(vuln_id="153953", port="2222/tcp").status == FindingStatus.OPEN


def test_older_export_does_not_reopen_a_fixed_finding(db, hosts, org_a, engineer):
    _import(org_a, "scan.nessus", engineer, at(2026, 10, 9))
    apache = Finding.objects.get(vuln_id="187315")
    finding_transition(finding_id=apache.pk, action="fix", actor=engineer, now=at(2026, 10, 9, 12))
    _p, again = _import(org_a, "scan.nessus", engineer, at(2026, 10, 10))
    apache.refresh_from_db()
    assert apache.status == FindingStatus.FIXED and again.summary["reopened"] == 0


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><report>&x;</report>", "DTD"),
    (b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;'>]><report>&lol2;</report>",
     "DTD"),
    (b"<report><result><nvt oid='1'>", "cannot be read"),
    (b"<html><body>not a report</body></html>", "neither"),
    (b"\x00\x01\x02binary", "not a CSV"),
    (b"a,b,c\n1,2,3\n", "needs a host"),
])
def test_bad_files_are_clear_errors(db, org_a, engineer, content, message):
    with pytest.raises(ScanFileError, match=message):
        scan_import_preview(organization=org_a, content=content, filename="x", full_scan=False, actor=engineer,
                            now=at(2026, 10, 9))
    assert not ScanImport.objects.exists()


def test_oversized_file_refused(db, org_a, engineer, settings):
    with pytest.raises(ScanFileError, match="larger than"):
        scan_import_preview(organization=org_a, content=b"x" * (20 * 1024 * 1024 + 1), filename="big.csv",
                            full_scan=False, actor=engineer, now=at(2026, 10, 9))


def test_customer_may_not_import(db, org_a, customer_a):
    with pytest.raises(ValidationError):
        scan_import_preview(organization=org_a, content=fixture_bytes("generic.csv"), filename="g.csv",
                            full_scan=False, actor=customer_a, now=at(2026, 10, 9))
