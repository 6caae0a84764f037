"""Liveness, readiness and Prometheus metrics endpoints (no authentication, no tenant data)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _broker_ok() -> tuple[bool, str]:
    from opsdesk.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any broker failure means "not ready"
        return False, exc.__class__.__name__


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    ready = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"], ready = exc.__class__.__name__, False
    ok, detail = _broker_ok()
    checks["broker"] = detail
    ready = ready and ok
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Open-incident gauges per status and fault level, counted in SQL."""
    from django.db.models import Count

    from incidents.models import Incident

    registry = CollectorRegistry()
    gauge = Gauge("opsdesk_incidents", "Incidents by status and fault level", ["status", "fault_level"],
                  registry=registry)
    rows = (Incident.objects.exclude(status__in=["closed", "cancelled"])
            .values("status", "fault_level").annotate(n=Count("id")).order_by())
    for row in rows:
        gauge.labels(row["status"], row["fault_level"]).set(row["n"])
    info = Gauge("opsdesk_info", "OpsDesk build info", ["time_zone"], registry=registry)
    info.labels(settings.TIME_ZONE).set(1)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
