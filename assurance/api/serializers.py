"""Assurance API shapes: outputs apart from inputs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup
from accounts.selectors import organization_list
from cmdb.models import CI
from cmdb.selectors import ci_list
from opsdesk import serializers
from problems.choices import ProblemPriority

from ..choices import BackupMethod, RunOutcome
from ..models import AssuranceEvent, BackupJob, BackupRun, Drill, DrillFinding, EmergencyPlan, RestoreTest

VERSION_HELP = _("The version you read; a stale one is refused with 409.")


class PlanSerializer(serializers.ModelSerializer[EmergencyPlan]):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    cis: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = EmergencyPlan
        fields = ["id", "organization", "organization_name", "name", "cis", "scenario", "steps", "contacts",
                  "rto_minutes", "review_interval_months", "last_reviewed_on", "next_review_due",
                  "review_escalated_at", "group", "is_active", "version", "created_at", "updated_at"]
        read_only_fields = fields


class DrillFindingSerializer(serializers.ModelSerializer[DrillFinding]):
    problem_number = serializers.SerializerMethodField()

    class Meta:
        model = DrillFinding
        fields = ["id", "text", "problem", "problem_number", "created_at"]
        read_only_fields = fields

    def get_problem_number(self, obj: DrillFinding) -> str:
        return obj.problem.number if obj.problem_id and obj.problem else ""


class DrillSerializer(serializers.ModelSerializer[Drill]):
    findings = DrillFindingSerializer(many=True, read_only=True)

    class Meta:
        model = Drill
        fields = ["id", "plan", "organization", "title", "scheduled_start", "scheduled_end", "record_due_at", "status",
                  "participants", "step_results", "recovery_minutes", "rto_minutes", "rto_met", "summary",
                  "recorded_at", "escalated_at", "version", "findings"]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer[BackupJob]):
    ci_name = serializers.CharField(source="ci.name", read_only=True)
    incident_number = serializers.SerializerMethodField()
    is_late = serializers.SerializerMethodField(help_text=_("No successful run within interval + grace."))
    restore_stale = serializers.SerializerMethodField(help_text=_("The last passed restore test is too old (or none)."))

    class Meta:
        model = BackupJob
        fields = ["id", "organization", "ci", "ci_name", "name", "method", "interval_hours", "grace_hours", "retention",
                  "location", "restore_max_age_days", "group", "last_run_at", "last_success_at",
                  "last_restore_ok_at", "incident", "incident_number", "incident_repeats", "is_late",
                  "restore_stale", "is_active", "version", "created_at"]
        read_only_fields = fields

    def get_incident_number(self, obj: BackupJob) -> str:
        return obj.incident.number if obj.incident_id and obj.incident else ""

    def get_is_late(self, obj: BackupJob) -> bool:
        return bool(getattr(obj, "is_late", False))

    def get_restore_stale(self, obj: BackupJob) -> bool:
        return bool(getattr(obj, "restore_stale", False))


class JobCreatedSerializer(JobSerializer):
    token = serializers.SerializerMethodField(help_text=_("The reporting token, shown only now."))

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, obj: BackupJob) -> str:
        return str(self.context.get("token", ""))


class RunSerializer(serializers.ModelSerializer[BackupRun]):
    class Meta:
        model = BackupRun
        fields = ["id", "job", "started_at", "finished_at", "outcome", "size_bytes", "message", "source", "incident",
                  "created_at"]
        read_only_fields = fields


class RestoreTestSerializer(serializers.ModelSerializer[RestoreTest]):
    class Meta:
        model = RestoreTest
        fields = ["id", "job", "organization", "scheduled_for", "status", "restored_what", "check_method",
                  "duration_minutes", "performed_at", "notes", "created_at"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer[AssuranceEvent]):
    class Meta:
        model = AssuranceEvent
        fields = ["id", "action", "actor", "data", "at"]
        read_only_fields = fields


# --- inputs -----------------------------------------------------------------------------------

class _Scoped(serializers.Serializer[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        if "cis" in self.fields:
            self.fields["cis"].child_relation.queryset = ci_list(user=request.user)  # type: ignore[attr-defined]
        if "ci" in self.fields:
            self.fields["ci"].queryset = ci_list(user=request.user)  # type: ignore[attr-defined]
        if "organization" in self.fields:
            self.fields["organization"].queryset = organization_list(user=request.user)  # type: ignore[attr-defined]


class PlanInputSerializer(_Scoped):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.none())
    name = serializers.CharField(max_length=200)
    scenario = serializers.CharField(max_length=8000)
    steps = serializers.ListField(child=serializers.CharField(max_length=1000), max_length=100, required=False, default=list)
    contacts = serializers.CharField(max_length=8000, required=False, allow_blank=True, default="")
    rto_minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 30)
    review_interval_months = serializers.IntegerField(min_value=1, max_value=60, required=False, default=12)
    last_reviewed_on = serializers.DateField(required=False, allow_null=True, default=None)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False, allow_null=True,
                                               default=None)
    cis = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), many=True, required=False, default=list)


class PlanUpdateSerializer(_Scoped):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    name = serializers.CharField(max_length=200, required=False)
    scenario = serializers.CharField(max_length=8000, required=False)
    steps = serializers.ListField(child=serializers.CharField(max_length=1000), max_length=100, required=False)
    contacts = serializers.CharField(max_length=8000, required=False, allow_blank=True)
    rto_minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 30, required=False)
    review_interval_months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    cis = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), many=True, required=False)


class ReviewInputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    reviewed_on = serializers.DateField()
    note = serializers.CharField(max_length=8000, required=False, allow_blank=True, default="")


class DrillInputSerializer(serializers.Serializer[Any]):
    plan = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    scheduled_start = serializers.DateTimeField()
    scheduled_end = serializers.DateTimeField()


class StepResultSerializer(serializers.Serializer[Any]):
    step = serializers.IntegerField(min_value=0, max_value=99)
    done = serializers.BooleanField()
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DrillRecordSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    participants = serializers.CharField(max_length=8000)
    step_results = StepResultSerializer(many=True, required=False, default=list)
    recovery_minutes = serializers.IntegerField(min_value=0, max_value=10**6, required=False, allow_null=True,
                                                default=None)
    summary = serializers.CharField(max_length=8000, required=False, allow_blank=True, default="")
    findings = serializers.ListField(child=serializers.CharField(max_length=8000), max_length=50, required=False,
                                     default=list)


class ProblemInputSerializer(serializers.Serializer[Any]):
    priority = serializers.ChoiceField(choices=ProblemPriority.choices, required=False, default=ProblemPriority.MEDIUM)


class JobInputSerializer(_Scoped):
    ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none())
    name = serializers.CharField(max_length=200)
    method = serializers.ChoiceField(choices=BackupMethod.choices, required=False, default=BackupMethod.RSYNC)
    interval_hours = serializers.IntegerField(min_value=1, max_value=24 * 366, required=False, default=24)
    grace_hours = serializers.IntegerField(min_value=0, max_value=24 * 30, required=False, default=2)
    retention = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    restore_max_age_days = serializers.IntegerField(min_value=1, max_value=3660, required=False, allow_null=True,
                                                    default=None)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False, allow_null=True,
                                               default=None)


class JobUpdateSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    name = serializers.CharField(max_length=200, required=False)
    method = serializers.ChoiceField(choices=BackupMethod.choices, required=False)
    interval_hours = serializers.IntegerField(min_value=1, max_value=24 * 366, required=False)
    grace_hours = serializers.IntegerField(min_value=0, max_value=24 * 30, required=False)
    retention = serializers.CharField(max_length=100, required=False, allow_blank=True)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True)
    restore_max_age_days = serializers.IntegerField(min_value=1, max_value=3660, required=False, allow_null=True)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class RunInputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=RunOutcome.choices)
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    size_bytes = serializers.IntegerField(min_value=0, max_value=2**62, required=False, allow_null=True, default=None)
    message = serializers.CharField(max_length=8000, required=False, allow_blank=True, default="")


class RestoreScheduleSerializer(serializers.Serializer[Any]):
    job = serializers.IntegerField(min_value=1)
    scheduled_for = serializers.DateField()


class RestoreRecordSerializer(serializers.Serializer[Any]):
    passed = serializers.BooleanField()
    restored_what = serializers.CharField(max_length=8000)
    check_method = serializers.CharField(max_length=8000)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=10**6, required=False, allow_null=True,
                                                default=None)
    performed_at = serializers.DateTimeField()
    notes = serializers.CharField(max_length=8000, required=False, allow_blank=True, default="")
