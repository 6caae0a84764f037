from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.round_list_view, name="list"),
    path("plans/", views.plan_list_view, name="plans"),
    path("stats/", views.stats_view, name="stats"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("feed/<int:group_id>/<str:token>/", views.group_feed, name="group_feed"),
    *views.PAGES.urlpatterns("rounds/<int:pk>/"),
    path("rounds/<int:pk>/do/", views.round_do_view, name="do"),
    path("rounds/<int:pk>/count/", views.store_count_view, name="count"),
    path("rounds/<int:pk>/sheet.pdf", views.round_sheet_view, name="sheet"),
]
