"""In-app inbox pages, mounted by opsdesk/urls.py: path("notifications/", include("notifications.urls"))."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("read-selected/", views.mark_selected_read, name="read_selected"),
    path("preferences/", views.preferences, name="preferences"),
]
