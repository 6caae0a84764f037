"""Writes to the roster: dated entries (overrides, event duty, a customer's special-support
booking), shift swaps that need the group lead's approval, and auto-assignment's pick."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.choices import Role
from accounts.models import Organization, SupportGroup, User
from notifications.choices import NotificationEvent
from notifications.messages import msg, when
from notifications.services import notification_emit
from opsdesk.errors import ConflictError

from .choices import AutoAssign, DutyRole, RuleKind, RuleStatus, SupportRequestStatus
from .models import DutyMember, DutyRule, GroupRouting, Skill, SupportRequest
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


# --- special support requested by a customer (SupportRequest) ----------------------------------

def support_request_create(*, actor: Any, title: str, place: str, needs: str, starts_at: datetime | None,
                           ends_at: datetime | None, now: datetime) -> SupportRequest:
    """A customer user asks for special support at a meeting or event of its organisation."""
    if not getattr(actor, "is_customer", False) or not actor.organization_id or getattr(actor, "is_auditor", False):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Name the meeting or event.")]
    if not (place or "").strip():
        errors["place"] = [_("Say where it takes place.")]
    if starts_at is None:
        errors["starts_at"] = [_("Give a start time.")]
    elif starts_at <= now:
        errors["starts_at"] = [_("The support must start in the future.")]
    if ends_at is None or (starts_at is not None and ends_at <= starts_at):
        errors["ends_at"] = [_("The end must be after the start.")]
    if errors or starts_at is None or ends_at is None:
        raise ValidationError(errors)
    with transaction.atomic():
        req = SupportRequest.objects.create(
            organization_id=actor.organization_id, requested_by=actor, title=title.strip()[:200],
            place=place.strip()[:200], needs=(needs or "").strip(), starts_at=starts_at, ends_at=ends_at,
            created_at=now)
        _support_notify_staff(req, now=now)
    return req


def _support_notify_staff(req: SupportRequest, *, now: datetime) -> None:
    """The people who book duty hear of a new request: the notification rules for the event, else (no rule
    reaches anyone) the roster managers in their in-app inbox."""
    deciders = list(User.objects.filter(is_active=True, role__in=ROSTER_ROLES).order_by("pk")
                    .values_list("pk", flat=True)[:50])
    notification_emit(
        event=NotificationEvent.SUPPORT_REQUESTED, fault_level=None, organization_id=req.organization_id,
        context={
            "title": msg(gettext_noop("Special support requested: %(title)s"), title=req.title),
            "body": msg(gettext_noop("%(organization)s asks for support at %(place)s from %(start)s to %(end)s."),
                        organization=req.organization.name, place=req.place, start=when(req.starts_at),
                        end=when(req.ends_at)),
            "link": reverse("duty:support_detail", args=[req.pk]), "fallback_user_ids": deciders},
        dedup_key=f"support:{req.pk}:requested", now=now)


def _support_notify_requester(req: SupportRequest, *, now: datetime) -> None:
    """The customer who asked hears the answer (in-app, and by the rules for the event)."""
    if req.status == SupportRequestStatus.ACCEPTED:
        title = msg(gettext_noop("Special support confirmed: %(title)s"), title=req.title)
        body = msg(gettext_noop("Duty is booked from %(start)s to %(end)s."), start=when(req.starts_at),
                   end=when(req.ends_at))
    else:
        title = msg(gettext_noop("Special support declined: %(title)s"), title=req.title)
        body = msg(gettext_noop("Reason: %(reason)s"), reason=req.decision_note)
    notification_emit(
        event=NotificationEvent.SUPPORT_ANSWERED, fault_level=None, organization_id=req.organization_id,
        context={"title": title, "body": body, "link": reverse("portal:support"),
                 "contact_user_id": req.requested_by_id, "fallback_user_ids": [req.requested_by_id]},
        dedup_key=f"support:{req.pk}:{req.status}", now=now)


def _support_lock(request_id: int, version: int | None) -> SupportRequest:
    req = SupportRequest.objects.select_for_update().get(pk=request_id)
    if version is not None and int(version) != req.version:
        raise ConflictError(current_version=req.version)
    if req.status != SupportRequestStatus.REQUESTED:
        raise ValidationError({"status": [_("This request has already been answered or withdrawn.")]})
    return req


@transaction.atomic
def support_request_accept(*, actor: Any, request_id: int, group: SupportGroup, people: Sequence[Any],
                           role: str = DutyRole.PRIMARY, note: str = "", version: int | None = None,
                           now: datetime) -> SupportRequest:
    """Staff accept: the duty is booked on the roster (a special-support entry for the customer)."""
    if not can_manage_roster(actor, group):
        raise PermissionDenied
    req = _support_lock(request_id, version)
    rule = duty_entry_create(actor=actor, group=group, kind=RuleKind.SPECIAL, role=role, people=people,
                             starts_at=req.starts_at, ends_at=req.ends_at, organization=req.organization,
                             reason=f"{req.title} · {req.place}", now=now)
    req.status, req.duty_rule = SupportRequestStatus.ACCEPTED, rule
    req.decided_by, req.decided_at, req.decision_note = actor, now, (note or "").strip()
    req.version += 1
    req.save()
    _support_notify_requester(req, now=now)
    return req


@transaction.atomic
def support_request_decline(*, actor: Any, request_id: int, reason: str, version: int | None = None,
                            now: datetime) -> SupportRequest:
    if not can_manage_roster(actor):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the request is declined.")]})
    req = _support_lock(request_id, version)
    req.status = SupportRequestStatus.DECLINED
    req.decided_by, req.decided_at, req.decision_note = actor, now, reason.strip()
    req.version += 1
    req.save()
    _support_notify_requester(req, now=now)
    return req


@transaction.atomic
def support_request_withdraw(*, actor: Any, request_id: int, now: datetime) -> SupportRequest:
    """The customer withdraws its own organisation's request while it waits."""
    req = SupportRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None or not getattr(actor, "is_customer", False) or req.organization_id != actor.organization_id:
        raise SupportRequest.DoesNotExist
    if getattr(actor, "is_auditor", False):
        raise PermissionDenied
    req = _support_lock(request_id, None)
    req.status, req.decided_at = SupportRequestStatus.WITHDRAWN, now
    req.version += 1
    req.save()
    return req
