"""Permission-scoped reads of problems, known errors and repeat-fault candidates. Every one starts
from `visible_to(user)` (problems, incidents, CIs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, IntegerField, Max, Min, OuterRef, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import Organization
from cmdb.models import CI, CIClass
from incidents.choices import CauseCategory, IncidentStatus
from incidents.models import Incident
from tickets.selectors import ticket_timeline

from .choices import OPEN_PROBLEM_STATUSES, ProblemStatus
from .filtersets import ProblemFilterSet, problem_text_search
from .models import Problem, ProblemIncident, RepeatRule

LIST_RELATED = ("organization", "ci", "assignee", "group")
SUGGESTION_LIMIT = 5
CANDIDATE_LIMIT = 200


def problem_base(*, user: Any) -> QuerySet[Problem]:
    """Staff see every problem; customers their organisation's (read only)."""
    return Problem.objects.visible_to(user)


def problem_list(*, user: Any, filters: Any = None) -> QuerySet[Problem]:
    qs = problem_base(user=user).select_related(*LIST_RELATED)
    if filters:
        fs = ProblemFilterSet(filters, queryset=qs, user=user)
        if not fs.is_valid():
            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


def problem_get(*, user: Any, pk: Any) -> Problem:
    try:
        return problem_base(user=user).select_related(*LIST_RELATED, "created_by").get(pk=int(pk))
    except (Problem.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def problem_timeline(*, user: Any, problem: Problem) -> list[Any]:
    return ticket_timeline(user=user, ticket=problem)


def problem_links(*, user: Any, problem: Problem) -> QuerySet[ProblemIncident]:
    """The problem's current incident links (who linked, when), incidents the user can see."""
    visible = Incident.objects.visible_to(user).values("pk")
    return (ProblemIncident.objects.filter(problem=problem, unlinked_at__isnull=True, incident__in=visible)
            .select_related("incident", "incident__ci", "linked_by").order_by("linked_at", "id"))


def problem_incident_ids(problem: Problem) -> list[int]:
    """Ids of the incidents linked now (the API's `incidents`)."""
    return list(ProblemIncident.objects.filter(problem=problem, unlinked_at__isnull=True)
                .order_by("incident_id").values_list("incident_id", flat=True))


def problems_of_incident(*, user: Any, incident: Incident) -> QuerySet[Problem]:
    """Problems the incident is linked to now, open ones first."""
    linked = ProblemIncident.objects.filter(incident=incident, unlinked_at__isnull=True).values("problem_id")
    return (problem_base(user=user).filter(pk__in=linked).select_related("ci")
            .annotate(open_first=Case(When(status__in=OPEN_PROBLEM_STATUSES, then=Value(0)), default=Value(1),
                                      output_field=IntegerField()))
            .order_by("open_first", "-reported_at"))


def problems_open_for_link(*, user: Any, organization_id: int, exclude: list[int] | None = None,
                           limit: int = 50) -> QuerySet[Problem]:
    """Open problems of an organisation an incident could be linked to, newest first."""
    qs = problem_base(user=user).filter(organization_id=organization_id, status__in=OPEN_PROBLEM_STATUSES)
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return qs.order_by("-reported_at", "-id")[:limit]


def by_rank(qs: Any, *then: str) -> Any:
    """Best search match first (`search_rank` is annotated by problem_text_search), then `then`, then id."""
    return qs.order_by("-search_rank", *then, "-id")


# --- known errors ---------------------------------------------------------------------------------

def known_error_base(*, user: Any) -> QuerySet[Problem]:
    """The known-error base: problems marked known error, not cancelled (fixed ones stay, shown as such)."""
    return problem_base(user=user).filter(known_error=True).exclude(status=ProblemStatus.CANCELLED)


def known_error_search(*, user: Any, q: str = "", ci_id: int | None = None,
                       organization_id: int | None = None) -> QuerySet[Problem]:
    """Known errors matching every word of `q` (best rank first) and/or on CI `ci_id`; with neither,
    the newest known errors."""
    qs = known_error_base(user=user).select_related(*LIST_RELATED)
    if ci_id is not None:
        qs = qs.filter(ci_id=ci_id)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if (q or "").strip():
        qs = problem_text_search(qs, q)
        if "search_rank" in qs.query.annotations:
            return by_rank(qs, "-known_error_at")
    return qs.order_by("-known_error_at", "-id")


@dataclass
class Suggestion:
    problem: Problem
    reason: str  # "ci" (same device) or "text" (words match)


def known_error_suggestions(*, user: Any, ci_id: int | None = None, text: str = "",
                            exclude: list[int] | None = None, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """Known errors to offer while a fault is taken or worked: those on the same CI first (open
    ones first), then those whose text shares words with `text` (at least three tokens, or all of a
    shorter query), best rank first."""
    base = known_error_base(user=user).select_related("ci")
    if exclude:
        base = base.exclude(pk__in=exclude)
    out: list[Suggestion] = []
    if ci_id is not None:
        same_ci = (base.filter(ci_id=ci_id)
                   .annotate(open_first=Case(When(status__in=OPEN_PROBLEM_STATUSES, then=Value(0)), default=Value(1),
                                             output_field=IntegerField()))
                   .order_by("open_first", "-known_error_at", "-id")[:limit])
        out = [Suggestion(p, "ci") for p in same_ci]
    if (text or "").strip() and len(out) < limit:
        seen = [s.problem.pk for s in out]
        matches = problem_text_search(base.exclude(pk__in=seen), text, mode="any", min_hits=3)
        if "search_rank" in matches.query.annotations:
            matches = by_rank(matches)
        out += [Suggestion(p, "text") for p in matches[: limit - len(out)]]
    return out


# --- repeat-fault detection ----------------------------------------------------------------------

@dataclass(frozen=True)
class RuleSpec:
    scope: str
    min_incidents: int
    window_days: int


def repeat_rules() -> list[RuleSpec]:
    """The active repeat-fault rules (admin data); with none, the settings default (3 in 30 days, per CI)."""
    rules = [RuleSpec(r.scope, r.min_incidents, r.window_days)
             for r in RepeatRule.objects.filter(is_active=True).order_by("scope", "id")]
    if rules:
        return rules
    return [RuleSpec(RepeatRule.Scope.CI, int(getattr(settings, "PROBLEM_REPEAT_MIN_INCIDENTS", 3)),
                     int(getattr(settings, "PROBLEM_REPEAT_WINDOW_DAYS", 30)))]


@dataclass
class Candidate:
    """A group of repeated faults with no problem linked: a problem should be opened."""

    key: str
    scope: str
    count: int
    first_at: datetime
    last_at: datetime
    rule: RuleSpec
    organization: Organization | None = None
    ci: CI | None = None
    ci_class: CIClass | None = None
    cause_category: str = ""
    incidents: list[Incident] = field(default_factory=list)

    @property
    def cause_label(self) -> str:
        return str(dict(CauseCategory.choices).get(self.cause_category, self.cause_category))


def _unlinked_recent(*, user: Any, since: datetime) -> QuerySet[Incident]:
    linked = ProblemIncident.objects.filter(incident=OuterRef("pk"), unlinked_at__isnull=True)
    return (Incident.objects.visible_to(user).filter(reported_at__gte=since, ci__isnull=False)
            .exclude(status=IncidentStatus.CANCELLED).exclude(Exists(linked)))


def problem_candidates(*, user: Any, now: datetime, limit: int = CANDIDATE_LIMIT) -> list[Candidate]:
    """Repeated faults without a linked problem, grouped and counted in SQL: per rule, incidents of
    the window not linked to any problem, by CI (scope "ci") or by organisation × CI class × cause
    (scope "cause"), groups of at least the rule's size; most incidents first."""
    found: dict[str, Candidate] = {}
    for rule in repeat_rules():
        base = _unlinked_recent(user=user, since=now - timedelta(days=rule.window_days))
        if rule.scope == RepeatRule.Scope.CI:
            ci_rows = (base.values("ci_id").annotate(n=Count("id"), first=Min("reported_at"), last=Max("reported_at"))
                    .filter(n__gte=rule.min_incidents).order_by("-n", "-last")[:limit])
            for ci_row in ci_rows:
                row: dict[str, Any] = dict(ci_row)
                key = f"ci:{row['ci_id']}:{rule.window_days}"
                found.setdefault(key, Candidate(key=key, scope=rule.scope, count=row["n"], first_at=row["first"],
                                                last_at=row["last"], rule=rule, ci=CI(pk=row["ci_id"])))
        else:
            cause_rows = (base.exclude(cause_category="")
                    .values("organization_id", "ci__ci_class_id", "cause_category")
                    .annotate(n=Count("id"), first=Min("reported_at"), last=Max("reported_at"))
                    .filter(n__gte=rule.min_incidents).order_by("-n", "-last")[:limit])
            for cause_row in cause_rows:
                row = dict(cause_row)
                key = (f"cause:{row['organization_id']}:{row['ci__ci_class_id']}:{row['cause_category']}:"
                       f"{rule.window_days}")
                found.setdefault(key, Candidate(
                    key=key, scope=rule.scope, count=row["n"], first_at=row["first"], last_at=row["last"], rule=rule,
                    organization=Organization(pk=row["organization_id"]),
                    ci_class=CIClass(pk=row["ci__ci_class_id"]), cause_category=row["cause_category"]))
    candidates = sorted(found.values(), key=lambda c: (-c.count, -c.last_at.timestamp()))[:limit]
    # Names in three queries, not one per row.
    cis = CI.objects.visible_to(user).select_related("organization", "ci_class").in_bulk(
        [c.ci.pk for c in candidates if c.ci is not None])
    orgs = Organization.objects.in_bulk([c.organization.pk for c in candidates if c.organization is not None])
    classes = CIClass.objects.in_bulk([c.ci_class.pk for c in candidates if c.ci_class is not None])
    for c in candidates:
        if c.ci is not None:
            c.ci = cis.get(c.ci.pk)
            c.organization = c.ci.organization if c.ci is not None else None
            c.ci_class = c.ci.ci_class if c.ci is not None else None
        else:
            c.organization = orgs.get(c.organization.pk) if c.organization else None
            c.ci_class = classes.get(c.ci_class.pk) if c.ci_class else None
    return [c for c in candidates if c.organization is not None]


KEY_RE = re.compile(r"^(?:ci:(\d{1,18})|cause:(\d{1,18}):(\d{1,18}):([a-z_]{1,20})):(\d{1,4})$")


def candidate_incidents(*, user: Any, key: str, now: datetime, limit: int = 100) -> list[Incident]:
    """The incidents of one candidate group (its key from `problem_candidates`), oldest first."""
    match = KEY_RE.match(key or "")
    if not match:
        raise Http404
    ci_id, org_id, class_id, cause, days = match.groups()
    base = _unlinked_recent(user=user, since=now - timedelta(days=int(days))).select_related("ci", "organization")
    if ci_id:
        qs = base.filter(ci_id=int(ci_id))
    else:
        qs = base.filter(organization_id=int(org_id), ci__ci_class_id=int(class_id), cause_category=cause)
    return list(qs.order_by("reported_at", "id")[:limit])


def incident_candidate(*, user: Any, incident: Incident, now: datetime) -> Candidate | None:
    """The repeat-fault group this incident belongs to, when it is big enough and has no problem."""
    if incident.ci_id is None:
        return None
    if ProblemIncident.objects.filter(incident=incident, unlinked_at__isnull=True).exists():
        return None
    for rule in repeat_rules():
        since = now - timedelta(days=rule.window_days)
        if rule.scope == RepeatRule.Scope.CI:
            key = f"ci:{incident.ci_id}:{rule.window_days}"
            group = _unlinked_recent(user=user, since=since).filter(ci_id=incident.ci_id)
        elif incident.cause_category:
            class_id = CI.objects.filter(pk=incident.ci_id).values_list("ci_class_id", flat=True).first()
            key = f"cause:{incident.organization_id}:{class_id}:{incident.cause_category}:{rule.window_days}"
            group = _unlinked_recent(user=user, since=since).filter(
                organization_id=incident.organization_id, ci__ci_class_id=class_id,
                cause_category=incident.cause_category)
        else:
            continue
        agg = group.aggregate(n=Count("id"), first=Min("reported_at"), last=Max("reported_at"))
        if agg["n"] >= rule.min_incidents:
            return Candidate(key=key, scope=rule.scope, count=agg["n"], first_at=agg["first"], last_at=agg["last"],
                             rule=rule, organization=incident.organization, ci=incident.ci,
                             cause_category=incident.cause_category if rule.scope != RepeatRule.Scope.CI else "")
    return None


def incident_ids_visible(*, user: Any, ids: list[int]) -> QuerySet[Incident]:
    """Incidents of `ids` the user can see (the create form's preselection)."""
    return Incident.objects.visible_to(user).filter(pk__in=ids).select_related("ci", "organization").order_by("pk")


def problem_counts(*, user: Any) -> dict[str, int]:
    """Open problems and open known errors, in one query (list page header)."""
    return problem_base(user=user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_PROBLEM_STATUSES)),
        known_errors=Count("id", filter=Q(status=ProblemStatus.KNOWN_ERROR)),
    )


INCIDENT_TOKEN_RE = re.compile(r"[\s,，;；]+")


def incidents_from_text(*, user: Any, text: str, limit: int = 100) -> tuple[list[int], list[str]]:
    """Incident ids from typed numbers (INC-000123) or ids, visible to the user; and the tokens
    that name no visible incident."""
    tokens = [t for t in INCIDENT_TOKEN_RE.split((text or "").strip()) if t][:limit]
    numbers = {t.upper() for t in tokens if t.upper().startswith("INC-")}
    ids = {int(t) for t in tokens if t.isdigit() and len(t) < 19}
    visible = Incident.objects.visible_to(user)
    found = dict(visible.filter(number__in=numbers).values_list("number", "pk")) if numbers else {}
    found_ids = set(visible.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    out: list[int] = []
    unknown: list[str] = []
    for token in tokens:
        pk = found.get(token.upper()) if token.upper() in numbers else (int(token) if token.isdigit()
                                                                         and int(token) in found_ids else None)
        if pk is None:
            unknown.append(token)
        elif pk not in out:
            out.append(pk)
    return out, unknown
