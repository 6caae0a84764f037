"""Reads of the monitoring intake: the alerts of an incident (its panel) and the rule test (what
a pasted payload would do, without writing anything)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import OPEN_STATUSES, IncidentStatus
from incidents.models import Incident

from .choices import AlertState, RuleAction
from .models import AlertRecord, AlertRule, AlertSource
from .payloads import Alert
from .services import Batch, ci_find, correlated_incident, level_for, rule_match, rules_load


def incident_alert_list(*, incident: Incident) -> QuerySet[AlertRecord]:
    """The alerts feeding an incident the caller may already see (the incident selector checked it)."""
    return AlertRecord.objects.filter(incident=incident).select_related("source", "ci").order_by("first_seen", "id")


@dataclass
class PlanRow:
    alert: Alert
    rule: AlertRule | None
    organization: Any
    ci: Any
    level: str
    group: Any
    known: AlertRecord | None
    decision: str


def alerts_plan(*, source: AlertSource, alerts: list[Alert]) -> list[PlanRow]:
    """For each alert: the rule that matches, what it maps to and what the intake would do now."""
    rules = rules_load(source=source)
    known = {r.fingerprint: r for r in AlertRecord.objects.filter(
        source=source, fingerprint__in=[a.fingerprint for a in alerts]).select_related("incident")}
    batch = Batch(source=source, rules=rules, now=timezone.now(), dry_run=True)
    cache = batch.ci_cache
    rows = []
    for alert in alerts:
        rule = rule_match(rules, alert.labels)
        organization = (rule.organization if rule is not None and rule.organization_id else None) or source.organization
        ci = ci_find(rule=rule, organization=organization, labels=alert.labels, cache=cache) if organization else None
        record = known.get(alert.fingerprint)
        rows.append(PlanRow(alert=alert, rule=rule, organization=organization, ci=ci, level=level_for(rule, alert.labels),
                            group=rule.group if rule is not None else None, known=record,
                            decision=_decision(batch, alert, rule, organization, ci, record)))
    return rows


def _decision(batch: Batch, alert: Alert, rule: AlertRule | None, organization: Any, ci: Any,
              record: AlertRecord | None) -> str:
    incident = record.incident if record is not None else None
    if record is not None and incident is not None:
        if alert.firing and record.state == AlertState.FIRING:
            return _("Repeat: counted on %(number)s.") % {"number": incident.number}
        if not alert.firing and record.state == AlertState.FIRING:
            return _("Recovery: recorded on %(number)s.") % {"number": incident.number}
        if alert.firing and incident.status in (IncidentStatus.RESOLVED, IncidentStatus.OBSERVING):
            return _("Fires again: %(number)s is reopened.") % {"number": incident.number}
        if alert.firing and incident.status in OPEN_STATUSES:
            return _("Fires again: counted on %(number)s.") % {"number": incident.number}
    if not alert.firing:
        return _("Recovery of an alert with no open incident: nothing to do.")
    if rule is not None and rule.action == RuleAction.IGNORE:
        return _("Ignored by rule “%(rule)s”.") % {"rule": rule.name}
    if organization is None:
        return _("No organisation: kept as unmapped.")
    if ci is not None:
        joined = correlated_incident(batch, ci)
        if joined is not None:
            return _("Joins %(number)s (a related CI's alert is firing: %(ci)s).") % {
                "number": joined.number, "ci": joined.ci}
    return _("Opens a new incident (within the flood cap).")
