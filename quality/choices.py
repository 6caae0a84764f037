from django.db import models
from django.utils.translation import gettext_lazy as _


class RatingSource(models.TextChoices):
    PORTAL = "portal", _("Portal")
    LINK = "link", _("Email link")


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    CHOICE = "choice", _("Choice")
    TEXT = "text", _("Text")


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Reached the customer")
    NO_ANSWER = "no_answer", _("No answer (call again)")
    DECLINED = "declined", _("Customer declined")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


# Outcomes after which the incident leaves the call-back queue.
CALLBACK_DONE = (CallbackOutcome.REACHED, CallbackOutcome.DECLINED, CallbackOutcome.WRONG_NUMBER)


class FigureSource(models.TextChoices):
    RATING = "rating", _("Ratings on closure")
    CALLBACK = "callback", _("Call-backs")


# Stars at or below this mark an unhappy customer.
UNHAPPY_AT_MOST = 2


class CallDisposition(models.TextChoices):
    """How a phone-system call ended (Asterisk's CDR dispositions)."""

    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    FAILED = "failed", _("Failed")
