"""`{% saved_filter_bar %}`: the quick filters ("assigned to me", "my group") and the person's
saved filters of the list being shown, with a form to save the current one."""

from __future__ import annotations

from typing import Any

from django import template

from savedfilters.models import LIST_PATHS
from savedfilters.selectors import saved_filter_list
from savedfilters.services import clean_query

register = template.Library()

QUICK = (("mine", "true"), ("my_group", "true"))


def _toggled(params: Any, name: str) -> str:
    params = params.copy()
    params.pop("after", None)
    if params.get(name) == "true":
        params.pop(name)
    else:
        params[name] = "true"
    return params.urlencode()


@register.inclusion_tag("savedfilters/bar.html", takes_context=True)
def saved_filter_bar(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    path = request.path
    query = clean_query(request.GET.urlencode())
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "path": path,
        "query": query,
        "savable": path in LIST_PATHS,
        "saved": list(saved_filter_list(user=request.user, path=path)) if path in LIST_PATHS else [],
        "mine_on": request.GET.get("mine") == "true",
        "group_on": request.GET.get("my_group") == "true",
        "mine_query": _toggled(request.GET, "mine"),
        "group_query": _toggled(request.GET, "my_group"),
    }
