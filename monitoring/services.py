"""Every write of the monitoring intake: `alerts_ingest` turns parsed alerts into alert records
and incidents (dedup by fingerprint, recovery, flapping, correlation, flood cap); `inbound_log`
records each request. `alerts_plan` is the same decision without writing (the admin's rule test).

What one request costs: the source and its rules (2 queries), the known alerts of the payload
(1), one UPDATE for all plain repeats, one INSERT for the inbound log; only new alerts, recoveries
and re-fires do more (CI lookup, impact walk, incident creation through incidents.services)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.locale import human_datetime, organization_zone, reading_as
from accounts.models import Organization
from cmdb.choices import ImpactDirection
from cmdb.models import CI
from cmdb.selectors import ci_impact
from incidents.choices import OPEN_STATUSES, Impact, IncidentStatus, Urgency
from incidents.models import Incident
from incidents.services import incident_create, incident_transition, incident_update
from incidents.sla import system_actor
from opsdesk.errors import ConflictError, TransitionNotAllowed
from tickets.audit import event_record
from tickets.choices import Channel, EventAction
from tickets.locking import ticket_lock
from tickets.services import ticket_comment_add
from tickets.transitions import ACTOR_SYSTEM, SystemActor

from .choices import DEFAULT_LEVEL, SEVERITY_LEVEL, AlertState, CIMatch, OnRecovery, RuleAction
from .models import AlertRecord, AlertRule, AlertSource, FloodWindow, InboundLog
from .payloads import Alert

RECURRENCE_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.OBSERVING)
LEVEL_IMPACT_URGENCY = {
    "I": (Impact.HIGH, Urgency.HIGH), "II": (Impact.HIGH, Urgency.MEDIUM),
    "III": (Impact.MEDIUM, Urgency.MEDIUM), "IV": (Impact.LOW, Urgency.LOW),
}
MAX_RAW_BODY = 256 * 1024


# --- rules ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompiledRule:
    rule: AlertRule
    matchers: tuple[tuple[str, re.Pattern[str]], ...]

    def matches(self, labels: dict[str, str]) -> bool:
        return all(pattern.fullmatch(labels.get(name, "")) for name, pattern in self.matchers)


def matchers_validate(value: Any) -> dict[str, str]:
    """The rule's matchers: an object of label → regular expression (checked when saved)."""
    if not isinstance(value, dict):
        raise ValidationError({"matchers": [_("Give an object of label → regular expression.")]})
    for name, pattern in value.items():
        if not isinstance(pattern, str):
            raise ValidationError({"matchers": [_("The pattern for “%(label)s” must be text.") % {"label": name}]})
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError({"matchers": [
                _("The pattern for “%(label)s” is not a valid regular expression: %(error)s")
                % {"label": name, "error": exc}]}) from None
    return value


def rules_load(*, source: AlertSource) -> list[CompiledRule]:
    """The active rules for this source (its own and the global ones), in order (one query)."""
    compiled = []
    rules = (AlertRule.objects.filter(is_active=True).filter(source__isnull=True) |
             AlertRule.objects.filter(is_active=True, source=source)).order_by("position", "id").select_related(
        "organization", "group", "ci")
    for rule in rules:
        try:
            matchers = tuple((str(k), re.compile(str(v))) for k, v in (rule.matchers or {}).items())
        except re.error:
            continue  # saved before validation existed: a broken rule never stops the intake
        compiled.append(CompiledRule(rule=rule, matchers=matchers))
    return compiled


def rule_match(rules: list[CompiledRule], labels: dict[str, str]) -> AlertRule | None:
    for compiled in rules:
        if compiled.matches(labels):
            return compiled.rule
    return None


def level_for(rule: AlertRule | None, labels: dict[str, str]) -> str:
    if rule is not None and rule.fault_level:
        return rule.fault_level
    return SEVERITY_LEVEL.get(labels.get("severity", "").strip().lower(), DEFAULT_LEVEL)


