"""Roles (BRIEF.md) as Django groups with model permissions, so the admin and DRF's model
permissions agree with the role field. The role field on the user is the source of truth."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from .choices import Role

# app_label.codename patterns each role's group receives ("*" = all four CRUD verbs on a model).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: ["incidents.view_incident", "incidents.add_incident", "tickets.add_servicerequest",
                    "tickets.view_servicerequest", "tickets.add_callrecord", "accounts.view_contact",
                    "accounts.add_contact", "cmdb.view_ci"],
    Role.DISPATCHER: ["incidents.view_incident", "incidents.change_incident", "tickets.view_servicerequest",
                      "tickets.change_servicerequest", "accounts.view_contact", "cmdb.view_ci"],
    Role.ENGINEER: ["incidents.view_incident", "incidents.change_incident", "tickets.view_servicerequest",
                    "tickets.change_servicerequest", "cmdb.view_ci"],
    Role.ANALYST: ["incidents.view_incident", "incidents.change_incident", "cmdb.view_ci"],
    Role.SUPERVISOR: ["incidents.view_incident", "tickets.view_servicerequest", "tickets.change_servicerequest"],
    Role.REGIONAL_LEAD: ["incidents.view_incident", "incidents.change_incident", "tickets.view_servicerequest",
                         "tickets.change_servicerequest", "accounts.view_supportgroup", "cmdb.view_ci"],
    Role.MANAGER: ["incidents.view_incident", "incidents.change_incident", "tickets.view_servicerequest",
                   "tickets.change_servicerequest", "accounts.*_organization", "accounts.*_contact",
                   "accounts.*_supportgroup", "cmdb.*_ci", "cmdb.*_ciclass"],
    Role.DOC_ADMIN: ["cmdb.view_ci"],
    Role.CUSTOMER: [],
    Role.AUDITOR: [],
}


def _expand(pattern: str) -> list[tuple[str, str]]:
    app_label, codename = pattern.split(".")
    if codename.startswith("*_"):
        model = codename[2:]
        return [(app_label, f"{verb}_{model}") for verb in ("view", "add", "change", "delete")]
    return [(app_label, codename)]


def ensure_role_groups(**_: Any) -> None:
    """Create or refresh one group per role (idempotent; runs after every migrate)."""
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=str(role))
        wanted = [pair for pattern in patterns for pair in _expand(pattern)]
        perms = [
            p for app_label, codename in wanted
            for p in Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        ]
        group.permissions.set(perms)
