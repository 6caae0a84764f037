"""Permission-scoped reads of ratings, call-backs, questionnaires and the satisfaction figures.
Figures are aggregated in SQL (GROUP BY), never by looping over querysets in Python."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Mod, TruncMonth
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.choices import Role
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.selectors import incident_base
from tickets.choices import RequestStatus, RequestType, TicketKind
from tickets.models import ServiceRequest
from tickets.selectors import request_list

from .choices import CALLBACK_DONE, UNHAPPY_AT_MOST, FigureSource, QuestionKind
from .links import LinkInvalid, link_parse
from .models import (
    Callback,
    CallbackSampling,
    RatingInvitation,
    SatisfactionRating,
    SurveyAnswer,
    SurveyInvitation,
    SurveyRound,
)

# Months are the customer's wall-clock months.
FIGURES_TZ = ZoneInfo("Asia/Shanghai")
# Multiplying the id by a number coprime to 100 spreads consecutive incidents over the 100
# buckets, so "bucket < percent" picks exactly percent % of every hundred ids, deterministically.
SAMPLE_MULTIPLIER = 37
DEFAULT_SAMPLE_PERCENT = {"I": 100, "II": 100, "III": 20, "IV": 20}
CALLBACK_ROLES = frozenset({Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})
FIGURE_GROUPS = ("organization", "assignee", "month")


def is_quality_staff(user: Any) -> bool:
    """Supervisors, regional leads and managers run call-backs and read the figures."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and (user.is_superuser or user.role in CALLBACK_ROLES))


def _staff_only(user: Any) -> None:
    if not is_quality_staff(user):
        raise Http404


# --- ratings ------------------------------------------------------------------------------------

def rated_ticket_ids(*, kind: str, ticket_ids: list[int]) -> set[int]:
    return set(SatisfactionRating.objects.filter(ticket_kind=kind, ticket_id__in=ticket_ids)
               .values_list("ticket_id", flat=True))


def rating_for_ticket(*, kind: str, ticket_id: int) -> SatisfactionRating | None:
    return SatisfactionRating.objects.filter(ticket_kind=kind, ticket_id=ticket_id).first()


def rating_list(*, user: Any) -> QuerySet[SatisfactionRating]:
    qs = SatisfactionRating.objects.select_related("organization", "assignee")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_customer and not user.is_superuser:
        return qs.filter(organization_id=user.organization_id)
    return qs if is_quality_staff(user) else qs.none()


def rating_invitation_from_token(*, token: str, now: datetime) -> RatingInvitation:
    """The invitation a signed rating link names, if it can still be used (else LinkInvalid)."""
    pk, nonce = link_parse(kind="rating", token=token)
    invitation = RatingInvitation.objects.select_related("organization").filter(pk=pk, nonce=nonce).first()
    return _usable(invitation, now=now)


def _usable[T: (RatingInvitation, SurveyInvitation)](invitation: T | None, *, now: datetime) -> T:
    if invitation is None:
        raise LinkInvalid("invalid")
    if invitation.used_at is not None:
        raise LinkInvalid("used")
    if invitation.expires_at <= now:
        raise LinkInvalid("expired")
    return invitation


def rateable_ticket(*, kind: str, ticket_id: int) -> Incident | ServiceRequest | None:
    """The closed ticket of that kind and id (the caller has checked who may see it)."""
    if kind == TicketKind.INCIDENT:
        return Incident.objects.select_related("organization").filter(
            pk=ticket_id, status=IncidentStatus.CLOSED).first()
    if kind == TicketKind.REQUEST:
        return ServiceRequest.objects.select_related("organization").filter(
            pk=ticket_id, status=RequestStatus.CLOSED).first()
    return None


# --- call-backs ---------------------------------------------------------------------------------

def sample_bucket_expression() -> Mod:
    return Mod(F("id") * SAMPLE_MULTIPLIER, Value(100))


def sample_percent_expression() -> Coalesce:
    configured = CallbackSampling.objects.filter(fault_level=OuterRef("fault_level")).values("percent")[:1]
    default = Case(*[When(fault_level=level, then=Value(pct)) for level, pct in DEFAULT_SAMPLE_PERCENT.items()],
                   default=Value(100), output_field=IntegerField())
    return Coalesce(Subquery(configured, output_field=IntegerField()), default, output_field=IntegerField())


