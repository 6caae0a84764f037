"""FilterSets for service requests (and the month filter every ticket list shares)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from opsdesk.filters import IdFilter, StrictBooleanFilter, UtcDateTimeFilter

from .choices import Channel, RequestStatus, RequestType
from .models import ServiceRequest

MONTH_RE = re.compile(r"(?P<year>[1-9][0-9]{3})-(?P<month>0[1-9]|1[0-2])")  # ASCII digits only


class MonthField(forms.CharField):
    """`YYYY-MM` → the first day of that month; anything else is a field error (400, not 500)."""

    default_error_messages = {"invalid": _("Use the form YYYY-MM, e.g. 2026-03.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs["strip"] = False  # exactly the documented form: " 2026-03" is refused like the schema says
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value) or ""
        if not text:
            return None
        match = MONTH_RE.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            return date(int(match["year"]), int(match["month"]), 1)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@extend_schema_field({"type": "string", "pattern": "^" + MONTH_RE.pattern.replace("?P<year>", "").replace("?P<month>", "") + "$",
                      "example": "2026-03"})
class MonthFilter(filters.Filter):
    """Tickets reported in one calendar month of the current time zone."""

    field_class = MonthField

    def filter(self, qs: QuerySet[Any], value: date | None) -> QuerySet[Any]:
        if value is None:
            return qs
        nxt = (value.replace(day=28) + timedelta(days=4)).replace(day=1)
        tz = timezone.get_current_timezone()
        return qs.filter(**{
            f"{self.field_name}__gte": datetime.combine(value, time.min, tz),
            f"{self.field_name}__lt": datetime.combine(nxt, time.min, tz),
        })


class WorkFilterSet(filters.FilterSet):
    """The quick filters every ticket list has: "assigned to me" and "my group" (the support groups
    the user belongs to or leads). The FilterSet knows the user from the API's request or, on the
    pages, from the selector (`user=`); without a user the filters match nothing."""

    mine = StrictBooleanFilter(method="filter_mine", label=_("Assigned to me"))
    my_group = StrictBooleanFilter(method="filter_my_group", label=_("My group"))

    def __init__(self, data: Any = None, queryset: Any = None, *, request: Any = None, prefix: Any = None,
                 user: Any = None) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else getattr(request, "user", None)

    def _user_pk(self) -> int | None:
        user = self.user
        return user.pk if user is not None and getattr(user, "is_authenticated", False) else None

    def filter_mine(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if not value:
            return queryset
        return queryset.filter(assignee_id=self._user_pk())

    def filter_my_group(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if not value:
            return queryset
        from accounts.models import SupportGroup

        pk = self._user_pk()
        groups = SupportGroup.objects.filter(Q(members__id=pk) | Q(lead_id=pk)).values("pk")
        return queryset.filter(group_id__in=groups)


class ServiceRequestFilterSet(WorkFilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    status = filters.MultipleChoiceFilter(choices=RequestStatus.choices, label=_("Status"), distinct=False)
    request_type = filters.MultipleChoiceFilter(choices=RequestType.choices, label=_("Request type"), distinct=False)
    channel = filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    assignee = IdFilter(field_name="assignee_id", label=_("Assignee"))
    group = IdFilter(field_name="group_id", label=_("Support group"))
    contact = IdFilter(field_name="contact_id", label=_("Contact"))
    unassigned = StrictBooleanFilter(field_name="assignee", lookup_expr="isnull", label=_("Unassigned"))
    reported_after = UtcDateTimeFilter(field_name="reported_at", lookup_expr="gte", label=_("Reported from"))
    reported_before = UtcDateTimeFilter(field_name="reported_at", lookup_expr="lt", label=_("Reported before"))
    month = MonthFilter(field_name="reported_at", label=_("Month (YYYY-MM)"))

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[ServiceRequest], name: str, value: str) -> QuerySet[ServiceRequest]:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("REQ-"):
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))
