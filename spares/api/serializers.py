"""Spare-parts store API shapes: outputs (read-only) and inputs kept apart."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from changes.models import Change
from cmdb.models import CI, CIClass
from cmdb.selectors import ci_list
from incidents.models import Incident, SpareLoan
from incidents.selectors import incident_base
from opsdesk import serializers

from ..choices import MovementKind, ReplacementDecision
from ..models import Movement, Replacement, SparePart, Stock, Storeroom
from ..selectors import storeroom_list

# --- outputs ------------------------------------------------------------------------------


class SparePartSerializer(serializers.ModelSerializer[SparePart]):
    quantity = serializers.IntegerField(read_only=True, help_text=_("Units in stock across all storerooms."))
    below_reorder = serializers.SerializerMethodField(help_text=_("Stock at or below the reorder level."))
    pending = serializers.IntegerField(read_only=True, help_text=_("Movements waiting for approval."))

    class Meta:
        model = SparePart
        fields = ["id", "part_number", "name", "vendor", "model", "ci_class", "unit", "reorder_level",
                  "approval_required", "is_active", "quantity", "below_reorder", "pending", "created_at", "version"]
        read_only_fields = fields

    def get_below_reorder(self, obj: SparePart) -> bool:
        return bool(obj.reorder_level and getattr(obj, "quantity", 0) <= obj.reorder_level)


class StoreroomSerializer(serializers.ModelSerializer[Storeroom]):
    class Meta:
        model = Storeroom
        fields = ["id", "name", "code", "organization", "location", "is_active"]
        read_only_fields = fields


class StockSerializer(serializers.ModelSerializer[Stock]):
    part_number = serializers.CharField(source="part.part_number", read_only=True)
    storeroom_name = serializers.CharField(source="storeroom.name", read_only=True)

    class Meta:
        model = Stock
        fields = ["id", "part", "part_number", "storeroom", "storeroom_name", "quantity", "updated_at"]
        read_only_fields = fields


class MovementSerializer(serializers.ModelSerializer[Movement]):
    requested_by_name = serializers.CharField(source="requested_by.display_name", read_only=True)

    class Meta:
        model = Movement
        fields = ["id", "part", "kind", "quantity", "from_storeroom", "to_storeroom", "incident", "change", "loan",
                  "reference", "note", "status", "requested_by", "requested_by_name", "requested_at", "decided_by",
                  "decided_at", "decision_note", "applied_at"]
        read_only_fields = fields


class StoreLoanSerializer(serializers.ModelSerializer[SpareLoan]):
    incident_number = serializers.CharField(source="incident.number", read_only=True)
    store_part = serializers.IntegerField(source="store_part_id", read_only=True, allow_null=True,
                                          help_text=_("The spare part a lent unit was issued from, if any."))
    store_room = serializers.CharField(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = SpareLoan
        fields = ["id", "incident", "incident_number", "description", "faulty_ci", "standby_ci", "lent_at", "lent_by",
                  "due_back", "returned_at", "note", "store_part", "store_room", "overdue"]
        read_only_fields = fields


class LoanDueSerializer(serializers.Serializer[Any]):
    incident = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    title = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
    ci = serializers.IntegerField(source="ci_id", allow_null=True)
    restore_was_due = serializers.DateTimeField()
    lend_by = serializers.DateTimeField()


class ReplacementSerializer(serializers.ModelSerializer[Replacement]):
    class Meta:
        model = Replacement
        fields = ["id", "ci", "month", "faults", "decision", "replaced_by", "replacement_serial", "replaced_on",
                  "decided_by", "decided_at", "note", "version"]
        read_only_fields = fields


class FlaggedDeviceSerializer(serializers.Serializer[Any]):
    ci = serializers.IntegerField(source="ci_id")
    ci_name = serializers.CharField()
    organization_name = serializers.CharField()
    month = serializers.DateField(source="month_date")
    faults = serializers.IntegerField()
    replacement = serializers.IntegerField(source="record.pk", allow_null=True, default=None)
    decision = serializers.CharField(source="record.decision", allow_null=True, default=None)


# --- inputs -------------------------------------------------------------------------------

def _user(serializer: serializers.Serializer[Any]) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class SparePartInputSerializer(serializers.Serializer[Any]):
    part_number = serializers.CharField(max_length=60)
    name = serializers.CharField(max_length=200)
    vendor = serializers.CharField(max_length=100, required=False, allow_blank=True)
    model = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ci_class = serializers.PrimaryKeyRelatedField(queryset=CIClass.objects.all(), required=False, allow_null=True)
    unit = serializers.CharField(max_length=20, required=False)
    reorder_level = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    approval_required = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class SparePartUpdateSerializer(SparePartInputSerializer):
    part_number = serializers.CharField(max_length=60, required=False)
    name = serializers.CharField(max_length=200, required=False)
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
                                       help_text=_("The version you read; a stale one is refused with 409."))


class StoreroomInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    code = serializers.SlugField(max_length=40)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False, allow_null=True, help_text=_("Omit for the provider's own storeroom."))
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MovementInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    from_storeroom = serializers.PrimaryKeyRelatedField(queryset=Storeroom.objects.none(), required=False,
                                                        allow_null=True, default=None)
    to_storeroom = serializers.PrimaryKeyRelatedField(queryset=Storeroom.objects.none(), required=False,
                                                      allow_null=True, default=None)
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.none(), required=False, allow_null=True,
                                                  default=None)
    change = serializers.PrimaryKeyRelatedField(queryset=Change.objects.none(), required=False, allow_null=True,
                                                default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:
            return
        rooms = storeroom_list(user=user)
        self.fields["from_storeroom"].queryset = rooms  # type: ignore[attr-defined]
        self.fields["to_storeroom"].queryset = rooms  # type: ignore[attr-defined]
        self.fields["incident"].queryset = incident_base(user=user)  # type: ignore[attr-defined]
        self.fields["change"].queryset = Change.objects.visible_to(user)  # type: ignore[attr-defined]


class DecisionInputSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                 help_text=_("Required to reject: why."))


class StoreLoanInputSerializer(serializers.Serializer[Any]):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.none())
    standby_ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True,
                                                    default=None, help_text=_("A CI on standby to lend."))
    part = serializers.PrimaryKeyRelatedField(queryset=SparePart.objects.none(), required=False, allow_null=True,
                                              default=None, help_text=_("Or: a part to lend one unit of."))
    storeroom = serializers.PrimaryKeyRelatedField(queryset=Storeroom.objects.none(), required=False,
                                                   allow_null=True, default=None)
    serial = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    faulty_ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True,
                                                   default=None)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    due_back = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:
            return
        self.fields["incident"].queryset = incident_base(user=user)  # type: ignore[attr-defined]
        for name in ("standby_ci", "faulty_ci"):
            self.fields[name].queryset = ci_list(user=user)  # type: ignore[attr-defined]
        self.fields["part"].queryset = SparePart.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["storeroom"].queryset = storeroom_list(user=user)  # type: ignore[attr-defined]


class ReplacementInputSerializer(serializers.Serializer[Any]):
    ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none())
    month = serializers.DateField(help_text=_("Any day of the month the device was flagged in."))
    decision = serializers.ChoiceField(choices=ReplacementDecision.choices)
    replaced_by = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True,
                                                     default=None)
    replacement_serial = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    replaced_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is None:
            return
        for name in ("ci", "replaced_by"):
            self.fields[name].queryset = ci_list(user=user)  # type: ignore[attr-defined]


class ReplacementUpdateSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=ReplacementDecision.choices, required=False)
    replaced_by = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True)
    replacement_serial = serializers.CharField(max_length=100, required=False, allow_blank=True)
    replaced_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = _user(self)
        if user is not None:
            self.fields["replaced_by"].queryset = ci_list(user=user)  # type: ignore[attr-defined]
