"""The monthly assessment pages: the manager's month (propose, adjust, publish, PDF and Excel),
each scorecard with its formula and inputs, the engineer's own scorecards and trend (phone-sized),
and the on-call hours per person from the roster."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.views import staff_required
from duty.selectors import duty_hours
from opsdesk.errors import ConflictError
from tickets.forms import error_text

from .charts import trend_svg
from .choices import DIMENSIONS
from .exports import dimension_labels, scorecards_pdf, scorecards_xlsx
from .kpi import can_manage_kpi, kpi_config, month_bounds, scorecard_adjust, scorecards_propose, scorecards_publish
from .selectors import scorecard_get, scorecards_visible


class AdjustForm(forms.Form):
    dimension = forms.ChoiceField(label=gettext_lazy("Dimension"), choices=())
    score = forms.IntegerField(label=gettext_lazy("New score"), min_value=1, max_value=6)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = list(dimension_labels().items())
        cfg = kpi_config()
        self.fields["score"].min_value, self.fields["score"].max_value = cfg.scale_min, cfg.scale_max
        self.fields["score"].validators = []
        self.fields["score"].widget.attrs.update({"min": cfg.scale_min, "max": cfg.scale_max})


def _month(request: HttpRequest) -> date:
    raw = (request.GET.get("month") or request.POST.get("month") or "")[:7]
    try:
        year, month = (int(x) for x in raw.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        today = timezone.localdate()
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month


def _manager(request: HttpRequest) -> None:
    if not can_manage_kpi(request.user):
        raise Http404


@require_GET
@staff_required
def scorecard_month(request: HttpRequest) -> HttpResponse:
    if not can_manage_kpi(request.user):
        return redirect("team:kpi_mine")
    month = _month(request)
    cards = list(scorecards_visible(user=request.user).filter(month=month))
    labels = dimension_labels()
    return render(request, "team/kpi_month.html", {
        "month": month, "month_value": month.strftime("%Y-%m"), "labels": [labels[d] for d in DIMENSIONS],
        "rows": [(c, [c.scores.get(d) for d in DIMENSIONS]) for c in cards], "config": kpi_config(),
        "weights": [(labels[d], (kpi_config().weights or {}).get(d)) for d in DIMENSIONS],
    })


@require_POST
@staff_required
def scorecard_propose_view(request: HttpRequest) -> HttpResponse:
    _manager(request)
    month = _month(request)
    cards = scorecards_propose(actor=request.user, month=month, now=timezone.now())
    messages.success(request, _("%(n)s scorecards proposed.") % {"n": len(cards)})
    return redirect(f"{reverse('team:kpi')}?month={month:%Y-%m}")


@require_POST
@staff_required
def scorecard_publish_view(request: HttpRequest) -> HttpResponse:
    _manager(request)
    month = _month(request)
    n = scorecards_publish(actor=request.user, month=month, now=timezone.now())
    messages.success(request, _("%(n)s scorecards published: the engineers see them now.") % {"n": n})
    return redirect(f"{reverse('team:kpi')}?month={month:%Y-%m}")


@require_GET
@staff_required
def scorecard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    _manager(request)
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    month = _month(request)
    cards = list(scorecards_visible(user=request.user).filter(month=month))
    if fmt == "pdf":
        body, ctype = scorecards_pdf(month=month, cards=cards), "application/pdf"
    else:
        body = scorecards_xlsx(month=month, cards=cards)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="kpi-{month:%Y-%m}.{fmt}"'
    return response


def _formulas() -> dict[str, str]:
    return {
        "satisfaction": _("(sum of stars + sum of call-back satisfaction) / (ratings + call-backs)"),
        "workload": _("(work-log hours + hours per ticket × tickets) / (working days − leave days)"),
        "problems": _("100 × handled in time / (resolved + still open past the limit)"),
        "recovery": _("100 × restored in time / (restored + past the deadline, not restored)"),
    }


def _input_labels() -> dict[str, str]:
    return {
        "ratings": _("ratings"), "callbacks": _("call-backs"), "sum": _("sum"),
        "worklog_hours": _("work-log hours"), "tickets": _("tickets resolved"),
        "hours_per_ticket": _("hours per ticket"), "working_days": _("working days"),
        "leave_days": _("days on leave"), "available_days": _("available days"), "resolved": _("resolved"),
        "in_time": _("in time"), "open_overdue": _("open past the limit"), "days_allowed": _("days allowed"),
        "restored": _("restored"), "overdue_open": _("past the deadline, not restored"),
    }


def _detail(request: HttpRequest, card: Any, *, form: AdjustForm | None = None, status: int = 200) -> HttpResponse:
    labels, formulas, names = dimension_labels(), _formulas(), _input_labels()
    dims = []
    for d in DIMENSIONS:
        part = card.proposal.get(d, {})
        dims.append({"key": d, "label": labels[d], "score": card.scores.get(d), "weight": card.weights.get(d),
                     "measure": part.get("measure"), "thresholds": part.get("thresholds", []),
                     "formula": formulas[d],
                     "inputs": [(names.get(k, k), v) for k, v in (part.get("inputs") or {}).items()]})
    adjustments = list(card.adjustments.select_related("adjusted_by"))
    for a in adjustments:
        a.dimension_label = labels.get(a.dimension, a.dimension)  # type: ignore[attr-defined]
    return render(request, "team/scorecard.html", {
        "card": card, "dims": dims, "adjustments": adjustments,
        "can_manage": can_manage_kpi(request.user), "labels": labels,
        "form": form or AdjustForm(initial={"version": card.version}),
    }, status=status)


@require_GET
@staff_required
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, scorecard_get(user=request.user, pk=pk))


@require_POST
@staff_required
def scorecard_adjust_view(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    card = scorecard_get(user=request.user, pk=pk)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        return _detail(request, card, form=form, status=400)
    try:
        scorecard_adjust(actor=request.user, scorecard_id=card.pk, dimension=form.cleaned_data["dimension"],
                         score=form.cleaned_data["score"], reason=form.cleaned_data["reason"],
                         version=form.cleaned_data["version"], now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ConflictError:
        messages.error(request, _("Someone else changed this scorecard first: look again."))
        return _detail(request, scorecard_get(user=request.user, pk=pk), status=409)
    except ValidationError as exc:
        form.add_error(None, error_text(exc))
        return _detail(request, card, form=form, status=400)
    messages.success(request, _("Score adjusted; the reason is kept."))
    return redirect("team:scorecard", card.pk)


@require_GET
@staff_required
def my_scorecards(request: HttpRequest) -> HttpResponse:
    """The engineer's own published scorecards, the newest first, with the trend of the total."""
    cards = list(scorecards_visible(user=request.user).filter(user=request.user, status="published")
                 .order_by("-month")[:24])
    config = kpi_config()
    chart = trend_svg([(c.month, c.total) for c in reversed(cards)], low=config.scale_min, high=config.scale_max)
    return render(request, "team/kpi_mine.html", {"cards": cards, "config": config, "chart": chart})


@require_GET
@staff_required
def oncall_hours(request: HttpRequest) -> HttpResponse:
    """On-call hours per person for the month, from the roster (for pay)."""
    _manager(request)
    month = _month(request)
    start, end = month_bounds(month)
    return render(request, "team/oncall.html", {"month": month, "month_value": month.strftime("%Y-%m"),
                                                "rows": duty_hours(start=start, end=end)})
