"""Mounted under /api/v1/ by opsdesk/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import DutyRuleViewSet, OnDutyView

router = SimpleRouter()
router.register("duty/rules", DutyRuleViewSet, basename="duty-rule")

urlpatterns = [
    path("duty/now/", OnDutyView.as_view(), name="duty-now"),
    *router.urls,
]
