from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.request_list_view, name="list"),
    *views.REQUEST_PAGES.urlpatterns(),
]