def _ci_value(rule: AlertRule, labels: dict[str, str]) -> str:
    value = labels.get(rule.ci_label or "host", "").strip()
    if rule.ci_match == CIMatch.IP and value.count(":") == 1:
        value = value.split(":", 1)[0]  # Prometheus' instance label is host:port
    return value


def ci_find(*, rule: AlertRule | None, organization: Organization, labels: dict[str, str],
            cache: dict[tuple[str, str, int], CI | None]) -> CI | None:
    """The CI an alert is about: the rule's fixed CI, or the one whose name / management IP /
    asset tag / serial equals the rule's label (without a rule: name = `host`)."""
    if rule is not None and rule.ci is not None:
        return rule.ci if rule.ci.organization_id == organization.pk else None
    match = rule.ci_match if rule is not None else CIMatch.NAME
    if not match:
        return None
    value = _ci_value(rule, labels) if rule is not None else labels.get("host", "").strip()
    if not value:
        return None
    key = (match, value, organization.pk)
    if key not in cache:
        qs = CI.objects.filter(organization=organization).exclude(status="retired")
        lookup = CI_LOOKUPS[CIMatch(match)]
        cache[key] = qs.filter(**{lookup: value}).order_by("id").first()
    return cache[key]


CI_LOOKUPS = {CIMatch.NAME: "name", CIMatch.IP: "attributes__mgmt_ip", CIMatch.ASSET_TAG: "asset_tag",
              CIMatch.SERIAL: "serial"}


def ci_prefetch(batch: Any, alerts: list[Alert]) -> None:
    """Fill the CI cache for many alerts at once: one query per (organisation, lookup) instead of
    one per alert (a storm of 10,000 cameras)."""
    wanted: dict[tuple[str, int], set[str]] = defaultdict(set)
    for alert in alerts:
        rule = rule_match(batch.rules, alert.labels)
        organization = (rule.organization if rule is not None and rule.organization_id else None) or batch.source.organization
        if organization is None or (rule is not None and rule.ci_id is not None):
            continue
        match = rule.ci_match if rule is not None else CIMatch.NAME
        value = _ci_value(rule, alert.labels) if rule is not None else alert.labels.get("host", "").strip()
        if match and value and (match, value, organization.pk) not in batch.ci_cache:
            wanted[(match, organization.pk)].add(value)
    for (match, org_id), values in wanted.items():
        lookup = CI_LOOKUPS[CIMatch(match)]
        found: dict[str, CI] = {}
        for ci in CI.objects.filter(organization_id=org_id, **{f"{lookup}__in": list(values)}).exclude(
                status="retired").order_by("-id"):
            key = str(ci.attributes.get("mgmt_ip", "")) if match == CIMatch.IP else str(getattr(ci, lookup))
            found[key] = ci  # by descending id: the lowest id wins, as in ci_find
        for value in values:
            batch.ci_cache[(match, value, org_id)] = found.get(value)


# --- flood cap --------------------------------------------------------------------------------

FLOOD_ADMIT_SQL = """
    INSERT INTO monitoring_floodwindow (source_id, rule_id, window_start, opened, held)
    VALUES (%s, %s, %s, 1, 0)
    ON CONFLICT (source_id, rule_id, window_start)
    DO UPDATE SET opened = monitoring_floodwindow.opened + 1 WHERE monitoring_floodwindow.opened < %s
    RETURNING opened
"""


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def flood_admit(*, source: AlertSource, rule: AlertRule | None, now: datetime) -> bool:
    """May one more incident be opened this minute? Atomic per window (one upsert per cap), so
    concurrent receivers never exceed the cap together."""
    caps = []
    if rule is not None and rule.max_incidents_per_minute:
        caps.append((rule.pk, rule.max_incidents_per_minute))
    caps.append((0, source.max_incidents_per_minute))
    window = _window(now)
    with connection.cursor() as cursor:
        for rule_id, cap in caps:
            cursor.execute(FLOOD_ADMIT_SQL, [source.pk, rule_id, window, cap])
            if cursor.fetchone() is None:
                return False
    return True


