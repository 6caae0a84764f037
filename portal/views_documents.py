"""The customer portal's document library: a customer user lists and downloads the PUBLISHED,
active documents of their own organisation (every version). Anything else is 404: the selectors'
`visible_to(user)` is the only way in."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.views import keyset_page, querystring_without
from documents.choices import DocumentCategory
from documents.selectors import document_get, document_list, document_version_list
from documents.views import version_file_response
from opsdesk.files import wants_inline

from .views import customer_required

PAGE_SIZE = 30


@require_GET
@customer_required
def documents(request: HttpRequest) -> HttpResponse:
    params = QueryDict(mutable=True)
    for key in ("q", "category"):
        value = request.GET.get(key, "").strip()
        if value:
            params[key] = value
    try:
        qs = document_list(user=request.user, filters=params or None)
        rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("updated_at", "id"), size=PAGE_SIZE)
    except ValidationError:
        rows, cursor = [], None
    return render(request, "portal/documents/list.html", {
        "nav": "documents", "documents": rows, "next_cursor": cursor, "categories": DocumentCategory.choices,
        "base_query": querystring_without(request, "after"),
    })


@require_GET
@customer_required
def document(request: HttpRequest, pk: int) -> HttpResponse:
    doc = document_get(user=request.user, pk=pk)
    return render(request, "portal/documents/detail.html", {
        "nav": "documents", "document": doc, "versions": document_version_list(user=request.user, document=doc),
    })


@require_GET
@customer_required
def document_file(request: HttpRequest, pk: int, version_number: int) -> FileResponse:
    doc = document_get(user=request.user, pk=pk)
    return version_file_response(user=request.user, document=doc, number=version_number,
                                 inline=wants_inline(request))
