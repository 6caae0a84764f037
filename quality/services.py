"""Every write of the quality app: ratings (portal or signed link), the closure sweep that invites
ratings, questionnaire rounds and answers, and supervisors' call-backs. Emails are Celery tasks
queued on commit; the sweep re-derives what still needs sending (DESIGN.md rules 7 and 8)."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.locale import human_datetime, organization_zone, reading_as
from accounts.models import Contact, Organization
from incidents.choices import IncidentStatus
from incidents.models import Incident
from opsdesk.mail import ticket_mail_send
from opsdesk.queueing import task_queue
from tickets.audit import event_record
from tickets.choices import EventAction, RequestStatus, RequestType, TicketKind
from tickets.models import ServiceRequest
from tickets.services import ticket_lock

from .choices import CALLBACK_DONE, UNHAPPY_AT_MOST, CallbackOutcome, QuestionKind, RatingSource
from .links import LINK_LIFETIME, LinkInvalid, link_token
from .models import (
    Callback,
    ComplaintIncident,
    Question,
    Questionnaire,
    RatingInvitation,
    SatisfactionRating,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
)
from .selectors import is_quality_staff, rateable_ticket

# The sweep looks back this far for closed tickets, so its query stays cheap with millions of them.
INVITE_LOOKBACK = timedelta(days=30)
MAX_SEND_ATTEMPTS = 5
SWEEP_BATCH = 500
SURVEY_OPEN_FOR = timedelta(days=30)


# --- ratings ------------------------------------------------------------------------------------

def _clean_stars(stars: Any) -> int:
    try:
        value = int(stars)
    except (TypeError, ValueError):
        value = 0
    if isinstance(stars, bool) or not 1 <= value <= 5:
        raise ValidationError({"stars": [_("Choose from 1 to 5 stars.")]})
    return value


def _rating_create(*, ticket: Incident | ServiceRequest, stars: int, comment: str, source: str, user: Any,
                   contact: Contact | None, now: datetime) -> SatisfactionRating:
    try:
        with transaction.atomic():
            rating = SatisfactionRating.objects.create(
                ticket_kind=ticket.KIND, ticket_id=ticket.pk, ticket_number=ticket.number,
                organization_id=ticket.organization_id, assignee_id=ticket.assignee_id, stars=stars,
                comment=(comment or "").strip(), source=source, rated_by=user, contact=contact, created_at=now)
    except IntegrityError:
        raise ValidationError({"stars": [_("This ticket has already been rated. Thank you!")]}) from None
    # The rating belongs to the ticket's history too (who, when, what), in its hash chain.
    locked = ticket_lock(type(ticket), ticket.pk)
    event_record(ticket=locked, actor=user, action=EventAction.RATED, now=now, public=True,
                 data={"stars": stars, "comment": rating.comment, "source": source,
                       "contact": contact.pk if contact else None})
    return rating


@transaction.atomic
def rating_submit(*, user: Any, ticket_kind: str, ticket_id: int, stars: Any, comment: str = "",
                  now: datetime) -> SatisfactionRating:
    """A portal user rates a closed ticket of their organisation, once."""
    stars = _clean_stars(stars)
    ticket = rateable_ticket(kind=ticket_kind, ticket_id=ticket_id)
    if ticket is None or not user.is_customer or ticket.organization_id != user.organization_id:
        raise PermissionDenied
    contact = Contact.objects.filter(user=user).first()
    rating = _rating_create(ticket=ticket, stars=stars, comment=comment, source=RatingSource.PORTAL, user=user,
                            contact=contact, now=now)
    RatingInvitation.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk, used_at__isnull=True).update(
        used_at=now)
    return rating


@transaction.atomic
def rating_submit_by_link(*, token: str, stars: Any, comment: str = "", now: datetime) -> SatisfactionRating:
    """The one-click link: the invitation row is locked and stamped used in the same transaction."""
    from .selectors import rating_invitation_from_token

    stars = _clean_stars(stars)
    found = rating_invitation_from_token(token=token, now=now)
    invitation = RatingInvitation.objects.select_for_update().get(pk=found.pk)
    if invitation.used_at is not None:
        raise LinkInvalid("used")
    ticket = rateable_ticket(kind=invitation.ticket_kind, ticket_id=invitation.ticket_id)
    if ticket is None:
        raise LinkInvalid("invalid")
    rating = _rating_create(ticket=ticket, stars=stars, comment=comment, source=RatingSource.LINK, user=None,
                            contact=invitation.contact, now=now)
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return rating


def _queue(task_name: str, pk: int) -> None:
    task_queue(f"quality.{task_name}", pk)


def _closed_without_invitation(model: type[Incident] | type[ServiceRequest], kind: str, closed: str,
                               now: datetime) -> Any:
    invited = RatingInvitation.objects.filter(ticket_kind=kind, ticket_id=OuterRef("pk"))
    return (model.objects.filter(status=closed, closed_at__gte=now - INVITE_LOOKBACK)
            .filter(~Exists(invited)).select_related("contact").order_by("closed_at", "id"))


def invitations_sweep(*, now: datetime, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Idempotent: closed tickets without a rating invitation get one (a unique row per ticket, so
    two sweeps at once create one), and every unsent rating or questionnaire invitation with an
    address is queued for email (a lost task message is simply queued again)."""
    created = 0
    with transaction.atomic():
        for model, kind, closed in ((Incident, TicketKind.INCIDENT, IncidentStatus.CLOSED),
                                    (ServiceRequest, TicketKind.REQUEST, RequestStatus.CLOSED)):
            rows = [
                RatingInvitation(ticket_kind=kind, ticket_id=t.pk, organization_id=t.organization_id,
                                 contact=t.contact, email=(t.contact.email if t.contact else "") or "",
                                 created_at=now, expires_at=now + LINK_LIFETIME)
                for t in _closed_without_invitation(model, kind, closed, now)[:batch]
            ]
            created += len(RatingInvitation.objects.bulk_create(rows, ignore_conflicts=True))
        unsent = list(RatingInvitation.objects.filter(emailed_at__isnull=True, send_attempts__lt=MAX_SEND_ATTEMPTS,
                                                      expires_at__gt=now).exclude(email="")
                      .order_by("created_at", "id").values_list("pk", flat=True)[:batch])
        for pk in unsent:
            transaction.on_commit(partial(_queue, "rating_invitation_send_task", pk), robust=True)
        unsent_surveys = list(SurveyInvitation.objects.filter(
            emailed_at__isnull=True, used_at__isnull=True, send_attempts__lt=MAX_SEND_ATTEMPTS, expires_at__gt=now)
            .exclude(email="").order_by("created_at", "id").values_list("pk", flat=True)[:batch])
        for pk in unsent_surveys:
            transaction.on_commit(partial(_queue, "survey_invitation_send_task", pk), robust=True)
    return {"created": created, "queued": len(unsent) + len(unsent_surveys)}


