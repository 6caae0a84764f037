"""OpenAPI schema post-processing (drf-spectacular hook): what every operation of the API can
answer besides its success response, and which area (tag) it belongs to.

Each operation documents the error responses the project's error handler really produces
(`opsdesk/api_errors.py`, docs/api.md "Errors"): 400 with field messages, 401 without valid
credentials, 403 for a role that may not do it, 404 for anything missing or outside the caller's
organisation, 409 on a write that lost a race (stale `version`) or conflicts with the record's
state, 413 for a body over the limit, 415 for a body in a media type the operation does not read,
429 when throttled. An operation's own declaration of one of these codes is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

# First path segment after /api/v1/ → the area tag of the operation.
AREAS: dict[str, str] = {
    "auth": "accounts", "users": "accounts", "organizations": "accounts", "contacts": "accounts",
    "audit": "audit",
    "incidents": "incidents",
    "requests": "requests",
    "problems": "problems", "known-errors": "problems",
    "changes": "changes", "cabs": "changes", "change-templates": "changes", "freeze-windows": "changes",
    "releases": "releases",
    "cis": "cmdb", "ci-relations": "cmdb", "ci-classes": "cmdb", "maintenance-contracts": "cmdb",
    "spare-parts": "spares", "spare-movements": "spares", "storerooms": "spares", "stock": "spares",
    "spare-loans": "spares", "loans": "spares", "replacements": "spares",
    "documents": "documents",
    "reports": "reports",
    "notifications": "notifications", "me": "notifications",
    "quality": "quality",
    "sla": "sla", "calendars": "sla",
    "duty": "team", "leave": "team", "kpi": "team",
}

TAGS: list[dict[str, str]] = [
    {"name": "accounts", "description": "Token, users and roles, customer organisations (tenants), contacts."},
    {"name": "incidents", "description": "Incidents (fault levels I–IV), their transitions, timeline, SLA "
                                         "targets, progress updates and fault reports."},
    {"name": "requests", "description": "Service requests, consultations, complaints and training requests."},
    {"name": "problems", "description": "Problems and the known-error base."},
    {"name": "changes", "description": "Changes (RFC), CABs and votes, customer approvals, templates, "
                                       "freeze windows."},
    {"name": "releases", "description": "Releases and their deployments."},
    {"name": "cmdb", "description": "Configuration items, classes, relationships, impact analysis, "
                                    "import / export, maintenance contracts."},
    {"name": "spares", "description": "Spare parts, storerooms, stock and movements, spare-device loans, "
                                      "replacement decisions."},
    {"name": "documents", "description": "The versioned document library."},
    {"name": "reports", "description": "Report runs (PDF / Excel) and their files."},
    {"name": "notifications", "description": "Channels, rules, the delivery log, the caller's in-app inbox."},
    {"name": "quality", "description": "Satisfaction ratings, call-backs, questionnaires."},
    {"name": "sla", "description": "SLA policies and work calendars."},
    {"name": "audit", "description": "Verification of the tamper-evident ticket history."},
    {"name": "team", "description": "Duty roster (who is on duty now, entries), leave requests and their "
                                    "approval, monthly KPI scorecards."},
]

# PATCH of these refuses an empty body ("Send at least one field to change."): the body needs a field.
PATCH_NEEDS_A_FIELD = {f"/api/v1/{name}/{{id}}/" for name in
                       ("incidents", "changes", "releases", "cis", "problems", "documents")}

JSON = "application/json"
UNSAFE = {"post", "put", "patch", "delete"}
METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}

ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    "ErrorDetail": {
        "type": "object",
        "description": "An error a person can act on.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrors": {
        "type": "object",
        "description": (
            "The request was refused: each key names the field (or query parameter) at fault with its "
            "messages; `detail` carries a message that concerns no single field; a refused transition "
            "adds `allowed_actions`. Nested input reports nested messages in the same shape."
        ),
        "properties": {
            "detail": {"type": "string"},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
            "allowed_actions": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": {},
    },
    "VersionConflict": {
        "type": "object",
        "description": "The write lost a race or conflicts with the record's current state; nothing changed. "
                       "`version` is the record's current version when the conflict is a stale one.",
        "properties": {"detail": {"type": "string"}, "version": {"type": "integer"}},
        "required": ["detail"],
    },
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, plus: a read-only text field of a model field that may be blank
    is documented as possibly empty ("" besides its enum or format), as the API really answers.
    (DRF drops `allow_blank` from read-only fields, so the schema would otherwise promise e.g. an
    e-mail address or a cause category where the record has none yet.)"""

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        if (field.read_only and isinstance(field, serializers.CharField | serializers.ChoiceField)
                and not getattr(field, "allow_blank", False) and _model_field_may_be_blank(field)):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _model_field_may_be_blank(field: Any) -> bool:
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", "") or ""
    if model is None or not source or "." in source or source == "*":
        return False
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return False
    return bool(getattr(model_field, "blank", False)) and not getattr(model_field, "null", False)


