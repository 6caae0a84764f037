"""CMDB pages of the operator UI (staff only): list + export, detail (attributes, relationships both
ways, impact, history, panels of higher apps), create/edit, relationships, import, warranty list,
and the htmx impact panels shown on incident pages and the hotline."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization
from accounts.views import keyset_page, querystring_without, staff_required
from opsdesk.errors import ConflictError

from .choices import ChangeSource, CIStatus, ImpactDirection, RelationType
from .filtersets import CIFilterSet
from .forms import CIForm, EolFilterForm, ImportForm, RelationForm, WarrantyFilterForm
from .models import CI, CIClass
from .selectors import (
    ci_eol_list,
    ci_get,
    ci_history,
    ci_impact_result,
    ci_list,
    ci_relations,
    ci_warranty_list,
    device_model_for,
    discontinued_models,
    relation_get,
)
from .services import ci_create, ci_import, ci_update, relation_create, relation_retire
from .transfer import ImportFileError, export_response

IMPORT_DIR = "cmdb-imports"
IMPORT_MAX_BYTES = 20 * 1024 * 1024
PANEL_ROWS = 30


def _filter_params(request: HttpRequest) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key not in ("after", "file") and kept:
            params.setlist(key, kept)
    return params


@require_GET
@staff_required
def ci_list_view(request: HttpRequest) -> HttpResponse:
    params = _filter_params(request)
    form = CIFilterSet(params).form
    try:
        rows, cursor = keyset_page(ci_list(user=request.user, filters=params if params else None),
                                   after=request.GET.get("after"), fields=("name", "id"), descending=False)
    except ValidationError as exc:
        errors = getattr(exc, "message_dict", {"": exc.messages})
        messages.error(request, " ".join(m for ms in errors.values() for m in ms))
        rows, cursor = [], None
    return render(request, "cmdb/ci_list.html", {
        "cis": rows, "filter_form": form, "q": request.GET.get("q", ""), "next_cursor": cursor,
        "base_query": querystring_without(request, "after"), "export_query": params.urlencode(),
        "organizations": Organization.objects.only("id", "name").order_by("name"),
        "classes": CIClass.objects.order_by("name"), "statuses": CIStatus.choices,
        "selected_org": request.GET.get("organization", ""), "selected_classes": request.GET.getlist("ci_class"),
        "selected_statuses": request.GET.getlist("status"),
    })


@require_GET
@staff_required
def ci_export(request: HttpRequest) -> HttpResponse:
    params = _filter_params(request)
    try:
        qs = ci_list(user=request.user, filters=params if params else None)
    except ValidationError:
        raise Http404 from None
    kind = "xlsx" if request.GET.get("file") == "xlsx" else "csv"
    stamp = timezone.localtime(timezone.now()).strftime("%Y%m%d-%H%M")
    return export_response(qs, kind=kind, filename=f"cis-{stamp}")


def _field_labels(ci: CI) -> dict[str, str]:
    labels = {f.name: str(f.verbose_name) for f in CI._meta.get_fields() if hasattr(f, "verbose_name")}
    labels.update({f"attr:{d['name']}": d.get("label") or d["name"] for d in (ci.ci_class.attributes or [])
                   if isinstance(d, dict) and d.get("name")})
    labels.update({"relation": _("Relationship"), "created": _("Created")})
    return labels


def _detail(request: HttpRequest, ci: CI, *, relation_form: RelationForm | None = None,
            status: int = 200) -> HttpResponse:
    outgoing, incoming = ci_relations(user=request.user, ci=ci)
    labels = _field_labels(ci)
    history = [(change, labels.get(change.field, change.field)) for change in ci_history(user=request.user, ci=ci)[:100]]
    definitions = [d for d in (ci.ci_class.attributes or []) if isinstance(d, dict) and d.get("name")]
    attributes = [(d.get("label") or d["name"], ci.attributes.get(d["name"])) for d in definitions
                  if ci.attributes.get(d["name"]) is not None]
    # Open = neither resolved nor closed/cancelled (cmdb must not import incidents, which sits above it).
    open_incidents = (
        ci.incidents.visible_to(request.user)
        .filter(resolved_at__isnull=True, closed_at__isnull=True)
        .select_related("assignee").order_by("-reported_at", "-id")[:50]
    )
    return render(request, "cmdb/ci_detail.html", {
        "ci": ci, "open_incidents": open_incidents, "device_model": device_model_for(ci), "outgoing": outgoing, "incoming": incoming,
        "attributes": attributes, "history": history, "relation_form": relation_form or RelationForm(ci=ci),
        # Panels of higher apps (spare parts, documents, changes of this CI), loaded by htmx.
        "ci_panels": [reverse(name, args=[ci.pk]) for name in settings.CI_PANELS],
    }, status=status)


@require_GET
@staff_required
def ci_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, ci_get(user=request.user, pk=pk))


@require_http_methods(["GET", "POST"])
@staff_required
def ci_create_view(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("ci_class") or request.GET.get("ci_class", "")
    ci_class = CIClass.objects.filter(code=code).first() if code else None
    if ci_class is None:
        return render(request, "cmdb/ci_form.html", {"classes": CIClass.objects.order_by("name"), "ci": None})
    initial = {"organization": request.GET.get("organization")} if request.GET.get("organization", "").isdigit() else {}
    form = CIForm(request.POST or None, ci_class=ci_class, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ci = ci_create(ci_class=ci_class, actor=request.user, now=timezone.now(), source=ChangeSource.UI,
                           **form.values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Configuration item created."))
            return redirect("cmdb:detail", ci.pk)
    return render(request, "cmdb/ci_form.html", {"form": form, "ci_class": ci_class, "ci": None},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def ci_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    ci = ci_get(user=request.user, pk=pk)
    form = CIForm(request.POST or None, ci_class=ci.ci_class, instance=ci)
    conflict = None
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            ci_update(ci_id=ci.pk, actor=request.user, changes=values, version=form.cleaned_data.get("version"),
                      now=timezone.now(), source=ChangeSource.UI)
        except ConflictError as exc:
            conflict = ci_get(user=request.user, pk=pk)
            data = request.POST.copy()
            data["version"] = str(conflict.version)  # keep what was typed; saving again applies it over the new
            form = CIForm(data, ci_class=ci.ci_class, instance=conflict)
            form.is_valid()
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("cmdb:detail", ci.pk)
    return render(request, "cmdb/ci_form.html", {"form": form, "ci_class": ci.ci_class, "ci": ci, "conflict": conflict},
                  status=400 if request.method == "POST" else 200)


@require_POST
@staff_required
def relation_add(request: HttpRequest, pk: int) -> HttpResponse:
    ci = ci_get(user=request.user, pk=pk)
    form = RelationForm(request.POST, ci=ci)
    if form.is_valid():
        direction, _sep, kind = form.cleaned_data["relation"].partition(":")
        other = form.cleaned_data["other"]
        source, target = (ci, other) if direction == "out" else (other, ci)
        try:
            relation_create(source=source, target=target, type=RelationType(kind), note=form.cleaned_data["note"],
                            actor=request.user, now=timezone.now(), change_source=ChangeSource.UI)
        except ValidationError as exc:
            for messages_ in getattr(exc, "message_dict", {"": exc.messages}).values():
                for message in messages_:
                    form.add_error(None, message)
        else:
            messages.success(request, _("Relationship added."))
            return redirect(reverse("cmdb:detail", args=[ci.pk]) + "#relations")
    return _detail(request, ci, relation_form=form, status=400)


@require_POST
@staff_required
def relation_retire_view(request: HttpRequest, pk: int, relation_pk: int) -> HttpResponse:
    ci = ci_get(user=request.user, pk=pk)
    relation = relation_get(user=request.user, pk=relation_pk)
    if ci.pk not in (relation.source_id, relation.target_id):
        raise Http404
    relation_retire(relation_id=relation.pk, actor=request.user, now=timezone.now(), source=ChangeSource.UI)
    messages.success(request, _("Relationship retired."))
    return redirect(reverse("cmdb:detail", args=[ci.pk]) + "#relations")


def _impact_context(request: HttpRequest, ci: CI) -> dict[str, Any]:
    dependants = ci_impact_result(ci_ids=[ci.pk], direction=ImpactDirection.DEPENDANTS, user=request.user,
                                  limit=PANEL_ROWS)
    dependencies = ci_impact_result(ci_ids=[ci.pk], direction=ImpactDirection.DEPENDENCIES, user=request.user,
                                    limit=PANEL_ROWS)
    return {"ci": ci, "dependants": dependants, "dependencies": dependencies,
            "services": [r for r in dependants.rows if r.is_service]}


@require_GET
@staff_required
def impact_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: what fails with this CI (services first) and what it needs."""
    return render(request, "cmdb/partials/impact_panel.html", _impact_context(request, ci_get(user=request.user, pk=pk)))


