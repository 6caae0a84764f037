"""Staff pages of the document library: the library list, a document (versions, upload, publish,
archive, history), the update-due list and the CI panel. Thin: forms shape input, services write,
selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import organization_list
from accounts.views import keyset_page, querystring_without, staff_required
from cmdb.selectors import ci_get, ci_list
from opsdesk.errors import ConflictError
from opsdesk.files import file_response, wants_inline
from tickets.forms import error_text, form_add_service_errors

from .choices import DocumentCategory, DocumentStatus
from .filtersets import UPDATE_CHOICES, DocumentFilterSet
from .forms import ArchiveForm, DocumentForm, VersionForm, WriteForm
from .models import Document
from .selectors import (
    ci_documents,
    document_event_list,
    document_get,
    document_list,
    document_update_due_list,
    document_version_get,
    document_version_list,
    update_window,
    with_update_due,
)
from .services import (
    can_edit,
    can_publish,
    document_archive,
    document_create,
    document_publish,
    document_unpublish,
    document_update,
    document_version_add,
)

DUE_PAGE_SIZE = 100


def version_file_response(*, user: Any, document: Document, number: int, inline: bool = False) -> FileResponse:
    """Stream one version's file (the caller loaded `document` through a selector); `inline`: an
    image or PDF is shown in the browser (opsdesk/files.py)."""
    item = document_version_get(user=user, document=document, number=number)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return file_response(handle, filename=item.name, content_type=item.content_type, inline=inline)


@require_GET
@staff_required
def document_list_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key != "after" and kept:
            params.setlist(key, kept)
    form = DocumentFilterSet(params).form
    try:
        qs = with_update_due(document_list(user=request.user, filters=params or None, now=now), now=now)
        rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("updated_at", "id"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows, cursor = [], None
    ci = None
    if request.GET.get("ci", "").isdigit():
        ci = ci_list(user=request.user).filter(pk=int(request.GET["ci"])).first()
    return render(request, "documents/document_list.html", {
        "documents": rows, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
        "filter_form": form, "organizations": organization_list(user=request.user).order_by("name"),
        "categories": DocumentCategory.choices, "statuses": DocumentStatus.choices, "update_choices": UPDATE_CHOICES,
        "selected_org": request.GET.get("organization", ""), "selected_categories": request.GET.getlist("category"),
        "filter_ci": ci, "can_edit": can_edit(request.user), "now": now,
    })


@require_http_methods(["GET", "POST"])
@staff_required
def document_new(request: HttpRequest) -> HttpResponse:
    org = request.GET.get("organization", "")
    initial: dict[str, Any] = {"organization": org} if org.isdigit() else {}
    if request.GET.get("ci", "").isdigit():
        ci = ci_list(user=request.user).filter(pk=int(request.GET["ci"])).first()
        if ci is not None:
            initial.update(organization=ci.organization_id, cis=[ci.pk])
    if request.method != "POST":
        form = DocumentForm(user=request.user, initial=initial,
                            organization_id=initial.get("organization") and int(initial["organization"]))
        return render(request, "documents/document_form.html", {"form": form})
    form = DocumentForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            document = document_create(
                actor=request.user, organization=data["organization"], title=data["title"],
                category=data["category"], description=data["description"], cis=list(data["cis"]),
                upload=data["file"], note=data["note"], now=timezone.now())
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Document “%(title)s” filed.") % {"title": document.title})
            return redirect("documents:detail", document.pk)
    messages.error(request, _("The document was not saved: please correct the marked fields."))
    return render(request, "documents/document_form.html", {"form": form}, status=400)


@require_GET
@staff_required
def ci_options(request: HttpRequest) -> HttpResponse:
    """htmx fragment: the <option>s of an organisation's CIs for the document form."""
    org = request.GET.get("organization", "")
    cis = ci_list(user=request.user)
    cis = cis.filter(organization_id=int(org)) if org.isdigit() else cis.none()
    return render(request, "documents/partials/ci_options.html", {"cis": cis.order_by("name", "id")[:1000]})


def _detail_page(request: HttpRequest, document: Document, *, status: int = 200, **forms: Any) -> HttpResponse:
    now = timezone.now()
    annotated = with_update_due(Document.objects.filter(pk=document.pk), now=now).first()
    edit_form = forms.pop("edit_form", None) or DocumentForm(
        user=request.user, editing=True, organization_id=document.organization_id,
        initial={"title": document.title, "category": document.category, "description": document.description,
                 "cis": list(document.cis.values_list("pk", flat=True)), "version": document.version})
    return render(request, "documents/document_detail.html", {
        "document": document, "due": annotated, "now": now, "window_days": update_window().days,
        "versions": document_version_list(user=request.user, document=document),
        "events": document_event_list(user=request.user, document=document),
        "cis": document.cis.select_related("ci_class").order_by("name"),
        "can_edit": can_edit(request.user) and document.status == DocumentStatus.ACTIVE,
        "can_publish": can_publish(request.user) and document.status == DocumentStatus.ACTIVE,
        "version_form": forms.pop("version_form", None) or VersionForm(initial={"version": document.version}),
        "archive_form": forms.pop("archive_form", None) or ArchiveForm(initial={"version": document.version}),
        "edit_form": edit_form, "edit_open": forms.pop("edit_open", False),
    }, status=status)


