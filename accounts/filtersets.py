"""FilterSets for users, organisations and contacts, shared by the API and the operator pages."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter

from .choices import Role
from .models import Contact, Organization, User


def normalise_phone(value: str) -> str:
    """Keep digits and a leading plus: `138-0000 1111` and `13800001111` find the same contact."""
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    return digits or value.strip()


class UserFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    role = filters.MultipleChoiceFilter(choices=Role.choices, label=_("Role"), distinct=False)
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    is_active = StrictBooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(name__icontains=value) | Q(email__icontains=value))


class OrganizationFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    code = filters.CharFilter(label=_("Code"))
    is_active = StrictBooleanFilter(label=_("Active"))

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Organization], name: str, value: str) -> QuerySet[Organization]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class ContactFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    phone = filters.CharFilter(method="filter_phone", label=_("Phone (exact)"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    is_active = StrictBooleanFilter(label=_("Active"))

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(phone__contains=value) | Q(email__icontains=value))

    def filter_phone(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        if not value.strip():
            return queryset
        return queryset.filter(phone=normalise_phone(value))
