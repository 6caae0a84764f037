from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list_view, name="list"),
    path("new/", views.document_new, name="new"),
    path("ci-options/", views.ci_options, name="ci_options"),
    path("update-due/", views.update_due_view, name="update_due"),
    path("ci/<int:pk>/panel/", views.ci_panel, name="ci_panel"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.document_edit, name="edit"),
    path("<int:pk>/versions/", views.document_upload, name="upload"),
    path("<int:pk>/versions/<int:version_number>/file/", views.document_version_file, name="version_file"),
    path("<int:pk>/<str:action>/", views.document_action, name="action"),
]
