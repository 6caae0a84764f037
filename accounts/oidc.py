"""Optional staff sign-in with OpenID Connect (mozilla-django-oidc): on when OIDC_RP_CLIENT_ID is set.

The provider's `preferred_username` (OIDC_USERNAME_CLAIM) is the OpenDesk username; its groups claim
(OIDC_GROUPS_CLAIM) maps to the role through OIDC_ROLE_MAP at each sign-in, like the directory's groups.
Someone in no mapped group is refused; a username that exists here as a local or directory account
(every customer among them) is never taken over by single sign-on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .choices import AuthSource
from .directory import apply_directory_role
from .models import User


def _role(claims: dict[str, Any]) -> str | None:
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    mine = {str(g) for g in groups}
    return next((role for group, role in settings.OIDC_ROLE_MAP if group in mine), None)


class OIDCBackend(OIDCAuthenticationBackend):
    def _username(self, claims: dict[str, Any]) -> str:
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or "").strip()[:150]

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(self._username(claims)) and _role(claims) is not None

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return User.objects.filter(username__iexact=self._username(claims))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is not None and user.auth_source != AuthSource.OIDC:
            return None  # a local or directory account of the same name: never taken over
        return user

    def create_user(self, claims: dict[str, Any]) -> User:
        user = User(username=self._username(claims))
        user.set_unusable_password()
        return self.update_user(user, claims, created=True)

    def update_user(self, user: User, claims: dict[str, Any], created: bool = False) -> User:  # type: ignore[override]
        if not created and user.auth_source != AuthSource.OIDC:
            return user  # refused in get_or_create_user
        from .services import user_sync_role_group

        role = _role(claims)
        assert role is not None  # verify_claims
        apply_directory_role(user, role, AuthSource.OIDC)
        user.email = str(claims.get("email") or "")[:254]
        user.name = str(claims.get("name") or "")[:150]
        user.save()
        user_sync_role_group(user=user)
        return user


def _enabled(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


authenticate_view = _enabled(OIDCAuthenticationRequestView.as_view())
callback_view = _enabled(OIDCAuthenticationCallbackView.as_view())
