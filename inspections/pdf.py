"""The round's record sheet (the seed's form: 巡检记录表, 设备养护记录表, 检测登记表, …) as a PDF,
rendered by WeasyPrint from templates/inspections/pdf/sheet.html. Only file: and data: URLs are
fetched (photos are embedded as data: URLs), like the reports' PDFs."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .selectors import round_answers, round_items, round_store_counts, round_targets

MAX_PHOTO_EMBED = 2 * 1024 * 1024


def _photo_data(answer: Any) -> str:
    if not answer.photo:
        return ""
    try:
        with answer.photo.open("rb") as fh:
            content = fh.read(MAX_PHOTO_EMBED + 1)
    except OSError:
        return ""
    if len(content) > MAX_PHOTO_EMBED:
        return ""
    kind = "png" if content[:4] == b"\x89PNG" else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(content).decode()}"


def sheet_context(ticket: Any) -> dict[str, Any]:
    items = round_items(ticket=ticket)
    answers = round_answers(ticket=ticket)
    by_key = {(a.target_id, a.item_id): a for a in answers}
    rows = []
    for target in round_targets(ticket=ticket):
        cells = [by_key.get((target.pk, item.pk)) for item in items]
        rows.append({"target": target, "cells": cells,
                     "photos": [_photo_data(a) for a in cells if a is not None and a.photo][:2]})
    return {"round": ticket, "template": ticket.plan.template, "items": items, "rows": rows,
            "counts": round_store_counts(ticket=ticket), "printed_at": timezone.localtime()}


def sheet_pdf(*, ticket: Any, language: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with translation.override(language):
        html = render_to_string("inspections/pdf/sheet.html", {**sheet_context(ticket), "LANGUAGE_CODE": language})
    static_dir = settings.STATICFILES_DIRS[0] if settings.STATICFILES_DIRS else settings.BASE_DIR / "static"
    pdf = HTML(string=html, base_url=f"file://{static_dir}/",
               url_fetcher=URLFetcher(allowed_protocols={"file", "data"})).write_pdf()
    assert pdf is not None
    return bytes(pdf)
