"""Security admin: the settings (ages that flag antivirus, working days to fix by severity) are
edited here; findings, imports and antivirus rows are read-only (they change through the services)."""

from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import AntivirusStatus, Finding, FindingEvent, ScanImport, SecurityPolicy, UnmatchedRow


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "signature_max_age_days", "scan_max_age_days", "critical_days", "high_days",
                    "medium_days", "low_days")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not SecurityPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    formfield_overrides = JSON_FORMFIELD_OVERRIDES

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Finding)
class FindingAdmin(ReadOnly):
    list_display = ("name", "ci", "severity", "status", "due_on", "scanner", "vuln_id", "port")
    list_filter = ("status", "severity", "scanner", "organization")
    search_fields = ("name", "cves", "vuln_id", "ci__name")
    raw_id_fields = ("ci",)


@admin.register(AntivirusStatus)
class AntivirusStatusAdmin(ReadOnly):
    list_display = ("ci", "product", "signature_date", "last_scan_at", "last_scan_result", "source")
    search_fields = ("ci__name", "product")


@admin.register(ScanImport)
class ScanImportAdmin(ReadOnly):
    list_display = ("filename", "organization", "format", "status", "created_at", "applied_at")
    list_filter = ("status", "format")
    exclude = ("content",)


@admin.register(UnmatchedRow)
class UnmatchedRowAdmin(ReadOnly):
    list_display = ("host", "vuln_id", "port", "organization", "finding")


@admin.register(FindingEvent)
class FindingEventAdmin(ReadOnly):
    list_display = ("finding", "action", "actor", "at")
    raw_id_fields = ("finding",)
