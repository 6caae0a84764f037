"""The customer asks for special support at a meeting or event (date/time window, place, what is
needed); the desk accepts it by booking the duty on its roster, or declines with a reason
(duty/services.py). The customer sees its organisation's requests only; another's is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from duty.forms import SupportRequestForm
from duty.models import SupportRequest
from duty.selectors import support_requests_visible
from duty.services import support_request_create, support_request_withdraw

from .views import customer_required


@require_http_methods(["GET", "POST"])
@customer_required
def support_requests(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = SupportRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                support_request_create(actor=user, title=d["title"], place=d["place"], needs=d["needs"],
                                       starts_at=d["starts_at"], ends_at=d["ends_at"], now=timezone.now())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Request sent: we will confirm who will be there."))
                return redirect("portal:support")
        status = 400
    rows = list(support_requests_visible(user).prefetch_related("duty_rule__members__user")[:50])
    return render(request, "portal/support.html", {"nav": "support", "form": form, "rows": rows}, status=status)


@require_POST
@customer_required
def support_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        support_request_withdraw(actor=request.user, request_id=pk, now=timezone.now())
    except (SupportRequest.DoesNotExist, PermissionDenied):
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:support")
    messages.success(request, _("Request withdrawn."))
    return redirect("portal:support")