@require_GET
@staff_required
def hotline_impact_panel(request: HttpRequest) -> HttpResponse:
    """htmx fragment for the hotline (settings.HOTLINE_PANELS): the affected services of `?ci=`."""
    raw = request.GET.get("ci", "")
    ci = ci_list(user=request.user).filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
    if ci is None:
        return HttpResponse("")
    return render(request, "cmdb/partials/impact_panel.html", _impact_context(request, ci))


@require_GET
@staff_required
def ci_options(request: HttpRequest) -> HttpResponse:
    """htmx fragment: <option>s of an organisation's CIs for the hotline form."""
    org = request.GET.get("organization", "")
    cis = ci_list(user=request.user).filter(organization_id=int(org)) if org.isdigit() and len(org) < 19 else ci_list(
        user=request.user).none()
    return render(request, "cmdb/partials/ci_options.html", {
        "cis": cis.exclude(status=CIStatus.RETIRED).order_by("name", "id")[:500], "selected": request.GET.get("ci", ""),
    })


def _stored_import(token: str) -> str | None:
    """The storage path of an uploaded file awaiting confirmation (token = uuid hex + extension)."""
    stem, _dot, ext = token.partition(".")
    try:
        uuid.UUID(hex=stem)
    except ValueError:
        return None
    if ext not in ("csv", "xlsx") or len(stem) != 32:
        return None
    path = f"{IMPORT_DIR}/{stem}.{ext}"
    return path if default_storage.exists(path) else None


