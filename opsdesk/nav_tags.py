"""`{% mainnav %}`: the top navigation of every signed-in page, rendered once per process for each
set of things it depends on (issue 19).

The navigation (`includes/mainnav.html`, ~30 links with their translations and "current page"
tests) cost ~2-3 ms of template language on every page, and it is the same for everyone with the
same role, superuser flag and staff flag, on the same view, in the same language, under the same
script prefix and URLconf — its key here. The one per-person part, the unread-inbox badge, is
written into the kept markup at its marker on each render. Registered as the `nav_tags` library in
settings.TEMPLATES; tests/speed/test_row_html.py compares it with the original markup
(tests/speed/reference_templates/mainnav.html) for every role, view kind and language.
"""

from __future__ import annotations

import threading
from typing import Any

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

MARKER = "<!--inbox-badge-->"
MAX_NAVS = 512
_navs: dict[tuple[Any, ...], str] = {}
_lock = threading.Lock()


@register.simple_tag(takes_context=True)
def mainnav(context: template.Context) -> SafeString:
    user, request = context.get("user"), context.get("request")
    match = getattr(request, "resolver_match", None)
    key = (getattr(user, "role", None), bool(getattr(user, "is_superuser", False)),
           bool(getattr(user, "is_staff_member", False)), getattr(match, "view_name", None), get_language(),
           get_script_prefix(), get_urlconf())
    html = _navs.get(key)
    if html is None:
        html = get_template("includes/mainnav.html").render(
            {"user": user, "request": request, "inbox_badge": ""}, request)
        with _lock:
            if len(_navs) >= MAX_NAVS:
                _navs.clear()
            _navs[key] = html
    badge = str(context.get("inbox_badge", ""))
    if badge:
        badge = (f' <span class="badge badge-unread" id="inbox-badge"><span class="visually-hidden">'
                 f'{conditional_escape(_("Unread:"))} </span>{conditional_escape(badge)}</span>')
    return mark_safe(html.replace(MARKER, badge, 1))  # noqa: S308 - a template's output and escaped text
