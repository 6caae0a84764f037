from django.urls import path

from . import views, views_plans

app_name = "inspections"

urlpatterns = [
    path("", views.round_list_view, name="list"),
    path("plans/", views.plan_list_view, name="plans"),
    path("plans/new/", views_plans.plan_create_view, name="plan_create"),
    path("plans/<int:pk>/", views_plans.plan_detail_view, name="plan_detail"),
    path("plans/<int:pk>/edit/", views_plans.plan_edit_view, name="plan_edit"),
    path("plans/<int:pk>/active/", views_plans.plan_active_view, name="plan_active"),
    path("templates/", views_plans.template_list_view, name="templates"),
    path("templates/<int:pk>/", views_plans.template_detail_view, name="template_detail"),
    path("templates/<int:pk>/copy/", views_plans.template_copy_view, name="template_copy"),
    path("templates/<int:pk>/edit/", views_plans.template_edit_view, name="template_edit"),
    path("stats/", views.stats_view, name="stats"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("feed/<int:group_id>/<str:token>/", views.group_feed, name="group_feed"),
    *views.PAGES.urlpatterns("rounds/<int:pk>/"),
    path("rounds/<int:pk>/do/", views.round_do_view, name="do"),
    path("rounds/<int:pk>/count/", views.store_count_view, name="count"),
    path("rounds/<int:pk>/sheet.pdf", views.round_sheet_view, name="sheet"),
]
