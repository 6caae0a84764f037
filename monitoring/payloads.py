"""The three payload shapes, read into one: `Alert(fingerprint, firing, labels, annotations, …)`.
A malformed payload raises PayloadError with a message the sender's operator can act on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from .choices import SourceKind

MAX_ALERTS_PER_REQUEST = 5000


class PayloadError(ValueError):
    """The body is not what the endpoint accepts (HTTP 400)."""


@dataclass
class Alert:
    fingerprint: str
    firing: bool
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    title: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""


def _clean(value: str) -> str:
    """PostgreSQL text cannot hold NUL: a "\\u0000" in the JSON is dropped (never a 500)."""
    return value.replace("\x00", "") if "\x00" in value else value


def _text(value: Any, limit: int = 1000) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise PayloadError("expected text, got an object or a list")
    return _clean(str(value))[:limit]


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object of name → text")
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise PayloadError(f"{where}.{key} must be text")
        out[_clean(str(key))[:100]] = "" if item is None else _clean(str(item))[:1000]
    return out


def _time(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be an ISO 8601 time")
    if value.startswith("0001-01-01"):  # Alertmanager's "not set"
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise PayloadError(f"{where} is not an ISO 8601 time with offset: {value[:40]!r}")
    return parsed


def _labels_fingerprint(labels: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def parse_alertmanager(body: Any) -> list[Alert]:
    """Alertmanager's webhook (version 4): {version, groupKey, truncatedAlerts, status, receiver,
    groupLabels, commonLabels, commonAnnotations, externalURL, alerts: [...]}."""
    if not isinstance(body, dict):
        raise PayloadError("the body must be a JSON object (Alertmanager webhook version 4)")
    if str(body.get("version", "4")) != "4":
        raise PayloadError(f"unsupported webhook version {str(body.get('version'))[:10]!r}; expected \"4\"")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts: a list of alerts is required")
    if len(alerts) > MAX_ALERTS_PER_REQUEST:
        raise PayloadError(f"alerts: at most {MAX_ALERTS_PER_REQUEST} alerts per request")
    out: list[Alert] = []
    for n, raw in enumerate(alerts):
        where = f"alerts[{n}]"
        if not isinstance(raw, dict):
            raise PayloadError(f"{where} must be an object")
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise PayloadError(f"{where}.status must be \"firing\" or \"resolved\"")
        labels = _str_map(raw.get("labels"), f"{where}.labels")
        if not labels:
            raise PayloadError(f"{where}.labels: an alert needs at least one label")
        annotations = _str_map(raw.get("annotations"), f"{where}.annotations")
        fingerprint = _text(raw.get("fingerprint"), 200) or _labels_fingerprint(labels)
        title = annotations.get("summary") or labels.get("alertname") or fingerprint
        out.append(Alert(
            fingerprint=fingerprint, firing=status == "firing", labels=labels, annotations=annotations,
            title=title, starts_at=_time(raw.get("startsAt"), f"{where}.startsAt"),
            ends_at=_time(raw.get("endsAt"), f"{where}.endsAt"),
            generator_url=_text(raw.get("generatorURL"), 500),
        ))
    return out


ZABBIX_SEVERITIES = {
    "0": "not classified", "1": "information", "2": "warning", "3": "average", "4": "high", "5": "disaster",
}


def _zabbix_tags(value: Any) -> dict[str, str]:
    """Zabbix tags as a list of {tag, value}, an object, or "{EVENT.TAGSJSON}" text of that list."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise PayloadError("tags: not JSON (send {EVENT.TAGSJSON})") from None
    if isinstance(value, dict):
        return _str_map(value, "tags")
    if not isinstance(value, list):
        raise PayloadError("tags must be a list of {\"tag\", \"value\"}")
    out: dict[str, str] = {}
    for n, item in enumerate(value):
        if not isinstance(item, dict) or "tag" not in item:
            raise PayloadError(f"tags[{n}] must be {{\"tag\", \"value\"}}")
        out[str(item["tag"])[:100]] = _text(item.get("value"), 1000)
    return out


