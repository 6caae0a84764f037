from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Severity(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("severity", "Critical")
    HIGH = "high", pgettext_lazy("severity", "High")
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")
    LOW = "low", pgettext_lazy("severity", "Low")


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class FindingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("finding", "Open")
    FIXED = "fixed", pgettext_lazy("finding", "Fixed")
    ACCEPTED = "accepted", _("Risk accepted")
    FALSE_POSITIVE = "false_positive", _("False positive")


# The actions staff take on a finding, and the statuses each leaves from.
FINDING_ACTIONS = {
    "fix": (FindingStatus.FIXED, (FindingStatus.OPEN,)),
    "accept": (FindingStatus.ACCEPTED, (FindingStatus.OPEN,)),
    "false_positive": (FindingStatus.FALSE_POSITIVE, (FindingStatus.OPEN,)),
    "reopen": (FindingStatus.OPEN, (FindingStatus.FIXED, FindingStatus.ACCEPTED, FindingStatus.FALSE_POSITIVE)),
}


class Scanner(models.TextChoices):
    OPENVAS = "openvas", _("OpenVAS / Greenbone")
    NESSUS = "nessus", _("Nessus")
    GENERIC = "generic", _("Other scanner (generic CSV)")


class ExportFormat(models.TextChoices):
    OPENVAS_XML = "openvas_xml", _("OpenVAS / Greenbone XML report")
    NESSUS_XML = "nessus_xml", _("Nessus .nessus (XML)")
    NESSUS_CSV = "nessus_csv", _("Nessus CSV export")
    GENERIC_CSV = "generic_csv", _("Generic CSV (CVE, CVSS, host, port, name, solution)")


FORMAT_SCANNER = {
    ExportFormat.OPENVAS_XML: Scanner.OPENVAS,
    ExportFormat.NESSUS_XML: Scanner.NESSUS,
    ExportFormat.NESSUS_CSV: Scanner.NESSUS,
    ExportFormat.GENERIC_CSV: Scanner.GENERIC,
}


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Preview")
    APPLIED = "applied", _("Imported")
    DISCARDED = "discarded", _("Discarded")


class ScanResult(models.TextChoices):
    CLEAN = "clean", _("Clean")
    THREATS = "threats", _("Threats found")
    FAILED = "failed", _("Scan failed")
    UNKNOWN = "unknown", _("Unknown")


class UpdateSource(models.TextChoices):
    API = "api", _("API")
    CSV = "csv", _("CSV import")
    MANUAL = "manual", _("By hand")
