"""The month's scorecards as Excel (cells through opsdesk/spreadsheets.py) and as PDF (WeasyPrint,
Noto Sans CJK SC for Chinese; only file: and data: URLs are fetched)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from opsdesk.spreadsheets import xlsx_row

from .choices import DIMENSIONS


def dimension_labels() -> dict[str, str]:
    return {"satisfaction": _("Customer satisfaction"), "workload": _("Workload"),
            "problems": _("Timely problem handling"), "recovery": _("Timely fault recovery")}


def scorecards_xlsx(*, month: date, cards: list[Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=month.strftime("%Y-%m"))
    labels = dimension_labels()
    ws.append(xlsx_row(ws, [_("Engineer"), *[labels[d] for d in DIMENSIONS], _("Weighted score"), _("Status")]))
    for card in cards:
        ws.append(xlsx_row(ws, [card.user.display_name, *[card.scores.get(d) for d in DIMENSIONS], float(card.total),
                                card.get_status_display()]))
    ws.append(xlsx_row(ws, []))
    ws.append(xlsx_row(ws, [_("Weights (%)"), *[(cards[0].weights.get(d) if cards else "") for d in DIMENSIONS]]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def scorecards_pdf(*, month: date, cards: list[Any]) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    labels = dimension_labels()
    rows = [{"card": c, "scores": [c.scores.get(d) for d in DIMENSIONS],
             "measures": [c.proposal.get(d, {}).get("measure") for d in DIMENSIONS]} for c in cards]
    html = render_to_string("team/pdf/scorecards.html", {
        "month": month, "rows": rows, "labels": [labels[d] for d in DIMENSIONS],
        "weights": [(cards[0].weights.get(d) if cards else "") for d in DIMENSIONS]})
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"file", "data"})).write_pdf()
    assert pdf is not None
    return pdf
