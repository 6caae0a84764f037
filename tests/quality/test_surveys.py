"""Questionnaire rounds: sending, answering by signed link and in the portal, results, statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from quality.links import link_token
from quality.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from quality.selectors import survey_round_results, survey_yearly_stats
from quality.services import survey_invitation_send, survey_round_send, survey_submit
from tests.factories import ContactFactory, CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _answers(questionnaire, r1, r2, choice="Yes", text=""):
    qs = list(questionnaire.questions.order_by("position"))
    return {f"q{qs[0].pk}": str(r1), f"q{qs[1].pk}": str(r2), f"q{qs[2].pk}": choice, f"q{qs[3].pk}": text}


def test_round_invites_contacts_with_email_or_portal_account(supervisor, questionnaire, org_a, contacts_a, now):
    survey = survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026, half=1,
                               now=now)
    invited = set(SurveyInvitation.objects.filter(round=survey).values_list("contact__name", flat=True))
    assert invited == {"Mail Contact", "Portal Contact"}
    with pytest.raises(ValidationError, match="already sent"):
        survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026, half=1,
                          now=now)
    mail_invitation = SurveyInvitation.objects.get(round=survey, contact__name="Mail Contact")
    assert survey_invitation_send(invitation_id=mail_invitation.pk, now=now) is True
    assert survey_invitation_send(invitation_id=mail_invitation.pk, now=now) is False


def test_answer_by_link_once_and_validation(client, supervisor, questionnaire, org_a, contacts_a, now):
    survey = survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026, half=1,
                               now=now)
    invitation = SurveyInvitation.objects.get(round=survey, contact__name="Mail Contact")
    url = reverse("links:survey", args=[link_token(kind="survey", pk=invitation.pk, nonce=invitation.nonce)])
    assert "Response speed" in client.get(url).content.decode()
    bad = client.post(url, {**_answers(questionnaire, 9, 4, choice="Maybe")})
    assert bad.status_code == 400 and not SurveyResponse.objects.exists()
    done = client.post(url, _answers(questionnaire, 4, 5, text="More spare parts"))
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    assert SurveyAnswer.objects.filter(response__invitation=invitation).count() == 4
    again = client.get(url)
    assert again.status_code == 410 and "Response speed" not in again.content.decode()
    tampered = client.get(url.replace(invitation.nonce[:4], "zzzz") if invitation.nonce[:4] in url else url[:-3] + "x/")
    assert tampered.status_code in (400, 410)


def test_expired_round_link(client, supervisor, questionnaire, org_a, contacts_a, now):
    survey = survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026, half=1,
                               now=now - timedelta(days=40))
    invitation = SurveyInvitation.objects.get(round=survey, contact__name="Mail Contact")
    url = reverse("links:survey", args=[link_token(kind="survey", pk=invitation.pk, nonce=invitation.nonce)])
    response = client.get(url)
    assert response.status_code == 410 and "Response speed" not in response.content.decode()


def test_answer_in_portal(client, supervisor, customer_a, customer_b, questionnaire, org_a, contacts_a, now):
    survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026, half=1, now=now)
    invitation = SurveyInvitation.objects.get(contact__user=customer_a)
    client.force_login(customer_b)
    assert client.get(reverse("portal:survey", args=[invitation.pk])).status_code == 404
    client.force_login(customer_a)
    assert questionnaire.title in client.get(reverse("portal:home")).content.decode()
    response = client.post(reverse("portal:survey", args=[invitation.pk]), _answers(questionnaire, 3, 3))
    assert response.status_code == 302
    assert SurveyResponse.objects.get().respondent == customer_a
    assert client.get(reverse("portal:survey", args=[invitation.pk])).status_code == 404


def test_results_and_yearly_stats(supervisor, questionnaire, org_a, contacts_a, now, django_assert_max_num_queries):
    org_c = OrganizationFactory(name="Charlie Corp")
    c_user = CustomerFactory(organization=org_c)
    ContactFactory(organization=org_c, name="C1", email="c1@example.com", user=c_user)
    rounds = {
        (org_a, 1): survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026,
                                      half=1, now=now),
        (org_a, 2): survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_a, year=2026,
                                      half=2, now=now),
        (org_c, 1): survey_round_send(actor=supervisor, questionnaire=questionnaire, organization=org_c, year=2026,
                                      half=1, now=now),
    }
    scores = {(org_a, 1): [(4, 4), (2, 2)], (org_a, 2): [(5, 5)], (org_c, 1): [(1, 3)]}
    for key, pairs in scores.items():
        for invitation, (r1, r2) in zip(SurveyInvitation.objects.filter(round=rounds[key]).order_by("id"), pairs,
                                        strict=False):
            survey_submit(invitation_id=invitation.pk, answers=_answers(questionnaire, r1, r2, choice="No"), now=now)
    results = survey_round_results(round=rounds[(org_a, 1)])
    speed = next(q for q in results["questions"] if q["question__text"] == "Response speed")
    assert speed["answers"] == 2 and float(speed["average"]) == 3.0
    assert {(c["choice"], c["count"]) for c in results["choices"]} == {("No", 2)}
    with django_assert_max_num_queries(1):
        stats = {row["organization_name"]: row for row in survey_yearly_stats(user=supervisor, year=2026)}
    assert stats["Org A"]["responses"] == 3
    assert float(stats["Org A"]["first_half"]) == 3.0 and float(stats["Org A"]["second_half"]) == 5.0
    assert float(stats["Org A"]["year_average"]) == pytest.approx((4 + 4 + 2 + 2 + 5 + 5) / 6)
    assert float(stats["Charlie Corp"]["year_average"]) == 2.0 and stats["Charlie Corp"]["second_half"] is None


def test_staff_pages(client, supervisor, questionnaire, org_a, contacts_a, customer_a):
    client.force_login(supervisor)
    response = client.post(reverse("quality:surveys"), {"questionnaire": questionnaire.pk,
                                                        "organization": org_a.pk, "year": 2026, "half": 2})
    assert response.status_code == 302
    survey = SurveyInvitation.objects.first().round
    assert questionnaire.title in client.get(reverse("quality:survey_round", args=[survey.pk])).content.decode()
    assert client.get(reverse("quality:surveys") + "?year=2026").status_code == 200
    client.force_login(customer_a)
    assert client.get(reverse("quality:surveys")).status_code == 404
    assert client.get(reverse("quality:survey_round", args=[survey.pk])).status_code == 404


def test_api_stats(api_as, supervisor, customer_a):
    assert api_as(supervisor).get("/api/v1/quality/questionnaires/stats/?year=2026").json()["results"] == []
    assert api_as(supervisor).get("/api/v1/quality/questionnaires/stats/?year=abc").status_code == 400
    assert api_as(customer_a).get("/api/v1/quality/questionnaires/stats/?year=2026").status_code == 404
