"""Writes to the roster: dated entries (overrides, event duty, a customer's special-support
booking), shift swaps that need the group lead's approval, and auto-assignment's pick."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Organization, SupportGroup

from .choices import AutoAssign, DutyRole, RuleKind, RuleStatus
from .models import DutyMember, DutyRule, GroupRouting, Skill
from .selectors import duty_on_now

ROSTER_ROLES = frozenset({Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER, Role.DISPATCHER})


def can_manage_roster(user: Any, group: SupportGroup | None = None) -> bool:
    if not getattr(user, "is_authenticated", False) or user.is_customer:
        return False
    return bool(user.is_superuser or user.role in ROSTER_ROLES or (group is not None and group.lead_id == user.pk))


def _check_span(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is None:
        raise ValidationError({"starts_at": [_("Give a start time.")]})
    if ends_at is None or ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The end must be after the start.")]})


@transaction.atomic
def duty_entry_create(*, actor: Any, group: SupportGroup, kind: str, role: str = DutyRole.PRIMARY,
                      people: Sequence[Any], starts_at: datetime, ends_at: datetime, replaces: Any = None,
                      organization: Organization | None = None, reason: str = "", now: datetime) -> DutyRule:
    """A dated entry over the rotations: an override, event duty or special support (approved at
    once: the roster's managers enter them); swaps go through `duty_swap_request`."""
    if not can_manage_roster(actor, group):
        raise PermissionDenied
    if kind not in (RuleKind.OVERRIDE, RuleKind.EVENT, RuleKind.SPECIAL):
        raise ValidationError({"kind": [_("Choose override, major-event duty or special support.")]})
    if role not in DutyRole.values:
        raise ValidationError({"role": [_("Choose a duty role.")]})
    _check_span(starts_at, ends_at)
    people = [p for p in people if p is not None]
    if not people:
        raise ValidationError({"people": [_("Name at least one person.")]})
    if any(getattr(p, "is_customer", True) or not p.is_active for p in people):
        raise ValidationError({"people": [_("Only active staff can be on duty.")]})
    if kind == RuleKind.SPECIAL and organization is None:
        raise ValidationError({"organization": [_("Special support is booked for a customer.")]})
    rule = DutyRule.objects.create(group=group, kind=kind, role=role, starts_at=starts_at, ends_at=ends_at,
                                   replaces=replaces, organization=organization, reason=(reason or "").strip(),
                                   created_by=actor, decided_by=actor, decided_at=now, status=RuleStatus.APPROVED,
                                   name=str(RuleKind(kind).label))
    DutyMember.objects.bulk_create([DutyMember(rule=rule, user=p, position=i) for i, p in enumerate(people)])
    return rule


@transaction.atomic
def duty_swap_request(*, actor: Any, group: SupportGroup, with_user: Any, starts_at: datetime, ends_at: datetime,
                      role: str = DutyRole.PRIMARY, reason: str = "", now: datetime) -> DutyRule:
    """`actor` asks `with_user` to take over the actor's duty in [starts_at, ends_at): pending
    until the group lead (or a roster manager) approves it."""
    if actor.is_customer or not actor.is_active:
        raise PermissionDenied
    _check_span(starts_at, ends_at)
    if with_user is None or with_user.pk == actor.pk or with_user.is_customer or not with_user.is_active:
        raise ValidationError({"with_user": [_("Choose another active colleague.")]})
    mine = [d for d in duty_on_now(group, at=starts_at) if d.user_id == actor.pk and d.role == role]
    if not mine:
        raise ValidationError({"starts_at": [_("You are not on duty in this group at that time.")]})
    rule = DutyRule.objects.create(group=group, kind=RuleKind.SWAP, role=role, starts_at=starts_at, ends_at=ends_at,
                                   replaces=actor, reason=(reason or "").strip(), created_by=actor,
                                   status=RuleStatus.PENDING, name=str(RuleKind.SWAP.label))
    DutyMember.objects.create(rule=rule, user=with_user, position=0)
    return rule


@transaction.atomic
def duty_swap_decide(*, actor: Any, rule_id: int, approve: bool, now: datetime) -> DutyRule:
    rule = DutyRule.objects.select_for_update().select_related("group").get(pk=rule_id, kind=RuleKind.SWAP,
                                                                           is_active=True)
    if not can_manage_roster(actor, rule.group) or actor.pk == rule.created_by_id:
        raise PermissionDenied
    if rule.status != RuleStatus.PENDING:
        raise ValidationError({"status": [_("This swap has already been decided.")]})
    rule.status = RuleStatus.APPROVED if approve else RuleStatus.REJECTED
    rule.decided_by, rule.decided_at = actor, now
    rule.save(update_fields=["status", "decided_by", "decided_at"])
    return rule


@transaction.atomic
def duty_entry_withdraw(*, actor: Any, rule_id: int, now: datetime) -> DutyRule:
    rule = DutyRule.objects.select_for_update().select_related("group").get(pk=rule_id, is_active=True)
    if not (can_manage_roster(actor, rule.group) or (rule.status == RuleStatus.PENDING
                                                     and rule.created_by_id == actor.pk)):
        raise PermissionDenied
    rule.status, rule.decided_by, rule.decided_at = RuleStatus.WITHDRAWN, actor, now
    rule.save(update_fields=["status", "decided_by", "decided_at"])
    return rule


def duty_pick_assignee(*, group: SupportGroup, at: datetime, ci_class_id: int | None = None,
                       loads: Mapping[int, int] | None = None) -> Any:
    """The group's auto-assignment pick among those on duty now (None when the option is off or
    nobody is on duty): people with the CI class's skill first; round robin after the last one
    picked, or the least open work (`loads`: user id → open tickets, from the caller's app)."""
    from django.contrib.auth import get_user_model

    routing = GroupRouting.objects.select_for_update().filter(group=group).first()
    if routing is None or routing.auto_assign == AutoAssign.OFF:
        return None
    on_duty = [d.user_id for d in duty_on_now(group, at=at) if d.role == DutyRole.PRIMARY]
    if not on_duty:
        return None
    if ci_class_id is not None:
        skilled = set(Skill.objects.filter(ci_class_id=ci_class_id, user_id__in=on_duty).values_list("user_id", flat=True))
        if skilled:
            on_duty = [u for u in on_duty if u in skilled]
    ordered = sorted(on_duty)
    if routing.auto_assign == AutoAssign.LEAST_LOADED:
        load = loads or {}
        pick = min(ordered, key=lambda u: (load.get(u, 0), u))
    else:
        after = [u for u in ordered if routing.last_assigned_id is not None and u > routing.last_assigned_id]
        pick = (after or ordered)[0]
    routing.last_assigned_id = pick
    routing.save(update_fields=["last_assigned"])
    return get_user_model().objects.get(pk=pick)


def duty_leave_record(*, engineer: Any, stand_in: Any, starts_at: datetime, ends_at: datetime, reason: str,
                      actor: Any, now: datetime) -> list[DutyRule]:
    """An approved leave (team app): in every group the engineer belongs to, the stand-in takes the
    engineer's shifts for the leave's time; the roster shows who is away."""
    rules = []
    for group in SupportGroup.objects.filter(members=engineer, is_active=True).order_by("pk"):
        for role in DutyRole.values:
            rule = DutyRule.objects.create(group=group, kind=RuleKind.LEAVE, role=role, starts_at=starts_at,
                                           ends_at=ends_at, replaces=engineer, reason=reason[:2000], created_by=actor,
                                           decided_at=now, status=RuleStatus.APPROVED,
                                           name=str(RuleKind.LEAVE.label))
            DutyMember.objects.create(rule=rule, user=stand_in, position=0)
            rules.append(rule)
    return rules
