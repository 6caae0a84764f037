"""Operator-UI views of the accounts app, plus the small view helpers every app's pages share
(accounts is the lowest layer, so incidents, tickets and cmdb may all import from here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from .selectors import contact_find_by_phone, contact_list

View = Callable[..., HttpResponse]
PAGE_SIZE = 50


def staff_required(view: View) -> View:
    """Logged-in staff only. Customers get 404 (never 403): staff pages do not exist for them."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff_member:  # type: ignore[union-attr]
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def keyset_page(qs: QuerySet[Any], *, after: str | None, fields: Sequence[str], descending: bool = True,
                size: int | None = None) -> tuple[list[Any], str | None]:
    """One page of `qs` ordered by `fields` (e.g. reported_at, id), starting after the opaque
    cursor "value|id". No COUNT and no OFFSET, so page 20 000 costs what page 1 costs."""
    size = size or PAGE_SIZE
    first, last = fields
    sign, cmp = ("-", "lt") if descending else ("", "gt")
    qs = qs.order_by(f"{sign}{first}", f"{sign}{last}")
    if after:
        value_text, _sep, id_text = after.rpartition("|")
        value: Any = parse_datetime(value_text) if first.endswith("_at") else value_text
        if value is not None and id_text.isdigit():
            qs = qs.filter(Q(**{f"{first}__{cmp}": value}) | Q(**{first: value, f"{last}__{cmp}": int(id_text)}))
    rows = list(qs[: size + 1])
    cursor = None
    if len(rows) > size:
        rows = rows[:size]
        tail = rows[-1]
        value = getattr(tail, first)
        cursor = f"{value.isoformat() if isinstance(value, datetime) else value}|{getattr(tail, last)}"
    return rows, cursor


def filtered_page(request: HttpRequest, *, filterset_class: Any,
                  select: Callable[..., QuerySet[Any]]) -> tuple[Any, list[Any], str | None]:
    """A list page: the FilterSet the API uses, applied through the type's selector, then one
    keyset page (newest first). Bad filter values become messages, never a 500.
    Returns (filter form, rows, next cursor)."""
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key != "after" and kept:
            params.setlist(key, kept)
    form = filterset_class(params).form
    try:
        qs = select(user=request.user, filters=params if params else None)
        rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("reported_at", "id"))
    except ValidationError as exc:
        errors = getattr(exc, "message_dict", {"": exc.messages})
        messages.error(request, " ".join(m for ms in errors.values() for m in ms))
        rows, cursor = [], None
    return form, rows, cursor


def querystring_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@require_GET
@staff_required
def contact_options(request: HttpRequest) -> HttpResponse:
    """htmx fragment: <option>s of the contacts of an organisation, or of those with a phone number."""
    contacts = contact_list(user=request.user).filter(is_active=True)
    phone = request.GET.get("phone", "").strip()
    org = request.GET.get("organization", "")
    if phone:
        contacts = contact_find_by_phone(user=request.user, phone=phone)
    elif org.isdigit():
        contacts = contacts.filter(organization_id=int(org))
    else:
        contacts = contacts.none()
    return render(request, "accounts/partials/contact_options.html", {
        "contacts": contacts[:200], "selected": request.GET.get("contact", ""),
    })


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also stores a signed-in user's choice as their preferred
    language (`User.language`): the notifications and e-mails they receive are rendered in it."""
    from django.views.i18n import set_language as django_set_language

    from .services import user_language_set

    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))  # type: ignore[arg-type]
    return response


class LoginView(auth_views.LoginView):
    """Django's login page, with the single sign-on button when OpenID Connect is configured."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from django.conf import settings

        return {**super().get_context_data(**kwargs), "oidc_enabled": settings.OIDC_ENABLED}
