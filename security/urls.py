from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("", views.finding_list_view, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("imports/", views.import_view, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("unmatched/", views.unmatched_view, name="unmatched"),
    path("unmatched/<int:pk>/assign/", views.unmatched_assign_view, name="unmatched_assign"),
    path("antivirus/", views.antivirus_view, name="antivirus"),
    path("antivirus/<int:ci_pk>/", views.antivirus_edit, name="antivirus_edit"),
    path("overview/", views.overview, name="overview"),
]