def _ref(name: str) -> dict[str, Any]:
    return {"content": {JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _error_responses(method: str, has_body: bool) -> dict[str, dict[str, Any]]:
    responses: dict[str, dict[str, Any]] = {
        "400": {"description": "Invalid input (fields, query parameters, list cursor or ordering).",
                **_ref("ValidationErrors")},
        "401": {"description": "Not authenticated: no or an invalid token or session.", **_ref("ErrorDetail")},
        "403": {"description": "Authenticated, but the role may not do this.", **_ref("ErrorDetail")},
        "404": {"description": "Not found, or outside the caller's organisation.", **_ref("ErrorDetail")},
        "429": {"description": "Throttled: retry after the seconds in `Retry-After`.", **_ref("ErrorDetail"),
                "headers": {"Retry-After": {"description": "Seconds to wait before retrying.",
                                            "schema": {"type": "integer", "minimum": 0}}}},
    }
    if method in UNSAFE:
        responses["409"] = {"description": "Stale `version` or a conflicting state: nothing changed.",
                            **_ref("VersionConflict")}
    if has_body:
        responses["413"] = {"description": "The request body (or an uploaded file) is too large.",
                            **_ref("ErrorDetail")}
        responses["415"] = {"description": "The body is in a media type this operation does not read.",
                            **_ref("ErrorDetail")}
    return responses


def _area(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[:2] == ["api", "v1"]:
        return AREAS.get(parts[2])
    return None


def postprocess_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: error responses and area tags on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in ERROR_COMPONENTS.items():
        schemas.setdefault(name, component)
    used_tags: set[str] = set()
    for path, operations in result.get("paths", {}).items():
        area = _area(path)
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            if area:
                operation["tags"] = [area]
                used_tags.add(area)
            if method == "patch" and path in PATCH_NEEDS_A_FIELD:
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    ref = media.get("schema", {}).get("$ref", "")
                    if ref:
                        schemas[ref.rsplit("/", 1)[-1]]["minProperties"] = 1
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                content = response.get("content", {})
                if "application/octet-stream" in content:
                    # A download answers with the stored file's own media type (text/csv, image/png, …).
                    content["*/*"] = content.pop("application/octet-stream")
            declared_400 = responses.get("400", {}).get("content", {}).get(JSON, {}).get("schema")
            if declared_400 and declared_400.get("$ref") != "#/components/schemas/ValidationErrors":
                # The operation's own 400 body (e.g. an import report), or the common shape (a bad query
                # parameter, an unreadable body) that any operation can answer.
                responses["400"]["content"][JSON]["schema"] = {
                    "anyOf": [declared_400, {"$ref": "#/components/schemas/ValidationErrors"}]}
            for code, response in _error_responses(method, "requestBody" in operation).items():
                existing = responses.get(code)
                if existing is None or not existing.get("content"):
                    responses[code] = {**response, **({"description": existing["description"]}
                                                      if existing and existing.get("description") else {})}
    result["tags"] = [tag for tag in TAGS if tag["name"] in used_tags]
    return result
