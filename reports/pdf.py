"""PDF rendering with WeasyPrint: a Django template (extending reports/pdf/base.html) → PDF bytes.

Fonts come from fontconfig: the base template asks for "Noto Sans CJK SC" (Debian's fonts-noto-cjk,
installed by scripts/test and the Dockerfile) with generic fallbacks, so Chinese text renders with
real CJK glyphs and the font is embedded (subset) in the PDF. Only file: and data: URLs are fetched
(relative URLs resolve against the project's static/ directory); a report never reaches the network.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# The font family every report uses (CSS in templates/reports/pdf/base.html names it too).
PDF_FONT_FAMILY = "Noto Sans CJK SC"


def _base_url() -> str:
    static_dir = settings.STATICFILES_DIRS[0] if settings.STATICFILES_DIRS else settings.BASE_DIR / "static"
    return f"file://{static_dir}/"


def css_string(value: object) -> str:
    """`value` as a quoted CSS string (for @page margin boxes, which only take CSS content)."""
    out = []
    for ch in str(value):
        if ch in '"\\<>' or ord(ch) < 32:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _page_of_content() -> str:
    """ "Page X of Y" as CSS content, from one translatable message."""
    marker = "\x00"
    text = _("Page %(page)s of %(pages)s") % {"page": marker + "P", "pages": marker + "N"}
    parts: list[str] = []
    for index, chunk in enumerate(text.split(marker)):
        if index == 0:
            if chunk:
                parts.append(css_string(chunk))
            continue
        parts.append("counter(page)" if chunk[:1] == "P" else "counter(pages)")
        if chunk[1:]:
            parts.append(css_string(chunk[1:]))
    return " ".join(parts)


def render_html(*, template: str, context: dict[str, Any], language: str) -> str:
    """The report's HTML in `language` (also useful for previews and tests)."""
    with translation.override(language):
        org = context.get("organization_name") or _("All organisations")
        page_css = {
            "header_left": mark_safe(css_string(org)),  # noqa: S308 - escaped by css_string
            "header_center": mark_safe(css_string(context.get("report_title", ""))),  # noqa: S308
            "header_right": mark_safe(css_string(context.get("period_label", ""))),  # noqa: S308
            "footer_page": mark_safe(_page_of_content()),  # noqa: S308
        }
        return render_to_string(
            template, {**context, "LANGUAGE_CODE": language, "pdf_font": PDF_FONT_FAMILY, "page_css": page_css}
        )


def render_pdf(*, template: str, context: dict[str, Any], language: str) -> bytes:
    """Render `template` with `context` in `language` and return the PDF bytes.

    The template extends "reports/pdf/base.html" and fills the blocks `title` and `content`; the base
    reads `organization_name`, `report_title` and `period_label` from the context for the running
    header."""
    return render_pdf_pages(template=template, context=context, language=language)[0]


def render_pdf_pages(*, template: str, context: dict[str, Any], language: str) -> tuple[bytes, int]:
    """Like render_pdf, also returning the number of pages."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    html = render_html(template=template, context=context, language=language)
    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=_base_url(), url_fetcher=fetcher).render(font_config=font_config)
    pdf = document.write_pdf()
    assert pdf is not None  # no target given → bytes
    return pdf, len(document.pages)
