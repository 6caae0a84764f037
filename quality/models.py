from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact, Organization
from cmdb.models import CI
from incidents.models import Incident
from tickets.choices import TicketKind

from .choices import CallbackOutcome, CallDisposition, QuestionKind, RatingSource


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class SignedLinkFields(models.Model):
    """What a one-click signed link needs: a random nonce that goes into the signature (so a link
    can be revoked by rotating it), an expiry, and the single-use stamp."""

    nonce = models.CharField(max_length=40, default=new_nonce, editable=False)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("link expires at"))
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        abstract = True


class RatingInvitation(SignedLinkFields):
    """The invitation to rate one closed ticket, sent once to its contact by the closure sweep."""

    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices)
    ticket_id = models.BigIntegerField(_("ticket id"))
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rating invitation")
        verbose_name_plural = _("rating invitations")
        constraints = [
            models.UniqueConstraint(fields=["ticket_kind", "ticket_id"], name="rating_invitation_once"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="rating_inv_unsent",
                         condition=Q(emailed_at__isnull=True) & ~Q(email="")),
        ]


class SatisfactionRating(models.Model):
    """A customer's 1–5 star rating of one closed ticket: at most one per ticket."""

    ticket_kind = models.CharField(_("ticket type"), max_length=20, choices=TicketKind.choices)
    ticket_id = models.BigIntegerField(_("ticket id"))
    ticket_number = models.CharField(_("number"), max_length=20)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    # The engineer who handled the ticket, copied at rating time so figures per engineer are one GROUP BY.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("engineer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=RatingSource.choices)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rated by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("rated at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.UniqueConstraint(fields=["ticket_kind", "ticket_id"], name="rating_once_per_ticket"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_5"),
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="rating_org_time")]

    def __str__(self) -> str:
        return f"{self.ticket_number} {'★' * self.stars}"


class CallbackSampling(models.Model):
    """Which share of closed incidents of one fault level is called back (回访). Levels without a
    row use the defaults: all of I–II, 20 % of III–IV."""

    fault_level = models.CharField(_("fault level"), max_length=3, unique=True,
                                   choices=[("I", "I"), ("II", "II"), ("III", "III"), ("IV", "IV")])
    percent = models.PositiveSmallIntegerField(_("share called back (%)"))

    class Meta:
        ordering = ["fault_level"]
        verbose_name = _("call-back sampling")
        verbose_name_plural = _("call-back sampling")
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="callback_percent_0_100")]

    def __str__(self) -> str:
        return f"{self.fault_level}: {self.percent} %"


class Callback(models.Model):
    """A supervisor's call-back of a closed incident: outcome, satisfaction, notes, follow-up flag."""

    incident = models.OneToOneField(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                    related_name="callback")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("engineer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallbackOutcome.choices)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    follow_up = models.BooleanField(_("unhappy: follow up"), default=False)
    # The follow-up is closed (never deleted): who handled the unhappy customer, when, and how.
    follow_up_done_at = models.DateTimeField(_("follow-up done at"), null=True, blank=True)
    follow_up_done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("follow-up done by"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="+")
    follow_up_note = models.TextField(_("what was done"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("called by"), on_delete=models.PROTECT,
                                  related_name="+")
    called_at = models.DateTimeField(_("called at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        constraints = [
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="callback_satisfaction_1_5"),
        ]
        indexes = [models.Index(fields=["follow_up"], condition=Q(follow_up=True), name="callback_follow_up")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.get_outcome_display()}"


class Questionnaire(models.Model):
    """A customer questionnaire (维护工作客户意见征询表) that admins define and send in rounds."""

    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    send_every_half_year = models.BooleanField(
        _("send every half year"), default=False,
        help_text=_("Sent automatically at the start of each half year to every active organisation "
                    "(once per organisation and half year)."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question: a 1–5 rating, one of a list of choices, or free text."""

    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
                                      related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.RATING)
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_('For choice questions: a list such as ["Yes", "No"].'))
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["questionnaire", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.kind == QuestionKind.CHOICE:
            if not isinstance(self.choices, list) or len(self.choices) < 2 or not all(
                    isinstance(c, str) and c.strip() for c in self.choices):
                raise ValidationError({"choices": _("A choice question needs at least two choices (texts).")})


class SurveyRound(models.Model):
    """One sending of a questionnaire to an organisation's contacts (e.g. the first half of 2026)."""

    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT,
                                      related_name="rounds")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half year"), choices=[(1, _("First half")), (2, _("Second half"))])
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
                                related_name="+")
    sent_at = models.DateTimeField(_("sent at"))
    closes_at = models.DateTimeField(_("answers accepted until"))

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("questionnaire round")
        verbose_name_plural = _("questionnaire rounds")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "organization", "year", "half"], name="survey_round_once"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} · {self.organization} · {self.year}/{self.half}"