def flood_held_record(*, source: AlertSource, rule_id: int, now: datetime, count: int) -> None:
    if count:
        window = _window(now)
        FloodWindow.objects.get_or_create(source=source, rule_id=rule_id, window_start=window,
                                          defaults={"opened": 0, "held": 0})
        FloodWindow.objects.filter(source=source, rule_id=rule_id, window_start=window).update(
            held=F("held") + count)


# --- ingest -----------------------------------------------------------------------------------

@dataclass
class AlertOutcome:
    fingerprint: str
    action: str  # created | joined | repeated | resolved | reopened | refired | ignored | held | unmapped | failed
    incident: Incident | None = None
    message: str = ""


@dataclass
class IngestResult:
    outcomes: list[AlertOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for o in self.outcomes:
            counts[o.action] += 1
        return dict(counts)


@dataclass
class Batch:
    """What one request has learnt so far (so a storm costs one lookup per distinct CI)."""

    source: AlertSource
    rules: list[CompiledRule]
    now: datetime
    given_actor: Any = None
    ci_cache: dict[tuple[str, str, int], CI | None] = field(default_factory=dict)
    upstream: dict[int, list[int]] = field(default_factory=dict)  # ci → CIs it depends on, nearest first
    open_by_ci: dict[int, Incident] = field(default_factory=dict)  # firing alerts' open incidents by CI
    open_by_anchor: dict[int, Incident] = field(default_factory=dict)  # … by the CI their CI depends on
    capped: set[int] = field(default_factory=set)  # rule ids (0: the source) whose cap is reached
    outer_transaction: bool = False  # the caller holds a transaction around the whole request
    locked: set[int] = field(default_factory=set)  # organisations whose correlation lock is held
    held: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    dry_run: bool = False  # the admin's rule test: decide, write nothing

    @property
    def actor(self) -> Any:
        """The system user, looked up only when something is written on an incident (repeats never)."""
        if self.given_actor is None:
            self.given_actor = monitoring_actor()
        return self.given_actor


def monitoring_actor() -> Any:
    """The system user incidents are opened as (created on first use; concurrent receivers may
    race to create it, so the loser reads the winner's)."""
    try:
        with transaction.atomic():
            return system_actor()
    except IntegrityError:
        return system_actor()


def _record_event(incident: Incident, *, actor: Any, now: datetime, data: dict[str, Any]) -> None:
    locked = ticket_lock(Incident, incident.pk)
    event_record(ticket=locked, actor=actor, action=EventAction.UPDATED, now=now, data={"monitoring": data})


def _upstream(batch: Batch, ci_id: int) -> list[int]:
    """The CIs ci_id depends on (impact analysis reversed), nearest first; cached per request."""
    if ci_id not in batch.upstream:
        rows = ci_impact(ci_ids=[ci_id], direction=ImpactDirection.DEPENDENCIES)
        batch.upstream[ci_id] = [r.ci_id for r in sorted(rows, key=lambda r: (r.depth, r.ci_id))]
    return batch.upstream[ci_id]


def _anchor(batch: Batch, ci_id: int) -> int | None:
    chain = _upstream(batch, ci_id)
    return chain[0] if chain else None


def correlated_incident(batch: Batch, ci: CI) -> Incident | None:
    """The open incident this CI's alert joins, nearest cause first: one of a firing alert on the
    CI itself or on a CI it depends on (the switch its camera hangs off, the switch's line); then
    one of alerts on the CIs that depend directly on this one (the switch failing after its
    cameras: the incident moves to the switch); then one of alerts on its siblings (cameras on the
    same switch: a common cause)."""
    chain = [ci.pk, *_upstream(batch, ci.pk)]
    anchor = chain[1] if len(chain) > 1 else None
    for ci_id in chain:
        if ci_id in batch.open_by_ci:
            return batch.open_by_ci[ci_id]
    cached = batch.open_by_anchor.get(ci.pk) or (batch.open_by_anchor.get(anchor) if anchor else None)
    if cached is not None:
        return _repoint(batch, cached, ci)
    anchors = [ci.pk] + ([anchor] if anchor else [])
    records = list(AlertRecord.objects.filter(
        Q(ci_id__in=chain) | Q(anchor_ci_id__in=anchors), state=AlertState.FIRING,
        incident__status__in=OPEN_STATUSES,
    ).select_related("incident").order_by("first_seen", "id"))
    by_ci = {r.ci_id: r.incident for r in records if r.ci_id in chain}
    for ci_id in chain:
        if by_ci.get(ci_id) is not None:
            batch.open_by_ci[ci_id] = by_ci[ci_id]  # type: ignore[assignment]
            return by_ci[ci_id]
    for wanted in anchors:
        for r in records:
            if r.anchor_ci_id == wanted and r.incident is not None:
                batch.open_by_anchor[wanted] = r.incident
                return _repoint(batch, r.incident, ci) if wanted == ci.pk else r.incident
    return None


def _repoint(batch: Batch, incident: Incident, ci: CI) -> Incident:
    """The CI that the incident's device depends on failed too: the incident is about that CI now
    (recorded as an ordinary edit by the system user)."""
    if batch.dry_run or incident.ci_id == ci.pk or _anchor(batch, incident.ci_id or 0) != ci.pk:
        return incident
    try:
        with transaction.atomic():
            incident = incident_update(incident_id=incident.pk, actor=batch.actor, version=None,
                                       changes={"ci": ci}, now=batch.now)
    except (ValidationError, ConflictError):
        return incident
    AlertRecord.objects.filter(incident=incident).exclude(ci=ci).update(correlated=True)
    batch.open_by_ci[ci.pk] = incident
    return incident


CORRELATION_LOCK = 7_231_001  # pg_advisory_xact_lock namespace: opening monitoring incidents, per organisation


def _correlation_lock(batch: Batch, organization: Organization) -> None:
    """Serialise "join or open" per organisation (PostgreSQL), so a switch and its cameras
    arriving in concurrent requests never both open an incident unseen by the other. Held to the
    end of the transaction: once per request when the request is one transaction."""
    if connection.vendor != "postgresql" or organization.pk in batch.locked:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CORRELATION_LOCK, organization.pk])
    if batch.outer_transaction:
        batch.locked.add(organization.pk)