def callback_is_sampled(*, incident_id: int, fault_level: str) -> bool:
    """The same rule as the queue, for one incident (used by tests and the admin)."""
    row = CallbackSampling.objects.filter(fault_level=fault_level).first()
    percent = row.percent if row else DEFAULT_SAMPLE_PERCENT.get(fault_level, 100)
    return (incident_id * SAMPLE_MULTIPLIER) % 100 < percent


def callback_queue(*, user: Any) -> QuerySet[Incident]:
    """Closed incidents to call back: every sampled one (all I–II, a configured share of III–IV)
    without a finished call-back; "no answer" keeps it in the queue. Most recently closed first."""
    _staff_only(user)
    done = Callback.objects.filter(incident=OuterRef("pk"), outcome__in=CALLBACK_DONE)
    return (
        incident_base(user=user).select_related("organization", "contact", "assignee", "ci")
        .filter(status=IncidentStatus.CLOSED)
        .annotate(sample_bucket=sample_bucket_expression(), sample_percent=sample_percent_expression(),
                  callback_attempts=Coalesce(Subquery(Callback.objects.filter(incident=OuterRef("pk"))
                                                      .values("attempts")[:1]), Value(0)))
        .filter(sample_bucket__lt=F("sample_percent"))
        .filter(~Exists(done))
        .order_by("-closed_at", "-id")
    )


def callback_list(*, user: Any, follow_up: bool | None = None) -> QuerySet[Callback]:
    """Call-backs; `follow_up=True` gives the unhappy customers still waiting for a follow-up."""
    _staff_only(user)
    qs = Callback.objects.select_related("incident", "organization", "assignee", "called_by")
    if follow_up is True:
        qs = qs.filter(follow_up=True, follow_up_done_at__isnull=True)
    elif follow_up is False:
        qs = qs.filter(follow_up=False)
    return qs


def callback_incident_get(*, user: Any, pk: Any) -> Incident:
    _staff_only(user)
    try:
        return incident_base(user=user).select_related("organization", "contact").get(
            pk=int(pk), status=IncidentStatus.CLOSED)
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


# --- satisfaction figures ----------------------------------------------------------------------

def satisfaction_figures(*, user: Any, source: str = FigureSource.RATING, group_by: tuple[str, ...] = FIGURE_GROUPS,
                         date_from: date | None = None, date_to: date | None = None,
                         organization_id: int | None = None) -> QuerySet[Any]:
    """Satisfaction per organisation / engineer / month in one GROUP BY query. Rows are dicts with
    the chosen keys (organization_id + organization_name, assignee_id + assignee_name, month) and
    `count`, `average` (1–5), `unhappy` (≤ 2 stars)."""
    _staff_only(user)
    if source not in FigureSource.values:
        raise ValidationError({"source": [_("Choose ratings or call-backs.")]})
    unknown = [g for g in group_by if g not in FIGURE_GROUPS]
    if unknown or not group_by:
        raise ValidationError({"group_by": [_("Group by organization, assignee and/or month.")]})
    if source == FigureSource.RATING:
        qs: QuerySet[Any] = SatisfactionRating.objects.all()
        score, at = "stars", "created_at"
    else:
        qs = Callback.objects.filter(satisfaction__isnull=False)
        score, at = "satisfaction", "called_at"
    if date_from:
        qs = qs.filter(**{f"{at}__date__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{at}__date__lte": date_to})
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    keys: list[str] = []
    names: dict[str, Any] = {}
    if "organization" in group_by:
        keys.append("organization_id")
        names["organization_name"] = F("organization__name")
    if "assignee" in group_by:
        keys.append("assignee_id")
        names["assignee_name"] = Coalesce(F("assignee__name"), F("assignee__username"))
    if "month" in group_by:
        qs = qs.annotate(month=TruncMonth(at, tzinfo=FIGURES_TZ))
        keys.append("month")
    return (
        qs.values(*keys)
        .annotate(**names, count=Count("id"), average=Avg(score), unhappy=Count("id", filter=Q(
            **{f"{score}__lte": UNHAPPY_AT_MOST})))
        .order_by(*[f"-{k}" if k == "month" else k for k in keys])
    )


# --- complaints ---------------------------------------------------------------------------------

