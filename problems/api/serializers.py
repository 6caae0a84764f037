"""Problem API shapes (shared/API.md `problems/`): output shapes, and separate input shapes for
create, partial update, transitions and linking. Serializers validate and shape; views call services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Organization, SupportGroup, User
from accounts.selectors import organization_list
from cmdb.models import CI
from cmdb.selectors import ci_list
from incidents.choices import CauseCategory
from opsdesk import serializers
from opsdesk.api_errors import MAX_DB_ID, QueryParamsSerializer
from tickets.api.serializers import AllowedActionsMixin, TransitionInputSerializer, action_field

from ..choices import ProblemPriority
from ..models import Problem, ProblemIncident
from ..selectors import problem_incident_ids
from ..services import MAX_LINK_BATCH
from ..workflow import PROBLEM_WORKFLOW


class ProblemSerializer(serializers.ModelSerializer[Problem]):
    """A problem as lists show it; `incidents` are the ids of the incidents linked now."""

    incidents = serializers.SerializerMethodField(help_text=_("Ids of the incidents linked now."))
    known_error_id = serializers.CharField(read_only=True, help_text=_("KE-… once it is a known error, else empty."))

    class Meta:
        model = Problem
        fields = ["id", "number", "title", "description", "status", "priority", "organization", "ci",
                  "cause_category", "root_cause", "workaround", "known_error", "known_error_id", "known_error_at",
                  "incidents", "assignee", "group", "fix_change_number", "reported_at", "responded_at",
                  "resolved_at", "fixed_at", "closed_at", "version", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_incidents(self, obj: Problem) -> list[int]:
        active = getattr(obj, "active_links", None)
        if active is not None:
            return sorted(link.incident_id for link in active)
        return problem_incident_ids(obj)


class ProblemLinkSerializer(serializers.ModelSerializer[ProblemIncident]):
    number = serializers.CharField(source="incident.number", read_only=True)
    title = serializers.CharField(source="incident.title", read_only=True)
    status = serializers.CharField(source="incident.status", read_only=True)
    linked_by_name = serializers.CharField(source="linked_by.display_name", read_only=True)

    class Meta:
        model = ProblemIncident
        fields = ["incident", "number", "title", "status", "linked_by", "linked_by_name", "linked_at"]
        read_only_fields = fields


class ProblemDetailSerializer(AllowedActionsMixin, ProblemSerializer):
    workflow = PROBLEM_WORKFLOW
    allowed_actions = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField(help_text=_("The linked incidents with who linked them and when."))

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "resolution", "cancel_reason", "links", "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(ProblemLinkSerializer(many=True))
    def get_links(self, obj: Problem) -> list[dict[str, Any]]:
        from ..selectors import problem_links  # noqa: PLC0415

        request = self.context.get("request")
        if request is None:
            return []
        return ProblemLinkSerializer(problem_links(user=request.user, problem=obj), many=True).data  # type: ignore[return-value]


class KnownErrorSerializer(serializers.ModelSerializer[Problem]):
    """One entry of the known-error base."""

    known_error_id = serializers.CharField(read_only=True)
    fixed = serializers.SerializerMethodField(help_text=_("A change or a resolution has removed the error."))
    rank = serializers.SerializerMethodField(help_text=_("Search relevance (higher is better); null without q."))

    class Meta:
        model = Problem
        fields = ["id", "number", "known_error_id", "title", "status", "organization", "ci", "cause_category",
                  "root_cause", "workaround", "known_error_at", "fix_change_number", "fixed", "rank"]
        read_only_fields = fields

    def get_fixed(self, obj: Problem) -> bool:
        return obj.status in ("resolved", "closed")

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_rank(self, obj: Problem) -> float | None:
        rank = getattr(obj, "search_rank", None)
        return round(float(rank), 6) if rank is not None else None


# --- input -----------------------------------------------------------------------------------------

class IncidentIdsField(serializers.ListField):
    child = serializers.IntegerField(min_value=1, max_value=MAX_DB_ID)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_LINK_BATCH)
        super().__init__(**kwargs)


class ScopedFieldsMixin(serializers.Serializer[Any]):
    """CI and organisation choices limited to what the requesting user may see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation
            return
        if "ci" in self.fields:
            self.fields["ci"].queryset = ci_list(user=request.user)  # type: ignore[attr-defined]
        if "organization" in self.fields:
            self.fields["organization"].queryset = organization_list(user=request.user)  # type: ignore[attr-defined]


def _staff_users() -> Any:
    return User.objects.filter(is_active=True).exclude(role="customer")


class ProblemWritableMixin(ScopedFieldsMixin):
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    priority = serializers.ChoiceField(choices=ProblemPriority.choices, required=False)
    ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True)
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    assignee = serializers.PrimaryKeyRelatedField(queryset=_staff_users(), required=False, allow_null=True)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.filter(is_active=True), required=False,
                                               allow_null=True)


class ProblemCreateSerializer(ProblemWritableMixin):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.none(), required=False,
        help_text=_("The customer organisation; may be omitted when incidents are given (theirs is taken)."))
    title = serializers.CharField(max_length=200)
    incidents = IncidentIdsField(required=False, default=list,
                                 help_text=_("Incidents to open the problem from (same organisation)."))


class ProblemUpdateSerializer(ProblemWritableMixin):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    title = serializers.CharField(required=False, max_length=200)


class ProblemTransitionInputSerializer(TransitionInputSerializer):
    action = action_field(PROBLEM_WORKFLOW)
    root_cause = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                       help_text=_("known_error: the root cause (or the one already recorded)."))
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                       help_text=_("known_error: the workaround (or the one already recorded)."))
    change_number = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                          help_text=_("fix: the change (CHG-…) that fixed the problem."))


class ProblemLinkInputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    incidents = IncidentIdsField(min_length=1, help_text=_("Incident ids to link (same organisation)."))


class ProblemUnlinkInputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    incident = serializers.IntegerField(min_value=1, max_value=MAX_DB_ID)


class KnownErrorQuerySerializer(QueryParamsSerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=500,
                              help_text=_("Words (Chinese included) that must all occur, or a KE-/PRB- number."))
    ci = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)
    organization = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)