def _absorb_dependants(batch: Batch, ci: CI, incident: Incident) -> None:
    """The CI just failed, and CIs that depend on it (its cameras) had opened incidents of their
    own (their alerts came first, e.g. in other Alertmanager groups): their alerts join this
    incident, and those incidents nobody has touched yet are cancelled as correlated."""
    dependants = [r.ci_id for r in ci_impact(ci_ids=[ci.pk], direction=ImpactDirection.DEPENDANTS)]
    if not dependants:
        return
    moved = list(AlertRecord.objects.filter(ci_id__in=dependants, state=AlertState.FIRING,
                                            incident__status__in=OPEN_STATUSES).exclude(incident=incident)
                 .select_related("incident"))
    if not moved:
        return
    others = {r.incident_id: r.incident for r in moved if r.incident is not None}
    AlertRecord.objects.filter(pk__in=[r.pk for r in moved]).update(incident=incident, correlated=True)
    cancelled = []
    for other in others.values():
        untouched = (other is not None and other.channel == Channel.MONITORING and other.assignee_id is None
                     and other.responded_at is None and other.status in (IncidentStatus.NEW, IncidentStatus.ASSIGNED)
                     and not AlertRecord.objects.filter(incident=other).exists())
        if not untouched:
            continue
        try:
            with transaction.atomic():
                incident_transition(incident_id=other.pk, actor=batch.actor, action="cancel", now=batch.now, payload={
                    "reason": _("Correlated: %(ci)s, which this device depends on, failed (%(number)s).")
                    % {"ci": ci.name, "number": incident.number}})
            cancelled.append(other.number)
        except (TransitionNotAllowed, ConflictError, ValidationError):
            continue
    _record_event(incident, actor=batch.actor, now=batch.now, data={
        "correlated_alerts": len(moved), "cancelled_incidents": cancelled})


