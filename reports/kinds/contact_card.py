"""Maintenance contact card (维护工作联系卡), period = the day it is issued for; one printable page per
organisation (every active organisation when the report is for all).

The hotline (the organisation's own number, else the site's), who is on duty and the duty lead at the
time the card is generated (duty roster), the escalation chain (the organisation's steps, else the
default ones), the engineers by region (active support groups with their lead and members) and the
customer's own contacts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import Role
from accounts.models import Contact, Organization, SupportGroup
from duty.choices import DutyRole
from duty.selectors import duty_on_now
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.choices import EscalationRecipient
from tickets.models import EscalationStep

from ._shared import header, local

TITLE = _("Maintenance contact card")
MAX_PER_GROUP = 8


def _people(inp: ReportInput) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    on_duty = duty_on_now(at=inp.now)
    phones = dict(get_user_model().objects.filter(pk__in={d.user_id for d in on_duty}).values_list("pk", "phone"))
    roles = dict(DutyRole.choices)
    duty = [{"name": d.name, "phone": phones.get(d.user_id, ""), "group": d.group_name, "region": d.region,
             "role": roles.get(d.role, d.role), "lead": d.role == DutyRole.LEAD}
            for d in sorted(on_duty, key=lambda d: (d.role != DutyRole.LEAD, d.region, d.group_name, d.name))]
    regions: dict[str, list[dict[str, Any]]] = {}
    for group in SupportGroup.objects.filter(is_active=True).select_related("lead").prefetch_related("members").order_by(
            "region", "name"):
        members = [m for m in group.members.all() if m.is_active and m.pk != group.lead_id]
        members.sort(key=lambda m: m.display_name)
        regions.setdefault(group.region or "—", []).append({
            "group": group.name, "lead": group.lead.display_name if group.lead else "",
            "lead_phone": group.lead.phone if group.lead else "",
            "members": [{"name": m.display_name, "phone": m.phone} for m in members[:MAX_PER_GROUP]],
            "more": max(0, len(members) - MAX_PER_GROUP)})
    return {"duty": duty, "duty_leads": [d for d in duty if d["lead"]],
            "regions": [{"region": k, "groups": v} for k, v in regions.items()]}


def _escalation(org: Organization) -> list[dict[str, Any]]:
    steps = list(EscalationStep.objects.filter(organization=org).select_related("user").order_by("level", "id"))
    if not steps:
        steps = list(EscalationStep.objects.filter(organization__isnull=True).select_related("user").order_by("level", "id"))
    roles = dict(Role.choices)
    recipients = dict(EscalationRecipient.choices)
    rows = []
    for s in steps:
        who: Any
        if s.recipient == EscalationRecipient.USER and s.user is not None:
            who, phone = s.user.display_name, s.user.phone
        elif s.recipient == EscalationRecipient.ROLE:
            who, phone = roles.get(s.role, s.role), ""
        else:
            who, phone = recipients.get(s.recipient, s.recipient), ""
        rows.append({"level": s.level, "who": who, "phone": phone})
    return rows


def _card(org: Organization) -> dict[str, Any]:
    contacts = [{"name": c.name, "title": c.title, "phone": c.phone, "email": c.email}
                for c in Contact.objects.filter(organization=org, is_active=True).order_by("name")[:12]]
    return {"name": org.name, "code": org.code, "address": org.address, "phone": org.phone,
            "hotline": org.hotline_number, "escalation": _escalation(org), "contacts": contacts}


def build(inp: ReportInput) -> dict[str, Any]:
    orgs = [inp.organization] if inp.organization is not None else list(
        Organization.objects.filter(is_active=True).order_by("name"))
    ctx = header(inp, TITLE)
    ctx.update({"cards": [_card(o) for o in orgs], "now_local": local(inp.now), **_people(inp)})
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    cards = Table(title=_("Hotline and escalation"), headers=[_("Organisation"), _("Hotline"), _("Escalation level"),
                                                              pgettext_lazy("escalation contact", "Who"), _("Phone")],
                  rows=[[c["name"], c["hotline"], e["level"], e["who"], e["phone"]] for c in ctx["cards"]
                        for e in (c["escalation"] or [{"level": "", "who": "", "phone": ""}])])
    duty = Table(title=_("On duty"), headers=[_("Name"), _("Role"), pgettext_lazy("support group", "Group"), _("Region"), _("Phone")],
                 rows=[[d["name"], d["role"], d["group"], d["region"], d["phone"]] for d in ctx["duty"]])
    engineers = Table(title=_("Engineers by region"), headers=[_("Region"), pgettext_lazy("support group", "Group"), _("Name"), _("Phone")],
                      rows=[[r["region"], g["group"], p["name"], p["phone"]] for r in ctx["regions"] for g in r["groups"]
                            for p in ([{"name": g["lead"], "phone": g["lead_phone"]}] if g["lead"] else []) + g["members"]])
    return [cards, duty, engineers]


register(ReportKind(code="contact_card", title=TITLE, scope="period", template="reports/pdf/contact_card.html",
                    build=build, tables=tables, period_kinds=("day", "month")))
