"""Single sign-on (OpenID Connect) URLs; 404 unless OIDC_RP_CLIENT_ID is set (accounts/oidc.py)."""

from django.urls import path

from . import oidc

urlpatterns = [
    path("authenticate/", oidc.authenticate_view, name="oidc_authentication_init"),
    path("callback/", oidc.callback_view, name="oidc_authentication_callback"),
]
