"""Admin: a read-only view of the assurance records (writes go through the staff pages and the
services, which keep the deadlines, the incident links and the change log; nothing is deleted)."""

from typing import Any

from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import AssuranceEvent, BackupJob, BackupRun, Drill, DrillFinding, EmergencyPlan, RestoreTest


class ReadOnlyAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "rto_minutes", "next_review_due", "group", "is_active"]
    list_filter = ["is_active", "organization"]
    search_fields = ["name", "scenario"]


@admin.register(Drill)
class DrillAdmin(ReadOnlyAdmin):
    list_display = ["title", "organization", "scheduled_start", "status", "rto_met", "record_due_at"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(DrillFinding)
class DrillFindingAdmin(ReadOnlyAdmin):
    list_display = ["drill", "text", "problem", "created_at"]


@admin.register(BackupJob)
class BackupJobAdmin(ReadOnlyAdmin):
    list_display = ["name", "ci", "organization", "method", "interval_hours", "last_success_at", "last_restore_ok_at",
                    "incident", "is_active"]
    list_filter = ["method", "is_active"]
    search_fields = ["name", "ci__name", "location"]
    exclude = ["token_hash"]


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "started_at", "outcome", "size_bytes", "source", "incident"]
    list_filter = ["outcome", "source"]


@admin.register(RestoreTest)
class RestoreTestAdmin(ReadOnlyAdmin):
    list_display = ["job", "scheduled_for", "status", "duration_minutes", "performed_at"]
    list_filter = ["status"]


@admin.register(AssuranceEvent)
class AssuranceEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "subject", "subject_id", "action", "actor", "organization"]
    list_filter = ["subject", "action"]
