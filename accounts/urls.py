from django.urls import path

from . import twofactor, views

app_name = "accounts"
urlpatterns = [
    path("contacts/options/", views.contact_options, name="contact_options"),
    path("2fa/", twofactor.settings_page, name="2fa_settings"),
    path("2fa/enrol/", twofactor.enrol, name="2fa_enrol"),
    path("2fa/verify/", twofactor.verify, name="2fa_verify"),
]