def _send(*, invitation: RatingInvitation | SurveyInvitation, subject: str, body: str, now: datetime,
          number: str = "") -> bool:
    invitation.send_attempts += 1
    try:
        # A ticket's rating invitation threads like every mail about the ticket (a reply lands on it);
        # a survey round's invitation is about no ticket: it still gets its own Message-ID.
        ticket_mail_send(subject, body, [invitation.email], number=number)
    except (OSError, smtplib.SMTPException):
        invitation.save(update_fields=["send_attempts"])
        return False
    invitation.emailed_at = now
    invitation.save(update_fields=["send_attempts", "emailed_at"])
    return True


def _ticket_number(invitation: RatingInvitation) -> str:
    model: Any = Incident if invitation.ticket_kind == TicketKind.INCIDENT else ServiceRequest
    return str(model.objects.filter(pk=invitation.ticket_id).values_list("number", flat=True).first() or "")


@transaction.atomic
def rating_invitation_send(*, invitation_id: int, now: datetime) -> bool:
    """Email one rating invitation. Safe to run twice: the row lock and `emailed_at` say it went."""
    invitation = RatingInvitation.objects.select_for_update().filter(pk=invitation_id).first()
    if (invitation is None or invitation.emailed_at or invitation.used_at or not invitation.email
            or invitation.send_attempts >= MAX_SEND_ATTEMPTS or invitation.expires_at <= now):
        return False
    link = settings.SITE_URL + reverse("links:rate", args=[
        link_token(kind="rating", pk=invitation.pk, nonce=invitation.nonce)])
    number = _ticket_number(invitation)
    reader = invitation.contact.user if invitation.contact_id and invitation.contact else None
    with reading_as(user=reader, time_zone=organization_zone(invitation.organization)):  # the contact's language
        subject = _("How did we do? Rate %(number)s") % {"number": number}
        body = _("Your ticket %(number)s is closed. Please rate our service with one click (1–5 stars):\n\n"
                 "%(link)s\n\nThe link works once and expires on %(expires)s.") % {
            "number": number, "link": link, "expires": human_datetime(invitation.expires_at)}
    return _send(invitation=invitation, subject=subject, body=body, now=now, number=number)


