from django.contrib import admin

from .models import Document, DocumentEvent, DocumentVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: documents change only through the services (versions are immutable, history is
    hash-chained, nothing is deleted)."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class VersionInline(admin.TabularInline):
    model = DocumentVersion
    fields = ("number", "name", "size", "sha256", "uploaded_by", "uploaded_at", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("title", "category", "organization", "latest_number", "published", "status", "updated_at")
    list_filter = ("category", "status", "published")
    search_fields = ("title",)
    list_select_related = ("organization",)
    inlines = [VersionInline]
    show_full_result_count = False


@admin.register(DocumentEvent)
class DocumentEventAdmin(ReadOnlyAdmin):
    list_display = ("document", "seq", "action", "actor", "created_at")
    list_filter = ("action",)
    list_select_related = ("document", "actor")
    show_full_result_count = False
