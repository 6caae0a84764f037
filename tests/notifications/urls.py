"""The project's URLs plus this app's, as the lead will mount them (opsdesk/urls.py and
opsdesk/api_urls.py are not this app's to edit)."""

from django.urls import include, path

from opsdesk.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("notifications.api.urls")),
    path("notifications/", include("notifications.urls")),
    *project_urlpatterns,
]
