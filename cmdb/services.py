"""Writes for configuration items (the minimal CMDB; the full CMDB issue extends it)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization

from .choices import CIStatus
from .models import CI, CIClass


@transaction.atomic
def ci_create(*, name: str, ci_class: CIClass, organization: Organization, status: str = CIStatus.IN_USE,
              location: str = "", serial: str = "", vendor: str = "", model: str = "") -> CI:
    if status not in CIStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    ci = CI(name=name.strip(), ci_class=ci_class, organization=organization, status=status, location=location,
            serial=serial, vendor=vendor, model=model)
    ci.full_clean()
    ci.save()
    return ci


@transaction.atomic
def ci_update(*, ci: CI, data: dict[str, Any]) -> CI:
    allowed = {"name", "ci_class", "status", "location", "serial", "vendor", "model"}
    for key, value in data.items():
        if key not in allowed:
            raise ValidationError({key: [_("This field cannot be changed here.")]})
        setattr(ci, key, value)
    ci.full_clean()
    ci.save()
    return ci
