from django.urls import path

from . import views

app_name = "spares"

urlpatterns = [
    path("", views.part_list, name="parts"),
    path("parts/<int:pk>/", views.part_detail, name="part"),
    path("parts/new/", views.part_edit, name="part_new"),
    path("parts/<int:pk>/edit/", views.part_edit, name="part_edit"),
    path("parts/<int:pk>/<slug:kind>/", views.movement_add, name="movement_add"),
    path("approvals/", views.approvals, name="approvals"),
    path("movements/<int:pk>/approve/", views.movement_approve_view, name="movement_approve"),
    path("movements/<int:pk>/reject/", views.movement_reject_view, name="movement_reject"),
    path("reorder/", views.reorder, name="reorder"),
    path("loans/", views.loans, name="loans"),
    path("loans/<int:pk>/return/", views.loan_return, name="loan_return"),
    path("replacements/", views.replacements, name="replacements"),
    path("replacements/<int:pk>/", views.replacement_detail, name="replacement"),
    path("replacements/ci/<int:ci_pk>/", views.replacement_add, name="replacement_add"),
    path("rmas/", views.rmas, name="rmas"),
    path("rmas/<int:pk>/advance/", views.rma_advance_view, name="rma_advance"),
    path("panels/ci/<int:pk>/", views.ci_panel, name="ci_panel"),
    path("panels/incident/<int:pk>/", views.incident_panel, name="incident_panel"),
]
