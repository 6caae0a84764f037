"""Permission-scoped reads of the CMDB: CIs, relationships, history, warranty and impact analysis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from .choices import CIStatus, ImpactDirection
from .filtersets import CIFilterSet
from .life import add_months, with_life_end
from .models import CI, CIChange, CIClass, CIRelation, DeviceModel, MaintenanceContract

DEFAULT_IMPACT_DEPTH = 10
MAX_IMPACT_DEPTH = 20


def ci_list(*, user: Any, filters: Any = None) -> QuerySet[CI]:
    """CIs the user may see, optionally narrowed by the shared FilterSet (bad filters → ValidationError)."""
    qs = CI.objects.visible_to(user).select_related("ci_class", "organization")
    if filters is not None:
        filterset = CIFilterSet(filters, queryset=qs)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        qs = filterset.qs
    return qs


def ci_get(*, user: Any, pk: Any) -> CI:
    try:
        return ci_list(user=user).select_related("contract").get(pk=int(pk))
    except (CI.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def ci_class_list() -> QuerySet[CIClass]:
    return CIClass.objects.all()


def contract_list(*, user: Any) -> QuerySet[MaintenanceContract]:
    qs = MaintenanceContract.objects.select_related("organization")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser or not user.is_customer:
        return qs
    return qs.filter(organization_id=user.organization_id)


def relation_list(*, user: Any) -> QuerySet[CIRelation]:
    """Relationships whose two ends the user may see."""
    visible = CI.objects.visible_to(user)
    qs = CIRelation.objects.select_related("source", "target", "source__ci_class", "target__ci_class")
    if user.is_authenticated and (user.is_superuser or not user.is_customer):
        return qs
    return qs.filter(source__in=visible, target__in=visible)


def relation_get(*, user: Any, pk: Any) -> CIRelation:
    try:
        return relation_list(user=user).get(pk=int(pk))
    except (CIRelation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def ci_relations(*, user: Any, ci: CI, include_retired: bool = False) -> tuple[list[CIRelation], list[CIRelation]]:
    """The relationships of one CI from both sides: (outgoing `ci <type> other`, incoming
    `other <type> ci`, read with the inverse name), active ones unless asked otherwise."""
    qs = relation_list(user=user).filter(Q(source=ci) | Q(target=ci))
    if not include_retired:
        qs = qs.filter(active=True)
    rows = list(qs.order_by("type", "id")[:500])
    return [r for r in rows if r.source_id == ci.pk], [r for r in rows if r.target_id == ci.pk]


def ci_history(*, user: Any, ci: CI) -> QuerySet[CIChange]:
    """The change history of a CI the user can see (ci comes from ci_get), newest first."""
    return CIChange.objects.filter(ci=ci).select_related("actor").order_by("-at", "-id")


def ci_warranty_list(*, user: Any, today: date, days: int, organization_id: int | None = None) -> QuerySet[CI]:
    """CIs not retired whose warranty has ended or ends within `days` days, soonest first."""
    qs = ci_list(user=user).filter(warranty_end__isnull=False, warranty_end__lte=today + timedelta(days=days)).exclude(
        status=CIStatus.RETIRED)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs.order_by("warranty_end", "id")


def ci_eol_list(*, user: Any, today: date, months: int, organization_id: int | None = None) -> QuerySet[CI]:
    """CIs not retired whose end of life has passed or falls within `months` months, soonest first."""
    qs = with_life_end(ci_list(user=user).exclude(status=CIStatus.RETIRED))
    qs = qs.filter(life_end_on__isnull=False, life_end_on__lte=add_months(today, months))
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs.select_related("ci_class", "organization").order_by("life_end_on", "id")


def device_model_for(ci: CI) -> DeviceModel | None:
    """The device-model record of a CI's vendor and model (case-insensitive), or None."""
    if not ci.model:
        return None
    return (DeviceModel.objects.filter(vendor__iexact=ci.vendor, model__iexact=ci.model)
            .prefetch_related("substitutes").first())


def discontinued_models() -> dict[tuple[str, str], DeviceModel]:
    """Discontinued device models by (vendor, model) lower-cased, with their substitutes."""
    return {(m.vendor.lower(), m.model.lower()): m for m in
            DeviceModel.objects.filter(discontinued_on__isnull=False).prefetch_related("substitutes")}


@dataclass(frozen=True)
class ImpactRow:
    """One CI reached by impact analysis. `depth` is the fewest relationship hops from the start."""

    ci_id: int
    name: str
    status: str
    organization_id: int
    ci_class_code: str
    ci_class_name: str
    is_service: bool
    depth: int


@dataclass(frozen=True)
class ImpactResult:
    rows: list[ImpactRow]
    total: int  # all CIs reached (the user may see), even when `rows` is capped
    services: int  # how many of them are business services


