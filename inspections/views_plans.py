"""The manager's pages for inspection plans and checklist templates (issue #14: "a manager defines
plans"): list, create, edit and switch off plans with a preview of the next due dates on the SLA
calendar; checklist templates read-only for staff, copied and edited by managers. Writers: PLAN_MANAGE
(plans) and TEMPLATE_MANAGE (templates); other staff read (403 on writing); customers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.views import staff_required
from opsdesk.errors import ConflictError
from tickets.forms import error_text, form_add_service_errors

from .forms import WEEKDAYS, ItemFormSet, PlanForm, TemplateHeaderForm
from .models import ChecklistItem, InspectionPlan
from .selectors import (
    plan_changes,
    plan_get,
    plan_preview,
    template_changes,
    template_get,
    template_items,
    template_list,
)
from .services import (
    ITEM_FIELDS,
    may_manage_plans,
    may_manage_templates,
    plan_create,
    plan_set_active,
    plan_update,
    template_copy,
    template_update,
)


def _preview_of(form: PlanForm) -> list[dict[str, Any]] | None:
    """The next due dates of what the form holds now (None until the rule is valid)."""
    needed = ("organization", "frequency", "day_rule", "nth", "weekday", "due_working_days", "starts_on")
    data = getattr(form, "cleaned_data", None)
    if data is None:
        if not form.instance.pk:
            return None
        probe: Any = form.instance
    else:
        if any(data.get(n) in (None, "") for n in needed if n != "organization") or (
                form.instance.organization_id is None and not data.get("organization")):
            return None
        probe = InspectionPlan(organization_id=(data.get("organization") or form.instance.organization).pk,
                               **{n: data[n] for n in needed if n != "organization"}, ends_on=data.get("ends_on"))
    return plan_preview(plan=probe, today=timezone.localdate())


def _form_page(request: HttpRequest, form: PlanForm, *, plan: InspectionPlan | None = None,
               status: int = 200, conflict: bool = False) -> HttpResponse:
    return render(request, "inspections/plan_form.html", {
        "form": form, "plan": plan, "preview": _preview_of(form), "conflict": conflict}, status=status)


def _require_plan_writer(request: HttpRequest) -> None:
    if not may_manage_plans(request.user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@staff_required
def plan_create_view(request: HttpRequest) -> HttpResponse:
    _require_plan_writer(request)
    if request.method == "GET":
        initial: dict[str, Any] = {"starts_on": timezone.localdate(), "due_working_days": 5, "nth": 1}
        for key in ("organization", "template"):
            raw = request.GET.get(key, "")
            if raw.isdigit() and len(raw) < 19:
                initial[key] = int(raw)
        return _form_page(request, PlanForm(initial=initial))
    form = PlanForm(request.POST)
    valid = form.is_valid()
    if "preview" in request.POST:  # "refresh": load the organisation's CIs and the dates, save nothing
        return _form_page(request, form)
    if not valid:
        return _form_page(request, form, status=400)
    try:
        plan = plan_create(actor=request.user, data=form.plan_data(), cis=list(form.cleaned_data["cis"]),
                           now=timezone.now())
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return _form_page(request, form, status=400)
    messages.success(request, _("Plan saved. Its rounds appear a week before they are due."))
    return redirect("inspections:plan_detail", pk=plan.pk)


@require_http_methods(["GET", "POST"])
@staff_required
def plan_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request.user, pk=pk)
    _require_plan_writer(request)
    if request.method == "GET":
        return _form_page(request, PlanForm(instance=plan, initial={"cis": list(plan.cis.all())}), plan=plan)
    form = PlanForm(request.POST, instance=plan)
    valid = form.is_valid()
    if "preview" in request.POST:
        return _form_page(request, form, plan=plan)
    if not valid:
        return _form_page(request, form, plan=plan, status=400)
    try:
        plan_update(plan_id=plan.pk, actor=request.user, data=form.plan_data(), cis=list(form.cleaned_data["cis"]),
                    version=form.cleaned_data.get("version"), now=timezone.now())
    except ConflictError as exc:
        form.add_error(None, exc.message)  # the editor's input stays on the page; reloading shows the new state
        return _form_page(request, form, plan=plan, status=409, conflict=True)
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return _form_page(request, form, plan=plan, status=400)
    messages.success(request, _("Plan saved."))
    return redirect("inspections:plan_detail", pk=plan.pk)


@require_http_methods(["GET"])
@staff_required
def plan_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, plan_get(user=request.user, pk=pk))


def _detail_page(request: HttpRequest, plan: InspectionPlan, *, status: int = 200) -> HttpResponse:
    return render(request, "inspections/plan_detail.html", {
        "plan": plan, "cis": list(plan.cis.select_related("ci_class").order_by("name")[:200]),
        "n_cis": plan.cis.count(), "preview": plan_preview(plan=plan, today=timezone.localdate()),
        "changes": plan_changes(plan=plan), "can_manage": may_manage_plans(request.user),
        "rounds": list(plan.rounds.order_by("-scheduled_for")[:10]), "weekday_label": dict(WEEKDAYS)[plan.weekday],
    }, status=status)


@require_POST
@staff_required
def plan_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request.user, pk=pk)
    _require_plan_writer(request)
    raw = request.POST.get("version", "")
    try:
        plan_set_active(plan_id=plan.pk, actor=request.user, active=request.POST.get("active") == "1",
                        version=int(raw) if raw.isdigit() and len(raw) < 10 else None, now=timezone.now())
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _detail_page(request, plan_get(user=request.user, pk=pk), status=409)
    messages.success(request, _("Plan switched on.") if request.POST.get("active") == "1"
                     else _("Plan switched off: no more rounds are generated; its rounds stay."))
    return redirect("inspections:plan_detail", pk=plan.pk)


# --- checklist templates -------------------------------------------------------------------------------

@require_http_methods(["GET"])
@staff_required
def template_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inspections/template_list.html", {
        "templates": list(template_list(user=request.user)), "can_manage": may_manage_templates(request.user)})


@require_http_methods(["GET"])
@staff_required
def template_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    template = template_get(user=request.user, pk=pk)
    return render(request, "inspections/template_detail.html", {
        "template": template, "items": template_items(template=template),
        "changes": template_changes(template=template), "can_manage": may_manage_templates(request.user)})


@require_POST
@staff_required
def template_copy_view(request: HttpRequest, pk: int) -> HttpResponse:
    template = template_get(user=request.user, pk=pk)
    if not may_manage_templates(request.user):
        raise PermissionDenied
    copy = template_copy(template_id=template.pk, actor=request.user, now=timezone.now())
    messages.success(request, _("Copied. Edit the copy's items below; the original stays as it is."))
    return redirect("inspections:template_edit", pk=copy.pk)


def _items_rows(formset: Any) -> list[dict[str, Any]]:
    """The formset's rows in the chosen order (the order field; blank rows without text are skipped)."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or (not form.instance.pk and not data.get("text")):
            continue
        row = {name: data.get(name) for name in ITEM_FIELDS}
        row.update(id=form.instance.pk, remove=bool(data.get("DELETE")),
                   order=(data.get("ORDER") if data.get("ORDER") is not None else 10_000 + index, index))
        rows.append(row)
    rows.sort(key=lambda r: r["order"])
    return rows


