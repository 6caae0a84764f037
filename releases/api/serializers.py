"""Release API shapes (shared/API.md `releases/`: `number`, `changes`, `status`): one output
shape, and separate input shapes for create, partial update, transitions and deployments."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Organization
from accounts.selectors import organization_list
from changes.models import Change
from changes.selectors import change_base
from opsdesk import serializers
from tickets.api.serializers import AllowedActionsMixin, TransitionInputSerializer, action_field

from ..choices import DeploymentResult, Environment
from ..models import Deployment, Release
from ..workflow import RELEASE_WORKFLOW

User = get_user_model()
MAX_CHANGES = 500


class ReleaseSerializer(serializers.ModelSerializer[Release]):
    changes = serializers.SerializerMethodField(help_text=_("Ids of the changes the release groups."))
    change_numbers = serializers.SerializerMethodField(help_text=_("Their numbers (CHG-…), in the same order."))

    class Meta:
        model = Release
        fields = ["id", "number", "title", "description", "release_version", "status", "organization", "changes",
                  "change_numbers", "plan", "planned_start", "planned_end", "deploy_started_at", "deployed_at",
                  "verified_at", "rolled_back_at", "closed_at", "verification_notes", "rollback_notes",
                  "cancel_reason", "created_by", "reported_at", "version", "created_at", "updated_at"]
        read_only_fields = fields

    def _links(self, obj: Release) -> list[tuple[int, str]]:
        # `release_changes__change` is prefetched by the views (one query per page, not per row).
        return sorted(((link.change_id, link.change.number) for link in obj.release_changes.all()),
                      key=lambda pair: pair[1])

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_changes(self, obj: Release) -> list[int]:
        return [pk for pk, _number in self._links(obj)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_change_numbers(self, obj: Release) -> list[str]:
        return [number for _pk, number in self._links(obj)]


class ReleaseDetailSerializer(AllowedActionsMixin, ReleaseSerializer):
    workflow = RELEASE_WORKFLOW
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ReleaseSerializer.Meta):
        fields = [*ReleaseSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class ChangeIdsField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A change the requesting user can see (an invisible one is "does not exist", never revealed)."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:
            return Change.objects.none()
        return change_base(user=request.user)


class ReleaseWriteMixin(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    release_version = serializers.CharField(max_length=50, help_text=_("The version shipped, e.g. 2.4.0."))
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    plan = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                 help_text=_("The deployment plan."))
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    changes = serializers.ListField(child=ChangeIdsField(), required=False, max_length=MAX_CHANGES,
                                    help_text=_("Ids of the changes (same organisation, in no other open release)."))


class ReleaseCreateSerializer(ReleaseWriteMixin):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["organization"].queryset = organization_list(user=request.user)  # type: ignore[attr-defined]


class ReleaseUpdateSerializer(ReleaseWriteMixin):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("title", "release_version"):
            self.fields[name].required = False


class ReleaseTransitionInputSerializer(TransitionInputSerializer):
    action = action_field(RELEASE_WORKFLOW)
    assignee = None  # type: ignore[assignment]  # (the kernel's fields a release has no use for)
    group = None  # type: ignore[assignment]
    resolution = None  # type: ignore[assignment]
    verification_notes = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                               help_text=_("Required for `verify`."))
    rollback_notes = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                           help_text=_("Required for `roll_back`."))


class DeploymentSerializer(serializers.ModelSerializer[Deployment]):
    deployed_by_name = serializers.CharField(source="deployed_by.display_name", read_only=True)

    class Meta:
        model = Deployment
        fields = ["id", "release", "environment", "site", "started_at", "finished_at", "result", "deployed_by",
                  "deployed_by_name", "notes", "recorded_by", "recorded_at"]
        read_only_fields = fields


class DeploymentInputSerializer(serializers.Serializer[Any]):
    environment = serializers.ChoiceField(choices=Environment.choices)
    site = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    result = serializers.ChoiceField(choices=DeploymentResult.choices)
    deployed_by = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True).exclude(role="customer"), required=False, allow_null=True,
        default=None, help_text=_("A staff member; defaults to you."))
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20000, default="",
                                  help_text=_("Required when the result is failed or rolled back."))