def _walk_sql(*, n_start: int, here: str, there: str, postgres: bool) -> str:
    """The recursive part: rows (ci_id, depth) of every CI reached, each once at its shortest depth.

    PostgreSQL: breadth-first, one row per level carrying the level's new CIs (`frontier`) and all
    CIs seen so far (`seen`); a CI already seen is never expanded again (hash anti-join against
    `seen`), so cycles end and the work is linear in the relationships reached.
    Elsewhere (SQLite, the embedded default): the portable form, where UNION drops a (ci, depth)
    pair already produced and the depth bound ends every walk; MIN(depth) keeps the shortest.
    """
    if postgres:
        return f"""
        bfs(frontier, seen, depth) AS (
            SELECT %s::bigint[], %s::bigint[], 0
            UNION ALL
            SELECT nxt.ids, bfs.seen || nxt.ids, bfs.depth + 1
              FROM bfs CROSS JOIN LATERAL (
                   SELECT array_agg(c.id) AS ids FROM (
                          SELECT DISTINCT r.{there} AS id FROM cmdb_cirelation r
                           WHERE r.active AND r.{here} = ANY(bfs.frontier)) c
                    WHERE NOT EXISTS (SELECT 1 FROM unnest(bfs.seen) s(id) WHERE s.id = c.id)) nxt
             WHERE bfs.depth < %s AND nxt.ids IS NOT NULL
        ),
        hits AS (SELECT unnest(frontier) AS ci_id, depth FROM bfs WHERE depth > 0)"""
    marks = ", ".join(["%s"] * n_start)
    return f"""
        walk(ci_id, depth) AS (
            SELECT r.{there}, 1 FROM cmdb_cirelation r WHERE r.active AND r.{here} IN ({marks})
            UNION
            SELECT r.{there}, w.depth + 1 FROM walk w
              JOIN cmdb_cirelation r ON r.{here} = w.ci_id AND r.active
             WHERE w.depth < %s
        ),
        hits AS (
            SELECT ci_id, MIN(depth) AS depth FROM walk WHERE ci_id NOT IN ({marks}) GROUP BY ci_id
        )"""


def _impact_sql(*, n_start: int, direction: str, organization_filter: bool, limited: bool, postgres: bool) -> str:
    # "dependants": who fails when the start CIs fail, following dependency → dependant;
    # "dependencies": the reverse walk.
    here, there = ("dependency_id", "dependant_id") if direction == ImpactDirection.DEPENDANTS else (
        "dependant_id", "dependency_id")
    return f"""
        WITH RECURSIVE {_walk_sql(n_start=n_start, here=here, there=there, postgres=postgres)}
        SELECT c.id, c.name, c.status, c.organization_id, k.code, k.name, k.is_service, h.depth,
               COUNT(*) OVER (), SUM(CASE WHEN k.is_service THEN 1 ELSE 0 END) OVER ()
          FROM hits h
          JOIN cmdb_ci c ON c.id = h.ci_id
          JOIN cmdb_ciclass k ON k.id = c.ci_class_id
         WHERE c.status <> %s {"AND c.organization_id = %s" if organization_filter else ""}
         ORDER BY k.is_service DESC, h.depth, c.name, c.id
         {"LIMIT %s" if limited else ""}
    """


def ci_impact_result(*, ci_ids: list[int], direction: str = ImpactDirection.DEPENDANTS,
                     max_depth: int = DEFAULT_IMPACT_DEPTH, user: Any = None, limit: int | None = None) -> ImpactResult:
    """Impact analysis of ci_ids with a total count; see ci_impact for the meaning. With `user`,
    only CIs that user may see are returned and counted (a customer: its organisation's)."""
    ids = sorted({int(i) for i in ci_ids})
    if not ids:
        return ImpactResult(rows=[], total=0, services=0)
    if direction not in ImpactDirection.values:
        raise ValidationError({"direction": ["Unknown direction."]})
    max_depth = max(1, min(int(max_depth), MAX_IMPACT_DEPTH))
    org_id = None
    if user is not None:
        if not user.is_authenticated:
            return ImpactResult(rows=[], total=0, services=0)
        if user.is_customer and not user.is_superuser:
            org_id = user.organization_id or -1
    postgres = connection.vendor == "postgresql"
    params: list[Any] = [ids, ids, max_depth] if postgres else [*ids, max_depth, *ids]
    params.append(CIStatus.RETIRED)
    if org_id is not None:
        params.append(org_id)
    if limit is not None:
        params.append(max(0, int(limit)))
    sql = _impact_sql(n_start=len(ids), direction=direction, organization_filter=org_id is not None,
                      limited=limit is not None, postgres=postgres)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = [ImpactRow(ci_id=r[0], name=r[1], status=r[2], organization_id=r[3], ci_class_code=r[4],
                      ci_class_name=r[5], is_service=bool(r[6]), depth=r[7]) for r in fetched]
    if fetched:
        return ImpactResult(rows=rows, total=int(fetched[0][8]), services=int(fetched[0][9] or 0))
    if limit == 0:  # the window figures come with the rows; count without them
        full = ci_impact_result(ci_ids=ids, direction=direction, max_depth=max_depth, user=user)
        return ImpactResult(rows=[], total=full.total, services=full.services)
    return ImpactResult(rows=[], total=0, services=0)


def ci_impact(*, ci_ids: list[int], direction: str = ImpactDirection.DEPENDANTS, max_depth: int = DEFAULT_IMPACT_DEPTH,
              user: Any = None, limit: int | None = None) -> list[ImpactRow]:
    """Impact analysis, one recursive SQL query (transitive, cycle-safe).

    direction="dependants" (default): every CI that fails when any of `ci_ids` fails — those that
    depend on / run on / are hosted on / connect to it, or are contained by it, and so on
    transitively. direction="dependencies": every CI that `ci_ids` need (the same walk reversed).

    Returns a list of ImpactRow(ci_id, name, status, organization_id, ci_class_code,
    ci_class_name, is_service, depth): business services first, then by depth (1 = directly
    related), name and id. The start CIs themselves and retired CIs are left out; each CI appears
    once, with its shortest depth (≤ max_depth, capped at MAX_IMPACT_DEPTH). With `user`, only the
    CIs that user may see; `limit` caps the rows (ci_impact_result also gives the total count).
    """
    return ci_impact_result(ci_ids=ci_ids, direction=direction, max_depth=max_depth, user=user, limit=limit).rows
