from django.urls import path

from . import views

app_name = "problems"

urlpatterns = [
    path("", views.problem_list_view, name="list"),
    path("new/", views.problem_create_view, name="new"),
    path("known-errors/", views.known_error_list, name="known_errors"),
    path("candidates/", views.candidate_list, name="candidates"),
    path("candidates/open/", views.candidate_open, name="candidate_open"),
    path("<int:pk>/edit/", views.problem_edit, name="edit"),
    *views.PROBLEM_PAGES.urlpatterns(),
    path("<int:pk>/link/", views.problem_link, name="link"),
    path("<int:pk>/unlink/<int:incident_pk>/", views.problem_unlink, name="unlink"),
    path("panel/incident/<int:incident_pk>/", views.incident_panel, name="incident_panel"),
    path("panel/incident/<int:incident_pk>/link/", views.incident_link, name="incident_link"),
    path("panel/hotline/", views.hotline_panel, name="hotline_panel"),
]