@require_http_methods(["GET", "POST"])
@staff_required
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload → dry run (row errors, counts) → confirm (the stored file is imported for real)."""
    now = timezone.now()
    if request.method == "POST" and request.POST.get("token"):
        path = _stored_import(request.POST["token"])
        if path is None:
            messages.error(request, _("That upload has expired; choose the file again."))
            return redirect("cmdb:import")
        with default_storage.open(path, "rb") as handle:
            content = handle.read()
        try:
            report = ci_import(content=content, filename=path, actor=request.user, now=now, dry_run=False)
        except (ImportFileError, ValidationError) as exc:
            messages.error(request, str(getattr(exc, "messages", [exc])[0]))
            return redirect("cmdb:import")
        if report.written or not report.error_count:
            default_storage.delete(path)
            messages.success(request, _("Import done: %(created)s created, %(updated)s updated, %(unchanged)s "
                                        "unchanged.") % {"created": report.created, "updated": report.updated,
                                                         "unchanged": report.unchanged})
            return redirect("cmdb:import")
        return render(request, "cmdb/import.html", {"form": ImportForm(), "report": report, "token": ""}, status=400)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error("file", _("The file is larger than the limit of %(mb)s MB.") % {
                "mb": IMPORT_MAX_BYTES // (1024 * 1024)})
        else:
            content = upload.read()
            ext = "xlsx" if upload.name.lower().endswith(".xlsx") or content[:2] == b"PK" else "csv"
            try:
                report = ci_import(content=content, filename=f"upload.{ext}", actor=request.user, now=now,
                                   dry_run=True)
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                token = ""
                if not report.error_count and (report.created or report.updated):
                    token = f"{uuid.uuid4().hex}.{ext}"
                    default_storage.save(f"{IMPORT_DIR}/{token}", ContentFile(content))
                return render(request, "cmdb/import.html", {"form": ImportForm(), "report": report, "token": token,
                                                            "filename": upload.name})
    return render(request, "cmdb/import.html", {"form": form}, status=400 if request.method == "POST" else 200)


@require_GET
@staff_required
def warranty_view(request: HttpRequest) -> HttpResponse:
    """CIs whose warranty has expired or expires within N days (default 90), soonest first."""
    form = WarrantyFilterForm(request.GET or None)
    days, org_id = 90, None
    if form.is_bound and form.is_valid():
        days = form.cleaned_data["days"] if form.cleaned_data["days"] is not None else 90
        org_id = form.cleaned_data["organization"].pk if form.cleaned_data["organization"] else None
    today = timezone.localdate()
    qs = ci_warranty_list(user=request.user, today=today, days=days, organization_id=org_id).select_related("contract")
    rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("warranty_end", "id"), descending=False)
    return render(request, "cmdb/warranty.html", {
        "form": form, "cis": rows, "next_cursor": cursor, "today": today, "days": days,
        "base_query": querystring_without(request, "after"),
    })


@require_GET
@staff_required
def eol_view(request: HttpRequest) -> HttpResponse:
    """CIs whose end of life has passed or falls within N months (default 12), soonest first, with
    their vendor's discontinued models and the approved substitutes."""
    form = EolFilterForm(request.GET or None)
    months, org_id = 12, None
    if form.is_bound and form.is_valid():
        months = form.cleaned_data["months"] if form.cleaned_data["months"] is not None else 12
        org_id = form.cleaned_data["organization"].pk if form.cleaned_data["organization"] else None
    today = timezone.localdate()
    qs = ci_eol_list(user=request.user, today=today, months=months, organization_id=org_id)
    rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("life_end_on", "id"), descending=False)
    discontinued = discontinued_models()
    for ci in rows:
        ci.device_model = discontinued.get((ci.vendor.lower(), ci.model.lower()))  # type: ignore[attr-defined]
    return render(request, "cmdb/eol.html", {
        "form": form, "cis": rows, "next_cursor": cursor, "today": today, "months": months,
        "base_query": querystring_without(request, "after"),
    })


SAMPLES = {"csv": ("ci-import-sample.csv", "text/csv; charset=utf-8"),
           "xlsx": ("ci-import-sample.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


@require_GET
@staff_required
def import_sample(request: HttpRequest, kind: str) -> HttpResponse:
    """The sample import files of docs/samples/."""
    if kind not in SAMPLES:
        raise Http404
    name, content_type = SAMPLES[kind]
    path = settings.BASE_DIR / "docs" / "samples" / name
    if not path.exists():
        raise Http404
    response = HttpResponse(path.read_bytes(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