def complaint_list(*, user: Any) -> QuerySet[ServiceRequest]:
    """Complaints (投诉), open ones first, then by age: tracked to an answer like any ticket."""
    open_first = Case(When(status__in=(RequestStatus.CLOSED, RequestStatus.CANCELLED), then=Value(1)),
                      default=Value(0), output_field=IntegerField())
    return (request_list(user=user).filter(request_type=RequestType.COMPLAINT)
            .select_related("complaint_incident__incident")
            .annotate(is_done=open_first).order_by("is_done", "reported_at", "id"))


def complaint_incident(*, user: Any, complaint: ServiceRequest) -> Incident | None:
    """The incident a complaint is about, if the reader may see it (same organisation, visible_to)."""
    from .models import ComplaintIncident

    link = ComplaintIncident.objects.filter(complaint_id=complaint.pk).values_list("incident_id", flat=True).first()
    if link is None:
        return None
    return incident_base(user=user).filter(pk=link, organization_id=complaint.organization_id).first()


# --- questionnaires -----------------------------------------------------------------------------

def survey_round_list(*, user: Any) -> QuerySet[SurveyRound]:
    _staff_only(user)
    return SurveyRound.objects.select_related("questionnaire", "organization", "sent_by").annotate(
        invited=Count("invitations", distinct=True), answered=Count("responses", distinct=True))


def survey_round_get(*, user: Any, pk: Any) -> SurveyRound:
    try:
        return survey_round_list(user=user).get(pk=int(pk))
    except (SurveyRound.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def survey_round_results(*, round: SurveyRound) -> dict[str, Any]:
    """Per question of a round: number of answers and average rating; per choice: its count."""
    answers = SurveyAnswer.objects.filter(response__round=round)
    per_question = list(answers.values("question_id", "question__text", "question__kind", "question__position")
                        .annotate(answers=Count("id"), average=Avg("rating"))
                        .order_by("question__position", "question_id"))
    per_choice = list(answers.filter(question__kind=QuestionKind.CHOICE).exclude(choice="")
                      .values("question_id", "choice").annotate(count=Count("id")).order_by("question_id", "-count"))
    texts = list(answers.filter(question__kind=QuestionKind.TEXT).exclude(text="")
                 .values("question_id", "text", "response__submitted_at").order_by("question_id", "id")[:500])
    return {"questions": per_question, "choices": per_choice, "texts": texts}


def survey_yearly_stats(*, user: Any, year: int) -> QuerySet[Any]:
    """One row per organisation for `year`: responses, average rating of the first half, the second
    half and the whole year (rating questions only), computed in one GROUP BY."""
    _staff_only(user)
    rated = Q(question__kind=QuestionKind.RATING, rating__isnull=False)
    return (
        SurveyAnswer.objects.filter(response__round__year=year)
        .values(organization_id=F("response__organization_id"),
                organization_name=F("response__organization__name"))
        .annotate(responses=Count("response", distinct=True),
                  first_half=Avg("rating", filter=rated & Q(response__round__half=1)),
                  second_half=Avg("rating", filter=rated & Q(response__round__half=2)),
                  year_average=Avg("rating", filter=rated))
        .order_by("organization_name", "organization_id")
    )


def survey_invitation_from_token(*, token: str, now: datetime) -> SurveyInvitation:
    pk, nonce = link_parse(kind="survey", token=token)
    invitation = (SurveyInvitation.objects.select_related("round", "round__questionnaire", "round__organization")
                  .filter(pk=pk, nonce=nonce).first())
    invitation = _usable(invitation, now=now)
    if invitation.round.closes_at <= now:
        raise LinkInvalid("expired")
    return invitation


def survey_open_for_user(*, user: Any, now: datetime) -> QuerySet[SurveyInvitation]:
    """A portal user's unanswered questionnaire invitations (through their contact record)."""
    if not getattr(user, "is_authenticated", False) or not user.is_customer:
        return SurveyInvitation.objects.none()
    return (SurveyInvitation.objects.select_related("round", "round__questionnaire")
            .filter(contact__user=user, round__organization_id=user.organization_id, used_at__isnull=True,
                    expires_at__gt=now, round__closes_at__gt=now)
            .order_by("-round__sent_at", "id"))


def survey_invitation_for_user(*, user: Any, pk: Any, now: datetime) -> SurveyInvitation:
    try:
        return survey_open_for_user(user=user, now=now).get(pk=int(pk))
    except (SurveyInvitation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