def _description(alert: Alert, *, organization: Organization, ci: CI | None, level: str, now: datetime) -> str:
    """What the customer sees: a short human summary (alert name, CI, severity, start time in the
    organisation's time zone), in the site's language. The raw labels and annotations (internal host
    names, addresses, runbook links) go to an internal note and the alert record, staff only."""
    try:
        zone = ZoneInfo(organization.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    started = timezone.localtime(alert.starts_at or now, zone)
    severity = alert.labels.get("severity", "")
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Monitoring alert: %(name)s") % {"name": alert.labels.get("alertname") or alert.title},
            _("Device: %(ci)s") % {"ci": ci.name if ci is not None else _("not identified")},
            _("Severity: %(severity)s (fault level %(level)s)") % {"severity": severity or "-", "level": level},
            _("Started: %(time)s (%(zone)s)") % {"time": started.strftime("%Y-%m-%d %H:%M"), "zone": str(zone)},
        ]
    return "\n".join(lines)[:4000]


def _internal_note(alert: Alert, source: AlertSource) -> str:
    """The alert as the monitoring system sent it, for staff only (an internal note)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [_("Monitoring source: %(source)s") % {"source": source.name},
                 _("Fingerprint: %(fingerprint)s") % {"fingerprint": alert.fingerprint},
                 _("Labels:")]
        lines += [f"  {k}={v}" for k, v in sorted(alert.labels.items())]
        if alert.annotations:
            lines.append(_("Annotations:"))
            lines += [f"  {k}: {v}" for k, v in sorted(alert.annotations.items())]
        if alert.generator_url:
            lines.append(alert.generator_url)
    return "\n".join(lines)[:8000]


def _open_new(batch: Batch, alert: Alert, record: AlertRecord | None) -> AlertOutcome:
    """A firing alert with no live incident: map it, then join a correlated incident, open one
    (within the flood cap), or hold it back."""
    source, now = batch.source, batch.now
    rule = rule_match(batch.rules, alert.labels)
    fields: dict[str, Any] = {
        "title": alert.title[:300], "labels": alert.labels, "annotations": alert.annotations,
        "generator_url": alert.generator_url, "rule": rule, "starts_at": alert.starts_at, "resolved_at": None,
        "last_seen": now, "correlated": False,
    }
    outcome = AlertOutcome(fingerprint=alert.fingerprint, action="created")
    organization = (rule.organization if rule is not None and rule.organization_id else None) or source.organization
    if rule is not None and rule.action == RuleAction.IGNORE:
        fields.update(state=AlertState.IGNORED, incident=None)
        outcome.action = "ignored"
    elif organization is None:
        fields.update(state=AlertState.UNMAPPED, incident=None)
        outcome.action, outcome.message = "unmapped", _("No rule or source default names an organisation.")
    else:
        ci = ci_find(rule=rule, organization=organization, labels=alert.labels, cache=batch.ci_cache)
        anchor = _anchor(batch, ci.pk) if ci is not None else None
        fields.update(organization=organization, ci=ci, anchor_ci_id=anchor)
        _correlation_lock(batch, organization)
        joined = correlated_incident(batch, ci) if ci is not None else None
        if joined is not None:
            fields.update(state=AlertState.FIRING, incident=joined, correlated=joined.ci_id != ci.pk if ci else False)
            outcome.action, outcome.incident = "joined", joined
            if anchor is not None:
                batch.open_by_anchor.setdefault(anchor, joined)
        elif _admit(batch, rule):
            level = level_for(rule, alert.labels)
            impact, urgency = LEVEL_IMPACT_URGENCY[level]
            user = batch.actor
            incident = incident_create(
                actor=user, organization=organization, title=alert.title[:200] or alert.fingerprint[:200],
                description=_description(alert, organization=organization, ci=ci, level=level, now=now),
                impact=impact, urgency=urgency, fault_level=level,
                ci=ci, channel=Channel.MONITORING, reported_at=min(alert.starts_at or now, now), now=now,
            )
            ticket_comment_add(ticket=incident, author=user, body=_internal_note(alert, source), public=False,
                               now=now)
            if rule is not None and rule.group_id is not None:
                incident = incident_transition(incident_id=incident.pk, actor=user, action="assign",
                                               payload={"group": rule.group}, now=now)
            fields.update(state=AlertState.FIRING, incident=incident)
            outcome.incident = incident
            if ci is not None:
                batch.open_by_ci[ci.pk] = incident
                if anchor is not None:
                    batch.open_by_anchor[anchor] = incident
                _absorb_dependants(batch, ci, incident)
        else:
            fields.update(state=AlertState.HELD, incident=None)
            outcome.action = "held"
    if record is None:
        AlertRecord.objects.create(source=source, fingerprint=alert.fingerprint, first_seen=now, count=1,
                                   fired_count=1, **fields)
    else:
        for name, value in fields.items():
            setattr(record, name, value)
        record.count += 1
        record.fired_count += 1
        record.save()
    return outcome


def _admit(batch: Batch, rule: AlertRule | None) -> bool:
    rule_key = rule.pk if rule is not None and rule.max_incidents_per_minute else 0
    if 0 in batch.capped or rule_key in batch.capped:
        batch.held[rule_key if rule_key in batch.capped else 0] += 1
        return False
    if flood_admit(source=batch.source, rule=rule, now=batch.now):
        return True
    # Which cap refused: the rule's if it has one and it is full, else the source's.
    full_rule = rule_key and FloodWindow.objects.filter(
        source=batch.source, rule_id=rule_key, window_start=_window(batch.now),
        opened__gte=rule.max_incidents_per_minute if rule is not None else 0).exists()
    key = rule_key if full_rule else 0
    batch.capped.add(key)
    batch.held[key] += 1
    return False


def _recover(batch: Batch, alert: Alert, record: AlertRecord) -> AlertOutcome:
    """The alert resolved: record it; the incident learns the restoration (and, when the rule says
    so and nothing else of it still fires, is marked restored through the transition engine)."""
    now = batch.now
    resolved_at = min(alert.ends_at or now, now)
    record.state = AlertState.RESOLVED
    record.resolved_at = resolved_at
    record.last_seen = now
    record.count += 1
    record.save(update_fields=["state", "resolved_at", "last_seen", "count"])
    outcome = AlertOutcome(fingerprint=alert.fingerprint, action="resolved", incident=record.incident)
    if record.incident_id is None:
        return outcome
    # Lock the incident before counting what still fires: concurrent recoveries of its alerts
    # (one webhook per group) then see each other's updates, and the last one restores.
    incident = ticket_lock(Incident, record.incident_id)
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        return outcome
    still_firing = AlertRecord.objects.filter(incident=incident, state=AlertState.FIRING).count()
    user, system = batch.actor, SystemActor(actor_kind=ACTOR_SYSTEM, user=batch.actor)
    _record_event(incident, actor=user, now=now, data={
        "recovered": record.fingerprint, "title": record.title, "at": resolved_at.isoformat(),
        "still_firing": still_firing,
    })
    rule = record.rule
    if (not still_firing and rule is not None and rule.on_recovery == OnRecovery.RESTORE
            and incident.status == IncidentStatus.IN_PROGRESS and incident.restored_at is None):
        try:
            # Written like the incident's description: the site's language, the organisation's clock.
            with reading_as(language=settings.LANGUAGE_CODE, time_zone=organization_zone(incident.organization)):
                workaround = (_("Monitoring reports the service restored: %(title)s recovered at %(at)s.")
                              % {"title": record.title, "at": human_datetime(resolved_at)})
            with transaction.atomic():
                incident_transition(incident_id=incident.pk, actor=system, action="restore", now=now,
                                    payload={"workaround": workaround})
        except (TransitionNotAllowed, ConflictError):
            pass  # changed meanwhile: the recovery stays recorded in the event above
    return outcome


def _refire(batch: Batch, alert: Alert, record: AlertRecord) -> AlertOutcome:
    """A resolved alert fires again. Its incident still open: counted and noted; resolved or under
    observation (flapping within the observation week): reopened; closed or none: a new incident."""
    incident, now = record.incident, batch.now
    if incident is None or incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        return _open_new(batch, alert, record)
    record.state = AlertState.FIRING
    record.resolved_at = None
    record.last_seen = now
    record.count += 1
    record.fired_count += 1
    record.save(update_fields=["state", "resolved_at", "last_seen", "count", "fired_count"])
    action = "refired"
    if incident.status in RECURRENCE_STATUSES:
        system = SystemActor(actor_kind=ACTOR_SYSTEM, user=batch.actor)
        try:
            with transaction.atomic():
                incident_transition(incident_id=incident.pk, actor=system, action="reopen", now=now,
                                    payload={"reason": "recurrence"})
            action = "reopened"
        except (TransitionNotAllowed, ConflictError):
            pass
    _record_event(incident, actor=batch.actor, now=now, data={
        "fired_again": record.fingerprint, "title": record.title, "times": record.fired_count,
    })
    return AlertOutcome(fingerprint=alert.fingerprint, action=action, incident=incident)


def _order_for_correlation(batch: Batch, pending: list[tuple[Alert, AlertRecord | None]]) -> list[
        tuple[Alert, AlertRecord | None]]:
    """Within one payload, alerts on the CIs others depend on go first (the switch before its
    cameras), so the cameras join the switch's incident however Alertmanager ordered the group."""
    if len(pending) < 2:
        return pending
    ci_prefetch(batch, [alert for alert, _record in pending])
    depth: list[int] = []
    for alert, _record in pending:
        rule = rule_match(batch.rules, alert.labels)
        organization = (rule.organization if rule is not None and rule.organization_id else None) or batch.source.organization
        ci = ci_find(rule=rule, organization=organization, labels=alert.labels,
                     cache=batch.ci_cache) if organization is not None else None
        depth.append(len(_upstream(batch, ci.pk)) if ci is not None else 0)
    order = sorted(range(len(pending)), key=lambda i: depth[i])
    return [pending[i] for i in order]


