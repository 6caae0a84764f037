"""Account API shapes: users, organisations, contacts, and the token login."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from opsdesk import serializers

from ..choices import Role
from ..models import Contact, Organization, ServiceContract, User, current_contract


class UserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "username", "name", "role", "organization", "phone", "email", "is_active"]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False,
                                     help_text=_("Checked against the password policy."))
    role = serializers.ChoiceField(choices=Role.choices)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False,
                                                      allow_null=True, default=None)


class UserUpdateSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"},
                                     trim_whitespace=False, help_text=_(
                                         "A new password (a reset), checked against the password policy."))
    name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False,
                                                      allow_null=True)
    is_active = serializers.BooleanField(required=False)


class ServiceContractSerializer(serializers.ModelSerializer[ServiceContract]):
    ending_soon = serializers.SerializerMethodField(help_text=_("Running and ends within 60 days."))

    class Meta:
        model = ServiceContract
        fields = ["id", "number", "starts_on", "ends_on", "service_level", "ending_soon"]
        read_only_fields = fields

    def get_ending_soon(self, obj: ServiceContract) -> bool:
        return obj.ending_soon(timezone.localdate())


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    current_contract = serializers.SerializerMethodField(
        help_text=_("The service contract period that contains today, or null."))

    class Meta:
        model = Organization
        fields = ["id", "name", "code", "phone", "address", "is_active", "current_contract"]
        read_only_fields = fields

    @extend_schema_field(ServiceContractSerializer(allow_null=True))
    def get_current_contract(self, obj: Organization) -> dict[str, Any] | None:
        prefetched = getattr(obj, "current_contracts", None)  # the list view prefetches today's periods
        contract = prefetched[0] if prefetched else (None if prefetched is not None
                                                     else current_contract(obj.pk, timezone.localdate()))
        return ServiceContractSerializer(contract).data if contract is not None else None


class OrganizationCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    code = serializers.SlugField(max_length=40, allow_unicode=False)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ContactSerializer(serializers.ModelSerializer[Contact]):
    class Meta:
        model = Contact
        fields = ["id", "name", "phone", "email", "title", "organization", "is_active"]
        read_only_fields = fields


class ContactCreateSerializer(serializers.Serializer[Any]):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)


class TokenResponseSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(read_only=True)