class SurveyInvitation(SignedLinkFields):
    """One contact's single-use invitation to answer a round, by signed link or in the portal."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="invitations")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("questionnaire invitation")
        verbose_name_plural = _("questionnaire invitations")
        constraints = [models.UniqueConstraint(fields=["round", "contact"], name="survey_invitation_once")]


class SurveyResponse(models.Model):
    """One contact's answers to one round."""

    round = models.ForeignKey(SurveyRound, verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="responses")
    invitation = models.OneToOneField(SurveyInvitation, verbose_name=_("invitation"), on_delete=models.PROTECT,
                                      related_name="response")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("portal user"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")


class SurveyAnswer(models.Model):
    """The answer to one question in one response."""

    response = models.ForeignKey(SurveyResponse, verbose_name=_("response"), on_delete=models.PROTECT,
                                 related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    choice = models.CharField(_("choice"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        ordering = ["response", "question__position", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="survey_rating_1_5"),
        ]


class ComplaintIncident(models.Model):
    """The incident a complaint (a ServiceRequest of type complaint) is about: optional, of the
    complaint's own organisation only (checked in `complaint_incident_link`)."""

    complaint = models.OneToOneField("tickets.ServiceRequest", verbose_name=_("complaint"), on_delete=models.PROTECT,
                                     related_name="complaint_incident")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="complaints")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("incident a complaint is about")
        verbose_name_plural = _("incidents complaints are about")

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.incident_id}"


# --- assurance figures: availability targets, the hotline's connect rate ---------------------------

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class AvailabilityTarget(models.Model):
    """The availability a business service (a CI of a service class) must reach per month, in %."""

    service = models.OneToOneField(CI, verbose_name=_("business service"), on_delete=models.PROTECT,
                                   related_name="availability_target", limit_choices_to={"ci_class__is_service": True})
    target_pct = models.DecimalField(_("target availability %"), max_digits=6, decimal_places=3,
                                     default=Decimal("99.5"), validators=PERCENT_VALIDATORS)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["service__name", "id"]
        verbose_name = _("availability target")
        verbose_name_plural = _("availability targets")

    def __str__(self) -> str:
        return f"{self.service} ≥ {self.target_pct}%"


DEFAULT_CONNECT_TARGET = Decimal("90")


class HotlineTarget(models.Model):
    """The connect rate (接通率) the hotline must reach for an organisation per month, in %
    (DEFAULT_CONNECT_TARGET when an organisation has none)."""

    organization = models.OneToOneField(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                        related_name="hotline_target")
    target_pct = models.DecimalField(_("target connect rate %"), max_digits=5, decimal_places=2,
                                     default=DEFAULT_CONNECT_TARGET, validators=PERCENT_VALIDATORS)

    class Meta:
        ordering = ["organization__name"]
        verbose_name = _("hotline target")
        verbose_name_plural = _("hotline targets")

    def __str__(self) -> str:
        return f"{self.organization} ≥ {self.target_pct}%"


class PhoneCall(models.Model):
    """One call record imported from the phone system's CDR export (e.g. Asterisk's Master.csv),
    once per (organisation, call id): importing the same file again changes nothing."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    call_id = models.CharField(_("call id"), max_length=150)
    started_at = models.DateTimeField(_("started at"))
    caller = models.CharField(_("caller"), max_length=80, blank=True)
    dialled = models.CharField(_("dialled number"), max_length=80, blank=True)
    disposition = models.CharField(_("disposition"), max_length=12, choices=CallDisposition.choices)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), default=0)
    talk_seconds = models.PositiveIntegerField(_("talk time (s)"), default=0)
    source_file = models.CharField(_("imported from"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("phone system call")
        verbose_name_plural = _("phone system calls")
        constraints = [models.UniqueConstraint(fields=["organization", "call_id"], name="phonecall_org_call_once")]
        indexes = [models.Index(fields=["organization", "started_at"], name="phonecall_org_started")]

    def __str__(self) -> str:
        return f"{self.call_id} ({self.get_disposition_display()})"
