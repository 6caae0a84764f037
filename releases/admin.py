from django.contrib import admin

from .models import CalendarFeedKey, Deployment, Release


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: releases and deployments change only through the services (events, versions)."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "release_version", "status", "organization", "planned_start", "planned_end")
    list_filter = ("status",)
    search_fields = ("number", "title", "release_version")
    list_select_related = ("organization",)
    show_full_result_count = False


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("release", "environment", "site", "result", "started_at", "finished_at", "deployed_by")
    list_filter = ("environment", "result")
    list_select_related = ("release", "deployed_by")


@admin.register(CalendarFeedKey)
class CalendarFeedKeyAdmin(admin.ModelAdmin):
    """Deleting a user's key revokes their calendar subscription address (a new one is made on their
    next visit to the subscribe page)."""

    list_display = ("user", "created_at")
    search_fields = ("user__username", "user__name")
    readonly_fields = ("user", "key", "created_at")
    list_select_related = ("user",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
