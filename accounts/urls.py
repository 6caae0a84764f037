from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("contacts/options/", views.contact_options, name="contact_options"),
]
