from django.urls import path

from . import views

app_name = "duty"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("panel/", views.panel, name="panel"),
    path("swaps/", views.swap_request, name="swap_request"),
    path("entries/", views.entry_create, name="entry_create"),
    path("swaps/<int:rule_id>/decide/", views.swap_decide, name="swap_decide"),
]
