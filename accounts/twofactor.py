"""Two-factor sign-in with time-based one-time passwords (django-otp).

Superusers and the roles in OTP_REQUIRED_ROLES (managers by default) reach no page but the enrolment
page until they have a confirmed TOTP device; then every sign-in asks for a code. Other staff may enrol
(and remove) a device on their settings page; once they have one, their sign-ins ask for it too.
Ten single-use recovery codes (a django-otp static device) are shown once, at enrolment or on renewal.
Failed codes count as failed sign-ins for django-axes, so its lockout covers the second step too.
API token authentication is not affected (a token is its own credential); the session-authenticated API
answers 403 until the session is verified."""

from __future__ import annotations

import secrets
from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .views import staff_required

SESSION_NEEDS_CODE = "opsdesk_2fa_device"
RECOVERY_CODES = 10
# Paths an unverified user may still reach: sign-in and out, the 2FA pages, language, static and probes.
EXEMPT_PREFIXES = ("/login/", "/logout/", "/accounts/2fa/", "/i18n/", "/static/", "/favicon.ico", "/healthz",
                   "/readyz", "/metrics", "/oidc/")


def two_factor_required(user: Any) -> bool:
    """Must this user have a second factor (superusers and OTP_REQUIRED_ROLES)?"""
    return bool(user.is_superuser or user.role in settings.OTP_REQUIRED_ROLES)


def has_confirmed_device(user: Any) -> bool:
    return any(True for _d in devices_for_user(user, confirmed=True))


@receiver(user_logged_in)
def _remember_device(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At sign-in, note once whether the user has a device, so each request needs no query for it."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_NEEDS_CODE] = has_confirmed_device(user)


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: an unverified user who must give a code is sent to enrolment or
    to the code page (the API answers 403 in its error shape)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (settings.OTP_ENFORCED and user.is_authenticated and not user.is_verified()  # type: ignore[union-attr]
                and not request.path_info.startswith(EXEMPT_PREFIXES)):
            has_device = request.session.get(SESSION_NEEDS_CODE)
            if has_device is None:
                has_device = request.session[SESSION_NEEDS_CODE] = has_confirmed_device(user)
            if has_device or two_factor_required(user):
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": _("Two-factor sign-in is required: enter your code first."),
                                         "code": "two_factor_required"}, status=403)
                target = reverse("accounts:2fa_verify" if has_device else "accounts:2fa_enrol")
                return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("one-time password", "Code"), max_length=16, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your recovery codes."))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return reverse("home")


def _qr_svg(uri: str) -> str:
    import segno

    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return mark_safe(svg.replace("<svg ", '<svg role="img" class="qr" ', 1))  # noqa: S308 (segno's own markup)


def _locked_out(request: HttpRequest, user: Any) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return bool(settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, {"username": user.get_username()}))


def _count_failure(request: HttpRequest, user: Any) -> None:
    """A wrong code is a failed sign-in for django-axes (same username + address lockout)."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


def _lockout(request: HttpRequest) -> HttpResponse:
    from opsdesk.lockout import lockout_response

    logout(request)
    return lockout_response(request, None)


def _recovery_codes(user: Any) -> list[str]:
    """Fresh single-use recovery codes (the old ones stop working); shown once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()  # spent or replaced one-time codes, not records
    codes = [f"{secrets.randbelow(10**8):08d}" for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return [f"{c[:4]}-{c[4:]}" for c in codes]


@staff_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: a QR code (inline SVG) and the key to type, then one code to confirm."""
    user: Any = request.user
    if has_confirmed_device(user) and not user.is_verified():
        return redirect(f"{reverse('accounts:2fa_verify')}?next={quote(_next_url(request))}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _locked_out(request, user):
            return _lockout(request)
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()  # abandoned enrolments
                codes = _recovery_codes(user)
            otp_login(request, device)
            request.session[SESSION_NEEDS_CODE] = True
            return render(request, "accounts/twofactor_codes.html", {"codes": codes, "next": _next_url(request)})
        _count_failure(request, user)
        form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
    key = b32encode(device.bin_key).decode()
    return render(request, "accounts/twofactor_enrol.html", {
        "form": form, "qr": _qr_svg(device.config_url), "key": " ".join(key[i:i + 4] for i in range(0, len(key), 4)),
        "required": two_factor_required(user), "next": _next_url(request),
    }, status=400 if form.errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of a sign-in: a code from the app or a recovery code."""
    user: Any = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not has_confirmed_device(user):
        return redirect(f"{reverse('accounts:2fa_enrol')}?next={quote(_next_url(request))}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _locked_out(request, user):
            return _lockout(request)
        device = match_token(user, form.cleaned_data["code"].replace(" ", "").replace("-", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        _count_failure(request, user)
        if _locked_out(request, user):
            return _lockout(request)
        form.add_error("code", _("That code is not right."))
    return render(request, "accounts/twofactor_verify.html", {"form": form, "next": _next_url(request)},
                  status=400 if form.errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Two-factor settings: status, new recovery codes, and removing the device (not when required)."""
    user: Any = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    required = two_factor_required(user)
    if request.method == "POST":
        action = request.POST.get("action")
        form = CodeForm(request.POST)
        if confirmed is None or not form.is_valid():
            messages.error(request, _("Enter a current code to change two-factor sign-in."))
        elif _locked_out(request, user):
            return _lockout(request)
        elif match_token(user, form.cleaned_data["code"].replace(" ", "").replace("-", "")) is None:
            _count_failure(request, user)
            messages.error(request, _("That code is not right."))
        elif action == "codes":
            return render(request, "accounts/twofactor_codes.html", {"codes": _recovery_codes(user),
                                                                     "next": reverse("accounts:2fa_settings")})
        elif action == "remove" and not required:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()  # a key, not a record: nothing to keep
                StaticDevice.objects.filter(user=user).delete()
            request.session[SESSION_NEEDS_CODE] = False
            messages.success(request, _("Two-factor sign-in is off."))
        return redirect("accounts:2fa_settings")
    recovery_left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return render(request, "accounts/twofactor_settings.html", {
        "device": confirmed, "required": required, "recovery_left": recovery_left, "form": CodeForm(),
    })
