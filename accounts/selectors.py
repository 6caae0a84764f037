"""Permission-scoped reads of organisations, users and contacts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Contact, Organization, User


def organization_list(*, user: Any) -> QuerySet[Organization]:
    qs = Organization.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_customer and not user.is_superuser:
        return qs.filter(pk=user.organization_id)
    return qs


def contact_list(*, user: Any) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("organization")
    if not user.is_authenticated:
        return qs.none()
    if user.is_customer and not user.is_superuser:
        return qs.filter(organization_id=user.organization_id)
    return qs


def contact_find_by_phone(*, user: Any, phone: str) -> QuerySet[Contact]:
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return contact_list(user=user).filter(phone=digits or phone, is_active=True)


def user_list(*, user: Any) -> QuerySet[User]:
    """Staff see all accounts; a customer sees staff names (engineers on their tickets) and
    their own organisation's users only."""
    qs = User.objects.select_related("organization")
    if not user.is_authenticated:
        return qs.none()
    if user.is_customer and not user.is_superuser:
        return qs.filter(organization_id=user.organization_id)
    return qs