# --- call-backs ---------------------------------------------------------------------------------

@transaction.atomic
def callback_record(*, incident_id: int, actor: Any, outcome: str, satisfaction: Any = None, notes: str = "",
                    follow_up: bool = False, now: datetime) -> Callback:
    """Record a call-back of a closed incident (one row per incident; "no answer" counts attempts
    and keeps it queued). Satisfaction ≤ 2 flags the customer for follow-up."""
    if not is_quality_staff(actor):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if outcome not in CallbackOutcome.values:
        errors["outcome"] = [_("Choose the outcome of the call.")]
    score: int | None = None
    if satisfaction not in (None, ""):
        try:
            score = int(satisfaction)
        except (TypeError, ValueError):
            score = 0
        if isinstance(satisfaction, bool) or not 1 <= score <= 5:
            errors["satisfaction"] = [_("Satisfaction is from 1 to 5.")]
    if outcome == CallbackOutcome.REACHED and score is None and "satisfaction" not in errors:
        errors["satisfaction"] = [_("Ask the customer for a satisfaction score (1–5).")]
    if outcome != CallbackOutcome.REACHED and score is not None:
        errors["satisfaction"] = [_("Only a reached customer can give a score.")]
    if errors:
        raise ValidationError(errors)
    incident = Incident.objects.select_for_update().filter(pk=incident_id, status=IncidentStatus.CLOSED).first()
    if incident is None:
        raise Incident.DoesNotExist
    callback = Callback.objects.select_for_update().filter(incident=incident).first()
    if callback is not None and callback.outcome in CALLBACK_DONE:
        raise ValidationError({"outcome": [_("This incident has already been called back.")]})
    unhappy = bool(follow_up) or (score is not None and score <= UNHAPPY_AT_MOST)
    if callback is None:
        callback = Callback(incident=incident, organization_id=incident.organization_id,
                            assignee_id=incident.assignee_id, called_by=actor, called_at=now, outcome=outcome)
    else:
        callback.version += 1
    callback.outcome = outcome
    callback.satisfaction = score
    callback.notes = "\n".join(filter(None, [callback.notes, (notes or "").strip()]))
    callback.follow_up = unhappy
    callback.attempts += 1
    callback.called_by = actor
    callback.called_at = now
    callback.save()
    return callback


@transaction.atomic
def callback_follow_up_close(*, callback_id: int, actor: Any, note: str, now: datetime) -> Callback:
    """An unhappy customer was followed up: record what was done; the flag stays for the figures."""
    if not is_quality_staff(actor):
        raise PermissionDenied
    note = (note or "").strip()
    if not note:
        raise ValidationError({"follow_up_note": [_("Say how the customer was followed up.")]})
    callback = Callback.objects.select_for_update().filter(pk=callback_id, follow_up=True).first()
    if callback is None:
        raise Callback.DoesNotExist
    if callback.follow_up_done_at is not None:
        raise ValidationError({"follow_up_note": [_("This follow-up is already closed.")]})
    callback.follow_up_done_at, callback.follow_up_done_by, callback.follow_up_note = now, actor, note
    callback.version += 1
    callback.save(update_fields=["follow_up_done_at", "follow_up_done_by", "follow_up_note", "version"])
    return callback


# --- questionnaires -----------------------------------------------------------------------------

@transaction.atomic
def survey_round_send(*, actor: Any, questionnaire: Questionnaire, organization: Organization, year: int,
                      half: int, now: datetime, closes_at: datetime | None = None) -> SurveyRound:
    """Send a questionnaire to every active contact of an organisation that has an email address or
    a portal account; each gets a single-use signed link."""
    if not is_quality_staff(actor):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not questionnaire.is_active or not questionnaire.questions.exists():
        errors["questionnaire"] = [_("Choose an active questionnaire that has questions.")]
    if half not in (1, 2):
        errors["half"] = [_("Choose the first or the second half of the year.")]
    if not 2000 <= int(year) <= 2100:
        errors["year"] = [_("Enter a year such as %(year)s.") % {"year": now.year}]
    if SurveyRound.objects.filter(questionnaire=questionnaire, organization=organization, year=year,
                                  half=half).exists():
        errors["organization"] = [_("This questionnaire was already sent to this organisation for that half year.")]
    contacts = list(Contact.objects.filter(organization=organization, is_active=True)
                    .filter(~Q(email="") | Q(user__isnull=False)).order_by("id"))
    if not contacts and "organization" not in errors:
        errors["organization"] = [_("This organisation has no active contact with an email address or portal account.")]
    if errors:
        raise ValidationError(errors)
    closes = closes_at or now + SURVEY_OPEN_FOR
    survey_round = SurveyRound.objects.create(questionnaire=questionnaire, organization=organization, year=year,
                                              half=half, sent_by=actor, sent_at=now, closes_at=closes)
    invitations = SurveyInvitation.objects.bulk_create([
        SurveyInvitation(round=survey_round, contact=c, email=c.email, created_at=now, expires_at=closes)
        for c in contacts
    ])
    for invitation in invitations:
        if invitation.email:
            transaction.on_commit(partial(_queue, "survey_invitation_send_task", invitation.pk), robust=True)
    return survey_round


