"""Yearly customer satisfaction report (年度客户满意度报告), period = year.

Written like a letter to the customer: the year's ratings on closure (per month and per star), the
call-backs (回访), complaints, and the half-yearly questionnaire rounds (维护工作客户意见征询表) with their
response rates and per-question averages for the first half, the second half and the year; then the
assessment and the improvements the manager writes (options["summary"], options["recommendations"]).

Figures: a month's average = its stars ÷ its ratings (both printed); the year's row is the sum of the
month rows; response rate = responses ÷ invitations of the half's rounds; a question's average =
the sum of its ratings ÷ the number of ratings, per half and for the year."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quality.choices import CALLBACK_DONE, QuestionKind
from quality.figures import month_starts
from quality.models import Callback, SatisfactionRating, SurveyAnswer, SurveyInvitation, SurveyResponse, SurveyRound
from reports.charts import bar_chart, line_chart
from reports.registry import ReportInput, ReportKind, Table, register

from ._shared import complaints, header, org_filter, pct, period_filter

TITLE = _("Yearly customer satisfaction report")


def avg(total: int, n: int) -> float | None:
    return round(total / n, 2) if n else None


def _ratings(inp: ReportInput) -> dict[str, Any]:
    zone = timezone.get_default_timezone()
    qs = period_filter(org_filter(SatisfactionRating.objects.all(), inp), inp, "created_at")
    per_month = {r["m"].astimezone(zone).strftime("%Y-%m"): r for r in (
        qs.annotate(m=TruncMonth("created_at", tzinfo=zone)).order_by().values("m")
        .annotate(n=Count("id"), star_sum=Sum("stars"), happy=Count("id", filter=Q(stars__gte=4)),
                  unhappy=Count("id", filter=Q(stars__lte=2))))}
    months = []
    for a, _b in month_starts(inp.start, inp.end) if inp.start and inp.end else []:
        label = timezone.localtime(a, zone).strftime("%Y-%m")
        r = per_month.get(label, {})
        n, stars = r.get("n", 0), r.get("star_sum") or 0
        months.append({"label": label, "n": n, "stars": stars, "avg": avg(stars, n), "happy": r.get("happy", 0),
                       "unhappy": r.get("unhappy", 0), "happy_pct": pct(r.get("happy", 0), n)})
    n = sum(m["n"] for m in months)
    stars = sum(m["stars"] for m in months)
    happy = sum(m["happy"] for m in months)
    unhappy = sum(m["unhappy"] for m in months)
    dist = dict(qs.order_by().values_list("stars").annotate(c=Count("id")).values_list("stars", "c"))
    return {"months": months, "total": {"n": n, "stars": stars, "avg": avg(stars, n), "happy": happy,
                                        "unhappy": unhappy, "happy_pct": pct(happy, n)},
            "stars": [{"stars": s, "count": dist.get(s, 0), "pct": pct(dist.get(s, 0), n)} for s in (5, 4, 3, 2, 1)]}


def _callbacks(inp: ReportInput) -> dict[str, Any]:
    qs = period_filter(org_filter(Callback.objects.all(), inp), inp, "called_at")
    agg = qs.aggregate(n=Count("id"), reached=Count("id", filter=Q(outcome__in=CALLBACK_DONE)),
                       rated=Count("id", filter=Q(satisfaction__isnull=False)), stars=Sum("satisfaction"))
    return {"total": agg["n"], "done": agg["reached"], "rated": agg["rated"], "stars": agg["stars"] or 0,
            "avg": avg(agg["stars"] or 0, agg["rated"])}


def _surveys(inp: ReportInput) -> dict[str, Any]:
    year = timezone.localtime(inp.start).year if inp.start else inp.now.year
    rounds = org_filter(SurveyRound.objects.filter(year=year), inp)
    halves: list[dict[str, Any]] = []
    for half in (1, 2):
        rs = rounds.filter(half=half)
        invited = SurveyInvitation.objects.filter(round__in=rs).count()
        answered = SurveyResponse.objects.filter(round__in=rs).count()
        halves.append({"half": half, "rounds": rs.count(), "invited": invited, "answered": answered,
                       "rate": pct(answered, invited)})
    rated = Q(question__kind=QuestionKind.RATING, rating__isnull=False)
    answers = SurveyAnswer.objects.filter(response__round__in=rounds).filter(rated)
    rows = (answers.order_by().values("question_id", "question__text", "question__position",
                                      "response__round__questionnaire__title")
            .annotate(n1=Count("id", filter=Q(response__round__half=1)), s1=Sum("rating", filter=Q(response__round__half=1)),
                      n2=Count("id", filter=Q(response__round__half=2)), s2=Sum("rating", filter=Q(response__round__half=2)))
            .order_by("response__round__questionnaire__title", "question__position", "question_id"))
    questions = []
    for r in rows:
        s1, s2 = r["s1"] or 0, r["s2"] or 0
        questions.append({"questionnaire": r["response__round__questionnaire__title"], "text": r["question__text"],
                          "n1": r["n1"], "avg1": avg(s1, r["n1"]), "n2": r["n2"], "avg2": avg(s2, r["n2"]),
                          "n": r["n1"] + r["n2"], "avg": avg(s1 + s2, r["n1"] + r["n2"])})
    texts = list(SurveyAnswer.objects.filter(response__round__in=rounds, question__kind=QuestionKind.TEXT)
                 .exclude(text="").order_by("response__submitted_at", "id")
                 .values_list("question__text", "text")[:30])
    return {"year": year, "halves": halves, "questions": questions,
            "texts": [{"question": q, "text": t} for q, t in texts],
            "invited": sum(h["invited"] for h in halves), "answered": sum(h["answered"] for h in halves),
            "rate": pct(sum(h["answered"] for h in halves), sum(h["invited"] for h in halves))}


def build(inp: ReportInput) -> dict[str, Any]:
    ctx = header(inp, TITLE)
    ratings = _ratings(inp)
    ctx.update({
        "ratings": ratings, "callbacks": _callbacks(inp), "surveys": _surveys(inp), "complaints": complaints(inp),
        "summary": str(inp.options.get("summary", "") or "").strip(),
        "recommendations": str(inp.options.get("recommendations", "") or "").strip(),
        "chart_months": partial(lambda rows: line_chart(labels=[r["label"][5:] for r in rows], width=380, height=190,
                                                        series=[(_("Average rating"), [r["avg"] or 0 for r in rows])]),
                                ratings["months"]),
        "chart_stars": partial(lambda rows: bar_chart(labels=[f"{r['stars']}★" for r in rows], width=380, height=190,
                                                      values=[r["count"] for r in rows]), ratings["stars"]),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    r = ctx["ratings"]
    months = Table(title=_("Ratings by month"), headers=[_("Month"), _("Ratings"), _("Stars"), _("Average"),
                                                         _("4–5 stars"), _("1–2 stars")],
                   rows=[[m["label"], m["n"], m["stars"], m["avg"], m["happy"], m["unhappy"]]
                         for m in [*r["months"], {**r["total"], "label": _("Year")}]])
    stars = Table(title=_("Ratings by stars"), headers=[_("Stars"), _("Ratings"), "%"],
                  rows=[[s["stars"], s["count"], s["pct"]] for s in r["stars"]])
    s = ctx["surveys"]
    halves = Table(title=_("Questionnaire rounds"), headers=[_("Half year"), _("Rounds"), _("Invited"), _("Answered"),
                                                             _("Response rate %")],
                   rows=[[h["half"], h["rounds"], h["invited"], h["answered"], h["rate"]] for h in s["halves"]])
    questions = Table(title=_("Questionnaire answers"), headers=[
        _("Questionnaire"), _("Question"), _("Answers H1"), _("Average H1"), _("Answers H2"), _("Average H2"),
        _("Answers"), _("Average")],
        rows=[[q["questionnaire"], q["text"], q["n1"], q["avg1"], q["n2"], q["avg2"], q["n"], q["avg"]]
              for q in s["questions"]])
    return [months, stars, halves, questions]


register(ReportKind(code="yearly_satisfaction", title=TITLE, scope="period",
                    template="reports/pdf/yearly_satisfaction.html", build=build, tables=tables,
                    period_kinds=("year",)))
