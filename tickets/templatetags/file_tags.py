"""Which stored files get an inline preview link (images and PDFs; the response checks the bytes)."""

from __future__ import annotations

from django import template

from opsdesk.files import is_image, is_previewable

register = template.Library()


@register.filter
def previewable(name: object) -> bool:
    return is_previewable(str(name or ""))


@register.filter
def image_file(name: object) -> bool:
    return is_image(str(name or ""))
