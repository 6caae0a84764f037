"""Public REST API v1 (shared/API.md). The composition root of the API: every app's viewsets are
registered here, and the audit endpoint is told which ticket types exist."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api.views import ContactViewSet, ObtainTokenView, OrganizationViewSet, UserViewSet
from changes.models import Change
from changes.selectors import change_base
from cmdb.api.views import CIViewSet
from incidents.api.views import IncidentViewSet, SpareLoanViewSet
from incidents.models import Incident
from incidents.selectors import incident_base
from opsdesk.api_errors import api_not_found
from problems.models import Problem
from problems.selectors import problem_base
from releases.models import Release
from releases.selectors import release_base
from tickets.api.anchors import AuditAnchorViewSet
from tickets.api.sla import SLAPolicyViewSet, WorkCalendarViewSet
from tickets.api.views import AuditTarget, AuditVerifyView, ServiceRequestViewSet
from tickets.models import ServiceRequest
from tickets.selectors import request_list

router = DefaultRouter()
router.include_format_suffixes = False  # JSON only: `.json` suffixes would add a second URL for every route
router.register("users", UserViewSet, basename="user")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("contacts", ContactViewSet, basename="contact")
router.register("cis", CIViewSet, basename="ci")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("requests", ServiceRequestViewSet, basename="request")
router.register("loans", SpareLoanViewSet, basename="loan")
router.register("sla/policies", SLAPolicyViewSet, basename="sla-policy")
router.register("calendars", WorkCalendarViewSet, basename="calendar")
router.register("audit/anchors", AuditAnchorViewSet, basename="audit-anchor")

AUDIT_TARGETS = {
    "incident": AuditTarget(model=Incident, visible=incident_base),
    "request": AuditTarget(model=ServiceRequest, visible=request_list),
    "problem": AuditTarget(model=Problem, visible=problem_base),
    "change": AuditTarget(model=Change, visible=change_base),
    "release": AuditTarget(model=Release, visible=release_base),
}

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("audit/verify/", AuditVerifyView.as_view(targets=AUDIT_TARGETS), name="api-audit-verify"),
    *router.urls,
    path("", include("notifications.api.urls")),
    path("", include("quality.api.urls")),
    path("", include("problems.api.urls")),
    path("", include("changes.api.urls")),
    path("", include("spares.api.urls")),
    path("", include("documents.api.urls")),
    path("", include("releases.api.urls")),
    path("", include("inspections.api.urls")),
    path("", include("security.api.urls")),
    path("", include("assurance.api.urls")),
    path("", include("cmdb.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("duty.api.urls")),
    path("", include("team.api.urls")),
    # Last: any other path under /api/v1/ is a JSON 404 like the API's own (not Django's HTML page),
    # e.g. `/api/v1/cis/0.5/`, which no route's id pattern matches.
    path("<path:unmatched>/", api_not_found, name="api-not-found"),
]
