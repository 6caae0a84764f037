from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import (
    AvailabilityTarget,
    Callback,
    CallbackSampling,
    HotlineTarget,
    PhoneCall,
    Question,
    Questionnaire,
    RatingInvitation,
    SatisfactionRating,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
)


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    fields = ("position", "text", "kind", "choices", "required")


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("title", "is_active", "send_every_half_year", "created_at")
    inlines = [QuestionInline]


@admin.register(CallbackSampling)
class CallbackSamplingAdmin(admin.ModelAdmin):
    list_display = ("fault_level", "percent")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ratings, call-backs, rounds and answers are written by the services only."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(ReadOnlyAdmin):
    list_display = ("ticket_number", "organization", "assignee", "stars", "source", "created_at")
    list_filter = ("stars", "source")


@admin.register(RatingInvitation)
class RatingInvitationAdmin(ReadOnlyAdmin):
    list_display = ("ticket_kind", "ticket_id", "organization", "email", "emailed_at", "used_at", "expires_at")
    exclude = ("nonce",)


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = ("incident", "organization", "outcome", "satisfaction", "follow_up", "called_by", "called_at")
    list_filter = ("outcome", "follow_up")


@admin.register(SurveyRound)
class SurveyRoundAdmin(ReadOnlyAdmin):
    list_display = ("questionnaire", "organization", "year", "half", "sent_at", "closes_at")


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ("round", "contact", "email", "emailed_at", "used_at")
    exclude = ("nonce",)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("round", "organization", "submitted_at")


@admin.register(AvailabilityTarget)
class AvailabilityTargetAdmin(admin.ModelAdmin):
    list_display = ("service", "target_pct", "note")
    autocomplete_fields = ("service",)


@admin.register(HotlineTarget)
class HotlineTargetAdmin(admin.ModelAdmin):
    list_display = ("organization", "target_pct")


@admin.register(PhoneCall)
class PhoneCallAdmin(admin.ModelAdmin):
    """Imported call records are evidence: read here, never edited or deleted."""

    list_display = ("started_at", "organization", "caller", "disposition", "talk_seconds", "source_file")
    list_filter = ("organization", "disposition")
    search_fields = ("call_id", "caller", "dialled")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
