from django.urls import path

from . import views

app_name = "cmdb"
urlpatterns = [
    path("", views.ci_list_view, name="list"),
    path("options/", views.ci_options, name="ci_options"),
    path("<int:pk>/", views.ci_detail, name="detail"),
]
