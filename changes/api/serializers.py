"""Change API shapes (shared/API.md `changes/`): list and detail output, and separate inputs for
create, partial update and the workflow actions. Serializers validate and shape; views call services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Contact, User
from accounts.selectors import contact_list
from cmdb.models import CI
from cmdb.selectors import ci_list
from incidents.models import Incident
from opsdesk import serializers
from opsdesk.api_errors import MAX_DB_ID
from problems.models import Problem
from tickets.api.serializers import AllowedActionsMixin, TicketCreateMixin, TransitionInputSerializer, action_field
from tickets.models import Approver

from ..choices import (
    ApprovalChannel,
    ApprovalState,
    ChangeRisk,
    ChangeType,
    IncidentRelation,
    ReviewOutcome,
    VoteDecision,
)
from ..models import CAB, CABVote, Change, ChangeIncidentLink, ChangeTemplate, CustomerApproval, FreezeWindow
from ..workflow import CHANGE_WORKFLOW

LIST_FIELDS = ["id", "number", "title", "type", "status", "risk", "organization", "assignee", "requester", "cab",
               "planned_start", "planned_end", "cis", "reported_at", "updated_at", "version"]


class ChangeListItemSerializer(serializers.ModelSerializer[Change]):
    cis = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Change
        fields = LIST_FIELDS
        read_only_fields = fields


class CABTallySerializer(serializers.Serializer[Any]):
    round = serializers.IntegerField()
    approve = serializers.IntegerField()
    reject = serializers.IntegerField()
    members = serializers.IntegerField()
    needed = serializers.IntegerField()


# Staff-written texts of a change that are internal: the customer sees the change as the portal shows
# it (description, reason, plans, risk, window, status), never the CAB's or the engineers' notes.
CUSTOMER_HIDDEN_TEXT = ("conflict_override_reason", "outcome_note")


class ChangeDetailSerializer(AllowedActionsMixin, serializers.ModelSerializer[Change]):
    """Staff see every field. A customer gets `reject_reason` only when it is their own answer (the
    CAB's reason is internal, as on the timeline) and the internal texts of CUSTOMER_HIDDEN_TEXT empty."""

    workflow = CHANGE_WORKFLOW
    cis = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    problems = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    cab_tally = serializers.SerializerMethodField(help_text=_("Votes of the open CAB round (staff only)."))

    class Meta:
        model = Change
        fields = [*LIST_FIELDS, "description", "reason", "template", "risk_score", "risk_answers",
                  "implementation_plan", "backout_plan", "test_plan", "problems", "contact", "cab_round",
                  "customer_approval_required", "review_required", "submitted_at", "assessed_at", "cab_approved_at",
                  "customer_approved_at", "scheduled_at", "actual_start", "implemented_at", "failed_at",
                  "backed_out_at", "rejected_at", "closed_at", "cancelled_at", "outcome_note", "reject_reason",
                  "cancel_reason", "conflict_override_reason", "channel", "created_by", "created_at",
                  "allowed_actions", "cab_tally"]
        read_only_fields = fields

    @extend_schema_field(CABTallySerializer(allow_null=True))
    def get_cab_tally(self, obj: Change) -> dict[str, int] | None:
        from ..services import cab_needed, cab_tally

        request = self.context.get("request")
        if obj.cab is None or obj.cab_round == 0 or request is None or request.user.is_customer:
            return None
        tally = cab_tally(obj)
        return {"round": obj.cab_round, **tally, "needed": cab_needed(obj.cab, tally["members"])}

    def to_representation(self, instance: Change) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and request.user.is_customer:
            for name in CUSTOMER_HIDDEN_TEXT:
                data[name] = ""
            data["reject_reason"] = customer_reject_reason(instance)
        return data


def customer_reject_reason(change: Change) -> str:
    """The rejection reason a customer may read: their own answer to the approval request, if the
    change stands rejected by it; the CAB's reasons stay internal."""
    if not change.reject_reason:
        return ""
    own = (Approver.objects.filter(approval__in=CustomerApproval.objects.of_change(change)
                                   .filter(state=ApprovalState.REJECTED), decision=VoteDecision.REJECT)
           .order_by("-decided_at", "-id").values_list("comment", flat=True).first())
    return own if own is not None and own == change.reject_reason else ""


class ScopedChangeRelationsMixin(serializers.Serializer[Any]):
    """Contact, CI and problem choices limited to what the requesting user may see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation
            return
        user = request.user
        self.fields["contact"].queryset = contact_list(user=user)  # type: ignore[attr-defined]
        self.fields["cis"].child_relation.queryset = ci_list(user=user)  # type: ignore[attr-defined]
        self.fields["problems"].child_relation.queryset = Problem.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).exclude(role="customer")  # type: ignore[attr-defined]
        self.fields["cab"].queryset = CAB.objects.filter(is_active=True)  # type: ignore[attr-defined]


def _risk_answers_field(**kwargs: Any) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(max_length=40), help_text=_(
            "Risk questionnaire: question key → answer value (see GET changes/risk-questions/)."), **kwargs)


class ChangeCreateSerializer(ScopedChangeRelationsMixin, TicketCreateMixin):
    title = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=ChangeType.choices, default=ChangeType.NORMAL)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    template = serializers.PrimaryKeyRelatedField(queryset=ChangeTemplate.objects.filter(is_active=True),
                                                  required=False, allow_null=True, default=None)
    risk_answers = _risk_answers_field(required=False, allow_null=True, default=None)
    implementation_plan = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    backout_plan = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    test_plan = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    planned_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    planned_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    cis = serializers.PrimaryKeyRelatedField(many=True, queryset=CI.objects.none(), required=False, default=list)
    problems = serializers.PrimaryKeyRelatedField(many=True, queryset=Problem.objects.none(), required=False,
                                                  default=list)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False, allow_null=True,
                                                  default=None, help_text=_("The change owner; defaults to you."))
    cab = serializers.PrimaryKeyRelatedField(queryset=CAB.objects.none(), required=False, allow_null=True,
                                             default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs.pop("reported_at", None)
        return attrs


class ChangeUpdateSerializer(ScopedChangeRelationsMixin, serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    implementation_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    backout_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    test_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    risk_answers = _risk_answers_field(required=False)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), required=False, allow_null=True)
    cis = serializers.PrimaryKeyRelatedField(many=True, queryset=CI.objects.none(), required=False)
    problems = serializers.PrimaryKeyRelatedField(many=True, queryset=Problem.objects.none(), required=False)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.none(), required=False, allow_null=True)
    cab = serializers.PrimaryKeyRelatedField(queryset=CAB.objects.none(), required=False, allow_null=True)


class ChangeActionInputSerializer(serializers.Serializer[Any]):
    """What the workflow actions take; each action reads only its own fields."""

    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                   help_text=_("reject, fail, back_out, cancel: required. assess: why the risk "
                                               "differs from the questionnaire's."))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                    help_text=_("approve / reject: the vote's or the customer's comment."))
    cab = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_DB_ID,
                                   help_text=_("assess: the CAB that approves the change."))
    risk = serializers.ChoiceField(choices=ChangeRisk.choices, required=False, allow_blank=True,
                                   help_text=_("assess: overrides the questionnaire's risk."))
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=5000,
        help_text=_("schedule: a project manager's reason to schedule despite blocking conflicts."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                 help_text=_("complete: implementation notes."))
    open_incident = serializers.BooleanField(required=False, default=False,
                                             help_text=_("fail: also open an incident linked to the change."))
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices, required=False, allow_blank=True,
                                      help_text=_("review: the outcome (required)."))
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20000,
                                  help_text=_("review: the review notes (required)."))
    lessons = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    objectives_met = serializers.BooleanField(required=False)

    def payload(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("action", None)
        data.pop("version", None)
        return {key: value for key, value in data.items() if value not in (None, "")}


class ChangeTransitionInputSerializer(ChangeActionInputSerializer, TransitionInputSerializer):
    action = action_field(CHANGE_WORKFLOW)
    assignee = None  # type: ignore[assignment]  # the ticket kernel's assignment fields do not apply
    group = None  # type: ignore[assignment]
    resolution = None  # type: ignore[assignment]


class CABVoteSerializer(serializers.ModelSerializer[CABVote]):
    """A CAB member's vote (a decided approver of the round's approval step; `id` is the approver's)."""

    round = serializers.IntegerField(read_only=True)
    member = serializers.PrimaryKeyRelatedField(source="user", read_only=True)
    member_name = serializers.CharField(source="user.display_name", read_only=True)
    decision = serializers.ChoiceField(choices=VoteDecision.choices, read_only=True, label=_("decision"))
    created_at = serializers.DateTimeField(read_only=True, label=_("voted at"))

    class Meta:
        model = CABVote
        fields = ["id", "round", "member", "member_name", "decision", "comment", "created_at"]
        read_only_fields = fields


class CustomerApprovalSerializer(serializers.ModelSerializer[CustomerApproval]):
    """One request to the customer (the `customer` approval step; `id` is the approval's) and its answer."""

    expires_at = serializers.DateTimeField(read_only=True, label=_("link expires at"))
    emailed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_by = serializers.IntegerField(source="decided_by_id", read_only=True, allow_null=True)
    decided_by_name = serializers.CharField(read_only=True, label=_("decided by (name)"))
    decided_via = serializers.ChoiceField(choices=ApprovalChannel.choices, read_only=True, allow_blank=True,
                                          label=_("answered through"))
    comment = serializers.CharField(read_only=True)

    class Meta:
        model = CustomerApproval
        fields = ["id", "state", "created_at", "expires_at", "emailed_at", "decided_at", "decided_by",
                  "decided_by_name", "decided_via", "comment"]
        read_only_fields = fields


class ChangeIncidentLinkSerializer(serializers.ModelSerializer[ChangeIncidentLink]):
    incident_number = serializers.CharField(source="incident.number", read_only=True)

    class Meta:
        model = ChangeIncidentLink
        fields = ["id", "incident", "incident_number", "relation", "note", "created_by", "created_at"]
        read_only_fields = fields


class ChangeIncidentLinkInputSerializer(serializers.Serializer[Any]):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.none())
    relation = serializers.ChoiceField(choices=IncidentRelation.choices, default=IncidentRelation.CAUSED_BY)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["incident"].queryset = Incident.objects.visible_to(request.user)  # type: ignore[attr-defined]


class ConflictSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["overlap", "freeze", "outside_maintenance"])
    message = serializers.CharField()
    blocking = serializers.BooleanField()
    other_change = serializers.IntegerField(allow_null=True, help_text=_("The overlapping change's id."))


class RiskOptionSerializer(serializers.Serializer[Any]):
    value = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()


class RiskQuestionSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    text = serializers.CharField()
    options = RiskOptionSerializer(many=True)


class CABSerializer(serializers.ModelSerializer[CAB]):
    class Meta:
        model = CAB
        fields = ["id", "name", "rule", "quorum", "is_emergency", "members"]
        read_only_fields = fields


class ChangeTemplateSerializer(serializers.ModelSerializer[ChangeTemplate]):
    class Meta:
        model = ChangeTemplate
        fields = ["id", "name", "description", "organization", "risk", "implementation_plan", "backout_plan",
                  "test_plan", "customer_preapproved"]
        read_only_fields = fields


class FreezeWindowSerializer(serializers.ModelSerializer[FreezeWindow]):
    class Meta:
        model = FreezeWindow
        fields = ["id", "name", "start", "end", "organization", "blocking", "reason"]
        read_only_fields = fields
