"""The integration endpoints (Alertmanager, Zabbix, generic events) and the incident panel.

The receivers are plain Django views, not DRF: each request is authenticated by its source's own
secret (not a user), does the minimum synchronously (auth, parse, log, dedup, map) and answers
JSON. Auth failures are 401, malformed bodies 400, both kept in the inbound log."""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.views import staff_required
from incidents.selectors import incident_get

from .choices import AuthScheme, InboundOutcome, IngestMode, SourceKind
from .inbox import inbox_item_add, inbox_kick
from .models import AlertSource, secret_digest
from .payloads import PayloadError, parse
from .selectors import incident_alert_list
from .services import alerts_ingest, inbound_log


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


# Authenticated sources by the digest of their Authorization header, per process, for
# MONITORING_AUTH_CACHE_SECONDS: a busy sender costs no query per request. Saving a source (a new
# secret, deactivation) clears this process's cache at once (signal); other processes within the TTL.
_AUTH_CACHE: dict[str, tuple[float, AlertSource]] = {}
_AUTH_CACHE_MAX = 1000


def auth_cache_clear(**_: Any) -> None:
    _AUTH_CACHE.clear()


post_save.connect(auth_cache_clear, sender=AlertSource, dispatch_uid="monitoring_auth_cache_clear")


def source_authenticate(request: HttpRequest) -> AlertSource | None:
    """The active source whose secret the request carries (from the process cache when seen lately)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    key = hashlib.sha256(header.encode("utf-8", errors="replace")).hexdigest()
    clock = time.monotonic()
    hit = _AUTH_CACHE.get(key)
    if hit is not None and hit[0] > clock:
        return hit[1]
    source = _source_lookup(header)
    if source is not None:
        if len(_AUTH_CACHE) >= _AUTH_CACHE_MAX:
            _AUTH_CACHE.clear()
        _AUTH_CACHE[key] = (clock + float(getattr(settings, "MONITORING_AUTH_CACHE_SECONDS", 30)), source)
    return source


def _source_lookup(header: str) -> AlertSource | None:
    """The active source whose secret `header` carries: `Authorization: Bearer <secret>`, or
    `Basic` with the source's user name and the secret as password. One indexed query."""
    scheme, _sep, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        source = AlertSource.objects.filter(secret_hash=secret_digest(credentials), is_active=True,
                                            auth_scheme=AuthScheme.BEARER).select_related("organization").first()
        return source
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep or not username:
            return None
        source = AlertSource.objects.filter(username=username, is_active=True,
                                            auth_scheme=AuthScheme.BASIC).select_related("organization").first()
        if source is not None and source.check_secret(password):
            return source
    return None


