"""Forms shared by every ticket page (timeline additions, transitions) and the glue that puts a
service's ValidationError back next to the fields it names. Forms only shape input: the services
decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import SupportGroup, User
from opsdesk.cache_version import VersionedLocal
from opsdesk.widgets import IsoDateInput

from .workflow import Transition

ASSIGNABLE_ROLES = (Role.ENGINEER, Role.ANALYST, Role.REGIONAL_LEAD)


def form_add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's errors next to the fields they name; anything else goes on top of the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            field = name if name in form.fields else None
            for message in errors:
                form.add_error(field, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for messages in exc.message_dict.values() for m in messages)
    return " ".join(exc.messages)


def assignable_users() -> QuerySet[User]:
    """Engineers one can assign, with their active groups (the picker filters by the chosen group)."""
    groups = Prefetch("support_groups", queryset=SupportGroup.objects.filter(is_active=True).only("id"))
    return (User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).prefetch_related(groups)
            .order_by("name", "username"))


# The pickers of the work lists, rendered once per process (issue 19) and dropped in every process
# when a user, a support group or a membership changes (tickets/apps.py connects the signals).
PICKERS = VersionedLocal("opsdesk:picker-version", seconds=60.0)


def engineer_picker_options() -> SafeString:
    """`_engineer_picker_options()`, from the process's picker cache."""
    return PICKERS.get("engineers", _engineer_picker_options)  # type: ignore[no-any-return]


def group_picker_options() -> SafeString:
    """The `<option>`s of the active support groups (value: id), from the process's picker cache."""
    from django.utils.html import format_html_join  # noqa: PLC0415

    return PICKERS.get("groups", lambda: format_html_join(  # type: ignore[no-any-return]
        "", '<option value="{}">{}</option>', active_groups().values_list("pk", "name")))


def _engineer_picker_options() -> SafeString:
    """The `<option>`s of every assignable engineer, each with data-groups, rendered once per page
    into `<template id="engineer-options">` (templates/includes/engineer_options.html): a page with
    many assign forms fills each engineer `<select data-options-from>` from it on demand
    (static/js/app.js) instead of carrying a copy of the people list per row. One query, no models."""
    from django.db.models import FilteredRelation, Q  # noqa: PLC0415
    from django.utils.html import format_html_join  # noqa: PLC0415

    rows = (User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES)
            .annotate(active_group=FilteredRelation("support_groups", condition=Q(support_groups__is_active=True)))
            .order_by("name", "username", "pk", "active_group__id")
            .values_list("pk", "name", "first_name", "last_name", "username", "active_group__id"))
    engineers: dict[int, tuple[str, list[str]]] = {}
    for pk, name, first, last, username, group_id in rows:  # one row per active membership
        entry = engineers.setdefault(pk, (name or f"{first} {last}".strip() or username, []))
        if group_id is not None:
            entry[1].append(str(group_id))
    return format_html_join("", '<option value="{}" data-groups="{}">{}</option>', (
        (pk, " ".join(groups), label) for pk, (label, groups) in engineers.items()))


def group_ids(user: Any) -> str:
    """"3 7": the user's active support groups, for the picker's data-groups attribute."""
    return " ".join(str(g.pk) for g in user.support_groups.all())


class EngineerSelect(forms.Select):
    """Each engineer option carries data-groups; static/js/app.js hides those not in the group
    chosen in the same form's `select[data-group-select]`."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"data-engineer-select": "", **(attrs or {})})

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-groups"] = group_ids(instance)
        return option


def active_groups() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.filter(is_active=True).order_by("name")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class TransitionForm(forms.Form):
    """One small form per workflow action, with exactly the fields that action needs."""

    FIELDS_BY_ACTION: dict[str, tuple[str, ...]] = {
        "assign": ("group", "assignee"),
        "pend": ("reason",),
        "reopen": ("reason",),
        "cancel": ("reason",),
        "restore": ("workaround",),
        "resolve": ("cause_category", "resolution"),
    }

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, transition: Transition, cause_choices: Any = None,
                 groups: Any = None, engineers: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        wanted = self.FIELDS_BY_ACTION.get(transition.action, ())
        required = set(transition.requires)
        if "group" in wanted:
            self.fields["group"] = forms.ModelChoiceField(
                queryset=groups if groups is not None else active_groups(), required=False,
                label=_("Support group"), empty_label=_("— no group —"),
                widget=forms.Select(attrs={"data-group-select": ""}))
        if "assignee" in wanted:
            self.fields["assignee"] = UserChoiceField(
                queryset=engineers if engineers is not None else assignable_users(), required=False,
                label=_("Engineer"), empty_label=_("— nobody named —"), widget=EngineerSelect())
        if "reason" in wanted:
            self.fields["reason"] = forms.CharField(
                label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required="reason" in required)
        if "workaround" in wanted:
            self.fields["workaround"] = forms.CharField(
                label=_("Workaround / how service was restored"), widget=forms.Textarea(attrs={"rows": 2}),
                required="workaround" in required)
        if "cause_category" in wanted:
            self.fields["cause_category"] = forms.ChoiceField(
                label=_("Cause"), choices=[("", "—"), *(cause_choices or [])],
                required="cause_category" in required)
        if "resolution" in wanted:
            self.fields["resolution"] = forms.CharField(
                label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), required="resolution" in required)

    @property
    def has_inputs(self) -> bool:
        return any(not f.is_hidden for f in self)

    def payload(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for key in ("group", "assignee"):
            if key in data:
                data[key] = data[key].pk if data[key] is not None else None
        return data


class PrefixedForm(forms.Form):
    """Several small forms share one page: a default prefix keeps their ids unique."""

    default_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.default_prefix or None)
        super().__init__(*args, **kwargs)


class CommentForm(PrefixedForm):
    default_prefix = "comment"
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(
        label=_("Public (the customer sees it)"), required=False,
        help_text=_("Leave unticked for an internal note."))


class WorkLogForm(PrefixedForm):
    default_prefix = "worklog"
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    work_date = forms.DateField(label=_("Date"), widget=IsoDateInput())
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_date"].initial = timezone.localdate()


class AttachmentForm(PrefixedForm):
    default_prefix = "attachment"
    file = forms.FileField(label=_("File"))
    public = forms.BooleanField(label=_("Public (the customer sees it)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("Up to %(mb)s MB.") % {"mb": limit_mb}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(_("The file is larger than %(mb)s MB.")
                                  % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)})
        return upload