def parse_zabbix(body: Any) -> list[Alert]:
    """What integrations/zabbix/opsdesk_mediatype.yaml posts: {event_id, event_value (1 problem,
    0 recovery), event_update_status (1 update), severity, host, host_ip, subject, message, tags,
    event_time, url}."""
    if not isinstance(body, dict):
        raise PayloadError("the body must be a JSON object (OpsDesk's Zabbix media type)")
    event_id = _text(body.get("event_id"), 100).strip()
    if not event_id or not event_id.isdigit():
        raise PayloadError("event_id: Zabbix's {EVENT.ID} (digits) is required")
    value = str(body.get("event_value", "1")).strip()
    if value not in ("0", "1"):
        raise PayloadError("event_value must be 1 (problem) or 0 (recovery)")
    severity = _text(body.get("severity"), 40).strip()
    severity = ZABBIX_SEVERITIES.get(severity, severity).lower()
    labels = _zabbix_tags(body.get("tags"))
    host = _text(body.get("host"), 200).strip()
    if not host:
        raise PayloadError("host: {HOST.HOST} is required")
    labels.update({"host": host, "severity": severity or "not classified"})
    if body.get("host_ip"):
        labels["ip"] = _text(body.get("host_ip"), 64)
    subject = _text(body.get("subject"), 300).strip() or _text(body.get("trigger_name"), 300).strip()
    labels["alertname"] = subject or "zabbix event"
    annotations = {"description": _text(body.get("message"), 4000)}
    return [Alert(fingerprint=f"zabbix:{event_id}", firing=value == "1", labels=labels, annotations=annotations,
                  title=subject or host, generator_url=_text(body.get("url"), 500))]


NAGIOS_OK = {"ok", "up", "resolved", "recovery", "recovered", "0"}
NAGIOS_PROBLEM = {"warning", "critical", "unknown", "down", "unreachable", "problem", "firing", "1"}


def _parse_event(raw: Any, where: str) -> Alert:
    if not isinstance(raw, dict):
        raise PayloadError(f"{where} must be an object")
    host = _text(raw.get("host"), 200).strip()
    service = _text(raw.get("service"), 200).strip()
    state = (_text(raw.get("status"), 40) or _text(raw.get("state"), 40)).strip().lower()
    if state in NAGIOS_OK:
        firing = False
    elif state in NAGIOS_PROBLEM:
        firing = True
    else:
        raise PayloadError(f"{where}.state must be one of OK/UP/RESOLVED (recovery) or "
                           "WARNING/CRITICAL/UNKNOWN/DOWN/UNREACHABLE/FIRING (problem)")
    labels = _str_map(raw.get("tags") or raw.get("labels"), f"{where}.tags")
    if host:
        labels["host"] = host
    if service:
        labels["service"] = service
    if not labels:
        raise PayloadError(f"{where}: give host (and service) or tags")
    severity = _text(raw.get("severity"), 40).strip().lower()
    if not severity and firing and state not in ("problem", "firing", "1"):
        severity = state  # Nagios: CRITICAL, WARNING, DOWN…
    if severity:
        labels["severity"] = severity
    title = _text(raw.get("title") or raw.get("summary"), 300).strip()
    if not title:
        title = f"{host} {service}".strip() + (f" {state.upper()}" if firing else "")
    labels.setdefault("alertname", title)
    fingerprint = _text(raw.get("event_id") or raw.get("fingerprint"), 200).strip()
    if not fingerprint:
        if not host:
            raise PayloadError(f"{where}: give event_id, or host (and service) to identify the alert")
        fingerprint = f"{host}/{service}" if service else host
    return Alert(fingerprint=fingerprint, firing=firing, labels=labels,
                 annotations={"description": _text(raw.get("description") or raw.get("output"), 4000)},
                 title=title, starts_at=_time(raw.get("time"), f"{where}.time"),
                 generator_url=_text(raw.get("url"), 500))


def parse_events(body: Any) -> list[Alert]:
    """The generic event: one object, or {"events": [...]}: {event_id?, host, service?, state,
    severity?, title?, description?, tags?, time?, url?}. Without event_id, host/service identifies
    the alert (Nagios/Icinga's notion)."""
    if isinstance(body, dict) and "events" in body:
        events = body["events"]
        if not isinstance(events, list):
            raise PayloadError("events must be a list")
        if len(events) > MAX_ALERTS_PER_REQUEST:
            raise PayloadError(f"events: at most {MAX_ALERTS_PER_REQUEST} events per request")
        return [_parse_event(raw, f"events[{n}]") for n, raw in enumerate(events)]
    return [_parse_event(body, "event")]


PARSERS = {
    SourceKind.ALERTMANAGER: parse_alertmanager,
    SourceKind.ZABBIX: parse_zabbix,
    SourceKind.EVENTS: parse_events,
}


def parse(kind: str, raw_body: bytes) -> list[Alert]:
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("the body is not UTF-8") from None
    except ValueError as exc:
        raise PayloadError(f"the body is not valid JSON: {exc}") from None
    return PARSERS[SourceKind(kind)](body)
