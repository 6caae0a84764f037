from django.urls import path

from . import views, views_support

app_name = "duty"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("panel/", views.panel, name="panel"),
    path("swaps/", views.swap_request, name="swap_request"),
    path("entries/", views.entry_create, name="entry_create"),
    path("swaps/<int:rule_id>/decide/", views.swap_decide, name="swap_decide"),
    path("support/", views_support.support_list, name="support_list"),
    path("support/<int:pk>/", views_support.support_detail, name="support_detail"),
    path("support/<int:pk>/accept/", views_support.support_accept, name="support_accept"),
    path("support/<int:pk>/decline/", views_support.support_decline, name="support_decline"),
]
