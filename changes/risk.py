"""The risk questionnaire: questions as data, each answer worth points; the total gives the risk
(low ≤ LOW_MAX < medium ≤ MEDIUM_MAX < high). Pure functions, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import ChangeRisk


@dataclass(frozen=True)
class Question:
    key: str
    text: str | Promise
    options: tuple[tuple[str, str | Promise, int], ...]  # (value, label, points)

    def points(self, value: str) -> int:
        return next(p for v, _label, p in self.options if v == value)


QUESTIONS: tuple[Question, ...] = (
    Question("service_impact", _("What does the change affect if it goes wrong?"), (
        ("none", _("Nothing users notice"), 0),
        ("one", _("One user or device"), 1),
        ("group", _("A department or a group of devices"), 3),
        ("all", _("A whole system, site or the core network"), 5),
    )),
    Question("outage", _("Is a service interrupted while the change is made?"), (
        ("no", _("No"), 0),
        ("short", _("Up to 30 minutes"), 2),
        ("long", _("Longer than 30 minutes"), 4),
    )),
    Question("experience", _("Has this change been done before?"), (
        ("routine", _("Routinely, with a written procedure"), 0),
        ("once", _("A few times"), 1),
        ("never", _("Never here"), 3),
    )),
    Question("backout", _("How easily can it be backed out?"), (
        ("easy", _("Quickly and fully"), 0),
        ("hard", _("With effort or partly"), 2),
        ("impossible", _("Not at all"), 4),
    )),
    Question("tested", _("Was it tested beforehand?"), (
        ("yes", _("Yes, in a test environment"), 0),
        ("partly", _("Partly"), 1),
        ("no", _("No"), 2),
    )),
)
BY_KEY = {q.key: q for q in QUESTIONS}
LOW_MAX = 4
MEDIUM_MAX = 9


def risk_for_score(score: int) -> str:
    if score <= LOW_MAX:
        return ChangeRisk.LOW
    if score <= MEDIUM_MAX:
        return ChangeRisk.MEDIUM
    return ChangeRisk.HIGH


def risk_assess(answers: Mapping[str, Any]) -> tuple[dict[str, str], int, str]:
    """Validate the answers (every question, a known option each) and score them:
    (clean answers, score, risk). Unknown keys are refused, so a typo is never silently ignored."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"risk_answers": [gettext("Answer the risk questions.")]})
    errors: list[str] = []
    unknown = sorted(str(k) for k in answers if k not in BY_KEY)
    if unknown:
        errors.append(gettext("Unknown risk questions: %(keys)s.") % {"keys": ", ".join(unknown)})
    clean: dict[str, str] = {}
    for question in QUESTIONS:
        value = answers.get(question.key)
        if value not in {v for v, _label, _p in question.options}:
            errors.append(gettext("Answer “%(question)s”.") % {"question": question.text})
        else:
            clean[question.key] = str(value)
    if errors:
        raise ValidationError({"risk_answers": errors})
    score = sum(BY_KEY[k].points(v) for k, v in clean.items())
    return clean, score, risk_for_score(score)


def risk_answer_labels(answers: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(question, chosen answer, points) for display."""
    out = []
    for question in QUESTIONS:
        value = answers.get(question.key)
        option = next((o for o in question.options if o[0] == value), None)
        if option is not None:
            out.append((str(question.text), str(option[1]), option[2]))
    return out
