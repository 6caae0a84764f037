"""Request ids, structured logs and the per-route request latency histogram (docs/operations.md).

- RequestIdMiddleware: every request gets an id. An incoming `X-Request-ID` is believed only when
  the direct peer is one of TRUSTED_PROXIES (the same rule as forwarded addresses, opsdesk.client_ip)
  and the value is a plain token (letters, digits, `.`, `_`, `-`, at most 128); otherwise a fresh
  UUID is generated. The id is echoed in the response's `X-Request-ID` and added to every log record
  written while the request runs (RequestIdFilter; LOGGING formats records as JSON with
  python-json-logger).
- The latency histogram is labelled with the URL's route name (never the raw path: bounded
  cardinality). Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR (an empty directory per
  host, wiped at start) and /metrics merges every worker's samples (prometheus_client's
  multiprocess mode). Without it the histogram is per process (one-process servers only)."""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from .client_ip import ip_in

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

HTTP_REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_LATENCY = Histogram(
    "opsdesk_http_request_duration_seconds", "Request latency by route name and method",
    ["route", "method"], registry=HTTP_REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "") or os.environ.get("prometheus_multiproc_dir", "")


def http_metrics() -> bytes:
    """The latency histogram in the text format, merged over every process when multiprocess."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(HTTP_REGISTRY)


def incoming_request_id(request: HttpRequest) -> str:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    trusted = list(getattr(settings, "TRUSTED_PROXIES", []))
    if sent and trusted and ip_in(str(request.META.get("REMOTE_ADDR") or ""), trusted) and _VALID_ID.match(sent):
        return sent
    return uuid.uuid4().hex


def route_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestIdMiddleware:
    """First in MIDDLEWARE: the id covers every later middleware's log lines too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = incoming_request_id(request)
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id_var.set(rid)
        began = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        REQUEST_LATENCY.labels(route_name(request), request.method or "").observe(time.perf_counter() - began)
        response[REQUEST_ID_HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("" outside a request) so the JSON formatter writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True