def _unauthorized(kind: str, request: HttpRequest, now: Any, *, log: bool = True) -> JsonResponse:
    if log:
        inbound_log(endpoint=kind, source=None, remote_addr=_client_ip(request), status_code=401,
                    outcome=InboundOutcome.UNAUTHORIZED, now=now, raw_body=b"",
                    message=_("Wrong or missing secret."))
    response = JsonResponse({"detail": _("Authentication failed: send this source's secret as a bearer token "
                                         "or with basic authentication.")}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="opsdesk", Basic realm="opsdesk"'
    return response


def _incident_link(incident: Any) -> str:
    return f"{settings.SITE_URL}{reverse('incidents:detail', args=[incident.pk])}"


def receive(request: HttpRequest, kind: str) -> HttpResponse:
    now = timezone.now()
    source = source_authenticate(request)
    if request.method != "POST":
        # Who may not send is told so first (401, like every API route); a known source learns the method.
        if source is None:
            return _unauthorized(kind, request, now, log=False)
        return JsonResponse({"detail": _("Send alerts with POST.")}, status=405, headers={"Allow": "POST"})
    if source is None:
        return _unauthorized(kind, request, now)
    try:
        raw = request.body
    except RequestDataTooBig:
        inbound_log(endpoint=kind, source=source, remote_addr=_client_ip(request), status_code=413,
                    outcome=InboundOutcome.MALFORMED, now=now, raw_body=b"", message=_("Request body too large."))
        return JsonResponse({"detail": _("Request body too large: send fewer alerts per request.")}, status=413)
    if source.kind != kind:
        message = _("This source is set up for the %(kind)s endpoint.") % {"kind": source.get_kind_display()}
        inbound_log(endpoint=kind, source=source, remote_addr=_client_ip(request), status_code=400,
                    outcome=InboundOutcome.MALFORMED, now=now, raw_body=raw, message=message)
        return JsonResponse({"detail": message}, status=400)
    try:
        alerts = parse(kind, raw)
    except PayloadError as exc:
        message = str(exc)
        inbound_log(endpoint=kind, source=source, remote_addr=_client_ip(request), status_code=400,
                    outcome=InboundOutcome.MALFORMED, now=now, raw_body=raw, message=message)
        return JsonResponse({"detail": message}, status=400)
    if source.ingest_mode == IngestMode.QUEUED:
        # The lean path: one insert, 202; the incident (and its number) comes from the inbox worker.
        item = inbox_item_add(source=source, raw=raw, remote_addr=_client_ip(request), now=now)
        inbox_kick()
        queued: dict[str, Any] = {"status": "queued", "alerts": len(alerts), "queued": item is not None, "item": item}
        if kind == SourceKind.ZABBIX and item is not None:
            # Zabbix keeps what the answer says as event tags; the incident does not exist yet, so the
            # tags name the inbox item, whose admin page shows its incident once processed (no query).
            link = f"{settings.SITE_URL}{reverse('admin:monitoring_inboxitem_change', args=[item])}"
            queued.update(url=link, tags={"opsdesk": f"queued-{item}", "opsdesk_url": link})
        return JsonResponse(queued, status=202)
    # One transaction (one commit) per request; each alert still has its own savepoint.
    with transaction.atomic():
        result = alerts_ingest(source=source, alerts=alerts, now=now)
        failures = [f"{o.fingerprint}: {o.message}" for o in result.outcomes if o.action == "failed" and o.message]
        inbound_log(endpoint=kind, source=source, remote_addr=_client_ip(request), status_code=200,
                    outcome=InboundOutcome.ACCEPTED, now=now, raw_body=raw, result=result,
                    message="\n".join(failures))
    body: dict[str, Any] = {"status": "ok", "alerts": len(alerts), "outcome": result.summary()}
    incidents = [o for o in result.outcomes if o.incident is not None]
    if kind == SourceKind.ZABBIX or len(alerts) == 1:
        incident = incidents[0].incident if incidents else None
        if incident is not None:
            link = _incident_link(incident)
            body.update(incident=incident.number, url=link, tags={"opsdesk": incident.number, "opsdesk_url": link})
        body["action"] = result.outcomes[0].action if result.outcomes else ""
    else:
        body["incidents"] = sorted({o.incident.number for o in incidents if o.incident is not None})[:100]
    return JsonResponse(body)


@csrf_exempt
def alertmanager(request: HttpRequest) -> HttpResponse:
    return receive(request, SourceKind.ALERTMANAGER)


@csrf_exempt
def zabbix(request: HttpRequest) -> HttpResponse:
    return receive(request, SourceKind.ZABBIX)


@csrf_exempt
def events(request: HttpRequest) -> HttpResponse:
    return receive(request, SourceKind.EVENTS)


@require_GET
@staff_required
def incident_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """On the incident page (settings.INCIDENT_PANELS): the monitoring alerts that feed it."""
    incident = incident_get(user=request.user, pk=pk)
    alerts = list(incident_alert_list(incident=incident)[:50])
    return render(request, "monitoring/partials/incident_panel.html", {
        "incident": incident, "alerts": alerts, "total": incident_alert_list(incident=incident).count(),
    })
