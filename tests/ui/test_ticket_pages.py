"""Every ticket kind's detail page, transition form, timeline add and attachment download go through the one
TicketPages of tickets/views.py (issue #18): no kind has its own copy of those views."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from changes.views import CHANGE_PAGES
from incidents.views import INCIDENT_PAGES
from problems.views import PROBLEM_PAGES
from releases.views import RELEASE_PAGES
from tickets.views import REQUEST_PAGES, TicketPages

KINDS = {"tickets": REQUEST_PAGES, "incidents": INCIDENT_PAGES, "problems": PROBLEM_PAGES,
         "changes": CHANGE_PAGES, "releases": RELEASE_PAGES}


def _unwrapped(url: str):
    func = resolve(url).func
    while hasattr(func, "__wrapped__"):
        func = func.__wrapped__
    return func


@pytest.mark.parametrize("namespace", sorted(KINDS))
def test_each_kind_serves_the_shared_views(namespace):
    pages = KINDS[namespace]
    assert isinstance(pages, TicketPages) and pages.namespace == namespace
    assert _unwrapped(reverse(f"{namespace}:detail", args=[1])) == pages.detail_view
    assert _unwrapped(reverse(f"{namespace}:transition", args=[1])) == pages.transition_view
    assert _unwrapped(reverse(f"{namespace}:timeline_add", args=[1, "comment"])) == pages.timeline_add_view
    assert _unwrapped(reverse(f"{namespace}:attachment", args=[1, 2])) == pages.attachment_view
    assert pages.url_names() == {"timeline_url": f"{namespace}:timeline_add",
                                 "attachment_url": f"{namespace}:attachment",
                                 "transition_url": f"{namespace}:transition"}
