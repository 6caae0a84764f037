"""Training sessions for customers' users and engineers: who, what, when, materials from the
document library, attendance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Organization

from .choices import Attendance, Audience
from .models import TrainingAttendee, TrainingSession

TRAINING_ROLES = frozenset({Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER, Role.DOC_ADMIN, Role.ENGINEER})


def can_manage_training(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and not user.is_customer
                and (user.is_superuser or user.role in TRAINING_ROLES))


@transaction.atomic
def training_create(*, actor: Any, title: str, audience: str, starts_at: datetime, ends_at: datetime,
                    organization: Organization | None = None, description: str = "", location: str = "",
                    trainer: Any = None, materials: Sequence[Any] = (), attendees: Sequence[Any] = (),
                    names: Sequence[str] = (), now: datetime) -> TrainingSession:
    if not can_manage_training(actor):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the session a title.")]
    if audience not in Audience.values:
        errors["audience"] = [_("Choose the audience.")]
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = [_("The session must end after it starts.")]
    if audience == Audience.CUSTOMER and organization is None:
        errors["organization"] = [_("Say which customer's users are trained.")]
    if any(u.is_customer and (organization is None or u.organization_id != organization.pk) for u in attendees):
        errors["attendees"] = [_("Customer users of another organisation cannot attend.")]
    if errors:
        raise ValidationError(errors)
    session = TrainingSession.objects.create(
        title=title.strip(), description=(description or "").strip(), audience=audience, organization=organization,
        starts_at=starts_at, ends_at=ends_at, location=(location or "").strip(), trainer=trainer, created_by=actor)
    session.materials.set(materials)
    rows = [TrainingAttendee(session=session, user=u, name=u.display_name[:150]) for u in attendees]
    rows += [TrainingAttendee(session=session, name=n.strip()[:150]) for n in names if n.strip()]
    TrainingAttendee.objects.bulk_create(rows)
    return session


@transaction.atomic
def training_attendance_record(*, actor: Any, session_id: int, statuses: dict[int, str], now: datetime) -> int:
    """Mark who attended (attendee id → attended / absent / invited)."""
    if not can_manage_training(actor):
        raise PermissionDenied
    bad = [s for s in statuses.values() if s not in Attendance.values]
    if bad:
        raise ValidationError({"status": [_("Unknown attendance.")]})
    changed = 0
    for attendee in TrainingAttendee.objects.select_for_update().filter(session_id=session_id, pk__in=list(statuses)):
        if attendee.status != statuses[attendee.pk]:
            attendee.status = statuses[attendee.pk]
            attendee.save(update_fields=["status"])
            changed += 1
    return changed