@require_http_methods(["GET", "POST"])
@staff_required
def template_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    template = template_get(user=request.user, pk=pk)
    if not may_manage_templates(request.user) or template.copied_from_id is None:
        raise PermissionDenied
    items = ChecklistItem.objects.filter(template=template, is_active=True).order_by("position", "id")
    if request.method == "GET":
        header = TemplateHeaderForm(instance=template, prefix="t")
        formset = ItemFormSet(queryset=items, prefix="items")
        for i, form in enumerate(formset.forms[:len(items)]):
            form.fields["ORDER"].initial = i + 1
        return render(request, "inspections/template_edit.html",
                      {"template": template, "header": header, "formset": formset})
    header = TemplateHeaderForm(request.POST, instance=template, prefix="t")
    formset = ItemFormSet(request.POST, queryset=items, prefix="items")
    status = 400
    if header.is_valid() and formset.is_valid():
        try:
            template_update(template_id=template.pk, actor=request.user,
                            header={k: v for k, v in header.cleaned_data.items() if k != "version"},
                            items=_items_rows(formset), now=timezone.now(),
                            version=header.cleaned_data.get("version"))
        except ConflictError as exc:
            # The editor's input stays on the page; reloading shows the other person's version.
            header.add_error(None, exc.message)
            return render(request, "inspections/template_edit.html",
                          {"template": template, "header": header, "formset": formset}, status=409)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Checklist saved."))
            return redirect("inspections:template_detail", pk=template.pk)
    return render(request, "inspections/template_edit.html",
                  {"template": template, "header": header, "formset": formset}, status=status)
