from __future__ import annotations

from typing import Any

from incidents.models import Incident
from opsdesk import serializers
from opsdesk.api_errors import QueryParamsSerializer

from ..choices import CallbackOutcome, FigureSource
from ..models import Callback, SatisfactionRating


class RatingSerializer(serializers.ModelSerializer[SatisfactionRating]):
    assignee_name = serializers.SerializerMethodField()

    class Meta:
        model = SatisfactionRating
        fields = ("id", "ticket_kind", "ticket_id", "ticket_number", "organization", "assignee", "assignee_name",
                  "stars", "comment", "source", "created_at")

    def get_assignee_name(self, obj: SatisfactionRating) -> str:
        return obj.assignee.display_name if obj.assignee else ""


class CallbackQueueSerializer(serializers.ModelSerializer[Incident]):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    attempts = serializers.IntegerField(source="callback_attempts", read_only=True)

    class Meta:
        model = Incident
        fields = ("id", "number", "title", "fault_level", "organization", "organization_name", "contact",
                  "contact_name", "contact_phone", "assignee", "closed_at", "attempts")

    def get_contact_name(self, obj: Incident) -> str:
        return obj.contact.name if obj.contact else ""

    def get_contact_phone(self, obj: Incident) -> str:
        return obj.contact.phone if obj.contact else ""


class CallbackSerializer(serializers.ModelSerializer[Callback]):
    incident_number = serializers.CharField(source="incident.number", read_only=True)

    class Meta:
        model = Callback
        fields = ("id", "incident", "incident_number", "organization", "assignee", "outcome", "satisfaction",
                  "notes", "follow_up", "attempts", "called_by", "called_at")


class CallbackInputSerializer(serializers.Serializer[Any]):
    incident = serializers.IntegerField(min_value=1)
    outcome = serializers.ChoiceField(choices=CallbackOutcome.choices)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up = serializers.BooleanField(required=False, default=False)


class FiguresQuerySerializer(QueryParamsSerializer):
    source = serializers.ChoiceField(choices=FigureSource.choices, required=False, default=FigureSource.RATING)
    group_by = serializers.CharField(required=False, default="organization,assignee,month",
                                     help_text="Comma separated: organization, assignee, month.")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    organization = serializers.IntegerField(required=False, min_value=1)


class FigureRowSerializer(serializers.Serializer[Any]):
    organization_id = serializers.IntegerField(required=False)
    organization_name = serializers.CharField(required=False)
    assignee_id = serializers.IntegerField(required=False, allow_null=True)
    assignee_name = serializers.CharField(required=False, allow_null=True)
    month = serializers.DateTimeField(required=False)
    count = serializers.IntegerField()
    average = serializers.FloatField()
    unhappy = serializers.IntegerField()


class SurveyStatsRowSerializer(serializers.Serializer[Any]):
    organization_id = serializers.IntegerField()
    organization_name = serializers.CharField()
    responses = serializers.IntegerField()
    first_half = serializers.FloatField(allow_null=True)
    second_half = serializers.FloatField(allow_null=True)
    year_average = serializers.FloatField(allow_null=True)