@transaction.atomic
def survey_invitation_send(*, invitation_id: int, now: datetime) -> bool:
    invitation = (SurveyInvitation.objects.select_for_update().select_related("round__questionnaire", "contact")
                  .filter(pk=invitation_id).first())
    if (invitation is None or invitation.emailed_at or invitation.used_at or not invitation.email
            or invitation.send_attempts >= MAX_SEND_ATTEMPTS or invitation.expires_at <= now):
        return False
    link = settings.SITE_URL + reverse("links:survey", args=[
        link_token(kind="survey", pk=invitation.pk, nonce=invitation.nonce)])
    title = invitation.round.questionnaire.title
    with reading_as(user=invitation.contact.user, time_zone=organization_zone(invitation.round.organization)):
        subject = _("Questionnaire: %(title)s") % {"title": title}
        body = _("Dear %(name)s,\n\nplease tell us how we did: %(title)s\n\n%(link)s\n\n"
                 "The link works once and expires on %(expires)s.") % {
            "name": invitation.contact.name, "title": title, "link": link,
            "expires": human_datetime(invitation.expires_at)}
    return _send(invitation=invitation, subject=subject, body=body, now=now)


def _clean_answers(questions: list[Question], raw: dict[str, Any]) -> tuple[list[SurveyAnswer], dict[str, list[str]]]:
    answers: list[SurveyAnswer] = []
    errors: dict[str, list[str]] = {}
    for q in questions:
        key = f"q{q.pk}"
        value = str(raw.get(key) if raw.get(key) is not None else "").strip()
        if not value:
            if q.required:
                errors[key] = [_("Please answer this question.")]
            continue
        answer = SurveyAnswer(question=q)
        if q.kind == QuestionKind.RATING:
            if value not in {"1", "2", "3", "4", "5"}:
                errors[key] = [_("Choose from 1 to 5.")]
                continue
            answer.rating = int(value)
        elif q.kind == QuestionKind.CHOICE:
            if value not in [str(c) for c in q.choices]:
                errors[key] = [_("Choose one of the offered answers.")]
                continue
            answer.choice = value[:200]
        else:
            answer.text = value[:5000]
        answers.append(answer)
    return answers, errors


@transaction.atomic
def survey_submit(*, invitation_id: int, answers: dict[str, Any], respondent: Any = None,
                  now: datetime) -> SurveyResponse:
    """Answer a round once per invitation. `answers` maps "q<question id>" to the raw value."""
    invitation = (SurveyInvitation.objects.select_for_update().select_related("round", "contact")
                  .filter(pk=invitation_id).first())
    if invitation is None:
        raise LinkInvalid("invalid")
    if respondent is not None and (not respondent.is_customer or invitation.contact.user_id != respondent.pk):
        raise PermissionDenied
    if invitation.used_at is not None:
        raise LinkInvalid("used")
    if invitation.expires_at <= now or invitation.round.closes_at <= now:
        raise LinkInvalid("expired")
    questions = list(Question.objects.filter(questionnaire_id=invitation.round.questionnaire_id)
                     .order_by("position", "id"))
    rows, errors = _clean_answers(questions, answers)
    if errors:
        raise ValidationError(errors)
    response = SurveyResponse.objects.create(round=invitation.round, invitation=invitation,
                                             organization_id=invitation.round.organization_id,
                                             respondent=respondent, submitted_at=now)
    for row in rows:
        row.response = response
    SurveyAnswer.objects.bulk_create(rows)
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return response


def survey_submit_by_link(*, token: str, answers: dict[str, Any], now: datetime) -> SurveyResponse:
    from .selectors import survey_invitation_from_token

    invitation = survey_invitation_from_token(token=token, now=now)
    return survey_submit(invitation_id=invitation.pk, answers=answers, now=now)


