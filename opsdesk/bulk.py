"""The outcome of one item of a bulk action (assign, comment, mark read): done, or refused with the
reason the service gave. Every item goes through the same service as a single action, in its own
transaction, so one refusal never undoes or stops the others."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

MAX_BULK_ITEMS = 200


@dataclass
class BulkOutcome:
    pk: int
    label: str
    done: bool
    reason: str = ""


def bulk_ids(values: object) -> list[int]:
    """Distinct positive integer ids from form values, in order, at most MAX_BULK_ITEMS."""
    seen: dict[int, None] = {}
    for value in values if isinstance(values, (list, tuple)) else []:
        text = str(value).strip()
        if text.isdigit() and len(text) < 19 and int(text) > 0:
            seen.setdefault(int(text), None)
    return list(seen)[:MAX_BULK_ITEMS]


def safe_next(request: HttpRequest) -> str:
    """The posted `next` (the list the action was taken on) when it is a page of this site, else ""."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""
