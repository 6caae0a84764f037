"""The duty roster: layered rules per support group (rotations, holiday duty, and dated entries —
overrides, approved swaps, major-event and special-support duty — laid over them), plus each
group's routing options. Nothing is deleted: an entry is withdrawn (`is_active`, `status`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup
from cmdb.models import CIClass
from tickets.models import WorkCalendar

from .choices import AutoAssign, DutyRole, RuleKind, RuleStatus, SupportRequestStatus


class DutyRule(models.Model):
    group = models.ForeignKey(SupportGroup, verbose_name=_("support group"), on_delete=models.PROTECT,
                              related_name="duty_rules")
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices, default=RuleKind.ROTATION)
    role = models.CharField(_("duty role"), max_length=10, choices=DutyRole.choices, default=DutyRole.PRIMARY)
    status = models.CharField(_("status"), max_length=10, choices=RuleStatus.choices, default=RuleStatus.APPROVED)
    name = models.CharField(_("name"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts at"), help_text=_("A rotation's first handoff."))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    shift_length = models.DurationField(
        _("shift length"), null=True, blank=True,
        help_text=_("Rotations: each person's turn (e.g. 12:00:00 or 7 days). Empty: every member at once."))
    window_start = models.TimeField(_("daily from"), null=True, blank=True,
                                    help_text=_("Local time; with “daily until” the rule covers only that part of each day (may cross midnight)."))
    window_end = models.TimeField(_("daily until"), null=True, blank=True)
    layer = models.PositiveSmallIntegerField(_("layer"), default=0, help_text=_("Of two rotations, the higher layer wins."))
    calendar = models.ForeignKey(WorkCalendar, verbose_name=_("calendar"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("Holiday duty applies on this calendar's holidays."))
    replaces = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("replaces"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("Override or swap: the person whose time is taken over (empty: everyone in the role)."))
    organization = models.ForeignKey(Organization, verbose_name=_("customer"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text=_("Special support: the customer whose meeting or event it covers."))
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["group", "role", "-layer", "starts_at", "pk"]
        verbose_name = _("duty rule")
        verbose_name_plural = _("duty rules")
        indexes = [models.Index(fields=["is_active", "status", "starts_at"], name="duty_rule_live")]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.group}"


class DutyMember(models.Model):
    """One person of a rule, in rotation order."""

    rule = models.ForeignKey(DutyRule, verbose_name=_("duty rule"), on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                             related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["rule", "position", "pk"]
        verbose_name = _("duty member")
        verbose_name_plural = _("duty members")


class GroupRouting(models.Model):
    """A support group's routing option: assign new work automatically among those on duty."""

    group = models.OneToOneField(SupportGroup, verbose_name=_("support group"), on_delete=models.PROTECT,
                                 related_name="routing")
    auto_assign = models.CharField(_("auto-assignment"), max_length=14, choices=AutoAssign.choices,
                                   default=AutoAssign.OFF)
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last assigned"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        verbose_name = _("group routing")
        verbose_name_plural = _("group routing")

    def __str__(self) -> str:
        return str(self.group)


class Skill(models.Model):
    """An engineer can work on devices of this CI class (auto-assignment prefers them)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="duty_skills")
    ci_class = models.ForeignKey(CIClass, verbose_name=_("CI class"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [models.UniqueConstraint(fields=["user", "ci_class"], name="duty_skill_unique")]


class SupportRequest(models.Model):
    """A customer's request for special support at a meeting or event (专项保障): when, where, what is
    needed. Staff accept it by booking the duty (a `special` DutyRule for the organisation, through
    `duty_entry_create`) or decline it with a reason; the customer may withdraw it while it waits.
    A simple request with states, not a ticket kind: it has no SLA clocks, no number series, one
    decision by one person — the booking itself is the roster's own entry."""

    organization = models.ForeignKey(Organization, verbose_name=_("customer"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("meeting or event"), max_length=200)
    place = models.CharField(_("place"), max_length=200)
    needs = models.TextField(_("what is needed"), blank=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    status = models.CharField(_("status"), max_length=10, choices=SupportRequestStatus.choices,
                              default=SupportRequestStatus.REQUESTED)
    created_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)
    duty_rule = models.ForeignKey(DutyRule, verbose_name=_("booked duty"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("special support request")
        verbose_name_plural = _("special support requests")
        indexes = [models.Index(fields=["organization", "status", "starts_at"], name="duty_support_org")]

    def __str__(self) -> str:
        return self.title
