from django.contrib import admin

from .models import CI, CIClass


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CI)
class CIAdmin(admin.ModelAdmin):
    list_display = ("name", "ci_class", "organization", "status", "location", "serial")
    list_filter = ("ci_class", "status", "organization")
    search_fields = ("name", "serial", "location")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
