"""`{% url %}` with its answers kept per process (issue 19).

Every page writes 40-odd links (the navigation, the page's own actions), and Django's `reverse()`
costs ~50 µs each: ~2 ms of every page. The answer depends only on the view name, the arguments,
the URLconf, the script prefix, the namespace in use and the language (for translated URL
patterns), so it is kept under exactly those, in a bounded dict. Registered as a template builtin
(settings.TEMPLATES), where it takes the place of Django's own `url` tag: the same syntax, the same
output (tests/speed/test_row_html.py compares them), NoReverseMatch still raised (and not kept).
"""

from __future__ import annotations

import threading
from typing import Any

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

MAX_URLS = 4096
_urls: dict[tuple[Any, ...], str] = {}
_lock = threading.Lock()
_KEPT = (str, int)  # arguments kept as keys; anything else (a model, a lazy string) is reversed each time


def cached_reverse(view_name: str, args: list[Any], kwargs: dict[str, Any], current_app: str | None) -> str:
    """django.urls.reverse(view_name, args=, kwargs=, current_app=), kept per process."""
    if not (isinstance(view_name, str) and all(type(a) in _KEPT for a in args)
            and all(type(v) in _KEPT for v in kwargs.values())):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    key = (view_name, tuple(args), tuple(sorted(kwargs.items())), current_app, get_script_prefix(),
           get_urlconf(), get_language())
    url = _urls.get(key)
    if url is None:
        url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        with _lock:
            if len(_urls) >= MAX_URLS:
                _urls.clear()
            _urls[key] = url
    return url


class CachedURLNode(URLNode):
    def render(self, context: Any) -> str:
        from django.urls import NoReverseMatch  # noqa: PLC0415

        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Any, token: Any) -> CachedURLNode:
    """Django's `{% url %}` (same arguments, same output), answers kept per process."""
    node = django_url(parser, token)
    node.__class__ = CachedURLNode
    return node
