"""The project's URLs plus views that fail on purpose, for tests/ui/test_error_pages.py."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from opsdesk.urls import urlpatterns as project_urlpatterns


def forbidden(request):
    raise PermissionDenied


def bad_request(request):
    raise BadRequest


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("__fail__/403/", forbidden),
    path("__fail__/400/", bad_request),
    path("__fail__/500/", crash),
    *project_urlpatterns,
]
