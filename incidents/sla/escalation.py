"""The escalation chain: who is told at each level (the organisation's steps, the default steps,
or the built-in chain)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.choices import Role
from duty.choices import DutyRole
from duty.selectors import duty_lead_id, duty_user_ids
from tickets.choices import EscalationRecipient
from tickets.models import EscalationStep

from ..models import Incident
from .policy import DEFAULT_CHAIN, MAX_ROLE_RECIPIENTS

# --- escalation ----------------------------------------------------------------------------------

EscalationRows = dict[int | None, list[tuple[int, str, str, int | None]]]


def _escalation_rows(organization_id: int | None = None, *, every: bool = False) -> EscalationRows:
    """Escalation steps by organisation (None: the default steps), in level order: the one
    organisation's and the default, or `every` organisation's (the sweep reads them once a run)."""
    qs = EscalationStep.objects.order_by("level", "pk")
    if not every:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id=organization_id or 0))
    rows: EscalationRows = {}
    for org, level, recipient, role, user_id in qs.values_list("organization_id", "level", "recipient", "role",
                                                               "user_id"):
        rows.setdefault(org, []).append((level, recipient, role, user_id))
    return rows


def escalation_chain(organization_id: int | None, *,
                     cache: dict[Any, Any] | None = None) -> dict[int, list[tuple[str, str, int | None]]]:
    """Level → (recipient kind, role, user id): the organisation's own steps, else the default
    steps, else the built-in chain group lead → regional lead → project manager → customer contact.
    `cache`: a per-run memo (the sweep's), which reads every organisation's steps in one query."""
    if cache is not None:
        if "escalation_rows" not in cache:
            cache["escalation_rows"] = _escalation_rows(every=True)
        by_org: EscalationRows = cache["escalation_rows"]
    else:
        by_org = _escalation_rows(organization_id)
    rows = (by_org.get(organization_id) if organization_id else None) or by_org.get(None)
    if not rows:
        return {level: [(kind, role, None) for kind, role in steps] for level, steps in DEFAULT_CHAIN.items()}
    chain: dict[int, list[tuple[str, str, int | None]]] = {}
    for level, recipient, role, user_id in rows:
        chain.setdefault(level, []).append((recipient, role, user_id))
    return chain


def _role_user_ids(role: str, cache: dict[Any, Any] | None) -> list[int]:
    key = ("role", role)
    if cache is not None and key in cache:
        return list(cache[key])
    ids = list(get_user_model().objects.filter(role=role, is_active=True).order_by("pk")
               .values_list("pk", flat=True)[:MAX_ROLE_RECIPIENTS])
    if cache is not None:
        cache[key] = ids
    return ids


GROUP_LEAD_ROLES = (Role.SUPERVISOR, Role.REGIONAL_LEAD)


def _group_lead_ids(incident: Incident, cache: dict[Any, Any] | None) -> list[int]:
    """The incident's group's lead (if active); without one, the group's active supervisors and
    regional leads. `cache`: the sweep's per-run memo (one query per group and run)."""
    group = incident.group if incident.group_id else None
    if group is None:
        return []
    key = ("group_leads", group.pk)
    if cache is not None and key in cache:
        return list(cache[key])
    users = get_user_model().objects.filter(is_active=True)
    on_duty = duty_lead_id(group.pk)  # the roster's duty lead for the group now, when it names one
    lead = [on_duty] if on_duty else (
        list(users.filter(pk=group.lead_id).values_list("pk", flat=True)) if group.lead_id else [])
    ids = lead or list(group.members.filter(is_active=True, role__in=GROUP_LEAD_ROLES).order_by("pk")
                       .values_list("pk", flat=True)[:MAX_ROLE_RECIPIENTS])
    if cache is not None:
        cache[key] = ids
    return ids


def on_duty_dispatchers(cache: dict[Any, Any] | None = None) -> list[int]:
    """The dispatchers who should hear about an incident nobody owns: those the duty roster has on
    shift now (any group); when the roster names no dispatcher, every active dispatcher."""
    key = ("dispatchers_on_duty",)
    if cache is not None and key in cache:
        return list(cache[key])
    everyone = _role_user_ids(Role.DISPATCHER, cache)
    on_shift = set(duty_user_ids(roles=(DutyRole.PRIMARY, DutyRole.LEAD, DutyRole.STANDBY)))
    ids = [pk for pk in everyone if pk in on_shift] or everyone
    if cache is not None:
        cache[key] = ids
    return ids


def breach_recipients(incident: Incident, *, cache: dict[Any, Any] | None = None) -> list[int]:
    """Who a breach must reach, so that it always reaches a person: the assignee, else the group's
    lead (its lead, else its supervisors / regional leads), else the dispatchers on duty."""
    if incident.assignee_id:
        return [incident.assignee_id]
    return _group_lead_ids(incident, cache) or on_duty_dispatchers(cache)


def escalation_recipients(incident: Incident, *, level: int,
                          cache: dict[Any, Any] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Who is told at `level`: people for the timeline, and the notification context's additions.
    `cache`: a per-run memo (the sweep's) for chains and role members."""
    people: list[dict[str, Any]] = []
    user_ids: list[int] = []
    extra: dict[str, Any] = {}
    for kind, role, user_id in escalation_chain(incident.organization_id, cache=cache).get(level, []):
        if kind == EscalationRecipient.GROUP_LEAD:
            # Whoever leads the group's duty now (the roster), else the group's standing lead.
            lead_id = duty_lead_id(incident.group_id) if incident.group_id else None
            lead_id = lead_id or (incident.group.lead_id if incident.group_id and incident.group else None)
            if lead_id:
                user_ids.append(lead_id)
                people.append({"kind": kind, "user": lead_id})
        elif kind == EscalationRecipient.ROLE and role:
            ids = _role_user_ids(role, cache)
            user_ids.extend(ids)
            people.extend({"kind": kind, "role": role, "user": pk} for pk in ids)
        elif kind == EscalationRecipient.USER and user_id:
            user_ids.append(user_id)
            people.append({"kind": kind, "user": user_id})
        elif kind == EscalationRecipient.CUSTOMER_CONTACT and incident.contact_id and incident.contact:
            contact = incident.contact
            people.append({"kind": kind, "contact": contact.pk, "name": contact.name})
            if contact.user_id:
                user_ids.append(contact.user_id)
            extra.update({"contact_name": contact.name, "contact_email": contact.email,
                          "contact_phone": contact.phone, "contact_user_id": contact.user_id})
    if not user_ids:  # the chain names nobody who exists (no group, no lead): the breach's owner instead
        for pk in breach_recipients(incident, cache=cache):
            user_ids.append(pk)
            people.append({"kind": "fallback", "user": pk})
    extra["target_user_ids"] = sorted(set(user_ids))
    return people, extra
