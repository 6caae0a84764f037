"""The person's own notification preferences form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.widgets import IsoTimeInput

from .choices import NotificationEvent
from .models import NotificationPreference

# The zones the desk's people work in; the model accepts any IANA zone (API, admin).
ZONE_CHOICES = [
    ("Asia/Shanghai", _("Beijing time (UTC+8)")),
    ("Asia/Urumqi", _("Urumqi time (UTC+6)")),
    ("Asia/Hong_Kong", _("Hong Kong time (UTC+8)")),
    ("UTC", _("Coordinated Universal Time (UTC)")),
]


def zone_choices() -> list[tuple[str, Any]]:
    return list(ZONE_CHOICES)


EVENT_CHOICES = [c for c in NotificationEvent.choices if c[0] != NotificationEvent.DIGEST]


class PreferenceForm(forms.ModelForm):  # type: ignore[type-arg]
    wanted_events = forms.MultipleChoiceField(
        label=_("Events I want"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=EVENT_CHOICES,
        help_text=_("Level I incidents always reach you, whatever you choose here."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=zone_choices)

    class Meta:
        model = NotificationPreference
        fields = ["inapp", "email", "mode", "digest_minutes", "quiet_start", "quiet_end", "time_zone"]
        widgets = {"quiet_start": IsoTimeInput(), "quiet_end": IsoTimeInput(), "mode": forms.RadioSelect}
        help_texts = {
            "digest_minutes": _("From 5 to 1440 minutes."),
            "quiet_end": _("No e-mail between these times on your clock (it comes as one digest afterwards); "
                           "level I incidents are never held back."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        muted = set(self.instance.muted_events or []) if self.instance else set()
        self.fields["wanted_events"].initial = [v for v, _label in EVENT_CHOICES if v not in muted]

    def preference_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        wanted = set(self.cleaned_data["wanted_events"])
        data["muted_events"] = [v for v, _label in EVENT_CHOICES if v not in wanted]
        return data
