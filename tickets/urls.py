from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.request_list_view, name="list"),
    path("<int:pk>/", views.request_detail, name="detail"),
    *views.REQUEST_PAGES.urlpatterns(),
]