# --- complaints ---------------------------------------------------------------------------------

@transaction.atomic
def complaint_incident_link(*, actor: Any, complaint: ServiceRequest, incident_id: Any, now: datetime) -> ComplaintIncident:
    """Name the incident a complaint is about. The incident must be one the actor can see and of the
    complaint's organisation (anything else: the same 'no such incident' as a wrong number)."""
    from incidents.selectors import incident_base

    if complaint.request_type != RequestType.COMPLAINT:
        raise ValidationError({"incident": [_("Only a complaint names the incident it is about.")]})
    try:
        incident = incident_base(user=actor).get(pk=int(incident_id), organization_id=complaint.organization_id)
    except (Incident.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"incident": [_("No such incident of your organisation.")]}) from None
    locked = ticket_lock(ServiceRequest, complaint.pk)
    link, _created = ComplaintIncident.objects.update_or_create(
        complaint=locked, defaults={"incident": incident, "created_at": now})
    event_record(ticket=locked, actor=actor, action=EventAction.LINKED, now=now, public=True,
                 data={"incident": incident.pk, "number": incident.number})
    return link


# --- half-yearly questionnaire rounds (beat) --------------------------------------------------------

def current_half(now: datetime) -> tuple[int, int]:
    """(year, half) of `now` in the configured zone."""
    from django.utils import timezone

    local = timezone.localtime(now)
    return local.year, 1 if local.month <= 6 else 2


def survey_rounds_schedule(*, now: datetime) -> dict[str, int]:
    """Send each questionnaire marked `send_every_half_year` to every active organisation that has
    not had it this half year. Idempotent: a round exists at most once per questionnaire,
    organisation and half year (unique constraint), so running it again — or on two beats — sends
    nothing new. Organisations without a contact to invite are skipped (counted)."""
    from incidents.sla.policy import system_actor

    year, half = current_half(now)
    done = {"sent": 0, "existing": 0, "skipped": 0}
    questionnaires = list(Questionnaire.objects.filter(is_active=True, send_every_half_year=True,
                                                       questions__isnull=False).distinct().order_by("id"))
    if not questionnaires:
        return done
    actor = system_actor()
    for questionnaire in questionnaires:
        have = set(SurveyRound.objects.filter(questionnaire=questionnaire, year=year, half=half)
                   .values_list("organization_id", flat=True))
        for organization in Organization.objects.filter(is_active=True).order_by("id"):
            if organization.pk in have:
                done["existing"] += 1
                continue
            try:
                survey_round_send(actor=actor, questionnaire=questionnaire, organization=organization, year=year,
                                  half=half, now=now)
            except ValidationError:
                done["skipped"] += 1
            except IntegrityError:  # another beat sent it meanwhile
                done["existing"] += 1
            else:
                done["sent"] += 1
    return done


# --- phone-system call records (CDR import) ---------------------------------------------------------

@transaction.atomic
def phone_calls_import(*, actor: Any, organization: Organization, data: bytes, filename: str,
                       now: datetime) -> dict[str, Any]:
    """Import a phone system's CDR export for one organisation (layouts: quality/cdr.py). Calls
    already imported (same organisation and call id) are left as they are, so importing a file again
    changes nothing. Returns counts and the lines that could not be read (line, message)."""
    from accounts.locale import organization_zone

    from .cdr import clean_cell, parse_cdr
    from .models import PhoneCall

    if actor is not None and not is_quality_staff(actor):
        raise PermissionDenied
    from zoneinfo import ZoneInfo

    calls, errors = parse_cdr(data, zone=ZoneInfo(organization_zone(organization) or settings.TIME_ZONE))
    existing = set(PhoneCall.objects.filter(organization=organization, call_id__in=[c.call_id for c in calls])
                   .values_list("call_id", flat=True))
    new = [PhoneCall(organization=organization, call_id=c.call_id, started_at=c.started_at, caller=c.caller,
                     dialled=c.dialled, disposition=c.disposition, duration_seconds=c.duration_seconds,
                     talk_seconds=c.talk_seconds, source_file=clean_cell(filename, 200), imported_at=now,
                     imported_by=actor if getattr(actor, "pk", None) else None)
           for c in calls if c.call_id not in existing]
    created = PhoneCall.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return {"read": len(calls), "created": len(created), "unchanged": len(calls) - len(new),
            "errors": [{"line": line, "message": message} for line, message in errors]}