@require_GET
@staff_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, document_get(user=request.user, pk=pk))


@require_GET
@staff_required
def document_version_file(request: HttpRequest, pk: int, version_number: int) -> FileResponse:
    document = document_get(user=request.user, pk=pk)
    return version_file_response(user=request.user, document=document, number=version_number,
                                 inline=wants_inline(request))


@require_POST
@staff_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get(user=request.user, pk=pk)
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            item = document_version_add(document_id=document.pk, actor=request.user, upload=form.cleaned_data["file"],
                                        note=form.cleaned_data["note"], version=form.cleaned_data["version"],
                                        now=timezone.now())
        except PermissionDenied:
            raise Http404 from None
        except ConflictError as exc:
            messages.error(request, exc.message)
            return _detail_page(request, document_get(user=request.user, pk=pk), status=409, version_form=form)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Version %(n)s uploaded.") % {"n": item.number})
            return redirect("documents:detail", document.pk)
    messages.error(request, _("The new version was not uploaded: please correct the marked fields."))
    return _detail_page(request, document, status=400, version_form=form)


@require_POST
@staff_required
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get(user=request.user, pk=pk)
    form = DocumentForm(request.POST, user=request.user, editing=True, organization_id=document.organization_id)
    if form.is_valid():
        data = form.cleaned_data
        changes = {"title": data["title"], "category": data["category"], "description": data["description"],
                   "cis": list(data["cis"])}
        try:
            document_update(document_id=document.pk, actor=request.user, version=data["version"], changes=changes,
                            now=timezone.now())
        except ConflictError as exc:
            messages.error(request, exc.message)
            return _detail_page(request, document_get(user=request.user, pk=pk), status=409, edit_form=form,
                                edit_open=True)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Details saved."))
            return redirect("documents:detail", document.pk)
    messages.error(request, _("The details were not saved: please correct the marked fields."))
    return _detail_page(request, document, status=400, edit_form=form, edit_open=True)


@require_POST
@staff_required
def document_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Publish, unpublish or archive (document admins and leads)."""
    document = document_get(user=request.user, pk=pk)
    services = {"publish": document_publish, "unpublish": document_unpublish, "archive": document_archive}
    if action not in services:
        raise Http404
    form: Any = ArchiveForm(request.POST) if action == "archive" else WriteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason."))
        return _detail_page(request, document, status=400, archive_form=form)
    extra = {"reason": form.cleaned_data["reason"]} if action == "archive" else {}
    try:
        services[action](document_id=document.pk, actor=request.user, version=form.cleaned_data["version"],
                         now=timezone.now(), **extra)
    except PermissionDenied:
        messages.error(request, _("Only document admins, regional leads and project managers may do this."))
        return _detail_page(request, document, status=403)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _detail_page(request, document_get(user=request.user, pk=pk), status=409)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return _detail_page(request, document, status=400)
    done = {"publish": _("Published: the customer can now download it in the portal."),
            "unpublish": _("Withdrawn from the portal."), "archive": _("Document archived.")}
    messages.success(request, done[action])
    return redirect("documents:detail", document.pk)


@require_GET
@staff_required
def update_due_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    overdue_only = request.GET.get("overdue") in ("1", "true", "on")
    due = document_update_due_list(user=request.user, now=now, overdue_only=overdue_only)
    org = request.GET.get("organization", "")
    if org.isdigit():
        due = due.filter(organization_id=int(org))
    rows = list(due[: DUE_PAGE_SIZE + 1])
    return render(request, "documents/update_due.html", {
        "documents": rows[:DUE_PAGE_SIZE], "more": len(rows) > DUE_PAGE_SIZE, "now": now,
        "overdue_only": overdue_only, "window_days": update_window().days,
        "organizations": organization_list(user=request.user).order_by("name"), "selected_org": org,
    })


@require_GET
@staff_required
def ci_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment for the CI page (settings.CI_PANELS): the CI's documents and whether one is due."""
    ci = ci_get(user=request.user, pk=pk)
    now = timezone.now()
    return render(request, "documents/partials/ci_panel.html", {
        "ci": ci, "documents": list(ci_documents(user=request.user, ci=ci, now=now)[:50]), "now": now,
        "can_edit": can_edit(request.user),
    })
