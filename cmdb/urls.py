from django.urls import path

from . import views

app_name = "cmdb"
urlpatterns = [
    path("", views.ci_list_view, name="list"),
    path("new/", views.ci_create_view, name="create"),
    path("export/", views.ci_export, name="export"),
    path("import/", views.import_view, name="import"),
    path("warranty/", views.warranty_view, name="warranty"),
    path("end-of-life/", views.eol_view, name="eol"),
    path("import/sample.<str:kind>", views.import_sample, name="import_sample"),
    path("options/", views.ci_options, name="ci_options"),
    path("hotline-impact/", views.hotline_impact_panel, name="hotline_impact"),
    path("<int:pk>/", views.ci_detail, name="detail"),
    path("<int:pk>/edit/", views.ci_edit_view, name="edit"),
    path("<int:pk>/impact/", views.impact_panel, name="impact_panel"),
    path("<int:pk>/relations/", views.relation_add, name="relation_add"),
    path("<int:pk>/relations/<int:relation_pk>/retire/", views.relation_retire_view, name="relation_retire"),
]
