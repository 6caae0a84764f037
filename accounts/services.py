"""Writes for users, organisations and contacts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import ORGANIZATION_ROLES, Role
from .models import Contact, Organization, User


def user_sync_role_group(*, user: User) -> None:
    """Keep the user's Django group equal to their role (the role field is the source of truth)."""
    role_names = {str(r) for r in Role}
    keep = [g for g in user.groups.all() if g.name not in role_names]
    group, _created = Group.objects.get_or_create(name=str(user.role))
    user.groups.set([*keep, group])


@transaction.atomic
def user_create(*, username: str, password: str, role: str, name: str = "", email: str = "", phone: str = "",
                organization: Organization | None = None, is_superuser: bool = False) -> User:
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("Unknown role.")]
    if role in ORGANIZATION_ROLES and organization is None:
        errors["organization"] = [_("A customer user or auditor must belong to an organisation.")]
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    user = User(username=username, role=role, name=name, email=email, phone=phone,
                organization=organization if role == Role.CUSTOMER else organization,
                is_staff=is_superuser, is_superuser=is_superuser)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    user_sync_role_group(user=user)
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    allowed = {"name", "email", "phone", "role", "organization", "is_active"}
    for key, value in data.items():
        if key == "password":
            continue
        if key not in allowed:
            raise ValidationError({key: [_("This field cannot be changed here.")]})
        setattr(user, key, value)
    if data.get("password"):
        try:
            validate_password(data["password"], user)
        except ValidationError as exc:
            raise ValidationError({"password": list(exc.messages)}) from exc
        user.set_password(data["password"])
    if user.role in ORGANIZATION_ROLES and user.organization_id is None:
        raise ValidationError({"organization": [_("A customer user or auditor must belong to an organisation.")]})
    user.save()
    user_sync_role_group(user=user)
    return user


def organization_create(*, name: str, code: str, phone: str = "", address: str = "", hotline: str = "") -> Organization:
    if Organization.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("This code is taken.")]})
    org = Organization(name=name, code=code, phone=phone, address=address, hotline=hotline)
    org.full_clean()
    org.save()
    return org


def contact_create(*, organization: Organization, name: str, phone: str, email: str = "", title: str = "") -> Contact:
    contact = Contact(organization=organization, name=name.strip(), phone=phone.strip(), email=email, title=title)
    contact.full_clean()
    contact.save()
    return contact


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a user chose in the switcher: their messages and e-mails follow it."""
    from django.conf import settings

    if language in {code for code, _name in settings.LANGUAGES} and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
