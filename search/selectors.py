"""The one search box: a query → hits grouped by kind, each kind limited, tenancy first.

Cheap lookups first: a ticket number (any kind, also only its digits) is an exact match on the
number's unique index; a phone number is an exact match on the contact's indexed phone (and recent
calls); a serial or asset tag is an exact match on the CI's indexes. Words then go through each
kind's own search (incidents: incidents/filtersets.py, the same on SQLite and PostgreSQL; problems
and known errors: the bigram search of problems/search.py, Chinese included), each limited to
PER_KIND rows. Incidents and requests are searched complete — no row cap, no time window
(`_newest`): first the newest SEARCH_RECENT_ROWS rows newest-first (a frequent word stops after
PER_KIND); when they hold fewer than PER_KIND matches, every older row too, by a query whose order
cannot walk the time index, so PostgreSQL answers it from the trigram GIN indexes on UPPER(number /
title / description) (migrations `*_search_trigram`): a word found nowhere costs a few index probes
at 1,000,000 incidents. docs/search.md shows the plans. SQLite (the small install) scans. Changes keep
the TEXT_WINDOW (a small table without such an index).

A customer searches its own organisation's incidents and requests only (what the portal shows),
and the hits open in the portal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact
from changes.selectors import change_base
from cmdb.selectors import ci_list
from incidents.filtersets import incident_text_search
from incidents.models import Incident
from incidents.selectors import incident_base
from problems.filtersets import problem_text_search
from problems.models import Problem
from problems.selectors import known_error_search, problem_base
from tickets.choices import TicketKind
from tickets.models import CallRecord, ServiceRequest
from tickets.numbering import format_number

PER_KIND = 8
MAX_QUERY = 200
TEXT_WINDOW = timedelta(days=400)
CALL_WINDOW = timedelta(days=90)
NUMBER_RE = re.compile(r"^(INC|REQ|PRB|KE|CHG)-?(\d{1,12})$", re.IGNORECASE)
DIGITS_RE = re.compile(r"^\d{1,12}$")
PHONE_RE = re.compile(r"^\+?[\d\-\s()]{5,40}$")


@dataclass
class Hit:
    label: str
    detail: str
    url: str


@dataclass
class Group:
    kind: str
    title: Any
    hits: list[Hit] = field(default_factory=list)
    more_url: str = ""


def _ticket_hit(ticket: Any, url: str) -> Hit:
    status = ticket.get_status_display() if hasattr(ticket, "get_status_display") else ""
    org = getattr(ticket, "organization", None)
    detail = " · ".join(str(part) for part in (status, org) if part)
    return Hit(label=f"{ticket.number} {ticket.title}", detail=detail, url=url)


def _incident_url(incident: Incident, customer: bool) -> str:
    return reverse("portal:incident", args=[incident.pk]) if customer else reverse("incidents:detail", args=[incident.pk])


def _request_url(request: ServiceRequest, customer: bool) -> str:
    return reverse("portal:request", args=[request.pk]) if customer else reverse("tickets:detail", args=[request.pk])


def _list_url(name: str, q: str) -> str:
    return f"{reverse(name)}?{urlencode({'q': q})}"


class _Search:
    def __init__(self, *, user: Any, q: str, now: datetime) -> None:
        self.user, self.q, self.now = user, q, now
        self.customer = bool(getattr(user, "is_customer", False))
        self.groups: dict[str, Group] = {}

    def group(self, kind: str) -> Group:
        titles = {
            "incident": _("Incidents"), "request": _("Requests"), "problem": _("Problems"),
            "known_error": _("Known errors"), "change": _("Changes"), "ci": _("Configuration items"),
            "caller": _("Callers' incidents"),
        }
        return self.groups.setdefault(kind, Group(kind=kind, title=titles[kind]))

    def add(self, kind: str, hit: Hit) -> None:
        group = self.group(kind)
        if len(group.hits) < PER_KIND and all(h.url != hit.url for h in group.hits):
            group.hits.append(hit)

    # --- querysets, tenancy first ---
    def incidents(self) -> QuerySet[Incident]:
        return incident_base(user=self.user).select_related("organization")

    def requests(self) -> QuerySet[ServiceRequest]:
        return ServiceRequest.objects.visible_to(self.user).select_related("organization")

    def newest(self, qs: QuerySet[Any]) -> list[Any]:
        """The newest PER_KIND rows of `qs` (already filtered by the words), over the whole table.

        On PostgreSQL for staff: the newest SEARCH_RECENT_ROWS rows first (a range of the primary key);
        if they hold fewer than PER_KIND matches, the older rows ordered by `reported_at + 0` — an order
        no index gives, so the planner does not walk the time index through every row hoping for a
        match but collects the matches from the trigram indexes and sorts the few it found."""
        order = ("-reported_at", "-id")
        recent_rows = int(getattr(settings, "SEARCH_RECENT_ROWS", 30_000))
        if self.customer or connection.vendor != "postgresql":
            return list(qs.order_by(*order)[:PER_KIND])
        floor = next(iter(qs.model.objects.order_by("-pk").values_list("pk", flat=True)[recent_rows:recent_rows + 1]),
                     None)
        if floor is None:
            return list(qs.order_by(*order)[:PER_KIND])
        found = list(qs.filter(pk__gt=floor).order_by(*order)[:PER_KIND])
        if len(found) < PER_KIND:
            unindexed = ExpressionWrapper(F("reported_at") + Value(timedelta(0)), output_field=DateTimeField())
            found += list(qs.filter(pk__lte=floor).annotate(search_order=unindexed)
                          .order_by("-search_order", "-id")[:PER_KIND - len(found)])
        return found

    # --- exact lookups ---
    def by_number(self, prefix: str, digits: str) -> None:
        number = format_number(prefix if prefix != "KE" else Problem.NUMBER_PREFIX, int(digits))
        prefix = prefix.upper()
        if prefix == "INC":
            for inc in self.incidents().filter(number=number):
                self.add("incident", _ticket_hit(inc, _incident_url(inc, self.customer)))
        elif prefix == "REQ":
            for req in self.requests().filter(number=number):
                self.add("request", _ticket_hit(req, _request_url(req, self.customer)))
        elif self.customer:
            return
        elif prefix in ("PRB", "KE"):
            problems = problem_base(user=self.user).filter(number=number).select_related("organization")
            if prefix == "KE":
                problems = problems.filter(known_error=True)
            for p in problems:
                self.add("known_error" if p.known_error else "problem",
                         _ticket_hit(p, reverse("problems:detail", args=[p.pk])))
        elif prefix == "CHG":
            for c in change_base(user=self.user).filter(number=number).select_related("organization"):
                self.add("change", _ticket_hit(c, reverse("changes:detail", args=[c.pk])))

    def by_phone(self) -> None:
        digits = re.sub(r"[^\d+]", "", self.q)
        if len(digits.lstrip("+")) < 5:
            return
        contacts = Contact.objects.filter(phone=digits)
        if self.customer:
            contacts = contacts.filter(organization_id=self.user.organization_id)
        contact_ids = list(contacts.values_list("pk", flat=True)[:20])
        call_ids = list(CallRecord.objects.filter(ticket_kind=TicketKind.INCIDENT, caller_phone=digits,
                                                  received_at__gte=self.now - CALL_WINDOW)
                        .order_by("-received_at").values_list("ticket_id", flat=True)[:PER_KIND])
        # Two index lookups rather than one OR (which would make the planner walk every incident).
        found = list(self.incidents().filter(contact_id__in=contact_ids).order_by("-reported_at", "-id")[:PER_KIND])
        found += list(self.incidents().filter(pk__in=[pk for pk in call_ids if pk]))
        for inc in sorted(found, key=lambda i: (i.reported_at, i.pk), reverse=True):
            self.add("caller", _ticket_hit(inc, _incident_url(inc, self.customer)))
        if not self.customer:
            self.group("caller").more_url = _list_url("incidents:list", digits)

    def cis(self) -> None:
        if self.customer:
            return
        q = self.q
        exact = ci_list(user=self.user).filter(Q(serial=q) | Q(asset_tag=q))
        words = ci_list(user=self.user).filter(Q(name__icontains=q) | Q(serial__icontains=q)
                                               | Q(asset_tag__icontains=q))
        for qs in (exact, words):
            for ci in qs.order_by("name", "id")[:PER_KIND]:
                detail = " · ".join(str(p) for p in (ci.serial, ci.asset_tag, ci.organization) if p)
                self.add("ci", Hit(label=ci.name, detail=detail, url=reverse("cmdb:detail", args=[ci.pk])))
        self.group("ci").more_url = _list_url("cmdb:list", q)

    # --- words ---
    def words(self) -> None:
        since = self.now - TEXT_WINDOW
        callers = {hit.url for hit in self.groups["caller"].hits} if "caller" in self.groups else set()
        if not callers:  # a phone number that found its callers' incidents needs no second list of them
            for inc in self.newest(incident_text_search(self.incidents(), self.q)):
                self.add("incident", _ticket_hit(inc, _incident_url(inc, self.customer)))
        q_words = Q()
        for word in self.q.split()[:8]:
            q_words &= Q(number__icontains=word) | Q(title__icontains=word) | Q(description__icontains=word)
        for req in self.newest(self.requests().filter(q_words)):
            self.add("request", _ticket_hit(req, _request_url(req, self.customer)))
        if self.customer:
            return
        self.group("incident").more_url = _list_url("incidents:list", self.q)
        self.group("request").more_url = _list_url("tickets:list", self.q)
        for ke in known_error_search(user=self.user, q=self.q).defer("search_vector")[:PER_KIND]:
            self.add("known_error", _ticket_hit(ke, reverse("problems:detail", args=[ke.pk])))
        self.group("known_error").more_url = _list_url("problems:known_errors", self.q)
        problems = problem_text_search(problem_base(user=self.user).filter(known_error=False), self.q)
        for p in problems.select_related("organization").defer("search_vector")[:PER_KIND]:
            self.add("problem", _ticket_hit(p, reverse("problems:detail", args=[p.pk])))
        self.group("problem").more_url = _list_url("problems:list", self.q)
        changes = change_base(user=self.user).filter(reported_at__gte=since)
        for word in self.q.split()[:8]:
            changes = changes.filter(Q(number__icontains=word) | Q(title__icontains=word))
        for c in changes.select_related("organization").order_by("-reported_at", "-id")[:PER_KIND]:
            self.add("change", _ticket_hit(c, reverse("changes:detail", args=[c.pk])))
        self.group("change").more_url = _list_url("changes:list", self.q)


ORDER = ("incident", "caller", "request", "known_error", "problem", "change", "ci")


def global_search(*, user: Any, q: str, now: datetime) -> list[Group]:
    """Hits for `q` grouped by kind (kinds without hits left out), at most PER_KIND per kind."""
    q = " ".join((q or "").split())[:MAX_QUERY]
    if not q or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    search = _Search(user=user, q=q, now=now)
    compact = q.replace(" ", "")
    number = NUMBER_RE.match(compact)
    if number:
        search.by_number(number.group(1).upper(), number.group(2))
    elif DIGITS_RE.match(compact):
        kinds = ("INC", "REQ") if search.customer else ("INC", "REQ", "PRB", "CHG")
        for prefix in kinds:
            search.by_number(prefix, compact)
    found_exact = any(g.hits for g in search.groups.values())
    if not number and PHONE_RE.match(q):
        search.by_phone()
    if not found_exact:
        search.cis()
        if not number:
            search.words()
    groups = [search.groups[k] for k in ORDER if k in search.groups and search.groups[k].hits]
    return groups