def alerts_ingest(*, source: AlertSource, alerts: list[Alert], now: datetime,
                  actor: Any = None) -> IngestResult:
    """Turn one request's alerts into records and incidents. Idempotent per fingerprint: a repeat
    (Alertmanager re-sending its group, a duplicate "resolved") only counts."""
    result = IngestResult()
    if not alerts:
        return result
    # The last state of each fingerprint in this payload wins; duplicates inside it are repeats.
    latest: dict[str, Alert] = {}
    extra: dict[str, int] = defaultdict(int)
    for alert in alerts:
        if alert.fingerprint in latest:
            extra[alert.fingerprint] += 1
        latest[alert.fingerprint] = alert
    records = {r.fingerprint: r for r in AlertRecord.objects.filter(
        source=source, fingerprint__in=list(latest)).select_related("incident", "rule")}
    batch = Batch(source=source, rules=[], now=now, given_actor=actor,
                   outer_transaction=connection.in_atomic_block)
    rules_loaded = False
    repeats: dict[int, list[int]] = defaultdict(list)  # increment → record ids
    pending_new: list[tuple[Alert, AlertRecord | None]] = []
    heavy: list[tuple[str, Alert, AlertRecord]] = []
    for fingerprint, alert in latest.items():
        record = records.get(fingerprint)
        times = 1 + extra[fingerprint]
        if record is None:
            if alert.firing:
                pending_new.append((alert, None))
            else:
                result.outcomes.append(AlertOutcome(fingerprint=fingerprint, action="repeated",
                                                    message=_("Recovery of an unknown alert: nothing to do.")))
            continue
        if alert.firing:
            if record.state == AlertState.HELD:
                pending_new.append((alert, record))
            elif record.state == AlertState.RESOLVED:
                heavy.append(("refire", alert, record))
            else:
                repeats[times].append(record.pk)
                result.outcomes.append(AlertOutcome(fingerprint=fingerprint, action="repeated", incident=record.incident))
        elif record.state == AlertState.FIRING:
            heavy.append(("recover", alert, record))
        else:
            if record.state in (AlertState.HELD, AlertState.UNMAPPED):
                AlertRecord.objects.filter(pk=record.pk).update(state=AlertState.RESOLVED, resolved_at=now)
            repeats[times].append(record.pk)
            result.outcomes.append(AlertOutcome(fingerprint=fingerprint, action="repeated", incident=record.incident))
    for times, ids in repeats.items():
        AlertRecord.objects.filter(pk__in=ids).update(count=F("count") + times, last_seen=now)
    if pending_new or heavy:
        batch.rules = rules_load(source=source)
        rules_loaded = True
    for kind, alert, record in heavy:
        result.outcomes.append(_guarded(batch, alert, record, _refire if kind == "refire" else _recover))
    if rules_loaded and pending_new:
        for alert, record in _order_for_correlation(batch, pending_new):
            result.outcomes.append(_guarded(batch, alert, record, _open_new))
    for rule_key, count in batch.held.items():
        flood_held_record(source=source, rule_id=rule_key, now=now, count=count)
    return result


