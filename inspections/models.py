"""Inspection plans and rounds (issue #14): checklist templates with items, plans that say which
CIs (or which spare-parts store) are inspected how often, rounds (a ticket kind on the kernel:
INS-…) generated once per plan and period, and the answers recorded CI by CI on a phone."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup
from cmdb.models import CI, CIClass
from incidents.models import Incident
from spares.models import Movement, SparePart, Storeroom
from tickets.choices import TicketKind
from tickets.models import TicketBase

from .choices import DayRule, Frequency, ItemKind, RoundStatus, TemplateScope


def _bilingual(zh: str, en: str) -> str:
    language = (get_language() or "zh-hans").lower()
    return (en or zh) if language.startswith("en") else (zh or en)


# The same, decided when the text is rendered (a report is built first and rendered in its language).
bilingual_lazy = lazy(_bilingual, str)


class ChecklistTemplate(models.Model):
    """What is checked on each CI of a round (or, scope store, on each part of a storeroom), and the
    record form the round prints as (e.g. 巡检记录表). Names are kept in Chinese and English."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    form_name = models.CharField(_("record form (Chinese)"), max_length=200)
    form_name_en = models.CharField(_("record form (English)"), max_length=200, blank=True)
    scope = models.CharField(_("inspects"), max_length=10, choices=TemplateScope.choices, default=TemplateScope.CI)
    is_active = models.BooleanField(_("active"), default=True)
    copied_from = models.ForeignKey("self", verbose_name=_("copied from"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="copies",
                                    help_text=_("A manager's editable copy; the seeded templates stay as they are."))
    copied_from_version = models.PositiveIntegerField(
        _("copied from version"), null=True, blank=True,
        help_text=_("The version of the original this copy was made from."))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _bilingual(self.name, self.name_en)

    @property
    def form_label(self) -> str:
        return _bilingual(self.form_name, self.form_name_en)


class ChecklistItem(models.Model):
    """One question of a template: pass/fail, a reading with unit and limits, a choice (some choices
    count as a finding) or free text; a photo may be required."""

    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("template"), on_delete=models.PROTECT,
                                 related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("item (Chinese)"), max_length=300)
    text_en = models.CharField(_("item (English)"), max_length=300, blank=True)
    kind = models.CharField(_("answer type"), max_length=12, choices=ItemKind.choices, default=ItemKind.PASS_FAIL)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    min_value = models.DecimalField(_("lower limit"), max_digits=12, decimal_places=3, null=True, blank=True)
    max_value = models.DecimalField(_("upper limit"), max_digits=12, decimal_places=3, null=True, blank=True)
    options = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_("For a choice: a list of [value, Chinese label, English label]."))
    finding_options = models.JSONField(_("choices that are a finding"), default=list, blank=True)
    photo_required = models.BooleanField(_("photo required"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["template_id", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.CheckConstraint(condition=Q(min_value__isnull=True) | Q(max_value__isnull=True)
                                   | Q(min_value__lte=models.F("max_value")), name="insp_item_limits_order"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _bilingual(self.text, self.text_en)

    def option_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for option in self.options or []:
            if isinstance(option, list | tuple) and option:
                value = str(option[0])
                zh = str(option[1]) if len(option) > 1 else value
                en = str(option[2]) if len(option) > 2 else zh
                pairs.append((value, _bilingual(zh, en)))
        return pairs

    def out_of_limits(self, value: Decimal | None) -> bool:
        if value is None:
            return False
        return ((self.min_value is not None and value < self.min_value)
                or (self.max_value is not None and value > self.max_value))


class InspectionPlan(models.Model):
    """Which CIs of one organisation are inspected (by class, site, location, an explicit list, or
    all of them; a spot check draws a random sample of N), with which template, how often (on the
    organisation's working days), by which group, within how many working days. A store plan
    inspects one storeroom instead."""

    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("checklist template"), on_delete=models.PROTECT,
                                 related_name="plans")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="inspection_plans")
    ci_class = models.ForeignKey(CIClass, verbose_name=_("CI class"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    site = models.CharField(_("site"), max_length=100, blank=True)
    location = models.CharField(_("location contains"), max_length=200, blank=True)
    cis = models.ManyToManyField(CI, verbose_name=_("configuration items"), blank=True, related_name="+",
                                 help_text=_("An explicit list; empty = every CI the other filters select."))
    sample_size = models.PositiveIntegerField(_("random sample of"), null=True, blank=True,
                                              help_text=_("Spot check: inspect only this many CIs, drawn at random."))
    storeroom = models.ForeignKey(Storeroom, verbose_name=_("storeroom"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY)
    day_rule = models.CharField(_("day"), max_length=20, choices=DayRule.choices, default=DayRule.NTH_WORKING_DAY)
    nth = models.PositiveSmallIntegerField(_("n"), default=1)
    weekday = models.PositiveSmallIntegerField(_("weekday (0 = Monday)"), default=0)
    due_working_days = models.PositiveSmallIntegerField(_("due within working days"), default=5)
    group = models.ForeignKey(SupportGroup, verbose_name=_("responsible group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("engineer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["organization_id", "name", "id"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = [
            models.CheckConstraint(condition=Q(nth__gte=1) & Q(nth__lte=23), name="insp_plan_nth_range"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="insp_plan_weekday_range"),
            models.CheckConstraint(condition=Q(due_working_days__gte=1), name="insp_plan_due_min_1"),
        ]

    def __str__(self) -> str:
        return self.name


class InspectionRound(TicketBase):
    """One plan's inspection in one period (INS-…): generated once by the beat sweep (unique per
    plan and period), done CI by CI, escalated to the group lead once when it is overdue."""

    KIND = TicketKind.INSPECTION
    NUMBER_PREFIX = "INS"

    plan = models.ForeignKey(InspectionPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="rounds")
    status = models.CharField(_("status"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.SCHEDULED)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    scheduled_for = models.DateField(_("scheduled for"))
    due_at = models.DateTimeField(_("due"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)

    class Meta:
        ordering = ["scheduled_for", "id"]
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        constraints = [
            models.UniqueConstraint(fields=["plan", "period_start"], name="insp_round_plan_period_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="insp_round_status_due"),
            models.Index(fields=["organization", "scheduled_for"], name="insp_round_org_sched"),
            models.Index(fields=["group", "scheduled_for"], name="insp_round_group_sched"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in (RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS)

    def is_overdue(self, now: Any) -> bool:
        return self.is_open and self.due_at < now


class RoundTarget(models.Model):
    """A CI to inspect in a round (chosen when the round is generated; a spot check's sample)."""

    round = models.ForeignKey(InspectionRound, verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="targets")
    ci = models.ForeignKey(CI, verbose_name=_("configuration item"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["round_id", "position", "id"]
        verbose_name = _("round CI")
        verbose_name_plural = _("round CIs")
        constraints = [models.UniqueConstraint(fields=["round", "ci"], name="insp_target_round_ci_unique")]


def photo_path(instance: Answer, filename: str) -> str:
    return f"inspections/{instance.round_id}/{instance.uuid}-{filename[-80:]}"


class Answer(models.Model):
    """One answer to one item on one CI of a round. The phone generates `uuid`, so a resent answer
    is accepted once (unique). A later answer to the same item replaces it as `current` (the earlier
    one is kept). A failed item or out-of-limit reading is a finding: it opens (or links to) an
    incident on the CI."""

    uuid = models.UUIDField(_("answer id"), unique=True, default=uuid.uuid4)
    round = models.ForeignKey(InspectionRound, verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="answers")
    target = models.ForeignKey(RoundTarget, verbose_name=_("round CI"), on_delete=models.PROTECT,
                               related_name="answers")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    reading = models.DecimalField(_("reading"), max_digits=12, decimal_places=3, null=True, blank=True)
    choice = models.CharField(_("choice"), max_length=60, blank=True)
    text = models.TextField(_("text"), blank=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to=photo_path, max_length=300, blank=True)
    finding = models.BooleanField(_("finding"), default=False)
    out_of_limits = models.BooleanField(_("out of limits"), default=False)
    current = models.BooleanField(_("current"), default=True)
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"),
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered at"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["round_id", "target_id", "item_id", "received_at"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["target", "item"], condition=Q(current=True),
                                    name="insp_answer_current_unique"),
        ]
        indexes = [
            models.Index(fields=["round", "current"], name="insp_answer_round"),
            models.Index(fields=["finding", "received_at"], name="insp_answer_finding"),
        ]


class StoreCount(models.Model):
    """A store check's count of one part in the plan's storeroom: booked (the stock figure when
    counted) and counted; a difference is posted as a spares movement (receive or write-off) that
    waits for approval."""

    round = models.ForeignKey(InspectionRound, verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="store_counts")
    part = models.ForeignKey(SparePart, verbose_name=_("spare part"), on_delete=models.PROTECT, related_name="+")
    storeroom = models.ForeignKey(Storeroom, verbose_name=_("storeroom"), on_delete=models.PROTECT,
                                  related_name="+")
    booked = models.IntegerField(_("booked"))
    counted = models.IntegerField(_("counted"))
    movement = models.ForeignKey(Movement, verbose_name=_("movement"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counted by"),
                                   on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(_("counted at"))
    # Made on the phone when the count is entered (offline queue): a resend of it is accepted once.
    uuid = models.UUIDField(_("client id"), null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["round_id", "part_id"]
        verbose_name = _("store count")
        verbose_name_plural = _("store counts")
        constraints = [
            models.UniqueConstraint(fields=["round", "part"], name="insp_count_round_part_unique"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="insp_count_not_negative"),
        ]

    @property
    def difference(self) -> int:
        return self.counted - self.booked


class SetupChange(models.Model):
    """Who changed a plan or a checklist template, when, and what (field: [before, after]). Plans
    and templates are never deleted: switching one off is a change like any other."""

    plan = models.ForeignKey(InspectionPlan, verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="changes")
    template = models.ForeignKey(ChecklistTemplate, verbose_name=_("checklist template"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(_("action"), max_length=20)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("plan or template change")
        verbose_name_plural = _("plan and template changes")
        indexes = [models.Index(fields=["plan", "at"], name="insp_setup_plan_at"),
                   models.Index(fields=["template", "at"], name="insp_setup_template_at")]
