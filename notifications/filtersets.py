"""The inbox's filters: unread, kind of event, fault level, and the ticket a message is about."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import StrictBooleanFilter

from .choices import FAULT_LEVELS, NotificationEvent
from .models import Notification


class InboxFilterSet(filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Show"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("Unread only")), ("false", _("Read"))]),
    )
    event = filters.ChoiceFilter(choices=NotificationEvent.choices, label=_("Event"), empty_label=_("Any"))
    fault_level = filters.ChoiceFilter(choices=[(level, level) for level in FAULT_LEVELS], label=_("Fault level"),
                                       empty_label=_("Any"))
    subject = filters.CharFilter(field_name="subject", label=_("Ticket"), max_length=40)

    class Meta:
        model = Notification
        fields: list[str] = []
