from django.urls import path

from . import views

app_name = "releases"

urlpatterns = [
    path("", views.release_list_view, name="list"),
    path("new/", views.release_new, name="new"),
    path("<int:pk>/edit/", views.release_edit, name="edit"),
    *views.RELEASE_PAGES.urlpatterns(),
    path("<int:pk>/deployments/", views.deployment_add, name="deployment_add"),
    path("change-panel/<int:change_pk>/", views.change_panel, name="change_panel"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar.ics", views.calendar_ics_view, name="calendar_ics"),
    path("calendar/subscribe/", views.calendar_subscribe, name="calendar_subscribe"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
