"""Liveness and readiness endpoints (no authentication, no tenant data) and Prometheus metrics
(counts over every organisation, so only for a scraper: METRICS_TOKEN or METRICS_ALLOWED_IPS)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from .client_ip import client_ip, ip_in
from .observability import http_metrics

METRICS_CACHE_KEY = "opsdesk:metrics:v1"


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


def metrics_allowed(request: HttpRequest) -> bool:
    """A scraper shows the bearer token (METRICS_TOKEN) or comes from METRICS_ALLOWED_IPS."""
    token = getattr(settings, "METRICS_TOKEN", "")
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return ip_in(client_ip(request), list(getattr(settings, "METRICS_ALLOWED_IPS", [])))


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Open-incident gauges per status and fault level. Only for an allowed scraper (403 otherwise);
    the aggregate runs at most once per METRICS_CACHE_SECONDS, however often it is scraped."""
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    body = cache.get(METRICS_CACHE_KEY)
    if body is None:
        body = _metrics_render()
        cache.set(METRICS_CACHE_KEY, body, getattr(settings, "METRICS_CACHE_SECONDS", 30))
    # The latency histogram is live (no database): merged over the web processes at every scrape.
    return HttpResponse(body + http_metrics(), content_type=CONTENT_TYPE_LATEST)


def _metrics_render() -> bytes:
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
    for path in getattr(settings, "METRICS_COLLECTORS", []):
        import_string(path)(registry)
    return generate_latest(registry)