def _guarded(batch: Batch, alert: Alert, record: AlertRecord | None, step: Any) -> AlertOutcome:
    """One alert in its own savepoint: a bad one is logged and never stops the others."""
    try:
        with transaction.atomic():
            outcome: AlertOutcome = step(batch, alert, record)
            return outcome
    except IntegrityError:
        # A concurrent request recorded the same new fingerprint first: this one is a repeat.
        AlertRecord.objects.filter(source=batch.source, fingerprint=alert.fingerprint).update(
            count=F("count") + 1, last_seen=batch.now)
        return AlertOutcome(fingerprint=alert.fingerprint, action="repeated")
    except (ValidationError, TransitionNotAllowed, ConflictError, Incident.DoesNotExist) as exc:
        return AlertOutcome(fingerprint=alert.fingerprint, action="failed", message=str(exc)[:500])


# --- the inbound log --------------------------------------------------------------------------

OUTCOME_FIELDS = {"created": "created", "joined": "joined", "repeated": "repeated", "resolved": "resolved",
                  "reopened": "reopened", "refired": "repeated", "ignored": "ignored", "held": "held",
                  "unmapped": "failed", "failed": "failed"}


def inbound_log(*, endpoint: str, source: AlertSource | None, remote_addr: str, status_code: int, outcome: str,
                message: str, raw_body: bytes, now: datetime, result: IngestResult | None = None) -> InboundLog:
    counts: dict[str, int] = defaultdict(int)
    if result is not None:
        for o in result.outcomes:
            counts[OUTCOME_FIELDS[o.action]] += 1
    body = raw_body[:MAX_RAW_BODY].decode("utf-8", errors="replace")
    return InboundLog.objects.create(
        received_at=now, endpoint=endpoint, source=source, remote_addr=remote_addr[:64], status_code=status_code,
        outcome=outcome, message=message[:2000], raw_body=body, alerts=len(result.outcomes) if result else 0,
        **counts,
    )


def alert_source_create(*, name: str, kind: str, organization: Organization | None = None,
                        auth_scheme: str = "bearer", username: str = "", secret: str | None = None,
                        max_incidents_per_minute: int = 30) -> tuple[AlertSource, str]:
    """A new source and its secret (returned once; only its digest is stored)."""
    source = AlertSource(name=name, kind=kind, organization=organization, auth_scheme=auth_scheme,
                         username=username, max_incidents_per_minute=max_incidents_per_minute)
    secret = secret or source.set_new_secret()
    source.set_secret(secret)
    source.full_clean()
    source.save()
    return source, secret

