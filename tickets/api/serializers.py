"""Serializers shared by every ticket type (timeline, transitions) and those of service requests.
Input and output shapes are separate classes; none of them writes: views call the services."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.authtoken.models import Token

from accounts.models import Contact, Organization
from accounts.selectors import contact_list, organization_list
from opsdesk import serializers
from opsdesk.statements import compiled_get

from ..choices import Channel, RequestType
from ..models import Attachment, Comment, ServiceRequest, TicketEvent, WorkLog
from ..request_workflow import REQUEST_WORKFLOW
from ..services import MAX_WORKLOG_MINUTES
from ..workflow import Workflow

# --- timeline: output ---------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author_name = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "author_name", "body", "public", "created_at"]
        read_only_fields = fields


class WorkLogSerializer(serializers.ModelSerializer[WorkLog]):
    author_name = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = WorkLog
        fields = ["id", "author", "author_name", "minutes", "note", "work_date", "created_at"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    author_name = serializers.CharField(source="author.display_name", read_only=True)
    download_url = serializers.SerializerMethodField(help_text=_("Downloads the file (checks visibility)."))

    class Meta:
        model = Attachment
        fields = ["id", "author", "author_name", "name", "size", "content_type", "sha256", "public", "created_at",
                  "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: Attachment) -> str | None:
        route = self.context.get("download_route")
        request = self.context.get("request")
        if not route:
            return None
        try:
            path = reverse(route, kwargs={"pk": obj.ticket_id, "attachment_id": obj.pk})
        except NoReverseMatch:
            return None
        return request.build_absolute_uri(path) if request is not None else path


class TicketEventSerializer(serializers.ModelSerializer[TicketEvent]):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "seq", "action", "actor", "actor_name", "data", "public", "created_at", "hash", "prev_hash"]
        read_only_fields = fields

    def get_actor_name(self, obj: TicketEvent) -> str:
        return obj.actor.display_name if obj.actor is not None else ""


# --- timeline: input ----------------------------------------------------------------------------


class CommentInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000)
    public = serializers.BooleanField(default=False, help_text=_("Customers always write public comments."))


class WorkLogInputSerializer(serializers.Serializer[Any]):
    minutes = serializers.IntegerField(min_value=1, max_value=MAX_WORKLOG_MINUTES)
    note = serializers.CharField(max_length=20000)
    work_date = serializers.DateField(required=False, allow_null=True, default=None, help_text=_("Defaults to today."))


class AttachmentInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=_("At most ATTACHMENT_MAX_BYTES; larger uploads get 413."))
    public = serializers.BooleanField(default=False)


# --- transitions --------------------------------------------------------------------------------


def action_field(workflow: Workflow) -> serializers.CharField:
    """A plain string (so that an unknown action is answered with the allowed ones), documented
    as an enum of the workflow's actions."""

    @extend_schema_field({"type": "string", "enum": workflow.actions})
    class ActionField(serializers.CharField):
        pass

    return ActionField(max_length=30)


class TransitionInputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    group = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=20000)

    def payload(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("action", None)
        data.pop("version", None)
        return {key: value for key, value in data.items() if value not in (None, "")}


class RequestTransitionInputSerializer(TransitionInputSerializer):
    action = action_field(REQUEST_WORKFLOW)


# --- service requests -----------------------------------------------------------------------------


class AllowedActionsMixin(serializers.Serializer[Any]):
    """`allowed_actions`: what the requesting user may do now (detail and write responses)."""

    workflow: Workflow

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Any) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [t.action for t in self.workflow.allowed(obj, request.user)]


class ServiceRequestSerializer(serializers.ModelSerializer[ServiceRequest]):
    class Meta:
        model = ServiceRequest
        fields = ["id", "number", "title", "description", "request_type", "status", "channel", "organization",
                  "contact", "assignee", "group", "reported_at", "responded_at", "resolved_at", "closed_at",
                  "resolution", "cancel_reason", "version", "created_at", "updated_at"]
        read_only_fields = fields


class ServiceRequestDetailSerializer(AllowedActionsMixin, ServiceRequestSerializer):
    workflow = REQUEST_WORKFLOW
    allowed_actions = serializers.SerializerMethodField()

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields


class OrganizationField(serializers.ScopedRelatedField):
    """The organisation a ticket is created in, among those the user may see (organization_list): read
    by a statement compiled once per visibility (opsdesk.statements.compiled_get), as every create
    names one (issue 19: the ORM spent ~0.5 ms building the same lookup each time)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(scope=organization_list, model=Organization, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        request = self.context.get("request")
        if request is None or isinstance(data, bool) or not isinstance(data, int):
            return super().to_internal_value(data)  # text from a form, or a wrong type: DRF's checks and messages
        user = request.user
        own = user.is_authenticated and user.is_customer and not user.is_superuser
        shape = ("ticket_organization", user.is_authenticated, own, user.organization_id if own else None)
        organization = compiled_get(model=Organization, shape=shape, key=data,
                                    build=lambda key: organization_list(user=user).filter(pk=key))
        if organization is None:
            self.fail("does_not_exist", pk_value=data)
        return organization


class TicketCreateMixin(serializers.Serializer[Any]):
    """Organisation, contact and channel rules shared by every ticket created through the API:
    customers get their own organisation and the portal/api channel; staff must name the organisation."""

    organization = OrganizationField(
        required=False, help_text=_("Required for staff; customers always create in their own organisation."),
    )
    contact = serializers.ScopedRelatedField(scope=contact_list, model=Contact, required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    reported_at = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        user = request.user
        if user.is_customer:
            attrs["organization"] = user.organization
            via_token = isinstance(request.auth, Token)
            if attrs.get("channel") not in (Channel.PORTAL, Channel.API):
                attrs["channel"] = Channel.API if via_token else Channel.PORTAL
        elif attrs.get("organization") is None:
            raise serializers.ValidationError({"organization": [_("Choose the customer organisation.")]})
        attrs.setdefault("channel", Channel.API)
        return attrs


class ServiceRequestCreateSerializer(TicketCreateMixin):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    request_type = serializers.ChoiceField(choices=RequestType.choices)

